"""Work an analytics page starts for its reader (drift, a data set's profile) and then waits for: a mark
in the cache while it runs, shared by the web process and the workers, so the page shows
"считается…" and polls until the result is there."""
from __future__ import annotations

from django.core.cache import cache
from django.utils import timezone

# A mark older than this is taken for lost (the tasks' hard time limit is an hour).
STALE_SECONDS = 2 * 3600


def _key(name: str) -> str:
    return f"analytics:job:{name}"


def mark_started(name: str) -> bool:
    """Mark the job running; False when it already is (nothing new should start)."""
    return cache.add(_key(name), timezone.now().isoformat(), STALE_SECONDS)


def forget(name: str) -> None:
    """Drop the running mark of a job that could not be started."""
    cache.delete(_key(name))


def mark_finished(name: str) -> None:
    cache.delete(_key(name))
    cache.set(_key(name) + ":done", timezone.now().isoformat(), STALE_SECONDS * 12)


def running(name: str) -> bool:
    return cache.get(_key(name)) is not None


def finished_once(name: str) -> bool:
    """Whether the job has finished since the cache last lost its marks (a computation gave nothing)."""
    return cache.get(_key(name) + ":done") is not None
