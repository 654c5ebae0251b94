"""The case history of an application: what happened to it, who did it and when, as recorded.

Submitted (by whom, the amount and term, the application it is a variant of), scored (per bank: the
model version and when it was trained, the threshold, the probability and the verdict, as stored with
the score), variants asked for, sent to banks (by whom), and each bank's answer (by whom). Plain data
for the officer's page and the API; nothing here is worded.
"""
from __future__ import annotations

from scoring.models import Application, Dispatch, ModelVersion, Outcome
from scoring.services import config_cache, runtime

SUBMITTED, SCORED, FAILED, VARIANT, SENT, ANSWERED = "submitted", "scored", "failed", "variant", "sent", "answered"
EVENTS = (SUBMITTED, SCORED, FAILED, VARIANT, SENT, ANSWERED)  # also the order of events at the same moment


def _event(kind: str, at, *, by=None, bank=None, amount=None, term=None, result=None, application=None,
           error=None, banks=()) -> dict:
    """One event; every event has every key (None or [] where it does not apply)."""
    return {"event": kind, "at": at, "by": _name(by), "bank": bank.code if bank else None,
            "bank_name": bank.name if bank else None, "amount": None if amount is None else float(amount),
            "term": None if term in (None, "") else int(term), "result": result,
            "application": None if application is None else str(application), "error": error, "banks": list(banks)}


def _name(user) -> str | None:
    if user is None:
        return None
    return user.get_full_name() or user.get_username()


def _loan(answers: dict, keys: tuple[str, str]) -> tuple:
    """The amount and term answered, in the fields the models' payment reads (their encoders' loan keys)."""
    return answers.get(keys[0]), answers.get(keys[1])


def _versions(version_ids: list[int]) -> dict[int, dict]:
    """Per model version: its algorithm, when it was trained and the fields its payment reads (its
    encoder's loan keys). None of these changes once trained: kept by the process as the configuration
    is (the same versions score most applications; a deleted one is dropped within the period)."""
    def load():
        rows = (ModelVersion.objects.filter(pk__in=version_ids).annotate(derived=runtime.encoder_derived())
                .values("pk", "algorithm", "created_at", "derived"))
        return {row["pk"]: {"algorithm": row["algorithm"], "created_at": row["created_at"],
                            "loan_keys": runtime.derived_loan_keys(row["derived"])} for row in rows}
    return config_cache.cached(f"version-briefs:{version_ids}", load)


def scored_banks(scores, versions: dict[int, dict]) -> list[dict]:
    """Per score, in the order given: the bank, the model version that scored it (id, algorithm, when it
    was trained; None when the version was deleted), the threshold, probability and verdict as decided.
    versions: _versions of the scores' versions."""
    rows = []
    for score in scores:
        version = versions.get(score.model_version_id)
        rows.append({
            "bank": score.bank.code, "bank_name": score.bank.name,
            "model_version": score.model_version_id if version else None,
            "algorithm": version["algorithm"] if version else None,
            "trained_at": version["created_at"] if version else None,
            "threshold": float(score.threshold_used), "probability": float(score.probability),
            "verdict": score.verdict, "refused_by_rule": bool(score.refused_by_rule),
        })
    return rows


def case_history(application: Application, *, outcomes: list[Outcome] | None = None,
                 just_submitted: bool = False) -> list[dict]:
    """The application's events, oldest first (see the module docstring for what each carries).

    application: with its scores (and their banks) prefetched, as selectors.application_with_scores
    reads it; outcomes: its Outcomes with bank and recorded_by, when the caller has read them already;
    just_submitted: created by this request, so nothing after the scoring is looked for.
    """
    scored = application.status == Application.Status.DONE and application.scored_at
    scores = list(application.scores.all()) if scored else []
    versions = _versions(sorted({score.model_version_id for score in scores if score.model_version_id}))
    # The amount and term in the fields the models that scored it read; the active models' before that.
    loan_keys = next((brief["loan_keys"] for brief in versions.values()), None) or runtime.current_loan_keys()
    amount, term = _loan(application.answers, loan_keys)
    events = [_event(SUBMITTED, application.created_at, by=application.officer, amount=amount, term=term,
                     application=application.parent_id)]
    if scored:
        events.append(_event(SCORED, application.scored_at, banks=scored_banks(scores, versions)))
    elif application.status == Application.Status.FAILED:
        events.append(_event(FAILED, application.updated_at, error=application.error))
    if just_submitted:
        return events
    for variant in (Application.objects.filter(parent=application).select_related("officer")
                    .only("pk", "created_at", "answers", "officer").order_by("created_at")):
        amount, term = _loan(variant.answers, loan_keys)
        events.append(_event(VARIANT, variant.created_at, by=variant.officer, amount=amount, term=term,
                             application=variant.pk))
    for dispatch in Dispatch.objects.filter(application=application).select_related("bank", "sent_by"):
        events.append(_event(SENT, dispatch.sent_at, by=dispatch.sent_by, bank=dispatch.bank))
    if outcomes is None:
        outcomes = list(Outcome.objects.filter(application=application).select_related("bank", "recorded_by"))
    for outcome in outcomes:
        events.append(_event(ANSWERED, outcome.recorded_at, by=outcome.recorded_by, bank=outcome.bank,
                             result=outcome.result, amount=outcome.amount, term=outcome.term))
    return sorted(events, key=lambda event: (event["at"], EVENTS.index(event["event"]), event["bank"] or ""))
