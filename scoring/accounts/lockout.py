"""Login lockout: too many wrong passwords lock the account, and too many from one address lock the address.

Counted in the cache (Redis in production, so every web process sees the same counts):
- per account (the username, from any address): LOGIN_LOCKOUT["FAILURES"] wrong passwords lock it for
  LOGIN_LOCKOUT["SECONDS"], so an attacker moving between addresses gains nothing;
- per client address (across usernames): LOGIN_LOCKOUT["ADDRESS_FAILURES"] lock that address, so one
  source cannot walk through many accounts' first few guesses.
A lock refuses even the right password until it expires; a successful login clears the account's
count. The client's address is the socket's, or, when the socket is a trusted proxy
(PRESCORING_TRUSTED_PROXIES), the nearest untrusted address of X-Forwarded-For: behind the
documented TLS proxy every request would otherwise share the proxy's address. Every attempt is
logged (logger "prescoring.security": outcome, username, address), never the password.

A maintained library (django-axes) does this too; the product's needs are these two counters and
one proxy rule, which fit in this module without another dependency and its tables.
"""
import hashlib
import ipaddress
import logging

from django.conf import settings
from django.contrib.auth import user_logged_in, user_login_failed
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db.models import Q

from scoring.services import config_cache

log = logging.getLogger("prescoring.security")


def client_address(request) -> str:
    """The address the request came from, through the trusted proxies (see the module docstring)."""
    if request is None:
        return ""
    remote = request.META.get("REMOTE_ADDR", "")
    trusted = [ipaddress.ip_network(n, strict=False) for n in settings.LOGIN_LOCKOUT.get("TRUSTED_PROXIES", ())]
    if not trusted or not _in(remote, trusted):
        return remote
    hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
    for hop in reversed(hops):  # the proxy appends; the nearest hop it did not add is the client
        if not _in(hop, trusted):
            return hop
    return hops[0] if hops else remote


def _in(address: str, networks) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _account_key(username: str | None) -> str:
    return f"login-failures:account:{_digest((username or '').strip().lower())}"


def _address_key(request) -> str:
    return f"login-failures:address:{_digest(client_address(request))}"


def is_locked_out(username: str | None, request) -> bool:
    limits = settings.LOGIN_LOCKOUT
    return (cache.get(_account_key(username), 0) >= limits["FAILURES"]
            or cache.get(_address_key(request), 0) >= limits["ADDRESS_FAILURES"])


def _increment(key: str) -> None:
    if cache.add(key, 1, timeout=settings.LOGIN_LOCKOUT["SECONDS"]):
        return
    try:
        cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=settings.LOGIN_LOCKOUT["SECONDS"])


def count_failure(username: str | None, request) -> None:
    _increment(_account_key(username))
    _increment(_address_key(request))


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
    username = credentials.get("username")
    locked = is_locked_out(username, request)
    count_failure(username, request)
    log.warning("login failed%s: username=%r address=%s", " (locked out)" if locked else "",
                (username or "")[:150], client_address(request))


def _on_logged_in(sender, request, user, **kwargs):
    cache.delete(_account_key(user.get_username()))
    log.info("login: username=%r address=%s", user.get_username(), client_address(request))


def connect() -> None:
    """Count failed logins and clear the count on success (AccountsConfig.ready)."""
    user_login_failed.connect(_on_login_failed, dispatch_uid="accounts-lockout-failed")
    user_logged_in.connect(_on_logged_in, dispatch_uid="accounts-lockout-logged-in")
