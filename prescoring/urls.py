from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.i18n import set_language
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from scoring.api.urls import legacy_urlpatterns
from scoring.accounts import views as account_views
from scoring.accounts.forms import LockoutAuthenticationForm
from prescoring.health import health, live, ready

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(authentication_form=LockoutAuthenticationForm), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("session/", account_views.session_status, name="session"),
    path("session/resumed/", account_views.session_resumed, name="session_resumed"),
    path("health/", login_not_required(health), name="health"),
    path("health/live/", login_not_required(live), name="health-live"),
    path("health/ready/", login_not_required(ready), name="health-ready"),
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("scoring.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
    path("analytics/", include("scoring.analytics.urls")),
    *legacy_urlpatterns,
    path("", include("scoring.officer.urls")),
]

# API paths answer errors in the API's JSON shape; pages as usual (scoring/api/errors.py), a refusal in
# the site's layout with a way back (prescoring/errors.py).
handler400 = "scoring.api.errors.handler400"
handler403 = "prescoring.errors.permission_denied"
handler404 = "scoring.api.errors.handler404"
# A database that is down is a retryable 503 (JSON under the API); other errors go to the API's
# JSON handler or Django's page.
handler500 = "prescoring.errors.server_error"
