"""The pages around signing in that a page of the site asks about: is this browser's session still on.

A page open for hours outlives its session (PRESCORING_SESSION_SECONDS). static/js/app.js asks
session_status before it sends a form, and after a 401 from an htmx request, so that an officer whose
session has ended signs in again in another tab (ending on session_resumed) and sends what is typed in
this one: nothing is lost to a redirect to the login page.
"""
from django.contrib.auth.decorators import login_not_required
from django.http import JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


@login_not_required
@never_cache
@require_GET
def session_status(request):
    """{"authenticated": false}, or true with the CSRF token for the forms of a page opened before the
    last sign-in (signing in renews the token, and a form with the old one is refused). Same-origin
    scripts only can read it (no CORS), as they can the csrftoken cookie itself."""
    if not request.user.is_authenticated:
        return JsonResponse({"authenticated": False})
    return JsonResponse({"authenticated": True, "csrf_token": get_token(request)})


@never_cache
@require_GET
def session_resumed(request):
    """Where signing in from a page's "session ended" notice lands: go back to that tab."""
    return render(request, "registration/session_resumed.html")
