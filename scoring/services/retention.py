"""Retention of personal data (docs/deploy.md, "Personal data")."""

from datetime import timedelta

from django.db import models, transaction
from django.db.models import Max
from django.utils import timezone

from scoring.models import Client
from scoring.services import audit


def erase_expired_clients(*, days: int, now=None, dry_run: bool = False) -> int:
    """Delete the clients (names, phones) whose latest application is older than `days`.

    Their applications stay, without a client and without the copies of the name and phone kept
    for search (cleared with the client, see models.ERASE_CLIENT): answers, scores and outcomes
    carry no name or phone and keep feeding calibration and retraining. Returns how many clients
    were (or, on a dry run, would be) erased; the erasure itself is one audit entry.
    """
    cutoff = (now or timezone.now()) - timedelta(days=days)
    expired = (Client.objects.annotate(last_application=Max("applications__created_at"))
               .filter(models.Q(last_application__lt=cutoff)
                       | models.Q(last_application__isnull=True, created_at__lt=cutoff)))
    ids = list(expired.values_list("pk", flat=True))
    if dry_run or not ids:
        return len(ids)
    with transaction.atomic():
        Client.objects.filter(pk__in=ids).delete()
        audit.record(actor=None, action="erase_personal_data", object_type="scoring.client",
                     after={"clients_erased": len(ids), "older_than_days": days, "cutoff": cutoff.isoformat()})
    return len(ids)
