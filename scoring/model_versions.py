"""Model versions as the administrator manages them: activate, roll back, compare, train now.

Training itself lives in scoring.training (train_frame, train_synthetic, train_imported and the
quality gate); this module calls only its public functions, so that training's internals can
change without touching the admin.
"""
from __future__ import annotations

import datetime as dt
import logging
import math
from dataclasses import dataclass

import numpy as np
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from scoring import audit, services
from scoring.engine.prediction import Scorer
from scoring.engine.preprocessing import FeatureEncoder
from scoring.engine.synthetic import generate_applications
from scoring.engine.estimators import load_model
from scoring.importing import historical_frame
from scoring.models import Bank, HistoricalApplication, ModelVersion, TrainingRun
from scoring.training import quality_gate

log = logging.getLogger(__name__)

# The metrics entries that compare a version with the model that was active when it was trained.
CHAMPION_KEYS = ("champion_version", "champion_auc_same_rows", "champion_error")
# Rows and seed of the fresh synthetic sample used to compare versions trained on synthetic data:
# a seed no training run uses by default, so neither version has seen these rows.
COMPARISON_ROWS = 3000
COMPARISON_SEED = 20_261_125


class ModelVersionError(ValueError):
    """The action is refused; the message says why, in words for the administrator."""


# --- which models use a field ----------------------------------------------------------------------

def version_field_keys(version: ModelVersion) -> set[str]:
    """The questionnaire fields a version reads (its encoder's fields, whatever feature_keys says)."""
    keys = set(version.feature_keys or [])
    keys.update(spec.get("key") for spec in (version.encoder or {}).get("specs", []))
    return keys


def active_models_using(feature_key: str) -> list[ModelVersion]:
    """The active model versions that read feature_key: it cannot be deactivated while they are active."""
    return [v for v in ModelVersion.objects.filter(active=True).select_related("bank").order_by("bank__code")
            if feature_key in version_field_keys(v)]


def describe_versions(versions: list[ModelVersion]) -> str:
    """'Банк А (версия 3), Банк Б (версия 4)'."""
    return ", ".join(_("%(bank)s (версия %(id)s)") % {"bank": v.bank.name, "id": v.pk} for v in versions)


# --- activate and roll back ------------------------------------------------------------------------

def gate_for_activation(version: ModelVersion) -> tuple[bool, str]:
    """(passed, reason) of the quality gate for activating version by hand; (True, '') when it has no
    held-out metrics to judge (a model from before the gate existed).

    The comparison with the champion recorded at training time counts only while that champion is
    still the active model; otherwise the version is judged against chance alone.
    """
    metrics = dict(version.metrics or {})
    if "auc" not in metrics:
        return True, ""
    current = ModelVersion.objects.filter(bank=version.bank, active=True).values_list("pk", flat=True).first()
    if metrics.get("champion_version") != current:
        for key in CHAMPION_KEYS:
            metrics.pop(key, None)
    return quality_gate(metrics)


def _make_active(version: ModelVersion) -> ModelVersion | None:
    """Make version its bank's only active model; returns the version it replaced."""
    previous = (ModelVersion.objects.select_for_update().filter(bank=version.bank, active=True)
                .exclude(pk=version.pk).first())
    ModelVersion.objects.filter(bank=version.bank, active=True).exclude(pk=version.pk).update(active=False)
    now = timezone.now()
    ModelVersion.objects.filter(pk=version.pk).update(active=True, activated_at=now)
    version.active, version.activated_at = True, now
    transaction.on_commit(services.forget_loaded_models)
    return previous


def _activation_snapshot(version: ModelVersion | None) -> dict | None:
    if version is None:
        return None
    return {"version": version.pk, "bank": version.bank.code, "algorithm": version.algorithm,
            "auc": (version.metrics or {}).get("auc"), "training_data": version.training_data}


@transaction.atomic
def activate(*, version: ModelVersion, actor) -> ModelVersion:
    """Make version its bank's active model if it passes the quality gate (ModelVersionError says why not)."""
    version = ModelVersion.objects.select_related("bank").get(pk=version.pk)
    if version.active:
        raise ModelVersionError(_("Версия %(id)s уже активна.") % {"id": version.pk})
    passed, reason = gate_for_activation(version)
    if not passed:
        raise ModelVersionError(_("Версия %(id)s не прошла проверку качества: %(reason)s.")
                                % {"id": version.pk, "reason": reason})
    previous = _make_active(version)
    audit.record(actor=actor, action="activate", obj=version, before=_activation_snapshot(previous),
                 after=_activation_snapshot(version))
    return version


def previous_version(bank: Bank) -> ModelVersion | None:
    """The version to roll back to: the one active most recently before the current one; for versions
    activated before activation times were kept, the newest older version."""
    current = ModelVersion.objects.filter(bank=bank, active=True).first()
    others = ModelVersion.objects.filter(bank=bank).exclude(pk=current.pk if current else None)
    if current is not None and current.activated_at is not None:
        earlier = others.filter(activated_at__lt=current.activated_at).order_by("-activated_at").first()
    else:
        earlier = others.filter(activated_at__isnull=False).order_by("-activated_at").first()
    if earlier is not None:
        return earlier
    if current is not None:
        return others.filter(pk__lt=current.pk).order_by("-pk").first()
    return None


@transaction.atomic
def roll_back(*, bank: Bank, actor) -> ModelVersion:
    """Reactivate the bank's previous version. It was trusted before, so the gate is not asked again."""
    Bank.objects.select_for_update().get(pk=bank.pk)
    target = previous_version(bank)
    if target is None:
        raise ModelVersionError(_("У банка «%(bank)s» нет предыдущей версии модели для отката.") % {"bank": bank.name})
    previous = _make_active(target)
    audit.record(actor=actor, action="rollback", obj=target, before=_activation_snapshot(previous),
                 after=_activation_snapshot(target))
    return target


# --- champion and challenger -----------------------------------------------------------------------

@dataclass
class VersionFigures:
    version: ModelVersion
    auc: float | None
    brier: float
    approval_rate: float  # share of rows at or above the bank's threshold
    error: str = ""


@dataclass
class Comparison:
    """Two versions of one bank scored on the same rows: what the rows were and how each did."""

    rows: int
    labelled: int
    approvals: int
    data: str
    champion: VersionFigures
    challenger: VersionFigures
    agreement: float  # share of rows on which both give the same verdict at the threshold
    mean_abs_difference: float  # mean |p_challenger - p_champion|


def _auc(labels: np.ndarray, scores: np.ndarray) -> float | None:
    """ROC AUC by ranks (ties averaged); None when the rows hold one kind of answer only."""
    positives = int(labels.sum())
    negatives = len(labels) - positives
    if positives == 0 or negatives == 0:
        return None
    order = scores.argsort(kind="mergesort")
    ranks = np.empty(len(scores), dtype=float)
    sorted_scores = scores[order]
    # Average ranks over ties so that a constant model scores exactly 0.5.
    _unique, first, counts = np.unique(sorted_scores, return_index=True, return_counts=True)
    average = first + (counts + 1) / 2.0
    ranks[order] = np.repeat(average, counts)
    return float((ranks[labels == 1].sum() - positives * (positives + 1) / 2) / (positives * negatives))


def _probabilities(version: ModelVersion, records: list[dict], as_of: dt.date) -> np.ndarray:
    encoder = FeatureEncoder.from_dict(version.encoder)
    scorer = Scorer({version.bank.code: (encoder, load_model(version.artifact))})
    return np.asarray(scorer.score(records, as_of=as_of, explain=False).probabilities[:, 0], dtype=float)


def comparison_rows(bank: Bank, versions: list[ModelVersion]):
    """(frame, description) of rows neither version was trained on, when there are such rows.

    Imported history newer than both versions when there is some; otherwise fresh synthetic rows
    if the versions were trained on synthetic data; otherwise all the imported history (then the
    figures flatter both models equally, and the description says so).
    """
    newest = max(v.created_at for v in versions)
    later = HistoricalApplication.objects.filter(batch__created_at__gt=newest)
    if later.exists():
        frame = historical_frame([bank.code])
        ids = list(HistoricalApplication.objects.order_by("batch_id", "row_number").values_list("batch__created_at",
                                                                                                 flat=True))
        keep = [i for i, created in enumerate(ids) if created > newest]
        attrs = dict(frame.attrs)
        frame = frame.iloc[keep].reset_index(drop=True)
        frame.attrs = attrs
        return frame, _("история, загруженная после обучения обеих версий: %(n)s строк") % {"n": len(frame)}
    if all(v.training_data.startswith("synthetic") for v in versions):
        frame = generate_applications(COMPARISON_ROWS, seed=COMPARISON_SEED, bank_codes=[bank.code])
        return frame, _("свежие синтетические заявки (%(n)s строк, ни одна версия их не видела)") % {
            "n": COMPARISON_ROWS}
    frame = historical_frame([bank.code])
    return frame, _("вся загруженная история (%(n)s строк; на части из них версии обучались)") % {"n": len(frame)}


def compare(*, champion: ModelVersion, challenger: ModelVersion, frame=None, data: str = "") -> Comparison:
    """Score both versions on the same rows (frame, or comparison_rows()) and put their figures side by side."""
    if champion.bank_id != challenger.bank_id:
        raise ModelVersionError(_("Сравнивать можно только версии одного банка."))
    if champion.pk == challenger.pk:
        raise ModelVersionError(_("Выберите две разные версии."))
    bank = champion.bank
    if frame is None:
        frame, data = comparison_rows(bank, [champion, challenger])
    if frame.empty:
        raise ModelVersionError(_("Нет строк для сравнения: загрузите историю решений банка."))
    as_of = frame.attrs.get("as_of") or timezone.localdate()
    records = frame.to_dict("records")
    decisions = frame.get(f"{bank.code}_decision")
    labels = np.array([1.0 if d == "success" else 0.0 if d == "denied" else math.nan
                       for d in (decisions if decisions is not None else [None] * len(frame))])
    known = ~np.isnan(labels)
    threshold = float(bank.approval_threshold)
    figures, probabilities = {}, {}
    for role, version in (("champion", champion), ("challenger", challenger)):
        try:
            p = _probabilities(version, records, as_of)
        except (ValueError, KeyError, TypeError) as exc:
            raise ModelVersionError(_("Версия %(id)s не может оценить эти строки: %(e)s") % {"id": version.pk, "e": exc})
        probabilities[role] = p
        y = labels[known]
        figures[role] = VersionFigures(
            version=version, auc=_auc(y, p[known]) if known.any() else None,
            brier=float(np.mean((p[known] - y) ** 2)) if known.any() else math.nan,
            approval_rate=float(np.mean(p >= threshold)),
        )
    verdict_a, verdict_b = probabilities["champion"] >= threshold, probabilities["challenger"] >= threshold
    return Comparison(
        rows=len(frame), labelled=int(known.sum()), approvals=int(np.nansum(labels)), data=data,
        champion=figures["champion"], challenger=figures["challenger"],
        agreement=float(np.mean(verdict_a == verdict_b)),
        mean_abs_difference=float(np.mean(np.abs(probabilities["champion"] - probabilities["challenger"]))),
    )


# --- train now ---------------------------------------------------------------------------------------

def start_training(*, actor, source: str, bank_codes: list[str], rows: int = 20_000) -> TrainingRun:
    """Record a training run and queue it after commit; the page polls the run for progress."""
    from scoring.tasks import train_models

    if source not in TrainingRun.Source.values:
        raise ModelVersionError(_("Неизвестный источник данных: %(s)s.") % {"s": source})
    run = TrainingRun.objects.create(source=source, bank_codes=list(bank_codes), rows=rows, started_by=actor)
    transaction.on_commit(lambda: _enqueue(train_models, run.pk))
    return run


def _enqueue(task, run_id: int) -> None:
    try:
        task.delay(run_id)
    except Exception as exc:  # noqa: BLE001 - a broker failure is shown on the run, not lost
        log.exception("could not enqueue training run %s", run_id)
        TrainingRun.objects.filter(pk=run_id).update(
            status=TrainingRun.Status.FAILED, message=_("Очередь задач недоступна: %(e)s") % {"e": exc},
            finished_at=timezone.now())


def run_training(*, run_id: int) -> TrainingRun:
    """Train the run's banks one after another, writing progress and each bank's outcome on the run.

    A model that passes the gate is activated by training itself; the activation is written to the
    audit log in the name of whoever started the run.
    """
    from scoring import training

    run = TrainingRun.objects.get(pk=run_id)
    if run.is_finished:
        return run
    TrainingRun.objects.filter(pk=run.pk).update(status=TrainingRun.Status.RUNNING, progress=0, outcomes=[])
    try:
        banks = training.banks_for_training(run.bank_codes or None)
    except training.TrainingRefused as exc:
        return finish_run(run, TrainingRun.Status.FAILED, str(exc))
    outcomes = []
    for done, bank in enumerate(banks):
        TrainingRun.objects.filter(pk=run.pk).update(
            message=_("Обучается %(bank)s (%(i)s из %(n)s)") % {"bank": bank.name, "i": done + 1, "n": len(banks)})
        before = ModelVersion.objects.filter(bank=bank, active=True).first()
        try:
            if run.source == TrainingRun.Source.SYNTHETIC:
                result = training.train_synthetic(rows=run.rows, bank_codes=[bank.code])
            else:
                result = training.train_imported(bank_codes=[bank.code])
        except training.TrainingRefused as exc:
            return finish_run(run, TrainingRun.Status.FAILED, str(exc), outcomes)
        for outcome in result:
            outcomes.append({"bank": outcome.bank.code, "bank_name": outcome.bank.name,
                             "version": outcome.version.pk if outcome.version else None,
                             "activated": outcome.activated, "reason": outcome.reason})
            if outcome.activated and outcome.version is not None:
                ModelVersion.objects.filter(pk=outcome.version.pk).update(activated_at=timezone.now())
                audit.record(actor=run.started_by, action="activate", obj=outcome.version,
                             before=_activation_snapshot(before), after=_activation_snapshot(outcome.version))
        TrainingRun.objects.filter(pk=run.pk).update(progress=round(100 * (done + 1) / len(banks)),
                                                     outcomes=outcomes)
    services.forget_loaded_models()
    return finish_run(run, TrainingRun.Status.DONE, _("Готово: обучено банков — %(n)s.") % {"n": len(banks)}, outcomes)


def finish_run(run: TrainingRun, status: str, message: str, outcomes: list | None = None) -> TrainingRun:
    values = {"status": status, "message": message[:2000], "finished_at": timezone.now()}
    if status == TrainingRun.Status.DONE:
        values["progress"] = 100
    if outcomes is not None:
        values["outcomes"] = outcomes
    TrainingRun.objects.filter(pk=run.pk).update(**values)
    run.refresh_from_db()
    return run
