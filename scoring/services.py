"""Services: the functions that change state. Views, the API and tasks all call these."""
from __future__ import annotations

import hashlib
import json
import logging
import threading
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from scoring.engine.explanations import reasons_for
from scoring.engine.offers import monthly_payment
from scoring.engine.prediction import Scorer
from scoring.engine.preprocessing import FeatureEncoder
from scoring.engine.training import load_booster
from scoring.models import Application, Bank, BankScore, Client, Feature, ModelVersion

log = logging.getLogger(__name__)


class ScoringError(Exception):
    """A problem that retrying will not fix; its message is shown to the officer."""


def answers_hash(answers: dict) -> str:
    canonical = json.dumps(answers, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def submit_application(*, officer, answers: dict, client: dict | None = None,
                       parent: Application | None = None) -> tuple[Application, bool]:
    """Store a validated questionnaire and queue its scoring once the transaction commits.

    The same answers from the same officer return the existing application (created=False);
    one that failed is queued again.
    """
    digest = answers_hash(answers)
    existing = Application.objects.filter(officer=officer, answers_hash=digest).first()
    if existing is None:
        try:
            with transaction.atomic():
                client_obj = None
                if client and any((client.get("full_name"), client.get("phone"))):
                    client_obj = Client.objects.create(
                        full_name=client.get("full_name", "") or "", phone=client.get("phone", "") or ""
                    )
                application = Application.objects.create(
                    officer=officer, client=client_obj, answers=answers, answers_hash=digest, parent=parent
                )
                transaction.on_commit(lambda: enqueue_scoring(application.pk))
            return application, True
        except IntegrityError:
            # Another request stored the same answers a moment ago: that one is ours too.
            existing = Application.objects.get(officer=officer, answers_hash=digest)
    if existing.status == Application.Status.FAILED:
        Application.objects.filter(pk=existing.pk).update(status=Application.Status.QUEUED, error="")
        existing.refresh_from_db()
        transaction.on_commit(lambda: enqueue_scoring(existing.pk))
    return existing, False


def enqueue_scoring(application_id) -> None:
    """Send the scoring task; if the broker is down the application stays queued, not lost."""
    from scoring.tasks import score_application

    try:
        score_application.delay(str(application_id))
    except Exception:  # noqa: BLE001 - any broker failure leaves the application queued
        log.exception("could not enqueue scoring of application %s; it stays queued", application_id)


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
    global _loaded
    key = tuple(sorted(active_model_versions().values_list("bank__code", "id")))
    if not key:
        raise ScoringError("Нет активных моделей: обучите их командой «manage.py train».")
    with _models_lock:
        if _loaded is not None and _loaded.key == key:
            return _loaded
        models = {}
        shared: dict[str, FeatureEncoder] = {}  # banks trained on the same fields share one encoder
        for version in active_model_versions():
            encoder_json = json.dumps(version.encoder, sort_keys=True)
            encoder = shared.setdefault(encoder_json, FeatureEncoder.from_dict(version.encoder))
            models[version.bank.code] = (encoder, load_booster(bytes(version.artifact)))
        _loaded = LoadedModels(
            key=key, scorer=Scorer(models), versions=dict(key),
            encoders={code: encoder for code, (encoder, _booster) in models.items()},
        )
        return _loaded


def verdict_for(probability: float, threshold: float) -> str:
    if probability >= threshold:
        return BankScore.Verdict.LIKELY
    if probability >= threshold - settings.PRESCORING["UNCERTAIN_MARGIN"]:
        return BankScore.Verdict.UNCERTAIN
    return BankScore.Verdict.UNLIKELY


def offer_for(bank: Bank, answers: dict) -> dict:
    amount, term = answers.get("loan_amount"), answers.get("loan_term")
    if amount is None or term is None:
        return {}
    rate = float(bank.annual_rate)
    payment = float(monthly_payment(float(amount), rate, int(term)))
    return {"annual_rate": rate, "amount": amount, "term": int(term), "monthly_payment": round(payment, 2)}


def score_application(*, application_id) -> Application | None:
    """Score one application for every active bank and store the results, idempotently.

    Running it again for a scored application changes nothing; a redelivered task for an
    application in progress replaces its scores, so there is always one set.
    """
    with transaction.atomic():
        application = (
            Application.objects.select_for_update().filter(pk=application_id).first()
        )
        if application is None:
            log.warning("application %s does not exist; nothing to score", application_id)
            return None
        if application.status == Application.Status.DONE:
            return application
        application.status = Application.Status.SCORING
        application.save(update_fields=["status", "updated_at"])

    loaded = load_models()
    banks = {b.code: b for b in Bank.objects.filter(active=True, code__in=loaded.versions)}
    features = list(Feature.objects.all())
    labels = {f.key: f.label for f in features}
    choice_labels = {f.key: dict(f.choice_pairs()) for f in features if f.type == "choice"}
    as_of = timezone.localtime(application.created_at).date()
    batch = loaded.scorer.score([application.answers], as_of=as_of)
    scores = []
    for column, code in enumerate(batch.bank_codes):
        bank = banks.get(code)
        if bank is None:
            continue
        probability = float(batch.probabilities[0, column])
        contributions = dict(zip(batch.source_keys[code], map(float, batch.contributions[code][0])))
        encoder = loaded.encoders[code]
        derived = encoder.derived_values(application.answers, as_of)
        labels.update({d.key: d.label for d in encoder.derived})
        margin = float(batch.base_values[code][0]) + sum(contributions.values())
        scores.append(
            BankScore(
                application=application,
                bank=bank,
                model_version_id=loaded.versions[code],
                probability=probability,
                verdict=verdict_for(probability, bank.approval_threshold),
                reasons=reasons_for(contributions, application.answers, derived,
                                    top_n=settings.PRESCORING["TOP_REASONS"], labels=labels,
                                    choice_labels=choice_labels, margin=margin),
                offer=offer_for(bank, application.answers),
            )
        )
    with transaction.atomic():
        application = Application.objects.select_for_update().get(pk=application_id)
        if application.status == Application.Status.DONE:
            return application
        BankScore.objects.filter(application=application).delete()
        BankScore.objects.bulk_create(scores)
        application.status = Application.Status.DONE
        application.error = ""
        application.scored_at = timezone.now()
        application.save(update_fields=["status", "error", "scored_at", "updated_at"])
    return application


def mark_failed(*, application_id, message: str) -> None:
    Application.objects.filter(pk=application_id).exclude(status=Application.Status.DONE).update(
        status=Application.Status.FAILED, error=message[:2000], updated_at=timezone.now()
    )
