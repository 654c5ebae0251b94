"""Idempotency-Key for POST: a retried request gets the first response instead of a second effect.

The key is stored per user with a hash of the request (method, path and body) and the response,
inside the same transaction as the request's own writes. A second request with the same key waits
on the unique constraint until the first commits (PostgreSQL blocks on the conflicting insert,
SQLite on its write lock), then repeats the stored response; so two simultaneous requests make one
application. Only successful responses are kept: a request refused for bad input may be fixed
and sent again with the same key.
"""
import hashlib
import json
import time
from functools import wraps

from django.db import IntegrityError, OperationalError, connection, transaction
from rest_framework.response import Response

from scoring.api.errors import Conflict
from scoring.models import IdempotencyKey

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255


def request_fingerprint(request) -> str:
    body = json.dumps(request.data, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{request.method} {request.path}\n{body}".encode("utf-8", "surrogatepass")).hexdigest()


def _key_from(request) -> str | None:
    key = request.headers.get(HEADER)
    if key is None:
        return None
    key = key.strip()
    if not key or len(key) > MAX_KEY_LENGTH:
        from rest_framework.exceptions import ValidationError

        raise ValidationError({HEADER: [f"Ключ идемпотентности: от 1 до {MAX_KEY_LENGTH} символов."]})
    return key


def _replay(record: IdempotencyKey, fingerprint: str) -> Response:
    if record.request_hash != fingerprint:
        raise Conflict("Этот Idempotency-Key уже использован с другим запросом.", code="idempotency_key_reused")
    response = Response(record.response_body, status=record.response_status)
    response["Idempotent-Replayed"] = "true"
    return response


def idempotent(view):
    """Decorate an API view function (under @api_view) whose POST must be safe to repeat."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        key = _key_from(request) if request.method == "POST" else None
        if key is None:
            return view(request, *args, **kwargs)
        fingerprint = request_fingerprint(request)
        for attempt in range(SQLITE_LOCK_ATTEMPTS):
            try:
                return _respond_once(request, key, fingerprint, view, args, kwargs)
            except OperationalError as exc:
                # SQLite (the embedded default) may refuse a concurrent writer at once instead of
                # waiting; everything above was rolled back, so trying again is safe.
                if connection.vendor != "sqlite" or "locked" not in str(exc) or attempt == SQLITE_LOCK_ATTEMPTS - 1:
                    raise
                time.sleep(min(0.02 * 2 ** attempt, 1.0))

    return wrapped


SQLITE_LOCK_ATTEMPTS = 12


def _respond_once(request, key, fingerprint, view, args, kwargs):
    record = IdempotencyKey.objects.filter(user=request.user, key=key).first()
    if record is not None:
        return _replay(record, fingerprint)
    try:
        with transaction.atomic():
            record = IdempotencyKey.objects.create(user=request.user, key=key, request_hash=fingerprint)
            response = view(request, *args, **kwargs)
            if not 200 <= response.status_code < 300:
                transaction.set_rollback(True)  # not kept: the client may correct and retry
                return response
            record.response_status = response.status_code
            record.response_body = response.data
            record.save(update_fields=["response_status", "response_body"])
            return response
    except IntegrityError:
        # A simultaneous request with the same key committed first: answer as it did.
        record = IdempotencyKey.objects.filter(user=request.user, key=key).first()
        if record is None:
            raise
        return _replay(record, fingerprint)
