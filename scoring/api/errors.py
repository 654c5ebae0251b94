"""One JSON shape for every API error.

    {"status": 400, "code": "invalid", "detail": "Проверьте поля.", "errors": {"answers": {"birth_date": ["..."]}}}

`errors` is present for validation errors and maps each field to its messages.
"""
from django.core.exceptions import PermissionDenied
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


def error_body(status_code: int, code: str, detail: str, errors=None) -> dict:
    body = {"status": status_code, "code": code, "detail": detail}
    if errors is not None:
        body["errors"] = errors
    return body


def exception_handler(exc, context):
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        response.data = error_body(response.status_code, "invalid", "Проверьте поля запроса.", response.data)
    else:
        detail = response.data.get("detail", "") if isinstance(response.data, dict) else str(response.data)
        code = getattr(detail, "code", None) or getattr(exc, "default_code", "error")
        response.data = error_body(response.status_code, str(code), str(detail))
    return response


def validation_error_response(errors: dict) -> Response:
    return Response(error_body(400, "invalid", "Проверьте поля запроса.", errors),
                    status=status.HTTP_400_BAD_REQUEST)
