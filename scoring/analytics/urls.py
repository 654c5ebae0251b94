from django.urls import path

from . import views

app_name = "analytics"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("cohorts/", views.cohorts, name="cohorts"),
    path("cohorts/<str:code>/", views.cohort_detail, name="cohort_detail"),
    path("data/", views.data_exploration, name="exploration"),
    path("data/compute/", views.exploration_compute, name="exploration_compute"),
    path("models/", views.model_quality, name="models"),
    path("fairness/", views.fairness_page, name="fairness"),
    path("fairness/train/", views.fairness_train, name="fairness_train"),
    path("drift/", views.drift, name="drift"),
    path("drift/compute/", views.drift_compute, name="drift_compute"),
]
