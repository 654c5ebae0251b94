"""Model versions as the administrator manages them: compare champion and challenger, train now
(activation and rollback: scoring/modelops/activation.py).

Training itself lives in scoring.modelops.training (train_frame, train_synthetic, train_imported and the
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
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from scoring.engine.prediction import Scorer
from scoring.engine.preprocessing import FeatureEncoder
from scoring.engine.synthetic import generate_applications
from scoring.engine.estimators import load_model
from scoring.engine.metrics import fast_auc
from scoring.modelops.importing import historical_frame
from scoring.models import Bank, HistoricalApplication, ModelVersion, TrainingRun
from scoring.modelops.activation import ModelVersionError
from scoring.modelops.tasks import train_models
from scoring.services import background

log = logging.getLogger(__name__)

# Rows and seed of the fresh synthetic sample used to compare versions trained on synthetic data:
# a seed no training run uses by default, so neither version has seen these rows.
COMPARISON_ROWS = 3000
COMPARISON_SEED = 20_261_125


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


def _probabilities(version: ModelVersion, records: list[dict], as_of: dt.date) -> np.ndarray:
    encoder = FeatureEncoder.from_dict(version.encoder)
    scorer = Scorer({version.bank.code: (encoder, load_model(version.artifact))},
                    rates={version.bank.code: float(version.bank.annual_rate)})
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
        auc = fast_auc(y, p[known])  # NaN when the rows hold one kind of answer only (or none)
        figures[role] = VersionFigures(
            version=version, auc=None if math.isnan(auc) else auc,
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
    """Record a training run and start it after commit, without holding the request (a worker, or a
    thread on the embedded default: scoring/services/background.py); the page polls the run for progress."""
    if source not in TrainingRun.Source.values:
        raise ModelVersionError(_("Неизвестный источник данных: %(s)s.") % {"s": source})
    # The run writes its progress and refusals in the language its starter reads (the worker's own is the
    # default language): an English administrator's run said «Обучается Банк А (1 из 5)».
    run = TrainingRun.objects.create(source=source, bank_codes=list(bank_codes), rows=rows, started_by=actor,
                                     language=translation.get_language() or "")
    transaction.on_commit(lambda: _enqueue(train_models, run.pk))
    return run


def _enqueue(task, run_id: int) -> None:
    try:
        background.start(task, run_id)
    except Exception as exc:  # noqa: BLE001 - a broker failure is shown on the run, not lost
        log.exception("could not enqueue training run %s", run_id)
        TrainingRun.objects.filter(pk=run_id).update(
            status=TrainingRun.Status.FAILED, message=_("Очередь задач недоступна: %(e)s") % {"e": exc},
            finished_at=timezone.now())


