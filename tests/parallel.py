"""The suite in parallel (pytest-xdist, `pytest -n 2` in .ci/run): what each pytest process keeps apart.

Loaded with `-p tests.parallel` (pytest.ini), before Django reads its settings, so what it changes in
the environment is what the settings, and the processes a test starts (Celery workers, manage.py),
read. In a single pytest process it does nothing.

- The test database: pytest-django gives each process its own (test_test_gw0, test_test_gw1, ...).
- Redis pub/sub channels carry the database's name (scoring/services/events.py): apart already.
- Redis databases are not: the cache (REDIS_URL) is flushed by tests (cache.clear() is FLUSHDB) and
  holds the throttle's counters by user id, the same ids in every process's database; the broker
  (CELERY_BROKER_URL) holds Celery's unacknowledged messages. Each process gets two databases of its
  own: 2 and 3 for the first, 4 and 5 for the second, 6 and 7 for the third (0 and 1 are the
  serial run's, 9 the load bench's, 13 and 14 are tests' own with keys of their own).
- Tests order: a transactional test empties its process's database (the migrations' groups too), so
  pytest-django runs them after the others; xdist's default distribution (`--dist load`) hands each
  process its tests in that order. `--dist loadfile` would not: it breaks that order.
"""
from __future__ import annotations

import os
import re

MOST_PROCESSES = 3  # the Redis databases set aside above


def _own_database(url: str, number: int) -> str:
    """`url` with Redis database `number` (redis://host:port/N or without /N)."""
    if not url.startswith(("redis://", "rediss://")):
        return url
    base, _, query = url.partition("?")
    match = re.match(r"^(rediss?://[^/]*)(/\d*)?/?$", base)
    if match is None:
        return url
    return f"{match.group(1)}/{number}" + (f"?{query}" if query else "")


def isolate(environ=os.environ) -> None:
    worker = environ.get("PYTEST_XDIST_WORKER", "")
    if not worker.startswith("gw"):
        return
    index = int(worker[2:])
    if index >= MOST_PROCESSES:
        raise RuntimeError(f"tests/parallel.py sets aside Redis databases for {MOST_PROCESSES} pytest processes; "
                           f"{worker} is one too many (run with -n {MOST_PROCESSES} or fewer)")
    for name, offset in (("REDIS_URL", 2), ("CELERY_BROKER_URL", 3)):
        if environ.get(name):
            environ[name] = _own_database(environ[name], offset + 2 * index)


isolate()
