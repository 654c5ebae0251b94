"""Error pages: refusals (403, a failed CSRF check) in the site's layout with a way back, and the 500
handler, where a database that is restarting or unreachable is a retryable 503, not a crash.

Django calls handler500 inside the `except` that caught the error, so sys.exc_info() names it. The
500 responses touch neither the database nor the session: they must work while the database is down.
Under the API every error keeps the API's JSON shape (scoring/api/errors.py).
"""
import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, HttpResponseForbidden, JsonResponse
from django.shortcuts import resolve_url
from django.template import loader
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from scoring.accounts import roles
from scoring.api.errors import handler403 as api_permission_denied
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


def start_page(user) -> tuple[str, str]:
    """(URL, link text) of where the user's work starts: analytics for an analyst, who submits no
    questionnaires; the applications for the other roles; the sign-in page for a visitor."""
    if user is None or not user.is_authenticated:
        return resolve_url("login"), _("Ко входу")
    if roles.can_see_analytics(user) and not roles.can_submit(user):
        return resolve_url("analytics:dashboard"), _("К аналитике")
    return resolve_url("scoring:application_list"), _("К заявкам")


def _refused(request, *, reason: str = "") -> HttpResponse:
    """The refusal page: what happened, the way back to the previous page of this site and to the start."""
    start_url, start_label = start_page(getattr(request, "user", None))
    referer = request.META.get("HTTP_REFERER", "")
    back_url = referer if referer and url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()) else ""
    if request.method == "GET" and back_url.split("#")[0] == request.build_absolute_uri():
        back_url = ""  # the refused page itself, reloaded: no way back from there
    context = {"reason": reason, "start_url": start_url, "start_label": start_label, "back_url": back_url}
    return HttpResponseForbidden(loader.render_to_string("403.html", context, request=request))


def permission_denied(request, exception=None):
    """handler403: the API's JSON under /api/, the page elsewhere."""
    if is_api_path(request):
        return api_permission_denied(request, exception)
    return _refused(request)


def csrf_failure(request, reason=""):
    """CSRF_FAILURE_VIEW: a form sent from a stale or foreign page; the officer reloads and sends again."""
    if is_api_path(request):
        return api_permission_denied(request)
    return _refused(request, reason=_("Форма устарела или отправлена не с этого сайта. Вернитесь на "
                                      "страницу, обновите её и отправьте форму ещё раз."))
