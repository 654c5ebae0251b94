""""An application is finished": told by the process that scored it to web requests waiting for it.

The API's `GET /api/v1/applications/{id}/?wait=N` holds the request until the application is
done or failed (docs/api.md). The worker publishes the application's id on a Redis channel after
its transaction commits; each web process keeps one subscriber thread that wakes the requests
waiting for that id. Redis pub/sub is fire-and-forget, so the database stays the source of truth:
a waiting request re-reads the status when it is woken, every RECHECK_SECONDS, and at once when
the subscription is lost, so a lost message costs latency, never a wrong answer.

The channel is Redis at PRESCORING["EVENTS_REDIS_URL"] (REDIS_URL, else the Celery broker's
Redis); without one (the embedded default, where scoring runs inside the request) the waiting
request only re-reads the status every FALLBACK_RECHECK_SECONDS.
"""
from __future__ import annotations

import logging
import os
import threading
import time
from contextlib import contextmanager

from django.conf import settings

log = logging.getLogger(__name__)

# How often a waiting request re-reads the status although nothing woke it: a bound on the delay
# that a lost message can cause, not a poll (one indexed read every few seconds per waiting request).
RECHECK_SECONDS = 2.0
FALLBACK_RECHECK_SECONDS = 0.5  # no channel at all, or the subscription is down
RECONNECT_SECONDS = (0.1, 5.0)  # the subscriber's backoff after losing Redis, first and longest


def redis_url() -> str:
    return settings.PRESCORING.get("EVENTS_REDIS_URL") or ""


def channel(topic: str = "application-finished") -> str:
    # Pub/sub channels ignore Redis db numbers: the database's name (settings.DATABASES, which a test
    # run renames too) keeps deployments (and test runs) that share one Redis apart.
    return f"prescoring:{settings.DATABASES['default']['NAME']}:{topic}"


# --- publishing (the worker, or the web process when scoring is eager) -----------------------------

_publisher_lock = threading.Lock()
_publisher = None  # (url, redis.Redis)


def _client():
    global _publisher
    url = redis_url()
    with _publisher_lock:
        if _publisher is None or _publisher[0] != url:
            import redis

            _publisher = (url, redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1))
        return _publisher[1]


def application_finished(application_id) -> None:
    """Wake the requests waiting for this application. Call after the commit that finished it;
    a Redis problem is logged, never raised: the waiting requests find the status by re-reading."""
    applications_finished([application_id])


def applications_finished(application_ids) -> None:
    """application_finished for several, in one round trip to Redis."""
    if not redis_url() or not application_ids:
        return
    try:
        publish(channel(), application_ids)
    except Exception:  # noqa: BLE001 - the results are stored; waiting requests re-read them
        log.warning("could not announce that applications %s are finished",
                    ", ".join(map(str, application_ids)), exc_info=True)


# --- waiting (the web process) ---------------------------------------------------------------------

class Listener:
    """A daemon thread subscribed to one Redis channel for the life of the process: on_message(text)
    for each message, on_subscribed() each time the subscription is (re)made, on_lost() each time it
    drops (messages may have been missed in between). It reconnects with a backoff; `subscribed` is
    set while the subscription is live."""

    def __init__(self, url: str, channel_name: str, *, name: str, on_message, on_subscribed=None, on_lost=None):
        self.url, self.channel = url, channel_name
        self.on_message, self.on_subscribed, self.on_lost = on_message, on_subscribed, on_lost
        self.subscribed = threading.Event()
        self.thread = threading.Thread(target=self._run, name=name, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        import redis

        backoff = RECONNECT_SECONDS[0]
        while True:
            pubsub = None
            try:
                pubsub = redis.Redis.from_url(self.url, socket_connect_timeout=2, socket_keepalive=True,
                                              health_check_interval=30).pubsub()
                pubsub.subscribe(self.channel)
                for message in pubsub.listen():
                    if message["type"] == "subscribe":
                        if self.on_subscribed is not None:
                            self.on_subscribed()
                        self.subscribed.set()
                        backoff = RECONNECT_SECONDS[0]
                    elif message["type"] == "message":
                        self.on_message(message["data"].decode())
            except Exception:  # noqa: BLE001 - Redis went away: tell the owner, then reconnect
                if self.subscribed.is_set():
                    log.warning("lost the channel %s; reconnecting", self.channel, exc_info=True)
            finally:
                self.subscribed.clear()
                if self.on_lost is not None:
                    self.on_lost()
                if pubsub is not None:
                    try:
                        pubsub.close()
                    except Exception:  # noqa: BLE001
                        pass
            time.sleep(backoff)  # reconnection backoff of this background thread
            backoff = min(backoff * 2, RECONNECT_SECONDS[1])


def publish(channel_name: str, messages) -> None:
    """Send messages on a channel in one round trip (raises what Redis raises)."""
    pipeline = _client().pipeline(transaction=False)
    for message in messages:
        pipeline.publish(channel_name, str(message))
    pipeline.execute()


class _Subscriber:
    """One thread per process, subscribed to the channel, waking the waiters of each announced id."""

    def __init__(self, url: str, channel_name: str):
        self.lock = threading.Lock()
        self.waiters: dict[str, set[threading.Event]] = {}
        # Lost: everyone re-reads.
        self.listener = Listener(url, channel_name, name="application-finished", on_message=self._wake,
                                 on_lost=lambda: self._wake(None))
        self.subscribed = self.listener.subscribed

    def register(self, key: str) -> threading.Event:
        event = threading.Event()
        with self.lock:
            self.waiters.setdefault(key, set()).add(event)
        return event

    def unregister(self, key: str, event: threading.Event) -> None:
        with self.lock:
            events = self.waiters.get(key)
            if events is not None:
                events.discard(event)
                if not events:
                    del self.waiters[key]

    def _wake(self, key: str | None) -> None:
        with self.lock:
            if key is None:  # the subscription dropped: everyone re-reads
                woken = [event for group in self.waiters.values() for event in group]
            else:
                woken = list(self.waiters.get(key, ()))
        for event in woken:
            event.set()


_per_process_lock = threading.Lock()
_per_process: dict[tuple, object] = {}


def once_per_process(key: tuple, make):
    """What make() made for `key` in this process, made the first time it is asked for (a listener and
    its thread). Kept by process: a forked child (a prefork worker, a server's worker) inherits its
    parent's objects but not their threads, so it makes its own."""
    key = (*key, os.getpid())
    found = _per_process.get(key)
    if found is None:
        with _per_process_lock:
            found = _per_process.get(key)
            if found is None:
                found = _per_process[key] = make()
    return found


def _subscriber() -> _Subscriber | None:
    url = redis_url()
    if not url:
        return None
    name = channel()
    return once_per_process(("application-finished", url, name), lambda: _Subscriber(url, name))


class Waiter:
    def __init__(self, subscriber: _Subscriber | None, event: threading.Event | None):
        self.subscriber, self.event = subscriber, event

    def wait(self, seconds: float) -> bool:
        """Block up to `seconds` (shortened to the re-check interval). True: the application was
        announced finished; False: re-read the status (time passed, or the channel was lost)."""
        live = self.subscriber is not None and self.subscriber.subscribed.is_set()
        limit = min(seconds, RECHECK_SECONDS if live else FALLBACK_RECHECK_SECONDS)
        if self.event is None:
            time.sleep(limit)  # no channel configured: the caller re-reads the database after this pause
            return False
        woken = self.event.wait(limit)
        self.event.clear()
        # Woken without an announcement when the subscription dropped: messages may have been lost.
        return woken and self.subscriber.subscribed.is_set()


_slots_lock = threading.Lock()
_slots: tuple[int, threading.Semaphore] | None = None


def _slot() -> threading.Semaphore:
    """At most PRESCORING_API["WAIT_MAX_REQUESTS"] requests of a process wait at once: each holds a
    server thread, and the server must keep threads for everything else."""
    global _slots
    limit = settings.PRESCORING_API["WAIT_MAX_REQUESTS"]
    with _slots_lock:
        if _slots is None or _slots[0] != limit:
            _slots = (limit, threading.BoundedSemaphore(limit))
        return _slots[1]


@contextmanager
def waiting_for(application_id, *, subscribe_timeout: float = 1.0):
    """Listen for the application's announcement; re-read its status *inside* this block (after
    subscribing), so an announcement made between that read and the wait is not missed.

    Yields None when the process already has its maximum of waiting requests: answer at once.
    """
    slot = _slot()
    if not slot.acquire(blocking=False):
        yield None
        return
    try:
        subscriber = _subscriber()
        if subscriber is None:
            yield Waiter(None, None)
            return
        subscriber.subscribed.wait(subscribe_timeout)  # the first request of a process: until subscribed
        key = str(application_id)
        event = subscriber.register(key)
        try:
            yield Waiter(subscriber, event)
        finally:
            subscriber.unregister(key, event)
    finally:
        slot.release()
