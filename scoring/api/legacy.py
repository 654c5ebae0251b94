"""The original prescoring service's endpoints (FastAPI, 2023), so its clients switch without changes.

POST /upload_features takes the old 16 field names (any may be missing) and answers 201
{"task_id", "is_complete"}; the task id is the application id. GET /check_task says whether
scoring has finished, /check_state whether it succeeded (a result is there), /get_result gives
each bank's approval probability (404 until it is ready, as before). As the old service did, a body
is read as JSON whatever its Content-Type, fields it does not know are ignored, a value written with
JSON-escaped slashes doubled by a shell ("день\\/служу") means the same text, and the paths answer
with a trailing slash too (redirected). What changed: a token is required (docs/api.md, "Migrating
from the 2023 service"); errors come in the common shape, which also has `detail` as the old ones did.
"""
from django.http import HttpResponseRedirect
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.decorators import api_view, parser_classes, permission_classes
from rest_framework.exceptions import APIException, NotFound, ValidationError
from rest_framework.response import Response

from scoring import selectors
from scoring.services import submission
from scoring.api.errors import validation_error_response
from scoring.api.idempotency import idempotent
from scoring.api.legacy_fields import FIELDS
from scoring.api.parsers import AnyContentJSONParser, LimitedJSONParser
from scoring.api.serializers import LegacyFeaturesSerializer, LegacyTaskSerializer
from scoring.api.views.common import ERROR, IDEMPOTENCY_PARAMETER, SUBMITTERS
from scoring.models import Application
from scoring.services.questionnaire import active_features, validate_answers

OLD_NAME = {key: old for old, key in FIELDS.items()}

TASK_ID = OpenApiParameter("task_id", OpenApiTypes.UUID, OpenApiParameter.QUERY, required=True,
                           description="task_id из ответа /upload_features.")
LEGACY = {"tags": ["legacy"], "deprecated": True}
ERRORS = {400: ERROR, 401: ERROR, 403: ERROR, 404: ERROR, 429: ERROR}


class NotReady(APIException):
    """The old service answered 404 for a result not ready yet; its clients poll on that."""

    status_code = status.HTTP_404_NOT_FOUND
    default_detail = "Оценка ещё не закончена: спросите /check_task позже."
    default_code = "not_ready"


def _unescaped(value):
    """"день\\/служу" -> "день/служу": the old README's example body carried JSON's escaped slash
    once more escaped by the shell; the old service matched it all the same."""
    return value.replace("\\/", "/") if isinstance(value, str) else value


def _optional(feature):
    """The old service accepted any field missing; the model treats a missing answer as unknown."""
    from copy import copy

    relaxed = copy(feature)
    relaxed.required = False
    return relaxed


def _application(request) -> Application:
    task_id = request.query_params.get("task_id")
    if not task_id:
        raise ValidationError({"task_id": ["Обязательный параметр."]})
    try:
        import uuid

        task_uuid = uuid.UUID(str(task_id))
    except ValueError:
        raise NotFound("Задача не найдена.")
    application = selectors.applications_for(request.user).filter(pk=task_uuid).first()
    if application is None:
        raise NotFound("Задача не найдена.")
    return application


@extend_schema(
    # JSON only: a body of any other Content-Type (or none) is read as JSON too, but "*/*" in the
    # schema would promise that YAML or form data is understood.
    **LEGACY, operation_id="legacy_upload_features", request={"application/json": LegacyFeaturesSerializer},
    parameters=[IDEMPOTENCY_PARAMETER],
    responses={201: LegacyTaskSerializer, 409: ERROR, **ERRORS},
    summary="[legacy] Отправить анкету в формате сервиса 2023 года",
    examples=[OpenApiExample("Анкета старого формата", request_only=True, value={
        "birthdate": "1988-07-21 00:00:00.0000000", "education": "Высшее - специалист",
        "employment_status": "Работаю по найму полный рабочий день/служу", "value": "10 и более лет",
        "jobstartdate": "2015-03-01 00:00:00.0000000", "position": "Менеджер", "monthprofit": 145000,
        "monthexpense": 22500, "gender": 0, "family_status": "Женат / замужем", "childcount": 1, "snils": 1,
        "merch_code": 12, "loan_amount": 68000, "loan_term": 12, "goods_category": "Mobile_devices"})],
)
@api_view(["POST"])
@parser_classes([LimitedJSONParser, AnyContentJSONParser])
@permission_classes([SUBMITTERS])
@idempotent
def upload_features(request):
    raw = request.data
    if not isinstance(raw, dict):
        return validation_error_response({"non_field_errors": ["Ожидается объект с полями анкеты."]})
    # Fields the old service did not know were ignored by it (pydantic's default): ignored here too.
    features = [_optional(f) for f in active_features()]
    answers, errors = validate_answers({FIELDS[name]: _unescaped(value) for name, value in raw.items()
                                        if name in FIELDS}, features)
    if errors:
        return validation_error_response({OLD_NAME.get(key, key): messages for key, messages in errors.items()})
    application, _created = submission.submit_application(officer=request.user, answers=answers)
    application.refresh_from_db(fields=["status"])
    return Response({"task_id": str(application.pk), "is_complete": application.is_finished},
                    status=status.HTTP_201_CREATED)


@extend_schema(**LEGACY, operation_id="legacy_check_task", parameters=[TASK_ID],
               responses={200: OpenApiTypes.BOOL, **ERRORS}, summary="[legacy] Оценка закончена? (true/false)")
@api_view(["GET"])
def check_task(request):
    return Response(_application(request).is_finished)


@extend_schema(**LEGACY, operation_id="legacy_check_state", parameters=[TASK_ID],
               responses={200: OpenApiTypes.BOOL, **ERRORS},
               summary="[legacy] Оценка успешна и результат готов? (true/false)")
@api_view(["GET"])
def check_state(request):
    return Response(_application(request).status == Application.Status.DONE)


@extend_schema(
    **LEGACY, operation_id="legacy_get_result", parameters=[TASK_ID],
    responses={200: OpenApiResponse(OpenApiTypes.OBJECT, description="task_id и вероятность одобрения каждого банка"),
               **ERRORS},
    summary="[legacy] Вероятности одобрения по банкам",
    examples=[OpenApiExample("Результат", response_only=True, value={
        "task_id": "3f1c2d9e-8a1b-4c55-9e0f-2b7c1d4e5f60", "bank_a": 0.81, "bank_b": 0.77, "bank_c": 0.64,
        "bank_d": 0.9, "bank_e": 0.58})],
)
@api_view(["GET"])
def get_result(request):
    application = _application(request)
    if application.status != Application.Status.DONE:
        raise NotReady(application.error or NotReady.default_detail)
    body = {"task_id": str(application.pk)}
    body.update({score.bank.code: score.probability
                 for score in selectors.bank_scores_in_order().filter(application=application)})
    return Response(body)


@extend_schema(exclude=True)
@api_view(["GET", "POST"])
def without_trailing_slash(request, name: str):
    """/upload_features/ -> 307 to /upload_features (the method and body kept), as FastAPI answered."""
    query = request.META.get("QUERY_STRING", "")
    response = HttpResponseRedirect(f"/{name}" + (f"?{query}" if query else ""))
    response.status_code = status.HTTP_307_TEMPORARY_REDIRECT
    return response
