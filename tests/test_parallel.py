"""tests/parallel.py: each pytest process of a parallel run gets Redis databases of its own."""
import pytest

from tests import parallel

BASE = {"REDIS_URL": "redis://127.0.0.1:6379/1", "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0"}


@pytest.mark.parametrize("worker, cache, broker", [("gw0", 2, 3), ("gw1", 4, 5), ("gw2", 6, 7)])
def test_each_process_gets_its_own_cache_and_broker_databases(worker, cache, broker):
    environ = {**BASE, "PYTEST_XDIST_WORKER": worker}
    parallel.isolate(environ)
    assert environ["REDIS_URL"] == f"redis://127.0.0.1:6379/{cache}"
    assert environ["CELERY_BROKER_URL"] == f"redis://127.0.0.1:6379/{broker}"


def test_a_single_process_and_the_embedded_default_are_left_alone():
    environ = dict(BASE)
    parallel.isolate(environ)
    assert environ == BASE
    embedded = {"PYTEST_XDIST_WORKER": "gw1"}  # no Redis at all: nothing to set
    parallel.isolate(embedded)
    assert embedded == {"PYTEST_XDIST_WORKER": "gw1"}


def test_urls_without_a_database_or_with_options_keep_the_rest():
    assert parallel._own_database("redis://redis:6379", 4) == "redis://redis:6379/4"
    assert parallel._own_database("rediss://:pw@host:6380/0?ssl_cert_reqs=none", 5) == (
        "rediss://:pw@host:6380/5?ssl_cert_reqs=none")
    assert parallel._own_database("amqp://guest@localhost//", 4) == "amqp://guest@localhost//"


def test_more_processes_than_databases_set_aside_is_refused():
    with pytest.raises(RuntimeError, match="one too many"):
        parallel.isolate({**BASE, "PYTEST_XDIST_WORKER": f"gw{parallel.MOST_PROCESSES}"})


def test_this_process_uses_the_databases_it_was_given(settings):
    """In a parallel run, the settings read the environment after tests/parallel.py changed it."""
    import os
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker and settings.CACHES["default"]["BACKEND"].endswith("RedisCache"):
        assert settings.CACHES["default"]["LOCATION"].endswith(f"/{2 + 2 * int(worker[2:])}")
    else:
        assert "PYTEST_XDIST_WORKER" not in os.environ or not os.environ.get("REDIS_URL")
