"""One JSON shape for every API error.

    {"status": 400, "code": "invalid", "detail": "Проверьте поля запроса.",
     "errors": {"answers": {"birth_date": ["Обязательное поле."]}}}

`status` repeats the HTTP status, `code` is a stable machine-readable word (invalid, parse_error,
not_authenticated, authentication_failed, permission_denied, not_found, method_not_allowed,
conflict, idempotency_key_reused, payload_too_large, unsupported_media_type, throttled,
not_ready, server_error), `detail` is a sentence for a person, and `errors` (validation errors
only) maps each field to its messages.

DRF exceptions go through exception_handler; what Django answers itself (an unknown URL, a body
over the size limit, an unexpected error) goes through the handler* views below, which answer in
this shape for API paths and as usual for pages.
"""
from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.http import Http404, JsonResponse
from django.views import defaults
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

INVALID = "Проверьте поля запроса."

# Paths served by the API (the legacy service's endpoints sit at the root).
API_PREFIXES = ("/api/", "/upload_features", "/check_task", "/check_state", "/get_result")


def error_body(status_code: int, code: str, detail: str, errors=None) -> dict:
    body = {"status": status_code, "code": code, "detail": detail}
    if errors is not None:
        body["errors"] = errors
    return body


def error_response(status_code: int, code: str, detail: str, errors=None, headers=None) -> Response:
    return Response(error_body(status_code, code, detail, errors), status=status_code, headers=headers)


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "Конфликт с текущим состоянием."
    default_code = "conflict"


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "Слишком большой запрос."
    default_code = "payload_too_large"


def _field_errors(data):
    """Validation errors as a mapping field -> messages, whatever shape the serializer produced."""
    if isinstance(data, dict):
        return data
    if isinstance(data, list):
        return {"non_field_errors": data}
    return {"non_field_errors": [str(data)]}


def exception_handler(exc, context):
    if isinstance(exc, Http404):
        exc = exceptions.NotFound("Не найдено.")
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        response.data = error_body(response.status_code, "invalid", INVALID, _field_errors(response.data))
    else:
        detail = response.data.get("detail", "") if isinstance(response.data, dict) else str(response.data)
        code = getattr(detail, "code", None) or getattr(exc, "default_code", "error")
        response.data = error_body(response.status_code, str(code), str(detail))
    return response


def validation_error_response(errors: dict) -> Response:
    return error_response(status.HTTP_400_BAD_REQUEST, "invalid", INVALID, _field_errors(errors))


def is_api_path(request) -> bool:
    return request.path.startswith(API_PREFIXES)


def _json(status_code: int, code: str, detail: str) -> JsonResponse:
    return JsonResponse(error_body(status_code, code, detail), status=status_code,
                        json_dumps_params={"ensure_ascii": False})


def handler400(request, exception=None):
    if is_api_path(request):
        if isinstance(exception, RequestDataTooBig):
            limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE // (1024 * 1024)
            return _json(413, "payload_too_large", f"Тело запроса больше {limit} МБ; разбейте пакет на части.")
        return _json(400, "bad_request", "Некорректный запрос.")
    return defaults.bad_request(request, exception)


def handler403(request, exception=None):
    if is_api_path(request):
        return _json(403, "permission_denied", "Недостаточно прав.")
    return defaults.permission_denied(request, exception)


def handler404(request, exception=None):
    if is_api_path(request):
        return _json(404, "not_found", "Такого адреса в API нет.")
    return defaults.page_not_found(request, exception)


def handler500(request):
    if is_api_path(request):
        return _json(500, "server_error", "Внутренняя ошибка сервера; она записана в журнал.")
    return defaults.server_error(request)
