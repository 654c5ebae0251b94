"""The REST API: the same flow as the pages, through the same services. docs/api.md describes it."""
import time
import uuid
from contextlib import nullcontext

from django.conf import settings
from django.db.models import Prefetch
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.decorators import api_view
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response

from scoring import audit, events, roles, selectors, services
from scoring.api.errors import PayloadTooLarge, validation_error_response
from scoring.api.idempotency import HEADER as IDEMPOTENCY_HEADER
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
    BankSerializer,
    BatchAcceptedSerializer,
    BatchCreateSerializer,
    BatchSerializer,
    ClientSerializer,
    FeatureSerializer,
    ModelVersionFilterSerializer,
    ModelVersionPageSerializer,
    ModelVersionSerializer,
    OutcomeCreateSerializer,
    OutcomeFilterSerializer,
    OutcomePageSerializer,
    OutcomeSerializer,
    QuestionnaireSerializer,
)
from scoring.models import Bank, ModelVersion, Outcome
from scoring.questionnaire import active_features, validate_answers

# The error shape, referenced from every operation's error responses (see scoring/api/schema.py).
ERROR = OpenApiResponse(response=OpenApiTypes.OBJECT, description="Ошибка: {status, code, detail, errors?}")
COMMON_ERRORS = {401: ERROR, 403: ERROR, 429: ERROR}
READ_ERRORS = {**COMMON_ERRORS, 400: ERROR, 404: ERROR}
WRITE_ERRORS = {**COMMON_ERRORS, 400: ERROR, 404: ERROR, 409: ERROR, 415: ERROR}

IDEMPOTENCY_PARAMETER = OpenApiParameter(
    IDEMPOTENCY_HEADER, OpenApiTypes.STR, OpenApiParameter.HEADER, required=False,
    description="Повтор запроса с тем же ключом и телом вернёт тот же ответ; с другим телом — 409.",
)

ANSWERS_EXAMPLE = {
    "birth_date": "1988-07-21", "education": "Высшее - специалист",
    "employment_status": "Работаю по найму полный рабочий день/служу", "work_experience": "10 и более лет",
    "job_start_date": "2015-03-01", "position": "Менеджер", "month_profit": 145000, "month_expense": 22500,
    "gender": "0", "family_status": "Женат / замужем", "child_count": 1, "snils": True, "merch_code": 12,
    "loan_amount": 68000, "loan_term": "12", "goods_category": "Mobile_devices",
}
CREATE_EXAMPLE = OpenApiExample(
    "Анкета", request_only=True,
    value={"answers": ANSWERS_EXAMPLE, "client": {"full_name": "Иванов Иван Иванович", "phone": "+7 900 123-45-67"}},
)
INVALID_EXAMPLE = OpenApiExample(
    "Ошибки по полям", response_only=True, status_codes=["400"],
    value={"status": 400, "code": "invalid", "detail": "Проверьте поля запроса.",
           "errors": {"answers": {"birth_date": ["Обязательное поле."], "loan_term": [
               "Выберите один из вариантов: 6, 12, 18, 24."]}}},
)


DETAIL_EXAMPLE = OpenApiExample("Оценённая заявка", response_only=True, status_codes=["200"], value={
    "id": "3f1c2d9e-8a1b-4c55-9e0f-2b7c1d4e5f60",
    "url": "http://127.0.0.1:8000/api/v1/applications/3f1c2d9e-8a1b-4c55-9e0f-2b7c1d4e5f60/",
    "status": "done", "created_at": "2026-11-25T10:15:02.120000+03:00",
    "scored_at": "2026-11-25T10:15:02.480000+03:00", "parent": None,
    "client": {"full_name": "Иванов Иван Иванович", "phone": "+7 900 123-45-67", "masked": False},
    "answers": ANSWERS_EXAMPLE, "error": "",
    "recommendation": {"action": "send", "banks": ["bank_d", "bank_a"], "ranking": ["bank_d", "bank_a", "bank_b"],
                       "text": "Отправьте в «Банк D» и «Банк A»."},
    "scores": [{"bank": "bank_d", "bank_name": "Банк D", "rank": 0, "probability": 0.83, "threshold": 0.5,
                "verdict": "likely", "refused_by_rule": False,
                "reasons": [{"feature": "month_profit", "label": "Ежемесячный доход, ₽", "contribution": 0.41,
                             "direction": "up", "effect_pp": 6.2, "text": "Доход 145 000 ₽ повышает шансы."}],
                "offer": {"annual_rate": 24.9, "amount": 68000.0, "term": 12, "monthly_payment": 6455.0},
                "suggestions": []}],
    "outcomes": [],
})
BATCH_EXAMPLE = OpenApiExample("Пакет в работе", response_only=True, status_codes=["200"], value={
    "id": "9b2e7c1a-4d3f-4e8b-a1c2-0f9e8d7c6b5a",
    "url": "http://127.0.0.1:8000/api/v1/applications/batch/9b2e7c1a-4d3f-4e8b-a1c2-0f9e8d7c6b5a/",
    "created_at": "2026-11-25T10:20:00+03:00", "is_complete": False,
    "progress": {"total": 2, "queued": 1, "scoring": 0, "done": 1, "failed": 0, "finished": 1, "percent": 50.0},
    "applications": [
        {"position": 0, "id": "3f1c2d9e-8a1b-4c55-9e0f-2b7c1d4e5f60", "status": "done", "action": "send",
         "url": "http://127.0.0.1:8000/api/v1/applications/3f1c2d9e-8a1b-4c55-9e0f-2b7c1d4e5f60/",
         "scores": [{"bank": "bank_a", "probability": 0.81, "verdict": "likely"}]},
        {"position": 1, "id": "5a6b7c8d-9e0f-4a1b-8c2d-3e4f5a6b7c8d", "status": "queued", "action": None,
         "url": "http://127.0.0.1:8000/api/v1/applications/5a6b7c8d-9e0f-4a1b-8c2d-3e4f5a6b7c8d/", "scores": []},
    ],
})
BANKS_EXAMPLE = OpenApiExample("Банки", response_only=True, status_codes=["200"], value=[
    {"code": "bank_a", "name": "Банк A", "annual_rate": 24.9, "min_amount": 5000.0, "max_amount": 200000.0,
     "terms": [6, 12, 18, 24], "approval_threshold": 0.5, "model_version": 12}])


class Pages(PageNumberPagination):
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100


def _paginated(request, queryset, serializer_class, context=None):
    paginator = Pages()
    page = paginator.paginate_queryset(queryset, request)
    data = serializer_class(page, many=True, context={"request": request, **(context or {})}).data
    return paginator.get_paginated_response(data)


def _query(serializer_class, request):
    serializer = serializer_class(data=request.query_params)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _require_submitter(user):
    if not roles.can_submit(user):
        raise PermissionDenied("Отправлять анкеты может только кредитный специалист или администратор.")


# --- applications -------------------------------------------------------------------------------------

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
def application_list(request):
    if request.method == "GET":
        filters = _query(ApplicationFilterSerializer, request)
        filters.pop("page", None), filters.pop("page_size", None)
        queryset = selectors.filtered_applications(request.user, **filters)
        return _paginated(request, queryset, ApplicationListItemSerializer)
    wait = _query(ApplicationWaitSerializer, request).get("wait")
    # With a worker to wait for, listen for the new application's announcement before it is queued:
    # its id is chosen here, so the worker cannot finish it unheard and the wait needs no status
    # read first. A repeat, a replay or a process without a free waiting slot waits as GET does,
    # after this block has given its slot back.
    listen = bool(wait) and request.META.get("wsgi.multithread") and not services.scoring_runs_inline()
    new_id = uuid.uuid4() if listen else None
    with events.waiting_for(new_id) if listen else nullcontext() as waiter:
        response = _submit(request, application_id=new_id)
        heard = waiter is not None and _created_now(response) and response.data["id"] == str(new_id)
        if heard:
            selectors.wait_for_announcement(request.user, new_id, waiter, deadline=time.monotonic() + wait)
    if wait is None or response.status_code not in (status.HTTP_200_OK, status.HTTP_202_ACCEPTED):
        return response
    # After the submission's transaction (with an Idempotency-Key _submit runs inside one): only then
    # is the scoring task sent.
    body = _application_body(request, response.data["id"], wait=None if heard else wait,
                             submitted_now=_created_now(response))
    answer = Response(body, status=response.status_code)
    if response.has_header("Idempotent-Replayed"):
        answer["Idempotent-Replayed"] = response["Idempotent-Replayed"]
    return answer


def _created_now(response) -> bool:
    """The submission stored a new application just now (not a repeat, not an idempotent replay)."""
    return response.status_code == status.HTTP_202_ACCEPTED and not response.has_header("Idempotent-Replayed")


@idempotent
def _submit(request, application_id=None):
    _require_submitter(request.user)
    serializer = ApplicationCreateSerializer(data=request.data)
    if not serializer.is_valid():
        return validation_error_response(serializer.errors)
    application, created = services.submit_application(
        officer=request.user,
        answers=serializer.validated_data["answers"],
        client=serializer.validated_data.get("client"),
        application_id=application_id,
    )
    if services.scoring_runs_inline():
        application.refresh_from_db(fields=["status"])  # scored at commit, inside this request
    body = ApplicationStatusSerializer(application, context={"request": request}).data
    return Response(body, status=status.HTTP_202_ACCEPTED if created else status.HTTP_200_OK)


def _application_body(request, application_id, *, wait=None, submitted_now=False) -> dict:
    """The application as GET shows it, after waiting up to `wait` seconds for its result.

    `submitted_now`: created by this request, whose answer is the first to carry its id."""
    # A waiting request holds its thread: a server of single-threaded workers (gunicorn's sync
    # worker) would have none left for anyone else, so there the answer comes at once.
    if wait and request.META.get("wsgi.multithread"):
        selectors.wait_until_finished(request.user, application_id, seconds=wait)
    application = selectors.application_with_scores(request.user, application_id)
    if application is None:
        raise NotFound("Заявка не найдена.")
    body = ApplicationSerializer(application, context={"request": request, "submitted_now": submitted_now}).data
    if application.client_id and roles.sees_personal_data(request.user) and body.get("client"):
        audit.record(actor=request.user, action="view_personal_data", obj=application)
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
    wait = _query(ApplicationWaitSerializer, request).get("wait")
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
@idempotent
def application_alternative(request, application_id):
    _require_submitter(request.user)
    application = selectors.application_with_scores(request.user, application_id)
    if application is None:
        raise NotFound("Заявка не найдена.")
    serializer = AlternativeSerializer(data=request.data)
    if not serializer.is_valid():
        return validation_error_response(serializer.errors)
    try:
        alternative, created = services.apply_suggestion(
            officer=request.user, application=application,
            amount=serializer.validated_data["loan_amount"], term=serializer.validated_data["loan_term"],
        )
    except services.SuggestionError as exc:
        return validation_error_response({"non_field_errors": [str(exc)]})
    if services.scoring_runs_inline():
        alternative.refresh_from_db(fields=["status"])
    body = ApplicationStatusSerializer(alternative, context={"request": request}).data
    return Response(body, status=status.HTTP_202_ACCEPTED if created else status.HTTP_200_OK)


# --- batch ------------------------------------------------------------------------------------------

def _validated_batch(data) -> list[dict]:
    """Each questionnaire checked like a single one; errors are reported by position in the list."""
    items = data.get("applications") if isinstance(data, dict) else None
    if not isinstance(items, list) or not items:
        raise ValidationError({"applications": ["Ожидается непустой список анкет."]})
    limit = settings.PRESCORING_API["BATCH_LIMIT"]
    if len(items) > limit:
        raise PayloadTooLarge(f"В пакете {len(items)} анкет, а можно не больше {limit}. "
                              f"Разбейте его на части.")
    features = active_features()
    validated, errors = [], {}
    for position, item in enumerate(items):
        if not isinstance(item, dict):
            errors[str(position)] = {"non_field_errors": ["Ожидается объект {answers, client}."]}
            continue
        item_errors = {}
        unknown = set(item) - {"answers", "client"}
        if unknown:
            item_errors["non_field_errors"] = [f"Неизвестные поля: {', '.join(sorted(map(str, unknown)))}."]
        if "answers" not in item:
            item_errors["answers"] = ["Обязательное поле."]
            answers = {}
        else:
            answers, answer_errors = validate_answers(item["answers"], features)
            if answer_errors:
                item_errors["answers"] = answer_errors
        client = ClientSerializer(data=item.get("client") or {})
        if item.get("client") is not None and not client.is_valid():
            item_errors["client"] = client.errors
        if item_errors:
            errors[str(position)] = item_errors
            continue
        validated.append({"answers": answers,
                          "client": client.validated_data if item.get("client") is not None else None})
    if errors:
        raise ValidationError({"applications": errors})
    return validated


@extend_schema(
    operation_id="batches_create", request=BatchCreateSerializer, parameters=[IDEMPOTENCY_PARAMETER],
    responses={202: BatchAcceptedSerializer, 413: ERROR, **WRITE_ERRORS},
    summary="Отправить пакет анкет (до 1000)",
    description="Все анкеты проверяются до записи: если хоть одна с ошибкой, ничего не сохраняется, а "
                "ошибки приходят по номерам (errors.applications.<номер>). Каждая анкета оценивается "
                "отдельной задачей; прогресс и результаты — по адресу url. Больше 1000 анкет — 413.",
    examples=[OpenApiExample("Пакет из одной анкеты", request_only=True,
                             value={"applications": [{"answers": ANSWERS_EXAMPLE}]}),
              OpenApiExample("Слишком большой пакет", response_only=True, status_codes=["413"],
                             value={"status": 413, "code": "payload_too_large",
                                    "detail": "В пакете 1200 анкет, а можно не больше 1000. Разбейте его на части."})],
)
@api_view(["POST"])
@idempotent
def batch_create(request):
    _require_submitter(request.user)
    items = _validated_batch(request.data)
    batch = services.submit_batch(officer=request.user, items=items)
    _batch, rows = selectors.batch_for(request.user, batch.pk)
    body = {
        "id": str(batch.pk),
        "url": request.build_absolute_uri(f"/api/v1/applications/batch/{batch.pk}/"),
        "total": len(rows),
        "applications": ApplicationStatusSerializer([row.application for row in rows], many=True,
                                                    context={"request": request}).data,
    }
    return Response(body, status=status.HTTP_202_ACCEPTED)


@extend_schema(operation_id="batches_retrieve", responses={200: BatchSerializer, **READ_ERRORS},
               summary="Пакет: прогресс и результаты", examples=[BATCH_EXAMPLE])
@api_view(["GET"])
def batch_detail(request, batch_id):
    batch, rows = selectors.batch_for(request.user, batch_id)
    if batch is None:
        raise NotFound("Пакет не найден.")
    counts = {key: 0 for key in ("queued", "scoring", "done", "failed")}
    applications = []
    for row in rows:
        application = row.application
        counts[application.status] = counts.get(application.status, 0) + 1
        applications.append({
            "position": row.position, "id": str(application.pk), "status": application.status,
            "url": request.build_absolute_uri(f"/api/v1/applications/{application.pk}/"),
            "action": (application.recommendation or {}).get("action"),
            "scores": [{"bank": s.bank.code, "probability": s.probability, "verdict": s.verdict}
                       for s in application.scores.all()],
        })
    finished = counts["done"] + counts["failed"]
    total = len(rows)
    return Response({
        "id": str(batch.pk),
        "url": request.build_absolute_uri(f"/api/v1/applications/batch/{batch.pk}/"),
        "created_at": BatchSerializer().fields["created_at"].to_representation(batch.created_at),
        "is_complete": finished == total,
        "progress": {**counts, "total": total, "finished": finished,
                     "percent": round(100.0 * finished / total, 1) if total else 100.0},
        "applications": applications,
    })


# --- banks, features, model versions ----------------------------------------------------------------

@extend_schema(operation_id="banks_list", responses={200: BankSerializer(many=True), **COMMON_ERRORS},
               summary="Активные банки и условия их продуктов", examples=[BANKS_EXAMPLE])
@api_view(["GET"])
def bank_list(request):
    banks = Bank.objects.filter(active=True).prefetch_related(
        Prefetch("model_versions", queryset=ModelVersion.objects.filter(active=True))).order_by("code")
    return Response(BankSerializer(banks, many=True).data)


@extend_schema(operation_id="features_list", responses={200: QuestionnaireSerializer, **COMMON_ERRORS},
               summary="Поля анкеты: чтобы построить свою форму",
               description="Строится по активным полям анкеты в момент запроса: изменения в админке видны сразу.")
@api_view(["GET"])
def feature_list(request):
    from scoring.api.schema import answers_schema

    features = active_features()
    return Response({"features": FeatureSerializer(features, many=True).data,
                     "answers_schema": answers_schema(features)})


@extend_schema(operation_id="model_versions_list", parameters=[ModelVersionFilterSerializer],
               responses={200: ModelVersionPageSerializer, **READ_ERRORS},
               summary="Версии моделей с метриками (только чтение)")
@api_view(["GET"])
def model_version_list(request):
    filters = _query(ModelVersionFilterSerializer, request)
    queryset = ModelVersion.objects.select_related("bank").defer("artifact").order_by("-created_at", "-id")
    if filters.get("bank"):
        queryset = queryset.filter(bank__code=filters["bank"])
    if filters.get("active") is not None:
        queryset = queryset.filter(active=filters["active"])
    return _paginated(request, queryset, ModelVersionSerializer)


@extend_schema(operation_id="model_versions_retrieve", responses={200: ModelVersionSerializer, **READ_ERRORS},
               summary="Версия модели")
@api_view(["GET"])
def model_version_detail(request, version_id):
    version = ModelVersion.objects.select_related("bank").defer("artifact").filter(pk=version_id).first()
    if version is None:
        raise NotFound("Версия модели не найдена.")
    return Response(ModelVersionSerializer(version).data)


# --- outcomes --------------------------------------------------------------------------------------

@extend_schema(
    methods=["GET"], operation_id="outcomes_list", summary="Ответы банков",
    parameters=[OutcomeFilterSerializer], responses={200: OutcomePageSerializer, **READ_ERRORS},
)
@extend_schema(
    methods=["POST"], operation_id="outcomes_record", summary="Записать, что банк ответил на самом деле",
    request=OutcomeCreateSerializer, parameters=[IDEMPOTENCY_PARAMETER],
    responses={201: OutcomeSerializer,
               200: OpenApiResponse(OutcomeSerializer, description="Ответ этого банка уже был: исправлен."),
               **WRITE_ERRORS},
    examples=[OpenApiExample("Одобрено", request_only=True, value={
        "application": "3f1c2d9e-8a1b-4c55-9e0f-2b7c1d4e5f60", "bank": "bank_a", "result": "approved",
        "amount": "68000.00", "term": 12})],
)
@api_view(["GET", "POST"])
@idempotent
def outcome_list(request):
    visible = selectors.applications_for(request.user)
    if request.method == "GET":
        filters = _query(OutcomeFilterSerializer, request)
        queryset = Outcome.objects.filter(application__in=visible.values("pk")).select_related(
            "bank", "recorded_by").order_by("-recorded_at", "-id")
        if filters.get("application"):
            queryset = queryset.filter(application_id=filters["application"])
        if filters.get("bank"):
            queryset = queryset.filter(bank__code=filters["bank"])
        if filters.get("result"):
            queryset = queryset.filter(result=filters["result"])
        return _paginated(request, queryset, OutcomeSerializer)
    _require_submitter(request.user)
    serializer = OutcomeCreateSerializer(data=request.data)
    if not serializer.is_valid():
        return validation_error_response(serializer.errors)
    data = serializer.validated_data
    errors = {}
    application = visible.filter(pk=data["application"]).first()
    if application is None:
        errors["application"] = ["Заявка не найдена."]
    bank = Bank.objects.filter(code=data["bank"]).first()
    if bank is None:
        errors["bank"] = ["Нет банка с таким кодом."]
    if errors:
        return validation_error_response(errors)
    outcome, created = services.record_outcome(actor=request.user, application=application, bank=bank,
                                               result=data["result"], amount=data.get("amount"),
                                               term=data.get("term"))
    return Response(OutcomeSerializer(outcome).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)
