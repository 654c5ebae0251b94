"""After the result: the application sent to banks, and what each bank really answered."""

from django.db import IntegrityError, transaction

from scoring.models import Application, Bank, Dispatch, Outcome
from scoring.services import audit


class SendError(ValueError):
    """A bank the application may not be sent to (the page offers only those it may)."""


def sendable_scores(application: Application) -> list:
    """The application's scores of the banks it may be sent to: every scored bank that does not
    refuse by its own rules (a knock-out rule is a certain refusal), in the recommendation's order."""
    if application.status != Application.Status.DONE:
        return []
    return [score for score in application.scores.all() if not score.refused_by_rule]


def mark_sent(*, actor, application: Application, banks: list[Bank]) -> list[Dispatch]:
    """Record that the application was sent to banks, all or none; a bank it was already sent to keeps
    its first time. Returns the new records, each written to the audit log.

    Raises SendError for a bank the application may not be sent to (see sendable_scores).
    """
    allowed = {score.bank_id for score in sendable_scores(application)}
    refused = [bank.code for bank in banks if bank.pk not in allowed]
    if refused:
        raise SendError(f"not scored or refusing by its rules: {', '.join(refused)}")
    created = []
    with transaction.atomic():
        for bank in banks:
            # get_or_create: a concurrent mark of the same bank makes one record, not an error.
            dispatch, new = Dispatch.objects.get_or_create(application=application, bank=bank,
                                                           defaults={"sent_by": actor})
            if new:
                audit.record(actor=actor, action="create", obj=dispatch, after=audit.snapshot(dispatch))
                created.append(dispatch)
    return created


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
