"""Celery tasks of analytics: the daily drift measurement and attribute-free training runs."""
import logging

from celery import shared_task

log = logging.getLogger(__name__)


# Longer than the scoring tasks' default limit: these go over whole tables or train models.
LONG = {"time_limit": 3600, "soft_time_limit": 3540}


@shared_task(**LONG)
def compute_drift(last: int | None = None) -> int:
    """Measure PSI of every active model's fields against the latest applications (Celery beat, daily)."""
    from .drift import DEFAULT_LAST, compute_drift as measure

    run = measure(last=last or DEFAULT_LAST)
    for version_id, reason in run.skipped.items():
        log.warning("drift of model %s skipped: %s", version_id, reason)
    return len(run.measurements)


@shared_task(acks_late=True, **LONG)
def train_without_protected_attributes(run_id: int) -> str:
    """Train one bank with and without gender and birth date and store both AUCs."""
    from .fairness import run_attribute_free_training

    return run_attribute_free_training(run_id=run_id).status


@shared_task(**LONG)
def refresh_analytics() -> int:
    """Rebuild the daily figures behind the analytics pages (Celery beat, every few minutes)."""
    from .rollup import refresh

    return refresh()
