"""Submission: a questionnaire stored as an application and queued for scoring, once; alternatives
and batches go the same way."""
import hashlib
import json
import logging
from contextlib import nullcontext

from django.db import IntegrityError, transaction

from scoring.models import Application, Client, ScoringBatch, ScoringBatchItem
from scoring.services import application_columns
from scoring.services.questionnaire import validate_answers
from scoring.services.runtime import current_loan_keys
from scoring.tasks import enqueue_scoring
from scoring.tasks import score_application as scoring_task

log = logging.getLogger(__name__)


def answers_hash(answers: dict) -> str:
    canonical = json.dumps(answers, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    # surrogatepass: a lone surrogate (JSON "\ud800") hashes instead of raising; validation refuses it anyway.
    return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()

def submit_application(*, officer, answers: dict, client: dict | Client | None = None,
                       parent: Application | None = None, application_id=None) -> tuple[Application, bool]:
    """Store a validated questionnaire and queue its scoring once the transaction commits.

    The same answers from the same officer return the existing application (created=False);
    one that failed is queued again. `application_id`: the id a new application gets (a caller
    that listens for its result before it is queued); by default a new one.
    """
    digest = answers_hash(answers)
    # Insert first and let the unique (officer, answers_hash) constraint find a repeat: a new
    # questionnaire, the usual case, then costs no lookup.
    new_client = isinstance(client, dict) and any((client.get("full_name"), client.get("phone")))
    try:
        # One INSERT in autocommit mode needs no transaction of its own (BEGIN and COMMIT are two
        # round trips more on every submission). With a new client there are two INSERTs, kept
        # together; inside a caller's transaction a savepoint keeps a repeat from breaking it.
        alone = not new_client and not transaction.get_connection().in_atomic_block
        with nullcontext() if alone else transaction.atomic():
            client_obj = client if isinstance(client, Client) else None
            if new_client:
                client_obj = Client.objects.create(
                    full_name=client.get("full_name", "") or "", phone=client.get("phone", "") or ""
                )
            application = Application.objects.create(
                officer=officer, client=client_obj, answers=answers, answers_hash=digest, parent=parent,
                **({"id": application_id} if application_id is not None else {}),
                **application_columns.columns_for(answers=answers, client=client_obj),
            )
            # At the commit: at once when autocommitting, at the end of a caller's transaction otherwise.
            transaction.on_commit(lambda: enqueue_scoring(application.pk))
        return application, True
    except IntegrityError:
        # These answers were stored before (or by a simultaneous request a moment ago): that one is ours.
        existing = Application.objects.get(officer=officer, answers_hash=digest)
    if existing.status == Application.Status.FAILED:
        Application.objects.filter(pk=existing.pk).update(status=Application.Status.QUEUED, error="")
        existing.refresh_from_db()
        transaction.on_commit(lambda: enqueue_scoring(existing.pk))
    return existing, False

def scoring_runs_inline() -> bool:
    """True on the embedded default: the scoring task runs inside the request, at commit (as the
    Celery app is configured now, which tests that start a real worker change)."""
    return bool(scoring_task.app.conf.task_always_eager)


class SuggestionError(ValueError):
    """The alternative cannot be applied; the message says why, in words for the officer."""


def apply_suggestion(*, officer, application: Application, amount, term) -> tuple[Application, bool]:
    """A new application: the original's answers with another amount and term, linked to it.

    The changed answers go through the same validation as any questionnaire.
    """
    amount_key, term_key = current_loan_keys()
    answers, errors = validate_answers({**application.answers, amount_key: amount, term_key: term},
                                       allow_unknown=True)
    if errors:
        raise SuggestionError("; ".join(f"{key}: {' '.join(messages)}" for key, messages in errors.items()))
    return submit_application(officer=officer, answers=answers, client=application.client, parent=application)

def submit_batch(*, officer, items: list[dict]):
    """Store validated questionnaires as one batch; each is queued for scoring after commit.

    items: [{"answers": validated answers, "client": {...} or None}]. The same answers twice
    (in the batch or before it) are one application, as with single submission.
    """
    with transaction.atomic():
        batch = ScoringBatch.objects.create(officer=officer)
        rows = []
        for position, item in enumerate(items):
            application, _created = submit_application(officer=officer, answers=item["answers"],
                                                       client=item.get("client"))
            rows.append(ScoringBatchItem(batch=batch, position=position, application=application))
        ScoringBatchItem.objects.bulk_create(rows)
    return batch
