"""Outcomes: what a bank really answered, recorded after the application was sent."""

from django.db import IntegrityError, transaction

from scoring.models import Application, Bank, Outcome
from scoring.services import audit


def record_outcome(*, actor, application: Application, bank: Bank, result: str, amount=None,
                   term=None) -> tuple[Outcome, bool]:
    """Store what the bank really answered; a second answer for the same bank replaces the first.

    Returns (outcome, created). The change is written to the audit log with the state before.
    """
    values = {"result": result, "amount": amount, "term": term, "recorded_by": actor}
    for _attempt in range(2):
        try:
            with transaction.atomic():
                existing = Outcome.objects.select_for_update().filter(application=application, bank=bank).first()
                before = audit.snapshot(existing) if existing else None
                if existing is None:
                    outcome = Outcome.objects.create(application=application, bank=bank, **values)
                else:
                    for field, value in values.items():
                        setattr(existing, field, value)
                    existing.save()
                    outcome = existing
                audit.record(actor=actor, action="update" if existing else "create", obj=outcome,
                             before=before, after=audit.snapshot(outcome))
            return outcome, existing is None
        except IntegrityError:
            continue  # another request recorded this bank's answer a moment ago: replace it
    raise IntegrityError("could not record the outcome")
