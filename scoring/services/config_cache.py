"""Configuration read by every submission and every scoring, kept by each process for a moment.

The questionnaire's fields, the active model versions (with their banks' terms and rules), each
user's permissions, each API token with its user, and which users have a callback URL change when an
administrator edits them, a few times a day; they are read several times for every application. Each
process keeps what it read for PRESCORING["CONFIG_CACHE_SECONDS"] (2 s by default, 0 to read every
time): an administrator's change reaches every web process and worker within that time, and the
process that made it at once (saving or deleting a Feature, Bank, ModelVersion, API token, API
client, user, group or permission, or changing who is in a group or what it may do, clears this
cache). Only reads go through here; nothing is written from a cached object.
"""
from __future__ import annotations

import threading
import time
from typing import Callable, TypeVar

from django.conf import settings

T = TypeVar("T")

MAX_ENTRIES = 10_000

_lock = threading.Lock()
_values: dict[str, tuple[float, object]] = {}


def cached(name: str, load: Callable[[], T], *, keep: Callable[[T], bool] | None = None) -> T:
    """`load()`'s value, read again when older than the configured seconds. keep: whether to keep
    this value (a token not found is not kept: it may be issued a moment later, in another process)."""
    seconds = settings.PRESCORING.get("CONFIG_CACHE_SECONDS", 0)
    if seconds <= 0:
        return load()
    now = time.monotonic()
    with _lock:
        hit = _values.get(name)
    if hit is not None and now - hit[0] < seconds:
        return hit[1]
    value = load()
    if keep is not None and not keep(value):
        return value
    with _lock:
        if len(_values) >= MAX_ENTRIES:  # one entry per user who called lately: bounded all the same
            _values.clear()
        _values[name] = (now, value)
    return value


def clear(**kwargs) -> None:
    """Forget everything (a signal receiver: the configuration changed in this process)."""
    with _lock:
        _values.clear()


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
