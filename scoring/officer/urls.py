from django.urls import path

from scoring.officer import views

app_name = "scoring"

urlpatterns = [
    path("", views.home, name="home"),
    path("applications/", views.application_list, name="application_list"),
    path("applications/new/", views.application_new, name="application_new"),
    path("applications/new/check/<slug:field_name>/", views.application_check_field,
         name="application_check_field"),
    path("applications/<uuid:application_id>/", views.application_detail, name="application_detail"),
    path("applications/<uuid:application_id>/result/", views.application_result, name="application_result"),
    path("applications/<uuid:application_id>/apply/", views.application_apply_suggestion,
         name="application_apply_suggestion"),
    path("applications/<uuid:application_id>/case/", views.application_case, name="application_case"),
    path("applications/<uuid:application_id>/send/", views.application_send, name="application_send"),
    path("applications/<uuid:application_id>/answer/", views.application_answer, name="application_answer"),
]
