from django.urls import path

from scoring.api import legacy, views

app_name = "api"

urlpatterns = [
    path("applications/", views.application_list, name="application-list"),
    path("applications/batch/", views.batch_create, name="batch-create"),
    path("applications/batch/<uuid:batch_id>/", views.batch_detail, name="batch-detail"),
    path("applications/<uuid:application_id>/", views.application_detail, name="application-detail"),
    path("applications/<uuid:application_id>/alternatives/", views.application_alternative,
         name="application-alternative"),
    path("banks/", views.bank_list, name="bank-list"),
    path("features/", views.feature_list, name="feature-list"),
    path("outcomes/", views.outcome_list, name="outcome-list"),
    path("model-versions/", views.model_version_list, name="model-version-list"),
    path("model-versions/<int:version_id>/", views.model_version_detail, name="model-version-detail"),
]

# The original service's endpoints, at the site root as its clients call them (prescoring/urls.py).
legacy_urlpatterns = [
    path("upload_features", legacy.upload_features, name="legacy-upload-features"),
    path("check_task", legacy.check_task, name="legacy-check-task"),
    path("check_state", legacy.check_state, name="legacy-check-state"),
    path("get_result", legacy.get_result, name="legacy-get-result"),
]
