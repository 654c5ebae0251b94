"""Middleware of the project: request ids and the response headers a browser enforces."""
from django.conf import settings
from django.contrib.auth import middleware as auth_middleware
from django.http import HttpResponse
from django.utils.translation import gettext as _

from prescoring.observability import incoming_or_new_request_id, request_id_var
from scoring.api.errors import _json, is_api_path


class RequestIdMiddleware:
    """Gives each request an id (X-Request-ID), puts it in the logs and returns it to the caller."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = incoming_or_new_request_id(request.headers.get("X-Request-ID"))
        request.request_id = request_id
        # Not reset afterwards: Django logs the response ("Bad Request: ...") after the middleware
        # returns, and that line should carry the id too; the next request sets its own.
        request_id_var.set(request_id)
        response = self.get_response(request)
        response["X-Request-ID"] = request_id
        return response


class SecurityHeadersMiddleware:
    """Content-Security-Policy and the headers Django's SecurityMiddleware does not set.

    The policy allows scripts only from our own origin, so an injected <script> or on*= handler
    does not run even if escaping were ever missed.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.setdefault("Content-Security-Policy", settings.CONTENT_SECURITY_POLICY)
        response.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
        response.setdefault("Cross-Origin-Resource-Policy", "same-origin")
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            # Pages and API answers for a signed-in user may carry personal data: never kept by a
            # browser's or proxy's cache (static files come with their own Cache-Control).
            response.setdefault("Cache-Control", "no-store, private")
        return response


class RequestBodyLimitMiddleware:
    """Refuses a request whose declared body is over the limit before anything reads it.

    Django caps form fields (DATA_UPLOAD_MAX_MEMORY_SIZE) but not file parts, which it spools to
    disk: a 60 MB anonymous multipart POST to /login/ was read whole before authentication. Here
    every body is capped by its Content-Length at DATA_UPLOAD_MAX_MEMORY_SIZE, except on the pages
    that take a history file (LARGE_BODY_PATHS), capped at the upload limit; nothing is read.

    A body without a Content-Length (Transfer-Encoding: chunked, as a client streaming its body
    sends it) is refused with 411: Django's WSGI request reads no body without a length, so the API
    answered such a submission "answers: required", about answers the client had sent. Browsers
    always send a length; a proxy that buffers bodies (nginx's default) sends one too.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.META.get("HTTP_TRANSFER_ENCODING") and not request.META.get("CONTENT_LENGTH"):
            return refused(request, 411, "length_required",
                           "Тело запроса без заголовка Content-Length (Transfer-Encoding: chunked) не принимается: "
                           "отправьте его с Content-Length.")
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        limit = body_limit(request.path)
        if length > limit:
            return too_large(request, limit)
        return self.get_response(request)


def body_limit(path: str) -> int:
    if any(path.startswith(prefix) for prefix in settings.PRESCORING["LARGE_BODY_PATHS"]):
        return settings.PRESCORING["MAX_UPLOAD_BYTES"] + 64 * 1024  # the file and the form around it
    return settings.DATA_UPLOAD_MAX_MEMORY_SIZE


def too_large(request, limit: int):
    megabytes = f"{limit / (1024 * 1024):.0f}"
    return refused(request, 413, "payload_too_large", f"Тело запроса больше {megabytes} МБ; разбейте пакет на части.",
                   page_detail=f"Запрос больше {megabytes} МБ.")


# The longest query string and header value a request may carry; beyond them 414 / 431 in the
# API's error shape (gunicorn's own, larger limits would answer in HTML: configs/gunicorn.conf.py).
MAX_QUERY_STRING = 4096
MAX_HEADER_VALUE = 8192


class RequestHeaderLimitMiddleware:
    """414 for an over-long query string and 431 for an over-long header, in the project's error shape."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if len(request.META.get("QUERY_STRING", "")) > MAX_QUERY_STRING:
            return refused(request, 414, "uri_too_long", f"Строка запроса длиннее {MAX_QUERY_STRING} символов.")
        for name, value in request.META.items():
            if name.startswith("HTTP_") and isinstance(value, str) and len(value) > MAX_HEADER_VALUE:
                header = name[5:].replace("_", "-").title()
                return refused(request, 431, "header_too_large",
                               f"Заголовок {header} длиннее {MAX_HEADER_VALUE} символов.")
        return self.get_response(request)


def refused(request, status: int, code: str, detail: str, *, page_detail: str | None = None):
    """A request refused before any view: the API's error shape on API paths, plain text elsewhere."""
    if is_api_path(request):
        return _json(status, code, detail)
    return HttpResponse(page_detail or detail, status=status, content_type="text/plain; charset=utf-8")


class LoginRequiredMiddleware(auth_middleware.LoginRequiredMiddleware):
    """Django's: every view but those marked login_not_required wants a signed-in user, and a page
    without one is redirected to the login page. An htmx request instead gets a 401 that htmx does not
    swap in (it used to follow the redirect and put the whole login page into the field being
    checked or the result being polled); static/js/app.js then says the session has ended, and the
    page keeps what was typed in it until the officer has signed in again in another tab."""

    def handle_no_permission(self, request, view_func):
        if request.headers.get("HX-Request") == "true":
            response = refused(request, 401, "session_ended", _("Сессия закончилась: войдите снова."))
            response["WWW-Authenticate"] = 'Session realm="prescoring"'  # a 401 names a scheme; this one is the login page
            response["Cache-Control"] = "no-store"
            return response
        return super().handle_no_permission(request, view_func)
