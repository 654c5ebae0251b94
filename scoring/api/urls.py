from django.urls import path

from scoring.api import views

app_name = "api"

urlpatterns = [
    path("applications/", views.application_create, name="application-list"),
    path("applications/<uuid:application_id>/", views.application_detail, name="application-detail"),
    path("applications/<uuid:application_id>/alternatives/", views.application_alternative,
         name="application-alternative"),
]
