"""Applications: submit (one, or waiting for the result), read, list, apply an alternative."""
import time
import uuid
from contextlib import nullcontext

from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.decorators import api_view, permission_classes
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from scoring.services import audit, events, runtime
from scoring.accounts import roles
from scoring import selectors
from scoring.services import submission
from scoring.services.questionnaire import active_features, clean_value
from scoring.api.errors import Conflict, validation_error_response
from scoring.api.idempotency import idempotent
from scoring.api.serializers import (
    AlternativeSerializer,
    ApplicationCreateSerializer,
    ApplicationFilterSerializer,
    ApplicationListItemSerializer,
    ApplicationPageSerializer,
    ApplicationSerializer,
    ApplicationStatusSerializer,
    ApplicationWaitSerializer,
)

from scoring.api.examples import (CREATE_EXAMPLE, DETAIL_EXAMPLE,
                                   INVALID_EXAMPLE)
from scoring.api.views.common import (IDEMPOTENCY_PARAMETER, READ_ERRORS, SUBMITTERS, WRITE_ERRORS, Pages,
                                      query_params)


@extend_schema(
    methods=["GET"], operation_id="applications_list", summary="Заявки: список с фильтрами",
    parameters=[ApplicationFilterSerializer], responses={200: ApplicationPageSerializer, **READ_ERRORS},
    description="Кредитный специалист видит свои заявки, аналитик и администратор — все "
                "(аналитик — с замаскированными ФИО и телефоном). Новые первыми.",
)
@extend_schema(
    methods=["POST"], operation_id="applications_create", summary="Отправить анкету на оценку",
    request=ApplicationCreateSerializer, parameters=[IDEMPOTENCY_PARAMETER, ApplicationWaitSerializer],
    responses={
        202: ApplicationStatusSerializer,
        200: OpenApiResponse(ApplicationStatusSerializer,
                             description="Те же ответы уже отправлялись: возвращена существующая заявка."),
        **WRITE_ERRORS,
    },
    description="Без wait ответ приходит сразу: id, статус и адрес заявки (202 — новая заявка, 200 — те же "
                "ответы уже отправлялись). С параметром wait ответ придёт, как только заявка будет оценена, "
                "но не позже чем через wait секунд, и в нём вся заявка, как в GET /api/v1/applications/{id}/ "
                "(оценки банков, причины, рекомендация); коды ответа те же. Так результат приходит одним "
                "запросом.",
    examples=[CREATE_EXAMPLE, INVALID_EXAMPLE],
)
@api_view(["GET", "POST"])
@permission_classes([SUBMITTERS])
def application_list(request):
    if request.method == "GET":
        filters = query_params(ApplicationFilterSerializer, request)
        filters.pop("page", None), filters.pop("page_size", None)
        queryset = selectors.filtered_applications(request.user, **filters)
        paginator = Pages()
        page = paginator.paginate_queryset(queryset, request)
        data = ApplicationListItemSerializer(page, many=True, context={"request": request}).data
        if roles.sees_personal_data(request.user):  # names and phones unmasked: one audit entry for the page
            query = {name: str(value) for name, value in filters.items() if value not in (None, "")}
            audit.record_personal_data_read(
                actor=request.user, client_ids=[application.client_id for application in page],
                where="api list", query={**query, "page": paginator.page.number})
        return paginator.get_paginated_response(data)
    wait = query_params(ApplicationWaitSerializer, request).get("wait")
    # With a worker to wait for, listen for the new application's announcement before it is queued:
    # its id is chosen here, so the worker cannot finish it unheard and the wait needs no status
    # read first. A repeat, a replay or a process without a free waiting slot waits as GET does,
    # after this block has given its slot back.
    listen = bool(wait) and request.META.get("wsgi.multithread") and not submission.scoring_runs_inline()
    new_id = uuid.uuid4() if listen else None
    stored = []  # the application, as this request stores it (not on a repeat or a replay)
    with events.waiting_for(new_id) if listen else nullcontext() as waiter:
        response = _submit(request, application_id=new_id, stored=stored)
        heard = waiter is not None and _created_now(response) and response.data["id"] == str(new_id)
        if heard:
            selectors.wait_for_announcement(request.user, new_id, waiter, deadline=time.monotonic() + wait)
    if wait is None or response.status_code not in (status.HTTP_200_OK, status.HTTP_202_ACCEPTED):
        return response
    # After the submission's transaction (with an Idempotency-Key _submit runs inside one): only then
    # is the scoring task sent.
    # Heard finished: the answer needs only what the scoring wrote, read with the scores in one query.
    finished = selectors.submitted_application_with_scores(stored[0]) if heard and stored else None
    body = _application_body(request, response.data["id"], wait=None if heard else wait,
                             submitted_now=_created_now(response), application=finished)
    answer = Response(body, status=response.status_code)
    if response.has_header("Idempotent-Replayed"):
        answer["Idempotent-Replayed"] = response["Idempotent-Replayed"]
    return answer


def _loan_errors(amount, term) -> list[str]:
    """"loan_term: …" for an amount or term its questionnaire field refuses (the body's own error)."""
    features = {f.key: f for f in active_features()}
    errors = []
    for name, key, value in zip(("loan_amount", "loan_term"), runtime.current_loan_keys(), (amount, term)):
        if key in features:
            try:
                clean_value(features[key], value, timezone.localdate())
            except ValueError as exc:
                errors.append(f"{name}: {exc}")
    return errors


def _created_now(response) -> bool:
    """The submission stored a new application just now (not a repeat, not an idempotent replay)."""
    return response.status_code == status.HTTP_202_ACCEPTED and not response.has_header("Idempotent-Replayed")


@idempotent
def _submit(request, application_id=None, stored=None):
    serializer = ApplicationCreateSerializer(data=request.data)
    if not serializer.is_valid():
        return validation_error_response(serializer.errors)
    application, created = submission.submit_application(
        officer=request.user,
        answers=serializer.validated_data["answers"],
        client=serializer.validated_data.get("client"),
        application_id=application_id,
    )
    if submission.scoring_runs_inline():
        application.refresh_from_db(fields=["status"])  # scored at commit, inside this request
    if created and stored is not None:
        stored.append(application)
    body = ApplicationStatusSerializer(application, context={"request": request}).data
    return Response(body, status=status.HTTP_202_ACCEPTED if created else status.HTTP_200_OK)


def _application_body(request, application_id, *, wait=None, submitted_now=False, application=None) -> dict:
    """The application as GET shows it, after waiting up to `wait` seconds for its result.

    `submitted_now`: created by this request, whose answer is the first to carry its id.
    `application`: read already, with its scores (the caller heard it finished)."""
    # A waiting request holds its thread: a server of single-threaded workers (gunicorn's sync
    # worker) would have none left for anyone else, so there the answer comes at once.
    if wait and request.META.get("wsgi.multithread"):
        selectors.wait_until_finished(request.user, application_id, seconds=wait)
    if application is None:
        # The answer to the request that submitted it: the user's own application, read in one query.
        read = selectors.own_application_with_scores if submitted_now else selectors.application_with_scores
        application = read(request.user, application_id)
    if application is None:
        raise NotFound("Заявка не найдена.")
    body = ApplicationSerializer(application, context={"request": request, "submitted_now": submitted_now}).data
    if application.client_id and roles.sees_personal_data(request.user) and body.get("client"):
        audit.record(actor=request.user, action="view_personal_data", obj=application,
                     after={"where": "api detail", "clients": [application.client_id]})
    return body


@extend_schema(
    operation_id="applications_retrieve", parameters=[ApplicationWaitSerializer],
    responses={200: ApplicationSerializer, **READ_ERRORS}, summary="Заявка и оценки банков", examples=[DETAIL_EXAMPLE],
    description="С параметром wait ответ придёт, как только заявка будет оценена (done или failed), "
                "но не позже чем через wait секунд — тогда со статусом, какой есть. Так не нужно "
                "опрашивать часто: повторяйте запрос с wait, пока статус не станет done или failed. "
                "Сервер может ответить и раньше, с текущим статусом (например, если ждущих запросов "
                "уже слишком много).",
)
@api_view(["GET"])
def application_detail(request, application_id):
    wait = query_params(ApplicationWaitSerializer, request).get("wait")
    return Response(_application_body(request, application_id, wait=wait))


@extend_schema(
    operation_id="applications_alternative", request=AlternativeSerializer, parameters=[IDEMPOTENCY_PARAMETER],
    responses={
        202: ApplicationStatusSerializer,
        200: OpenApiResponse(ApplicationStatusSerializer, description="Такой вариант уже оценивался."),
        **WRITE_ERRORS,
    },
    summary="Оценить другой вариант суммы и срока (новая заявка, связанная с исходной)",
)
@api_view(["POST"])
@permission_classes([SUBMITTERS])
@idempotent
def application_alternative(request, application_id):
    application = selectors.application_with_scores(request.user, application_id)
    if application is None:
        raise NotFound("Заявка не найдена.")
    serializer = AlternativeSerializer(data=request.data)
    if not serializer.is_valid():
        return validation_error_response(serializer.errors)
    amount, term = serializer.validated_data["loan_amount"], serializer.validated_data["loan_term"]
    loan_errors = _loan_errors(amount, term)
    if loan_errors:
        return validation_error_response({"non_field_errors": loan_errors})
    try:
        alternative, created = submission.apply_suggestion(officer=request.user, application=application,
                                                           amount=amount, term=term)
    except submission.SuggestionError as exc:
        # The amount and term are right, the original's other answers no longer pass (sent through
        # the legacy endpoint without them, or an age past the limit by now): no alternative of it.
        raise Conflict(f"Вариант этой заявки оценить нельзя: {exc}")
    if submission.scoring_runs_inline():
        alternative.refresh_from_db(fields=["status"])
    body = ApplicationStatusSerializer(alternative, context={"request": request}).data
    return Response(body, status=status.HTTP_202_ACCEPTED if created else status.HTTP_200_OK)
