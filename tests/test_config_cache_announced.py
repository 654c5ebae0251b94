"""Configuration changes announced on Redis (scoring/services/config_cache.py): a change that commits
in one process is forgotten by every process that listens, which then keeps its copies for the longer
period; a process that loses its subscription forgets, and keeps copies for the short period again.
Against the machine's Redis, with the listener's real thread."""
import subprocess
import sys

import pytest
import redis
from django.db import transaction

from scoring.models import Feature
from scoring.services import config_cache, events
from scoring.services.questionnaire import active_features
from tests.faultproc import wait_for
from tests.helpers import Clock

REDIS = "redis://127.0.0.1:6379/13"


@pytest.fixture
def listening(settings, monkeypatch):
    settings.PRESCORING = {**settings.PRESCORING, "CONFIG_CACHE_SECONDS": 2, "CONFIG_CACHE_SUBSCRIBED_SECONDS": 30,
                           "EVENTS_REDIS_URL": REDIS}
    clock = Clock()
    monkeypatch.setattr(config_cache.time, "monotonic", clock)
    wait_for(config_cache._listening, 10, "the configuration listener to subscribe")
    config_cache.forget()
    return clock


def _loads():
    calls = []

    def load():
        calls.append(1)
        return len(calls)
    return load


def test_a_change_announced_by_another_process_is_forgotten_here(configured, listening):
    assert "snils" in [f.key for f in active_features()]
    Feature.objects.filter(key="snils").update(active=False)  # the other process's change: no signal here
    assert "snils" in [f.key for f in active_features()]  # the copy read a moment ago
    # The other process, after its commit: a publish on the channel, from a process of its own.
    subprocess.run([sys.executable, "-c", f"import redis; redis.Redis.from_url({REDIS!r}).publish("
                                          f"{config_cache.channel()!r}, 'changed')"], check=True)
    wait_for(lambda: "snils" not in [f.key for f in active_features()], 10,
             "the announced change to be seen here")


def test_while_listening_a_copy_is_kept_for_the_longer_period(configured, listening):
    assert "snils" in [f.key for f in active_features()]
    Feature.objects.filter(key="snils").update(active=False)  # elsewhere, and its announcement lost
    listening.now += 2.5
    assert "snils" in [f.key for f in active_features()]  # past the short period: still kept
    listening.now += 28
    assert "snils" not in [f.key for f in active_features()]  # past the longer one: read again


def test_without_redis_the_short_period_holds(configured, settings, monkeypatch):
    settings.PRESCORING = {**settings.PRESCORING, "CONFIG_CACHE_SECONDS": 2, "CONFIG_CACHE_SUBSCRIBED_SECONDS": 30,
                           "EVENTS_REDIS_URL": ""}
    clock = Clock()
    monkeypatch.setattr(config_cache.time, "monotonic", clock)
    config_cache.forget()
    load = _loads()
    assert config_cache.cached("k", load) == 1
    clock.now += 2.5
    assert config_cache.cached("k", load) == 2


@pytest.mark.django_db(transaction=True)  # a real commit
def test_a_change_here_is_announced_when_it_commits(configured, listening):
    subscriber = redis.Redis.from_url(REDIS).pubsub()
    subscriber.subscribe(config_cache.channel())
    assert subscriber.get_message(timeout=5)["type"] == "subscribe"
    with transaction.atomic():
        feature = Feature.objects.get(key="snils")
        feature.label = "СНИЛС клиента"
        feature.save()
        assert subscriber.get_message(timeout=0.2) is None  # not before the commit
    message = subscriber.get_message(timeout=5)
    assert message is not None and message["type"] == "message" and message["data"] == b"changed"
    subscriber.close()


def test_a_value_read_across_a_change_is_not_kept(listening):
    load = _loads()

    def load_during_a_change():
        value = load()
        config_cache.forget()  # the change's announcement arrives while this read is under way
        return value

    assert config_cache.cached("k", load_during_a_change) == 1
    assert config_cache.cached("k", load) == 2  # not the value read across the change
    assert config_cache.cached("k", load) == 2


def test_losing_the_subscription_forgets_what_was_kept(listening):
    load = _loads()
    assert config_cache.cached("k", load) == 1
    assert config_cache.cached("k", load) == 1
    redis.Redis.from_url(REDIS).client_kill_filter(_type="pubsub")  # the listener's connection drops
    wait_for(lambda: config_cache.cached("k", load) > 1, 10, "the copy to be forgotten when the subscription dropped")
    wait_for(config_cache._listening, 10, "the listener to subscribe again")


def test_a_forked_process_listens_with_a_thread_of_its_own(listening, monkeypatch):
    # A prefork worker or a server's worker inherits its parent's entry, not its thread.
    parents = set(events._per_process)
    monkeypatch.setattr(events.os, "getpid", lambda: 999_999)
    wait_for(config_cache._listening, 10, "the child's listener to subscribe")
    (child,) = set(events._per_process) - parents
    assert child[0] == "config-changed" and child[-1] == 999_999 and events._per_process[child].thread.is_alive()
