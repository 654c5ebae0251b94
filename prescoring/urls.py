from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.i18n import set_language
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from scoring.api.urls import legacy_urlpatterns
from scoring.views_health import health

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("health/", login_not_required(health), name="health"),
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("scoring.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("analytics/", include("scoring.analytics.urls")),
    *legacy_urlpatterns,
    path("", include("scoring.urls")),
]

# API paths answer errors in the API's JSON shape; pages as usual (scoring/api/errors.py).
handler400 = "scoring.api.errors.handler400"
handler403 = "scoring.api.errors.handler403"
handler404 = "scoring.api.errors.handler404"
handler500 = "scoring.api.errors.handler500"
