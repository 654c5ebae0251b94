"""Services: the functions that change state. Views, the API and tasks all call these."""
from __future__ import annotations

import hashlib
import json
import logging
import threading
from contextlib import nullcontext
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from scoring import application_columns, config_cache, events, webhooks
from scoring.engine.advice import BankTerms, candidate_grid, offer, recommendation, rule_refusals, suggestions, term_refusals
from scoring.engine.explanations import reasons_for
from scoring.engine.prediction import Scorer
from scoring.engine.preprocessing import FeatureEncoder
from scoring.engine.rules import facts_for, parse_rules
from scoring.engine.estimators import load_model
from scoring.models import Application, Bank, BankScore, Client, Feature, ModelVersion
from scoring.questionnaire import validate_answers

log = logging.getLogger(__name__)


class ScoringError(Exception):
    """A problem that retrying will not fix; its message is shown to the officer."""


def answers_hash(answers: dict) -> str:
    canonical = json.dumps(answers, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


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
    """True on the embedded default: the scoring task runs inside the request, at commit."""
    from prescoring.celery import app

    return bool(app.conf.task_always_eager)


def enqueue_scoring(application_id) -> bool:
    """Send the scoring task; if the broker is down the application stays queued, not lost
    (requeue_stale_applications sends it again later). Returns whether the broker took it."""
    from scoring.tasks import score_application

    try:
        # Without a retry policy a dead broker fails at once instead of holding the request.
        score_application.apply_async((str(application_id),), retry=False)
    except Exception:  # noqa: BLE001 - any broker failure leaves the application queued
        log.exception("could not enqueue scoring of application %s; it stays queued", application_id)
        return False
    return True


def requeue_stale_applications(*, older_than_seconds: int | None = None) -> int:
    """Send again every application still queued (or stuck scoring) after older_than_seconds.

    Catches what the broker lost or never took (Redis down at submission, a message dropped);
    scoring is idempotent, so one sent twice is scored once. Returns how many were sent.
    """
    from datetime import timedelta

    age = older_than_seconds if older_than_seconds is not None else settings.PRESCORING["REQUEUE_AFTER_SECONDS"]
    now = timezone.now()
    # An application "scoring" for longer than the task's hard time limit has lost its worker.
    stuck_after = max(age, int(getattr(settings, "CELERY_TASK_TIME_LIMIT", 120)) * 2)
    stale = Application.objects.filter(
        models.Q(status=Application.Status.QUEUED, updated_at__lt=now - timedelta(seconds=age))
        | models.Q(status=Application.Status.SCORING, updated_at__lt=now - timedelta(seconds=stuck_after))
    ).values_list("pk", flat=True)
    sent = 0
    for application_id in list(stale[:1000]):
        if enqueue_scoring(application_id):
            sent += 1
    return sent


# --- scoring -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class LoadedModels:
    key: tuple
    scorer: Scorer
    versions: dict  # bank code -> ModelVersion id
    encoders: dict  # bank code -> FeatureEncoder


_models_lock = threading.Lock()
_loaded: LoadedModels | None = None


def forget_loaded_models() -> None:
    global _loaded
    with _models_lock:
        _loaded = None


def active_model_versions():
    return ModelVersion.objects.filter(active=True, bank__active=True).select_related("bank")


def load_models() -> LoadedModels:
    """The active model of every active bank, loaded once per process and reloaded on change."""
    return load_models_and_banks()[0]


def load_models_and_banks() -> tuple[LoadedModels, dict[str, Bank]]:
    """The loaded models and the banks they score for (bank code -> Bank), read in one query.

    The query that tells whether the active versions changed also brings their banks, as they
    are now; the artifacts are read only when the versions changed.
    """
    global _loaded
    versions = config_cache.cached("active_model_versions", lambda: list(
        active_model_versions().defer("encoder", "feature_keys", "artifact", "metrics")))
    key = tuple(sorted((version.bank.code, version.pk) for version in versions))
    if not key:
        raise ScoringError("Нет активных моделей: обучите их командой «manage.py train».")
    banks = {version.bank.code: version.bank for version in versions}
    with _models_lock:
        if _loaded is not None and _loaded.key == key:
            return _loaded, banks
        models = {}
        shared: dict[str, FeatureEncoder] = {}  # banks trained on the same fields share one encoder
        for version in active_model_versions():
            encoder_json = json.dumps(version.encoder, sort_keys=True)
            encoder = shared.setdefault(encoder_json, FeatureEncoder.from_dict(version.encoder))
            models[version.bank.code] = (encoder, load_model(version.artifact))
        _loaded = LoadedModels(
            key=key, scorer=Scorer(models), versions=dict(key),
            encoders={code: encoder for code, (encoder, _model) in models.items()},
        )
        return _loaded, banks


def verdict_for(probability: float, threshold: float) -> str:
    if probability >= threshold:
        return BankScore.Verdict.LIKELY
    if probability >= threshold - settings.PRESCORING["UNCERTAIN_MARGIN"]:
        return BankScore.Verdict.UNCERTAIN
    return BankScore.Verdict.UNLIKELY


def bank_terms(bank: Bank) -> BankTerms:
    try:
        rules = tuple(parse_rules(bank.rules))
    except ValueError as exc:
        raise ScoringError(f"{bank.name}: ошибка в стоп-правилах ({exc}); исправьте их в настройках банка.")
    return BankTerms(code=bank.code, name=bank.name, annual_rate=float(bank.annual_rate),
                     min_amount=float(bank.min_amount), max_amount=float(bank.max_amount),
                     terms=tuple(int(t) for t in bank.terms), threshold=float(bank.approval_threshold),
                     rules=rules)


def _loan_keys(loaded: LoadedModels) -> tuple[str, str]:
    """Which answers hold the loan amount and term, as the active models' configuration names them."""
    encoder = next(iter(loaded.encoders.values()), None)
    return encoder.loan_keys() if encoder is not None else ("loan_amount", "loan_term")


def _loan(answers: dict, keys: tuple[str, str] = ("loan_amount", "loan_term")) -> tuple[float | None, int | None]:
    amount, term = answers.get(keys[0]), answers.get(keys[1])
    return (float(amount) if amount is not None else None), (int(term) if term is not None else None)


RULE_LABEL = gettext_noop("Условие банка")


def _rule_reason(text: str) -> dict:
    """A refusal: the product's limit (a phrase with its message) or a rule's reason as written."""
    return {"feature": "rule", "label": RULE_LABEL, "kind": "rule", "contribution": 0.0,
            "direction": "down", "effect_pp": None, "text": str(text), "message": getattr(text, "message", None)}


def evaluate_application(answers: dict, *, as_of, loaded: LoadedModels, banks: dict[str, Bank],
                         labels: dict, choice_labels: dict) -> tuple[list[dict], dict]:
    """Everything the officer sees for one application, computed without touching the database.

    Returns (scores, recommendation): per bank its probability (0 when the bank's rules or
    product refuse), verdict, reasons, offer, suggestions and explanation base value.
    """
    codes = [c for c in loaded.scorer.bank_codes if c in banks]
    terms = {code: bank_terms(banks[code]) for code in codes}
    batch = loaded.scorer.score([answers], as_of=as_of)
    amount, term = _loan(answers, _loan_keys(loaded))
    scores, facts = [], {}
    for column, code in enumerate(batch.bank_codes):
        if code not in terms:
            continue
        bank, encoder = terms[code], loaded.encoders[code]
        contributions = dict(zip(batch.source_keys[code], map(float, batch.contributions[code][0])))
        derived = encoder.derived_values(answers, as_of)
        base_value = float(batch.base_values[code][0])
        margin = base_value + sum(contributions.values())
        reasons = reasons_for(contributions, answers, derived, top_n=settings.PRESCORING["TOP_REASONS"],
                              labels={**labels, **{d.key: d.label for d in encoder.derived}},
                              choice_labels=choice_labels, margin=margin)
        facts[code] = facts_for(answers, derived)
        refusals = term_refusals(bank, amount, term) + rule_refusals(bank, facts[code])
        probability = 0.0 if refusals else float(batch.probabilities[0, column])
        scores.append({
            "bank": code, "bank_name": bank.name, "threshold": bank.threshold, "refused": bool(refusals),
            "probability": probability,
            "verdict": BankScore.Verdict.UNLIKELY if refusals else verdict_for(probability, bank.threshold),
            "reasons": [_rule_reason(text) for text in refusals] + reasons,
            "base_value": base_value,
            "offer": offer(bank, amount, term),
            "suggestions": [],
        })
    _add_suggestions(scores, answers, as_of=as_of, loaded=loaded, terms=terms, facts=facts, amount=amount,
                     term=term)
    for score in scores:
        score["monthly_payment"] = score["offer"].get("monthly_payment")
    return scores, recommendation(scores)


def _add_suggestions(scores, answers, *, as_of, loaded, terms, facts, amount, term) -> None:
    """Amount/term alternatives for every bank below its threshold, in one vectorised batch."""
    below = [s for s in scores if s["refused"] or s["probability"] < s["threshold"]]
    if not below or amount is None or term is None:
        return
    banks = [terms[s["bank"]] for s in below]
    grid_amounts, grid_terms = candidate_grid(banks, amount, term)
    amount_key, term_key = _loan_keys(loaded)
    changes = {amount_key: grid_amounts, term_key: grid_terms}
    try:
        probabilities = loaded.scorer.variant_probabilities(answers, as_of=as_of, changes=changes)
    except ValueError:  # a questionnaire whose model does not use amount and term: nothing to vary
        return
    columns = [loaded.scorer.bank_codes.index(b.code) for b in banks]
    # Facts that do not vary are the same for every bank: their encoders share the questionnaire.
    variant_facts = {**changes, **loaded.encoders[banks[0].code].derived_variants(answers, changes)}
    found = suggestions(banks, probabilities[:, columns], grid_amounts, grid_terms, amount=amount, term=term,
                        facts=facts[banks[0].code], variant_facts=variant_facts)
    for score in below:
        score["suggestions"] = found.get(score["bank"], [])


def score_application(*, application_id) -> Application | None:
    """Score one application for every active bank and store the results, idempotently.

    Running it again for a scored application changes nothing; of two deliveries scoring it at
    once, the second to finish waits for the first one's row lock and then stores nothing, so there
    is always one set of scores.
    """
    # Mark it as being scored (one statement, committed at once) unless it is already done.
    Application.objects.filter(pk=application_id).exclude(status=Application.Status.DONE).update(
        status=Application.Status.SCORING, updated_at=timezone.now())
    application = Application.objects.filter(pk=application_id).annotate(
        callback_configured=webhooks.callback_configured()).first()
    if application is None:
        log.warning("application %s does not exist; nothing to score", application_id)
        return None
    if application.status == Application.Status.DONE:
        return application

    loaded, banks = load_models_and_banks()
    features = config_cache.cached("all_features", lambda: list(Feature.objects.all()))
    scores, advice = evaluate_application(
        application.answers, as_of=timezone.localtime(application.created_at).date(), loaded=loaded, banks=banks,
        labels={f.key: f.label for f in features},
        choice_labels={f.key: dict(f.choice_pairs()) for f in features if f.type == "choice"},
    )
    rank = {code: i for i, code in enumerate(advice["ranking"])}
    rows = [
        BankScore(
            application=application, bank=banks[s["bank"]], model_version_id=loaded.versions[s["bank"]],
            probability=s["probability"], verdict=s["verdict"], reasons=s["reasons"], offer=s["offer"],
            suggestions=s["suggestions"], base_value=s["base_value"],
            # An expression among the values makes Django insert the rows as one multi-row VALUES:
            # its PostgreSQL default for many rows (UNNEST of arrays) quotes the reasons' JSON as array
            # literals in Python, which cost twice as much (a profile of the worker showed it).
            rank=models.Value(rank[s["bank"]]),
        )
        for s in scores
    ]
    now = timezone.now()
    with transaction.atomic():
        # Done here, in the transaction that stores the scores: a second delivery of the task waits
        # for this row and then finds nothing to update.
        finished = Application.objects.filter(pk=application_id).exclude(status=Application.Status.DONE).update(
            status=Application.Status.DONE, error="", recommendation=advice, scored_at=now, updated_at=now)
        if not finished:
            return Application.objects.filter(pk=application_id).first()
        # No scores to replace: they are only ever written here, with the status "done" in the same
        # transaction, and an application that is done is never scored again.
        BankScore.objects.bulk_create(rows)
        transaction.on_commit(lambda: events.application_finished(application_id))
    application.status, application.error, application.recommendation = Application.Status.DONE, "", advice
    application.scored_at = application.updated_at = now
    return application


class SuggestionError(ValueError):
    """The alternative cannot be applied; the message says why, in words for the officer."""


def apply_suggestion(*, officer, application: Application, amount, term) -> tuple[Application, bool]:
    """A new application: the original's answers with another amount and term, linked to it.

    The changed answers go through the same validation as any questionnaire.
    """
    try:
        amount_key, term_key = _loan_keys(load_models())
    except ScoringError:
        amount_key, term_key = "loan_amount", "loan_term"
    answers, errors = validate_answers({**application.answers, amount_key: amount, term_key: term},
                                       allow_unknown=True)
    if errors:
        raise SuggestionError("; ".join(f"{key}: {' '.join(messages)}" for key, messages in errors.items()))
    return submit_application(officer=officer, answers=answers, client=application.client, parent=application)


def mark_failed(*, application_id, message: str) -> None:
    failed = Application.objects.filter(pk=application_id).exclude(status=Application.Status.DONE).update(
        status=Application.Status.FAILED, error=message[:2000], updated_at=timezone.now()
    )
    if failed:
        transaction.on_commit(lambda: events.application_finished(application_id))


# --- the integration API ------------------------------------------------------------------------

def record_outcome(*, actor, application: Application, bank: Bank, result: str, amount=None,
                   term=None) -> tuple["Outcome", bool]:
    """Store what the bank really answered; a second answer for the same bank replaces the first.

    Returns (outcome, created). The change is written to the audit log with the state before.
    """
    from scoring import audit
    from scoring.models import Outcome

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


def submit_batch(*, officer, items: list[dict]):
    """Store validated questionnaires as one batch; each is queued for scoring after commit.

    items: [{"answers": validated answers, "client": {...} or None}]. The same answers twice
    (in the batch or before it) are one application, as with single submission.
    """
    from scoring.models import ScoringBatch, ScoringBatchItem

    with transaction.atomic():
        batch = ScoringBatch.objects.create(officer=officer)
        rows = []
        for position, item in enumerate(items):
            application, _created = submit_application(officer=officer, answers=item["answers"],
                                                       client=item.get("client"))
            rows.append(ScoringBatchItem(batch=batch, position=position, application=application))
        ScoringBatchItem.objects.bulk_create(rows)
    return batch


# --- retention of personal data (docs/deploy.md, "Personal data") ---------------------------------

def erase_expired_clients(*, days: int, now=None, dry_run: bool = False) -> int:
    """Delete the clients (names, phones) whose latest application is older than `days`.

    Their applications stay, without a client and without the copies of the name and phone kept
    for search (cleared with the client, see models.ERASE_CLIENT): answers, scores and outcomes
    carry no name or phone and keep feeding calibration and retraining. Returns how many clients
    were (or, on a dry run, would be) erased; the erasure itself is one audit entry.
    """
    from datetime import timedelta

    from django.db.models import Max

    from scoring import audit

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
