"""Health endpoints for the orchestrator: open to anonymous callers, they reveal no data.

- /health/live/: the process answers (restart the container if not).
- /health/ready/: the database, the broker and the scoring models are usable (send traffic if so).
- /health/: the database is reachable (kept for the Docker healthcheck and older probes).
"""
from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from prescoring.celery import app
from scoring.services import runtime


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:  # noqa: BLE001 - any database failure means not healthy
        return False
    return True


def _broker_state() -> str:
    if not settings.CELERY_BROKER_URL:
        return "eager"  # the embedded default runs tasks in-process: nothing to reach
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
    except Exception:  # noqa: BLE001 - any broker failure means not ready
        return "unreachable"
    return "ok"


def _models_state() -> str:
    try:
        runtime.load_models()
    except runtime.ScoringError:
        return "missing"
    except Exception:  # noqa: BLE001 - an artifact that does not load means not ready
        return "unloadable"
    return "ok"


@never_cache
@require_GET
def health(request):
    """Liveness with the database: the process answers and the database is reachable."""
    if not _database_ok():
        return JsonResponse({"status": "error", "database": "unreachable"}, status=503)
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def live(request):
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def ready(request):
    checks = {"database": "ok" if _database_ok() else "unreachable"}
    checks["broker"] = _broker_state()
    checks["models"] = _models_state() if checks["database"] == "ok" else "unknown"
    healthy = checks["database"] == "ok" and checks["broker"] in ("ok", "eager") and checks["models"] == "ok"
    return JsonResponse({"status": "ok" if healthy else "error", "checks": checks}, status=200 if healthy else 503)
