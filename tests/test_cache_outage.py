"""A Redis that is away answers as an empty cache: login, reads and submissions keep working (issue 19, finding 1).

The "outage" is a real Redis client talking to a port where no Redis listens (connection refused,
as when the server is stopped); the recovery test talks to the machine's running Redis.
"""
import threading
import time
import uuid

import pytest
from django.core.cache import cache, caches

from prescoring.cache import ResilientRedisCache

DEAD_REDIS = "redis://127.0.0.1:1/0"
LIVE_REDIS = "redis://127.0.0.1:6379/14"


@pytest.fixture
def redis_down(settings):
    settings.CACHES = {"default": {"BACKEND": "prescoring.cache.ResilientRedisCache", "LOCATION": DEAD_REDIS}}
    settings.PRESCORING_API = {**settings.PRESCORING_API, "THROTTLE_RATE": "600/minute"}
    yield caches["default"]


def test_the_cache_answers_as_an_empty_one(redis_down):
    assert isinstance(redis_down, ResilientRedisCache)
    assert cache.get("anything", "default") == "default"
    assert cache.add("k", 1) is False and cache.set("k", 1) is None and cache.delete("k") is False
    with pytest.raises(ValueError):
        cache.incr("k")
    started = time.monotonic()
    for _ in range(100):  # the breaker is open: Redis is not asked again
        cache.get("anything")
    assert time.monotonic() - started < 0.5


def test_login_works_while_redis_is_away(redis_down, client, officer):
    response = client.post("/login/", {"username": "officer1", "password": "pw-officer1"})
    assert response.status_code == 302 and client.session["_auth_user_id"] == str(officer.pk)
    failed = client.post("/login/", {"username": "officer1", "password": "wrong"})
    assert failed.status_code == 200  # a wrong password is still just a wrong password


def test_api_reads_and_submissions_work_while_redis_is_away(redis_down, api, configured, answers):
    assert api.get("/api/v1/banks/").status_code == 200  # the throttle's lookup failed quietly
    created = api.post("/api/v1/applications/", {"answers": answers}, format="json")
    assert created.status_code in (201, 202)
    assert api.get(f"/api/v1/applications/{created.json()['id']}/").status_code == 200


def test_the_cache_works_again_when_redis_is_back(settings):
    settings.CACHES = {"default": {"BACKEND": "prescoring.cache.ResilientRedisCache", "LOCATION": LIVE_REDIS}}
    live = caches["default"]
    live.set("prescoring-test-key", 41, 30)
    assert live.incr("prescoring-test-key") == 42
    live.delete("prescoring-test-key")


@pytest.fixture
def live_cache(settings):
    settings.CACHES = {"default": {"BACKEND": "prescoring.cache.ResilientRedisCache", "LOCATION": LIVE_REDIS}}
    live = caches["default"]
    key = f"window-{uuid.uuid4().hex}"
    yield live, key
    live.delete(key)


def test_the_throttle_window_counts_in_one_trip_and_refusals_do_not_count(live_cache):
    live, key = live_cache
    assert [live.sliding_window(key, 3, 60)[0] for _ in range(3)] == [True, True, True]
    allowed, wait = live.sliding_window(key, 3, 60)
    assert not allowed and 59 < wait <= 60
    assert not live.sliding_window(key, 3, 60)[0]
    # Two refusals later the window still holds three requests, the allowed ones.
    assert live._cache.get_client(key).zcard(live.make_and_validate_key(key)) == 3


def test_the_throttle_window_lets_through_exactly_the_limit_when_requests_race(live_cache):
    live, key = live_cache
    start = threading.Barrier(20)
    results = []

    def request():
        start.wait()
        results.append(live.sliding_window(key, 10, 60)[0])

    threads = [threading.Thread(target=request) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False] * 10 + [True] * 10


def test_the_throttle_window_forgets_requests_older_than_its_length(live_cache):
    live, key = live_cache
    name = live.make_and_validate_key(key)
    live._cache.get_client(key).zadd(name, {"old-1": time.time() - 61, "old-2": time.time() - 120})
    assert live.sliding_window(key, 1, 60)[0]  # the two old ones are out of the last minute


def test_the_throttle_window_allows_while_redis_is_away(redis_down):
    assert redis_down.sliding_window("any", 1, 60) == (True, 0.0)
    assert redis_down.sliding_window("any", 1, 60) == (True, 0.0)


def test_a_client_object_is_made_once_per_connection_pool(live_cache):
    live, key = live_cache
    assert live._cache.get_client(key) is live._cache.get_client(key, write=True)
