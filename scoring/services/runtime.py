"""The scoring runtime: the active models loaded once per process, and an application scored for
every active bank: probabilities, verdicts, reasons, offers, alternatives, the recommendation."""
import json
import logging
import threading
from dataclasses import dataclass

from django.conf import settings
from django.db import models, transaction
from django.db.models.fields.json import KeyTransform
from django.utils import timezone
from django.utils.translation import gettext_noop

from scoring import selectors
from scoring.engine.advice import (
    Affordability,
    BankTerms,
    affordability_refusals,
    budget_keys,
    candidate_grid,
    offer,
    recommendation,
    rule_refusals,
    suggestions,
    term_refusals,
)
from scoring.engine.estimators import load_model
from scoring.engine.explanations import reasons_for, sequential_effects, wording
from scoring.engine.features import FeatureSpec
from scoring.engine.phrases import RUSSIAN, Words, render
from scoring.engine.prediction import Scorer
from scoring.engine.preprocessing import DEFAULT_LOAN_KEYS, FeatureEncoder, loan_keys_of
from scoring.engine.rules import facts_for, parse_rules
from scoring.models import Application, Bank, BankScore, Feature, ModelVersion
from scoring.services import config_cache, events, product_config

log = logging.getLogger(__name__)


class ScoringError(Exception):
    """A problem that retrying will not fix; its message is shown to the officer."""

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


def bank_terms(bank: Bank, affordability: Affordability | None = None) -> BankTerms:
    """The bank's product as the engine reads it; affordability: the product's rule, applied to every bank."""
    try:
        rules = tuple(parse_rules(bank.rules))
    except ValueError as exc:
        raise ScoringError(f"{bank.name}: ошибка в стоп-правилах ({exc}); исправьте их в настройках банка.")
    return BankTerms(code=bank.code, name=bank.name, annual_rate=float(bank.annual_rate),
                     min_amount=float(bank.min_amount), max_amount=float(bank.max_amount),
                     terms=tuple(int(t) for t in bank.terms), threshold=float(bank.approval_threshold),
                     rules=rules, affordability=affordability)


def decision_record(bank: BankTerms, fired: list, affordability: Affordability | None, remainder) -> dict:
    """What produced a bank's verdict, stored with its score (BankScore.decision) so that the result
    reads as decided whatever the bank's settings become: the rate, the threshold, the product's
    limits, the rules in force and those that fired, the affordability rule and the remainder."""
    record = {"annual_rate": bank.annual_rate, "threshold": bank.threshold, "min_amount": bank.min_amount,
              "max_amount": bank.max_amount, "terms": list(bank.terms),
              "rules": [{"field": r.field, "operator": r.operator,
                         "value": list(r.value) if isinstance(r.value, tuple) else r.value, "reason": r.reason}
                        for r in bank.rules],
              "fired": [str(text) for text in fired]}
    if affordability is not None:
        record["affordability"] = {"enabled": affordability.enabled, "min_remainder": affordability.min_remainder,
                                   "remainder": None if remainder is None else round(float(remainder), 2)}
    return record


def loan_keys(loaded: LoadedModels) -> tuple[str, str]:
    """Which answers hold the loan amount and term, as the active models' configuration names them."""
    encoder = next(iter(loaded.encoders.values()), None)
    return encoder.loan_keys() if encoder is not None else DEFAULT_LOAN_KEYS


def current_loan_keys() -> tuple[str, str]:
    """loan_keys of the active models, read from one active version's encoder without loading any
    model (for the pages and the API, whose processes need not hold the models), kept as the
    configuration is (config_cache)."""
    return config_cache.cached("loan_keys", _read_loan_keys)


def encoder_derived() -> KeyTransform:
    """ModelVersion.encoder's "derived" list, read by the database without the rest of the encoder."""
    return KeyTransform("derived", "encoder")


def derived_loan_keys(derived: list[dict] | None) -> tuple[str, str]:
    """loan_keys from an encoder's stored "derived" list (encoder_derived); the default without one."""
    return loan_keys_of((entry or {}).get("inputs") or {} for entry in derived or ())


def _read_loan_keys() -> tuple[str, str]:
    return derived_loan_keys(active_model_versions().annotate(derived=encoder_derived())
                             .values_list("derived", flat=True).first())


def _loan(answers: dict, keys: tuple[str, str] = DEFAULT_LOAN_KEYS) -> tuple[float | None, int | None]:
    amount, term = answers.get(keys[0]), answers.get(keys[1])
    return (float(amount) if amount is not None else None), (int(term) if term is not None else None)


RULE_LABEL = gettext_noop("Условие банка")


def rule_reason(text: str) -> dict:
    """A refusal: the product's limit (a phrase with its message) or a rule's reason as written."""
    return {"feature": "rule", "label": RULE_LABEL, "kind": "rule", "contribution": 0.0,
            "direction": "down", "effect_pp": None, "text": str(text), "message": getattr(text, "message", None)}


def evaluate_application(answers: dict, *, as_of, loaded: LoadedModels, banks: dict[str, Bank],
                         labels: dict, choice_labels: dict, labels_en: dict | None = None,
                         choice_labels_en: dict | None = None, formats: dict | None = None,
                         affordability: dict | None = None, scored: tuple | None = None) -> tuple[list[dict], dict]:
    """Everything the officer sees for one application, computed without touching the database.

    labels ... formats: how the reasons name and write the fields (explanations.wording); the
    derived features' come from each model's encoder. Each bank's model sees, and its reasons quote,
    the payment features at the bank's own rate when its encoder was trained so (FeatureEncoder.bank_rate).
    affordability: the product's rule ({enabled, min_remainder}; product_config.affordability(), on by
    default): a loan that leaves less than the minimum after expenses and a bank's payment is refused by
    that bank like a knock-out rule, before its model.
    Returns (scores, recommendation): per bank its probability (0 when the bank's rules, the product or
    affordability refuse), verdict, reasons, offer, suggestions, explanation base value and the decision
    record (decision_record).
    scored: (the models' ScoreBatch, this application's row in it) when several applications were put
    through the models in one pass (score_batch_models); by default this one alone.
    """
    codes = [c for c in loaded.scorer.bank_codes if c in banks]
    rule = _affordability(affordability, loaded)
    terms = {code: bank_terms(banks[code], rule) for code in codes}
    rates = {code: bank.annual_rate for code, bank in terms.items()}
    batch, row = scored if scored is not None else (loaded.scorer.score([answers], as_of=as_of, rates=rates), 0)
    amount, term = _loan(answers, loan_keys(loaded))
    fields = {"labels": labels, "labels_en": labels_en or {}, "choice_labels": choice_labels,
              "choice_labels_en": choice_labels_en or {}, "formats": formats or {}}
    worded: dict[int, dict] = {}  # per encoder: the fields' wording with its derived features'
    scores, facts = [], {}
    for column, code in enumerate(batch.bank_codes):
        if code not in terms:
            continue
        bank, encoder = terms[code], loaded.encoders[code]
        if id(encoder) not in worded:
            own = wording((), encoder.derived)
            worded[id(encoder)] = {name: {**fields[name], **own[name]} for name in fields}
        contributions = dict(zip(batch.source_keys[code], map(float, batch.contributions[code][row])))
        derived = encoder.derived_values(answers, as_of, rate=bank.annual_rate)
        base_value = float(batch.base_values[code][row])
        margin = base_value + sum(contributions.values())
        reasons = reasons_for(contributions, answers, derived, top_n=settings.PRESCORING["TOP_REASONS"],
                              margin=margin, **worded[id(encoder)])
        facts[code] = facts_for(answers, derived)
        fired = rule_refusals(bank, facts[code]) + affordability_refusals(bank, answers, amount, term)
        limits = term_refusals(bank, amount, term)
        refusals = limits + fired
        reasons = _without_contradictions(reasons, limits, loan_keys(loaded))
        probability = 0.0 if refusals else float(batch.probabilities[row, column])
        # One set of numbers: each listed factor's effect is its waterfall step from the average.
        sequential_effects(base_value, [rule_reason(text) for text in refusals] + reasons, probability)
        scores.append({
            "bank": code, "bank_name": bank.name, "threshold": bank.threshold, "refused": bool(refusals),
            "probability": probability,
            "verdict": BankScore.Verdict.UNLIKELY if refusals else verdict_for(probability, bank.threshold),
            "reasons": [rule_reason(text) for text in refusals] + reasons,
            "base_value": base_value,
            "offer": offer(bank, amount, term),
            "suggestions": [],
            "decision": decision_record(bank, fired, rule, _remainder(rule, answers, bank, amount, term)),
        })
    _add_suggestions(scores, answers, as_of=as_of, loaded=loaded, terms=terms, facts=facts, amount=amount,
                     term=term)
    for score in scores:
        score["monthly_payment"] = score["offer"].get("monthly_payment")
    return scores, recommendation(scores)


# The product limits that refuse the amount or the term, by the answer they are about (0: amount, 1: term).
LIMIT_ANSWER = {"amount_above_max": 0, "amount_below_min": 0, "term_not_offered": 1}


def _without_contradictions(reasons: list[dict], limits: list, keys: tuple[str, str]) -> list[dict]:
    """The model's reasons less those saying that an amount or a term the bank's product refuses suits
    the bank («Сумма кредита 250 000 ₽ — банку подходит» next to «Сумма больше максимальной»)."""
    refused = {keys[LIMIT_ANSWER[phrase.message["id"]]] for phrase in limits if phrase.message["id"] in LIMIT_ANSWER}
    return [r for r in reasons if not (r["feature"] in refused and r["direction"] == "up")]


def _affordability(configured: dict | None, loaded: LoadedModels) -> Affordability:
    """The engine's affordability rule from the product's settings, reading the answers the active
    models' configuration names as income and expenses."""
    configured = {**product_config.DEFAULT_AFFORDABILITY, **(configured or {})}
    encoder = next(iter(loaded.encoders.values()), None)
    income, expense = budget_keys(encoder.derived if encoder is not None else ())
    return Affordability(enabled=bool(configured["enabled"]), min_remainder=float(configured["min_remainder"]),
                         income_key=income, expense_key=expense)


def _remainder(rule: Affordability, answers: dict, bank: BankTerms, amount, term):
    if amount is None or term is None:
        return None
    return rule.remainder(answers, offer(bank, amount, term)["monthly_payment"])


def _add_suggestions(scores, answers, *, as_of, loaded, terms, facts, amount, term) -> None:
    """Amount/term alternatives for every bank below its threshold, in one vectorised batch."""
    below = [s for s in scores if s["refused"] or s["probability"] < s["threshold"]]
    if not below or amount is None or term is None:
        return
    banks = [terms[s["bank"]] for s in below]
    grid_amounts, grid_terms = candidate_grid(banks, amount, term)
    amount_key, term_key = loan_keys(loaded)
    changes = {amount_key: grid_amounts, term_key: grid_terms}
    rates = {bank.code: bank.annual_rate for bank in terms.values()}
    try:
        probabilities = loaded.scorer.variant_probabilities(answers, as_of=as_of, changes=changes, rates=rates)
    except ValueError:  # a questionnaire whose model does not use amount and term: nothing to vary
        return
    # Facts that do not vary are the same for every bank (their encoders share the questionnaire);
    # the payment features vary with the bank's rate where its encoder uses it: one group per rate.
    groups: dict[float, list] = {}
    for bank in banks:
        groups.setdefault(loaded.encoders[bank.code].effective_rate(bank.annual_rate), []).append(bank)
    found = {}
    for rate, group in groups.items():
        columns = [loaded.scorer.bank_codes.index(b.code) for b in group]
        encoder = loaded.encoders[group[0].code]
        variant_facts = {**changes, **encoder.derived_variants(answers, changes, rate=rate)}
        found.update(suggestions(group, probabilities[:, columns], grid_amounts, grid_terms, amount=amount,
                                 term=term, facts=facts[group[0].code], variant_facts=variant_facts))
    for score in below:
        score["suggestions"] = found.get(score["bank"], [])


def field_wording() -> dict:
    """How reasons name and write the questionnaire's fields: evaluate_application's labels, labels_en,
    choice_labels, choice_labels_en and formats, from the Feature table (labels, units, English ones)."""
    specs = []
    for feature in Feature.objects.all():
        try:
            specs.append(feature.to_spec())
        except ValueError:  # a row the admin's checks would refuse: its labels, nothing more
            specs.append(FeatureSpec(key=feature.key, type="text", label=feature.label, label_en=feature.label_en))
    return wording(specs)


def reword(scores: list[dict], advice: dict, words: Words) -> None:
    """Write again, with `words`, every stored text that has its message (reasons, the recommendation)."""
    for score in scores:
        for reason in score["reasons"]:
            if reason.get("message"):
                reason["text"] = render(reason["message"], words)
        fired = (score.get("decision") or {}).get("fired")
        if fired:  # the refusals that fired are the last rule reasons (limits first): the same texts
            refusals = [r["text"] for r in score["reasons"] if r.get("kind") == "rule"]
            score["decision"]["fired"] = refusals[len(refusals) - len(fired):]
    if advice.get("message"):
        advice["text"] = render(advice["message"], words)
    messages = advice.get("reason_messages") or []
    if advice.get("reasons"):
        advice["reasons"] = [render(messages[i], words) if i < len(messages) and messages[i] else text
                             for i, text in enumerate(advice["reasons"])]


def score_application(*, application_id) -> Application | None:
    """Score one application for every active bank and store the results, idempotently.

    Running it again for a scored application changes nothing; of two deliveries scoring it at
    once, the second to finish waits for the first one's row lock and then stores nothing, so there
    is always one set of scores.
    """
    return score_applications([application_id])[str(application_id)]


def score_applications(application_ids) -> dict[str, Application | None]:
    """Score several applications in one pass and store them in one transaction (a worker's batch,
    tasks.score_batch), idempotently, as score_application does for one.

    Returns, by id, the application as scored (done), as it was when already done, or None when it
    does not exist. Raises what any of them raised, storing nothing: the caller scores them one by one
    then, so that an application that fails fails alone (tasks.score_batch).
    """
    ids = list(dict.fromkeys(str(pk) for pk in application_ids))
    # Mark them as being scored (one statement, committed at once) unless they are already done.
    Application.objects.filter(pk__in=ids).exclude(status=Application.Status.DONE).update(
        status=Application.Status.SCORING, updated_at=timezone.now())
    found = {str(a.pk): a for a in Application.objects.filter(pk__in=ids)}
    with_callback = selectors.users_with_callback()
    for application in found.values():
        application.callback_configured = application.officer_id in with_callback
    result: dict[str, Application | None] = {pk: found.get(pk) for pk in ids}
    for pk in ids:
        if pk not in found:
            log.warning("application %s does not exist; nothing to score", pk)
    pending = [a for a in found.values() if a.status != Application.Status.DONE]
    if not pending:
        return result

    loaded, banks = load_models_and_banks()
    settings_document = product_config.product()  # the affordability rule and the currency: one read
    affordability = product_config.affordability(settings_document)
    words = config_cache.cached("field_wording", field_wording)
    currency = product_config.currency(settings_document)
    evaluated = {}
    as_of = {str(a.pk): timezone.localtime(a.created_at).date() for a in pending}
    scored = score_batch_models(loaded, banks, [(a.answers, as_of[str(a.pk)]) for a in pending])
    for application, row in zip(pending, scored, strict=True):
        scores, advice = evaluate_application(
            application.answers, as_of=as_of[str(application.pk)], loaded=loaded, banks=banks,
            affordability=affordability, scored=row, **words)
        if currency != RUSSIAN.currency:  # the stored texts name the configured currency, as pages do
            reword(scores, advice, Words(currency))
        evaluated[str(application.pk)] = (application, scores, advice)

    now = timezone.now()  # one time for the batch: applications scored together share their scored_at
    done = {"status": Application.Status.DONE, "error": "", "scored_at": now, "updated_at": now}
    with transaction.atomic():
        # Done here, in the transaction that stores the scores: a second delivery scoring the same
        # application waits for its row (locked by the update, or by select_for_update for a batch) and
        # then finds it done, and stores nothing.
        if len(evaluated) == 1:
            (pk,) = evaluated
            updated = Application.objects.filter(pk=pk).exclude(status=Application.Status.DONE).update(
                recommendation=evaluated[pk][2], **done)
            finishing = {pk} if updated else set()
        else:
            finishing = set(map(str, Application.objects.select_for_update().filter(
                pk__in=list(evaluated)).exclude(status=Application.Status.DONE).values_list("pk", flat=True)))
        rows, changed = [], []
        for pk, (application, scores, advice) in evaluated.items():
            if pk not in finishing:
                result[pk] = Application.objects.filter(pk=pk).first()
                continue
            application.recommendation = advice
            for name, value in done.items():
                setattr(application, name, value)
            changed.append(application)
            rows.extend(_score_rows(application, scores, advice, loaded=loaded, banks=banks))
        if len(changed) > 1:
            # One statement: the constants once, the recommendations by id (bulk_update would build a
            # CASE for every field, the constant ones too, which costs more than the scoring).
            Application.objects.filter(pk__in=[a.pk for a in changed]).update(
                recommendation=models.Case(*(models.When(pk=a.pk, then=models.Value(
                    a.recommendation, output_field=Application._meta.get_field("recommendation"))) for a in changed)),
                **done)
        if changed:
            # No scores to replace: they are only ever written here, with the status "done" in the same
            # transaction, and an application that is done is never scored again.
            BankScore.objects.bulk_create(rows)
            finished_ids = [a.pk for a in changed]
            transaction.on_commit(lambda: events.applications_finished(finished_ids))
    return result


def score_batch_models(loaded: LoadedModels, banks: dict[str, Bank], records: list[tuple[dict, object]]) -> list:
    """Every application of a batch through the models in one pass per day of application (the
    engine's batch: its cost is mostly per call, not per row). Returns, in order, each application's
    (ScoreBatch, row) for evaluate_application; the figures are those of scoring each alone."""
    rates = {code: float(banks[code].annual_rate) for code in loaded.scorer.bank_codes if code in banks}
    by_day: dict = {}
    for index, (_answers, as_of) in enumerate(records):
        by_day.setdefault(as_of, []).append(index)
    rows: list = [None] * len(records)
    for as_of, indexes in by_day.items():
        batch = loaded.scorer.score([records[i][0] for i in indexes], as_of=as_of, rates=rates)
        for row, index in enumerate(indexes):
            rows[index] = (batch, row)
    return rows


def _score_rows(application: Application, scores: list[dict], advice: dict, *, loaded: LoadedModels,
                banks: dict[str, Bank]) -> list[BankScore]:
    rank = {code: i for i, code in enumerate(advice["ranking"])}
    return [
        BankScore(
            application=application, bank=banks[s["bank"]], model_version_id=loaded.versions[s["bank"]],
            probability=s["probability"], verdict=s["verdict"], reasons=s["reasons"], offer=s["offer"],
            suggestions=s["suggestions"], base_value=s["base_value"], threshold=s["threshold"],
            decision=s["decision"],
            # An expression among the values makes Django insert the rows as one multi-row VALUES:
            # its PostgreSQL default for many rows (UNNEST of arrays) quotes the reasons' JSON as array
            # literals in Python, which cost twice as much (a profile of the worker showed it).
            rank=models.Value(rank[s["bank"]]),
        )
        for s in scores
    ]


def mark_failed(*, application_id, message: str) -> None:
    failed = Application.objects.filter(pk=application_id).exclude(status=Application.Status.DONE).update(
        status=Application.Status.FAILED, error=message[:2000], updated_at=timezone.now()
    )
    if failed:
        transaction.on_commit(lambda: events.application_finished(application_id))
