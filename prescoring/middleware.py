"""Middleware of the project: request ids and the response headers a browser enforces."""
from django.conf import settings

from prescoring.observability import incoming_or_new_request_id, request_id_var


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
        return response
