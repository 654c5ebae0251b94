"""Login lockout: repeated wrong passwords for one username from one address lock that pair out.

Counted in the cache (Redis in production, so every web process sees the same count). A lock
refuses even the right password until it expires; a successful login clears the count.
"""
import hashlib

from django.conf import settings
from django.contrib.auth import user_logged_in, user_login_failed
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db.models import Q

from scoring.services import config_cache


def _key(username: str | None, request) -> str:
    address = request.META.get("REMOTE_ADDR", "") if request is not None else ""
    digest = hashlib.sha256(f"{(username or '').strip().lower()}|{address}".encode()).hexdigest()
    return f"login-failures:{digest}"


def is_locked_out(username: str | None, request) -> bool:
    return cache.get(_key(username, request), 0) >= settings.LOGIN_LOCKOUT["FAILURES"]


def count_failure(username: str | None, request) -> None:
    key = _key(username, request)
    if cache.add(key, 1, timeout=settings.LOGIN_LOCKOUT["SECONDS"]):
        return
    try:
        cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=settings.LOGIN_LOCKOUT["SECONDS"])


class LockoutModelBackend(ModelBackend):
    """The usual username/password backend, refusing a locked-out username and address."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get(self._username_field())
        if is_locked_out(username, request):
            raise PermissionDenied("locked out")  # stops authenticate(); counted as a failure
        return super().authenticate(request, username=username, password=password, **kwargs)

    def get_all_permissions(self, user_obj, obj=None):
        """The user's own and their groups' permissions in one query (ModelBackend makes two);
        every API request asks, so the query counts. Cached on the user object as ModelBackend does."""
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            def read():
                perms = Permission.objects.all()
                if not user_obj.is_superuser:
                    perms = perms.filter(Q(user=user_obj) | Q(group__user=user_obj))
                pairs = perms.values_list("content_type__app_label", "codename").distinct().order_by()
                return frozenset(f"{app_label}.{codename}" for app_label, codename in pairs)

            # Kept by the process as the configuration is (scoring/services/config_cache.py): a role given or
            # taken in the admin reaches other processes within seconds, this one at once. Whether
            # the user is active or a superuser comes from the user row read with each request.
            user_obj._perm_cache = set(config_cache.cached(f"perms:{user_obj.pk}:{user_obj.is_superuser}", read))
        return user_obj._perm_cache

    @staticmethod
    def _username_field():
        from django.contrib.auth import get_user_model

        return get_user_model().USERNAME_FIELD


def _on_login_failed(sender, credentials, request=None, **kwargs):
    count_failure(credentials.get("username"), request)


def _on_logged_in(sender, request, user, **kwargs):
    cache.delete(_key(user.get_username(), request))


def connect() -> None:
    """Count failed logins and clear the count on success (AccountsConfig.ready)."""
    user_login_failed.connect(_on_login_failed, dispatch_uid="accounts-lockout-failed")
    user_logged_in.connect(_on_logged_in, dispatch_uid="accounts-lockout-logged-in")
