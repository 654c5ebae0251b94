"""Model operations' Celery task: the admin's "train now"."""
import logging

from celery import shared_task
from django.utils.translation import gettext as _

from scoring.modelops import runs
from scoring.models import TrainingRun

log = logging.getLogger(__name__)


# Training several banks on 20 000 rows takes minutes: settings.CELERY_TASK_ANNOTATIONS gives it the long limits.
@shared_task(name="scoring.tasks.train_models")
def train_models(run_id: int) -> str:
    """Train the run's banks and record progress on the TrainingRun row."""
    try:
        run = runs.run_training(run_id=run_id)
    except Exception as exc:  # noqa: BLE001 - any failure is shown on the run's page
        log.exception("training run %s failed", run_id)
        run = TrainingRun.objects.get(pk=run_id)
        with runs.in_starters_language(run):
            message = _("Обучение не удалось: %(error)s") % {"error": f"{exc.__class__.__name__}: {exc}"}
        runs.finish_run(run, TrainingRun.Status.FAILED, message)
        return "failed"
    return run.status
