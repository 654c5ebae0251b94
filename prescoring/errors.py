"""The 500 handler: a database that is restarting or unreachable is a retryable 503, not a crash.

Django calls handler500 inside the `except` that caught the error, so sys.exc_info() names it. The
responses touch neither the database nor the session: they must work while the database is down.
"""
import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.template import loader
from django.utils.translation import gettext as _

from scoring.api.errors import handler500 as api_server_error
from scoring.api.errors import is_api_path

RETRY_AFTER_SECONDS = 5


def database_unavailable(exc) -> bool:
    return isinstance(exc, (OperationalError, InterfaceError))


def server_error(request, template_name="500.html"):
    exc = sys.exc_info()[1]
    if not database_unavailable(exc):
        return api_server_error(request)  # JSON under the API, a page elsewhere
    detail = _("База данных временно недоступна; повторите запрос через несколько секунд.")
    if is_api_path(request):
        response = JsonResponse({"status": 503, "code": "database_unavailable", "detail": detail, "errors": {}},
                                status=503)
    else:
        response = HttpResponse(loader.render_to_string("503.html", {"detail": detail}), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
