"""Configuration read by every submission and every scoring, kept by each process for a moment.

The questionnaire's fields, the active model versions (with their banks' terms and rules), each
user's permissions, each API token with its user, and which users have a callback URL change when an
administrator edits them, a few times a day; they are read several times for every application.

The process that makes a change clears this cache at once (saving or deleting a Feature, Bank,
ModelVersion, API token, API client, user, group or permission, or changing who is in a group or
what it may do), and again when the change commits, and then announces it on a Redis channel
(PRESCORING["EVENTS_REDIS_URL"], the channel the finished applications go on). Every process
listens there (a thread, started with the first read) and clears its own copy when it hears.
So each process keeps what it read:
- while it listens: for PRESCORING["CONFIG_CACHE_SUBSCRIBED_SECONDS"] (30 s), a bound for an
  announcement lost while Redis was unreachable from the process that made the change (a
  listener that loses its subscription clears its copy and falls back to the short period);
- otherwise (no Redis, the embedded default, or the subscription down): for
  PRESCORING["CONFIG_CACHE_SECONDS"] (2 s; 0 reads every time, and turns the cache off).
Only reads go through here; nothing is written from a cached object.
"""
from __future__ import annotations

import logging
import threading
import time
from typing import Callable, TypeVar

from django.conf import settings
from django.db import transaction

from scoring.services import events

log = logging.getLogger(__name__)

T = TypeVar("T")

MAX_ENTRIES = 10_000

_lock = threading.Lock()
_values: dict[str, tuple[float, object]] = {}
_generation = 0  # counts the clears: a value read across a clear is not kept


def cached(name: str, load: Callable[[], T], *, keep: Callable[[T], bool] | None = None) -> T:
    """`load()`'s value, read again when older than the period (above). keep: whether to keep
    this value (a token not found is not kept: it may be issued a moment later, in another process)."""
    seconds = settings.PRESCORING.get("CONFIG_CACHE_SECONDS", 0)
    if seconds <= 0:
        return load()
    now = time.monotonic()
    with _lock:
        hit = _values.get(name)
        generation = _generation
    if hit is not None and now - hit[0] < seconds:
        return hit[1]
    if (hit is not None and now - hit[0] < settings.PRESCORING.get("CONFIG_CACHE_SUBSCRIBED_SECONDS", 0)
            and _listening()):
        return hit[1]
    value = load()
    if keep is not None and not keep(value):
        return value
    with _lock:
        if generation != _generation:  # cleared while reading: this value may be the old one
            return value
        if len(_values) >= MAX_ENTRIES:  # one entry per user who called lately: bounded all the same
            _values.clear()
        _values[name] = (now, value)
    return value


def forget() -> None:
    """Forget everything this process keeps."""
    global _generation
    with _lock:
        _values.clear()
        _generation += 1


def clear(**kwargs) -> None:
    """The configuration changed in this process (a signal receiver): forget now, and again when the
    change commits, then tell the other processes."""
    forget()
    transaction.on_commit(_committed, robust=True)


def _committed() -> None:
    forget()
    if events.redis_url():
        try:
            events.publish(channel(), ["changed"])
        except Exception:  # noqa: BLE001 - the others see it within CONFIG_CACHE_SUBSCRIBED_SECONDS
            log.warning("could not announce a configuration change; other processes see it within %s s",
                        settings.PRESCORING.get("CONFIG_CACHE_SUBSCRIBED_SECONDS"), exc_info=True)


def channel() -> str:
    return events.channel("config-changed")


def _listening() -> bool:
    """Whether this process hears the announcements now (starting its listener the first time)."""
    url = events.redis_url()
    if not url:
        return False
    name = channel()
    # Subscribed or lost, announcements may have been missed: forget what was kept.
    listener = events.once_per_process(("config-changed", url, name), lambda: events.Listener(
        url, name, name="config-changed", on_message=lambda message: forget(), on_subscribed=forget,
        on_lost=forget))
    return listener.subscribed.is_set()


def connect() -> None:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group, Permission
    from django.db.models.signals import m2m_changed, post_delete, post_save

    from scoring.models import ApiClient, ApiToken, Bank, ConfigDocument, Feature, ModelVersion

    User = get_user_model()
    for model in (Feature, Bank, ModelVersion, ConfigDocument, User, Group, Permission, ApiToken, ApiClient):
        post_save.connect(clear, sender=model, dispatch_uid=f"config_cache-save-{model.__name__}")
        post_delete.connect(clear, sender=model, dispatch_uid=f"config_cache-delete-{model.__name__}")
    for through in (User.groups.through, User.user_permissions.through, Group.permissions.through):
        m2m_changed.connect(clear, sender=through, dispatch_uid=f"config_cache-m2m-{through.__name__}")
