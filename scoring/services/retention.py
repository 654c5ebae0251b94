"""Retention of personal data (docs/security.md, "Personal data")."""

from datetime import timedelta

from django.db import models
from django.db.models import Max
from django.utils import timezone

from scoring.models import Client
from scoring.services import erasure


def expired_client_ids(*, days: int, now=None) -> list[int]:
    """Clients whose latest application (or, without any, whose record) is older than `days`."""
    cutoff = (now or timezone.now()) - timedelta(days=days)
    expired = (Client.objects.annotate(last_application=Max("applications__created_at"))
               .filter(models.Q(last_application__lt=cutoff)
                       | models.Q(last_application__isnull=True, created_at__lt=cutoff)))
    return list(expired.values_list("pk", flat=True))


def erase_expired_clients(*, days: int, now=None, dry_run: bool = False) -> int:
    """Erase the clients (names, phones) whose latest application is older than `days`.

    The erasure is erasure.erase_clients(): the clients go, and so do the copies of their name and
    phone in applications, webhook payloads and the logs. Their applications stay, without a
    client: answers, scores and outcomes carry no name or phone and keep feeding calibration and
    retraining. Returns how many clients were (or, on a dry run, would be) erased; the erasure
    itself is one audit entry.
    """
    now = now or timezone.now()
    ids = expired_client_ids(days=days, now=now)
    if dry_run or not ids:
        return len(ids)
    cutoff = now - timedelta(days=days)
    after = erasure.erase_clients(ids, actor=None, reason="retention", details={
        "older_than_days": days, "cutoff": cutoff.isoformat()})
    return len(after["clients"])
