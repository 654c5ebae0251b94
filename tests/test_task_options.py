"""Every Celery task's options come from settings (CELERY_TASK_* and CELERY_TASK_ANNOTATIONS), by name."""
from django.conf import settings

from prescoring.celery import app
from scoring.analytics import tasks as analytics_tasks
from scoring.api.tasks import deliver_webhook
from scoring.modelops.tasks import train_models
from scoring.tasks import requeue_stale_applications, score_application


def test_the_scoring_task_has_the_shared_options_and_its_own():
    task = app.tasks[score_application.name]
    assert task.name == "scoring.tasks.score_application"
    assert task.acks_late and task.reject_on_worker_lost
    assert (task.soft_time_limit, task.time_limit) == (100, 120)
    assert task.max_retries == 5


def test_the_long_tasks_get_the_long_limits():
    for task in (train_models, analytics_tasks.compute_drift, analytics_tasks.refresh_analytics,
                 analytics_tasks.train_without_protected_attributes, analytics_tasks.profile_data):
        bound = app.tasks[task.name]
        assert (bound.soft_time_limit, bound.time_limit) == (3540, 3600), task.name


def test_the_webhook_task_retries_as_configured_and_the_requeue_is_short():
    assert app.tasks[deliver_webhook.name].max_retries == settings.PRESCORING_API["WEBHOOK_MAX_RETRIES"]
    assert app.tasks[requeue_stale_applications.name].time_limit == 60


def test_task_names_stay_as_queued_messages_and_the_beat_schedule_name_them():
    names = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()} | set(settings.CELERY_TASK_ANNOTATIONS)
    assert names <= set(app.tasks)
