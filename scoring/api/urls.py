from django.urls import path

from scoring.api import legacy
from scoring.api.views import applications, batches, catalogue, model_versions, outcomes

app_name = "api"

urlpatterns = [
    path("applications/", applications.application_list, name="application-list"),
    path("applications/batch/", batches.batch_create, name="batch-create"),
    path("applications/batch/<uuid:batch_id>/", batches.batch_detail, name="batch-detail"),
    path("applications/<uuid:application_id>/", applications.application_detail, name="application-detail"),
    path("applications/<uuid:application_id>/alternatives/", applications.application_alternative,
         name="application-alternative"),
    path("banks/", catalogue.bank_list, name="bank-list"),
    path("features/", catalogue.feature_list, name="feature-list"),
    path("outcomes/", outcomes.outcome_list, name="outcome-list"),
    path("model-versions/", model_versions.model_version_list, name="model-version-list"),
    path("model-versions/<int:version_id>/", model_versions.model_version_detail, name="model-version-detail"),
]

# The original service's endpoints, at the site root as its clients call them (prescoring/urls.py).
legacy_urlpatterns = [
    path("upload_features", legacy.upload_features, name="legacy-upload-features"),
    path("check_task", legacy.check_task, name="legacy-check-task"),
    path("check_state", legacy.check_state, name="legacy-check-state"),
    path("get_result", legacy.get_result, name="legacy-get-result"),
    # The old service (FastAPI) redirected a trailing slash to the path without it, keeping the method
    # and the body (307) and the query.
    *(path(f"{name}/", legacy.without_trailing_slash, {"name": name})
      for name in ("upload_features", "check_task", "check_state", "get_result")),
]
