"""Training models inside the product and activating only those that earn it.

Three sources of training rows, one path: train_synthetic (the built-in generator), train_imported
(the lender's history stored by import_applications) and train_outcomes (the banks' answers recorded
on the application page or through the API) each build a frame and hand it to train_frame, which
trains one model per bank, stores every model as a ModelVersion and activates a bank's new model
only when it passes the quality gate:

1. the lower bound of its held-out ROC AUC's 95 % CI is above MIN_AUC_CI_LOW (better than chance), and
2. on the same held-out rows it is not worse than the bank's active model by more than MAX_AUC_LOSS.

Models that fail stay stored (inactive), with the reason in metrics["quality_gate"].
"""
from __future__ import annotations

import datetime as dt
import logging
import math
import re
from dataclasses import dataclass

import pandas as pd
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from scoring.engine.estimators import load_model
from scoring.engine.formatting import format_number
from scoring.engine.metrics import fast_auc
from scoring.engine.prediction import Scorer
from scoring.engine.preprocessing import FeatureEncoder
from scoring.engine.synthetic import generate_applications
from scoring.engine.training import (
    ARTIFACT_FORMAT,
    MIN_ANSWERED_ROWS,
    MIN_ROWS_PER_CLASS,
    ROW_KEY,
    HeldOut,
    TrainedModel,
    decision_labels,
    train_all_banks,
    training_problem,
)
from scoring.modelops import activation
from scoring.modelops.activation import judge
from scoring.modelops.importing import historical_frame, shifted_date
from scoring.models import Bank, Feature, HistoricalApplication, ModelVersion, Outcome
from scoring.services import product_config
from scoring.services.questionnaire import active_features

log = logging.getLogger(__name__)

# Where train's rows come from: the built-in generator, the history stored by import_applications,
# or the banks' answers recorded for the service's own applications.
SOURCES = ("synthetic", "imported", "outcomes")
# A recorded answer in the decision words of the training frame (engine/training.decision_labels);
# a bank's error is no answer and is left out.
OUTCOME_DECISIONS = {Outcome.Result.APPROVED: "success", Outcome.Result.REFUSED: "denied"}


class TrainingRefused(ValueError):
    """Nothing can be trained (no banks, unknown banks, no imported rows, too few recorded answers); the
    message says what to do, in the command line's English; `words` says it on the admin's pages."""

    def __init__(self, message: str, words: str = ""):
        super().__init__(message)
        self.words = words or message


@dataclass
class TrainingOutcome:
    """What happened to one bank: version is None when its data could not train a model at all."""

    bank: Bank
    version: ModelVersion | None
    activated: bool
    reason: str


def banks_for_training(bank_codes: list[str] | None = None) -> list[Bank]:
    """The active banks to train, all of them when bank_codes is empty; TrainingRefused names unknown codes."""
    banks = list(Bank.objects.filter(active=True).order_by("code"))
    if not banks:
        raise TrainingRefused("no active banks to train: load the configuration first (manage.py load_config)",
                              _("Нет активных банков: сначала загрузите настройки или включите банк в разделе «Банки»."))
    if not bank_codes:
        return banks
    unknown = sorted(set(bank_codes) - {b.code for b in banks})
    if unknown:
        raise TrainingRefused(f"no active bank with code {', '.join(unknown)}; "
                              f"active banks: {', '.join(b.code for b in banks)}",
                              _("Нет активного банка с кодом %(codes)s; активные банки: %(active)s.")
                              % {"codes": ", ".join(unknown), "active": ", ".join(b.code for b in banks)})
    return [b for b in banks if b.code in bank_codes]


# How train_* describe a version's training data (ModelVersion.training_data), and read_training_data
# reads it back for the pages: (source, rows, seed or batches).
TRAINING_DATA = {
    "synthetic": re.compile(r"synthetic rows=(?P<rows>\d+) seed=(?P<detail>\d+)"),
    "imported": re.compile(r"imported: (?P<rows>[\d\s\u00a0\u202f]+) rows, batches (?P<detail>.*)"),
    "outcomes": re.compile(r"outcomes: (?P<rows>[\d\s\u00a0\u202f]+) applications with recorded answers(?P<detail>)"),
}


def read_training_data(text: str) -> tuple[str, int, str] | None:
    """'imported: 2 000 rows, batches 1-3' -> ('imported', 2000, '1-3'); None for any other text."""
    for source, pattern in TRAINING_DATA.items():
        if match := pattern.fullmatch(text or ""):
            return source, int(re.sub(r"\D", "", match["rows"])), match["detail"]
    return None


def train_synthetic(*, rows: int = 20_000, seed: int = 42, bank_codes: list[str] | None = None,
                    activate: bool = True, actor=None) -> list[TrainingOutcome]:
    """Train one model per bank on `rows` applications from the built-in synthetic generator."""
    banks = banks_for_training(bank_codes)
    frame = generate_applications(rows, seed=seed, bank_codes=[b.code for b in banks])
    return train_frame(frame, source=f"synthetic rows={rows} seed={seed}", banks=banks, seed=seed,
                       activate=activate, actor=actor)


def train_imported(*, seed: int = 42, bank_codes: list[str] | None = None,
                   activate: bool = True, actor=None) -> list[TrainingOutcome]:
    """Train one model per bank on every historical application stored by import_applications."""
    banks = banks_for_training(bank_codes)
    frame = historical_frame([b.code for b in banks])
    if frame.empty:
        raise TrainingRefused("no imported applications to train on: import a history of bank decisions "
                              "first (manage.py import_applications FILE.csv, see docs/data-format.md)",
                              _("Загруженной истории решений нет: сначала загрузите её (раздел «Загрузки "
                                "истории», кнопка «Загрузить историю (CSV)»)."))
    batches = list(HistoricalApplication.objects.order_by("batch_id").values_list("batch_id", flat=True).distinct())
    source = f"imported: {format_number(len(frame), 'd', separator=' ')} rows, batches {_id_ranges(batches)}"
    return train_frame(frame, source=source, banks=banks, seed=seed, activate=activate, actor=actor)


def train_outcomes(*, seed: int = 42, bank_codes: list[str] | None = None,
                   activate: bool = True, actor=None) -> list[TrainingOutcome]:
    """Train one model per bank on the answers the banks gave to applications scored here: the
    application's answers are the features, approved 1, refused 0 (errors left out).

    TrainingRefused when no bank has training_problem's minimum of answers (it names the counts);
    a bank below it, when others have enough, is reported "not trained" as with any source.
    """
    banks = banks_for_training(bank_codes)
    frame = outcomes_frame([b.code for b in banks])
    counts = {b.code: int(frame[f"{b.code}_decision"].notna().sum()) if len(frame) else 0 for b in banks}
    if max(counts.values()) < MIN_ANSWERED_ROWS:
        answers = ", ".join(f"{code} {count}" for code, count in counts.items())
        raise TrainingRefused(f"too few recorded bank answers to train on ({answers}): at least {MIN_ANSWERED_ROWS} "
                              f"approvals and refusals per bank are needed, at least {MIN_ROWS_PER_CLASS} of each; "
                              "record the banks' answers on the application page or POST /api/v1/outcomes/",
                              _("Записанных ответов банков мало для обучения (%(answers)s): банку нужно не меньше "
                                "%(rows)s одобрений и отказов, и тех и других не меньше %(each)s. Ответы банков "
                                "записывают на странице заявки или через POST /api/v1/outcomes/.")
                              % {"answers": answers, "rows": MIN_ANSWERED_ROWS, "each": MIN_ROWS_PER_CLASS})
    source = f"outcomes: {format_number(len(frame), 'd', separator=' ')} applications with recorded answers"
    return train_frame(frame, source=source, banks=banks, seed=seed, activate=activate, actor=actor)


def outcomes_frame(bank_codes: list[str]) -> pd.DataFrame:
    """Every application with a bank's recorded answer (approved or refused), as a frame for train_frame:
    a column per active questionnaire key, `<code>_decision` per bank ('success', 'denied' or None) and
    ROW_KEY (the application's id, so that retraining holds out the same applications). Each row's dates
    are moved forward by the days since the application was made, as historical_frame does, so that ages
    and tenures counted to today (frame.attrs["as_of"]) are those the bank saw."""
    answered = (Outcome.objects.filter(bank__code__in=bank_codes, result__in=list(OUTCOME_DECISIONS))
                .order_by("application__created_at", "application_id")
                .values_list("application_id", "application__answers", "application__created_at", "bank__code",
                             "result"))
    applications: dict = {}
    for application_id, answers, created_at, code, result in answered:
        row = applications.setdefault(application_id, {"answers": answers, "created_at": created_at, "decisions": {}})
        row["decisions"][code] = OUTCOME_DECISIONS[result]
    features = active_features()
    date_keys = {f.key for f in features if f.type == "date"}
    today = timezone.localdate()
    rows = list(applications.values())
    shifts = [(today - timezone.localtime(row["created_at"]).date()).days for row in rows]
    frame = pd.DataFrame({f.key: pd.Series([shifted_date(row["answers"].get(f.key), shift) if f.key in date_keys
                                            else row["answers"].get(f.key) for row, shift in zip(rows, shifts)],
                                           dtype=object)
                          for f in features})
    frame[ROW_KEY] = pd.Series([str(pk) for pk in applications], dtype=object)
    for code in bank_codes:
        frame[f"{code}_decision"] = pd.Series([row["decisions"].get(code) for row in rows], dtype=object)
    frame.attrs["as_of"] = today
    return frame


def train_frame(frame: pd.DataFrame, *, source: str, banks: list[Bank], seed: int = 42,
                activate: bool = True, actor=None) -> list[TrainingOutcome]:
    """Train, store and gate one model per bank on frame; the outcomes come in the order of banks.

    frame: one row per application, a column per questionnaire key and `<code>_decision` per bank
    ('success', 'denied', 'error' or empty), optionally `<code>_p_true`; frame.attrs["as_of"] is the
    day the applications were made (today when absent). source: a short description of the data,
    stored as ModelVersion.training_data (up to 300 characters). activate=False stores the models
    and reports the gate without activating anything.
    """
    as_of = frame.attrs.get("as_of") or timezone.localdate()
    outcomes: dict[str, TrainingOutcome] = {}
    trainable = []
    for bank in banks:
        column = f"{bank.code}_decision"
        if column in frame:
            problem = training_problem(decision_labels(frame[column]))
        else:
            problem = "no decisions in the data"
        if problem:
            outcomes[bank.code] = TrainingOutcome(bank=bank, version=None, activated=False,
                                                  reason=f"not trained: {problem}")
        else:
            trainable.append(bank)

    if trainable:
        specs = [f.to_spec() for f in Feature.objects.filter(active=True, used_by_model=True)]
        # The derived features load_config stored, from whichever directory it loaded.
        derived = product_config.derived_specs()
        encoder, trained = train_all_banks(frame, specs, [b.code for b in trainable], derived=derived,
                                           seed=seed, as_of=as_of,
                                           rates={b.code: float(b.annual_rate) for b in trainable},
                                           algorithms=tuple(settings.PRESCORING["TRAINING_ALGORITHMS"]))
        for bank in trainable:
            outcomes[bank.code] = _gate_and_store(bank, trained[bank.code], encoder=encoder, frame=frame,
                                                  source=source, as_of=as_of, activate=activate,
                                                  actor=actor)
    return [outcomes[b.code] for b in banks]


def _gate_and_store(bank: Bank, model: TrainedModel, *, encoder: FeatureEncoder, frame: pd.DataFrame,
                    source: str, as_of: dt.date, activate: bool, actor=None) -> TrainingOutcome:
    """Compare model with the bank's active one on its held-out rows, store it, activate it if it passes."""
    champion = ModelVersion.objects.filter(bank=bank, active=True).first()
    metrics = dict(model.metrics)
    if champion is not None:
        metrics.update(_champion_metrics(champion, frame, model.held_out, as_of))
    passed, evidence, verdict = judge(metrics)
    activated = False
    with transaction.atomic():
        if passed and not activate:
            verdict = "passes the gate; not activated (activation off)"
        elif passed:
            # Lock the bank's active row: the comparison holds only against the model it was made with.
            current = (ModelVersion.objects.select_for_update().filter(bank=bank, active=True)
                       .values_list("pk", flat=True).first())
            activated = current == (champion.pk if champion else None)
            if not activated:
                verdict = "the active model changed during training; not activated"
        reason = f"{evidence} — {verdict}"
        metrics["quality_gate"] = reason
        version = ModelVersion.objects.create(
            bank=bank, algorithm=model.algorithm, encoder=encoder.to_dict(),
            feature_keys=[s.key for s in encoder.specs], artifact=model.to_bytes(), artifact_format=ARTIFACT_FORMAT, training_data=source[:300], metrics=metrics,
        )
        if activated:
            activation.make_active(version, actor=actor)
    log.info("trained %s on %s: %s (version %s)", bank.code, source, reason, version.pk)
    return TrainingOutcome(bank=bank, version=version, activated=activated, reason=reason)


def describe_choice(metrics: dict) -> str:
    """'xgboost (cv AUC 0.842; logreg 0.801, random_forest 0.835, mlp 0.823)': what won the selection."""
    selection = metrics.get("selection") or []
    algorithm = metrics.get("algorithm", "xgboost")
    if not selection:
        return algorithm
    scores = {r["algorithm"]: r["cv_auc"] for r in selection}
    others = ", ".join(f"{name} {auc:.3f}" for name, auc in scores.items() if name != algorithm)
    text = f"{algorithm} (cv AUC {scores.get(algorithm, float('nan')):.3f}{'; ' + others if others else ''})"
    if algorithm not in scores or max(scores.values()) <= scores[algorithm]:
        return text
    # A reader sees a higher AUC beside the choice: say why, from the final comparison (tuned settings
    # included; engine/training.py tie_table).
    final = metrics.get("final_round") or []
    chosen = next((r for r in final if r.get("algorithm") == algorithm
                   and (r.get("params") or {}) == (metrics.get("params") or {})), None)
    leader = max(final, key=lambda r: r.get("cv_auc", 0.0)) if final else None
    if chosen is not None and chosen.get("behind", 0) <= 0:
        return text + f", the best after tuning its settings (cv AUC {chosen['cv_auc']:.3f})"
    if chosen is not None and chosen.get("tie") and leader is not None:
        return text + (f", tied with {leader['algorithm']} ({leader['cv_auc']:.3f}) within one standard error: "
                       "the simpler model wins")
    return text


def _champion_metrics(champion: ModelVersion, frame: pd.DataFrame, held_out: HeldOut, as_of: dt.date) -> dict:
    """The active model's AUC on the new model's held-out rows, as metrics entries.

    The active model reads the rows with its own stored encoder, exactly as it scores live
    applications; if it cannot (an encoder or artifact this code no longer reads), the reason is
    returned instead of an AUC.
    """
    entries: dict = {"champion_version": champion.pk}
    try:
        encoder = FeatureEncoder.from_dict(champion.encoder)
        scorer = Scorer({champion.bank.code: (encoder, load_model(champion.artifact))},
                        rates={champion.bank.code: float(champion.bank.annual_rate)})
        keys = [spec.key for spec in encoder.specs if spec.key in frame.columns]
        records = frame.iloc[held_out.rows][keys].to_dict("records")
        probabilities = scorer.score(records, as_of=as_of, explain=False).probabilities[:, 0]
    except (ValueError, KeyError, TypeError) as exc:  # XGBoostError is a ValueError
        log.warning("active model %s could not score the held-out rows: %s", champion.pk, exc)
        entries["champion_error"] = str(exc)[:300]
        return entries
    auc = fast_auc(held_out.labels, probabilities)
    if math.isnan(auc):  # held-out rows of one kind only: there is nothing to compare
        entries["champion_error"] = "the held-out rows hold only approvals or only refusals"
    else:
        entries["champion_auc_same_rows"] = round(auc, 4)
    return entries


def _id_ranges(ids: list[int]) -> str:
    """[1, 2, 3, 7] -> '1-3,7': batch numbers that fit in training_data however many there are."""
    parts: list[str] = []
    start = previous = None
    for number in ids:
        if previous is not None and number == previous + 1:
            previous = number
            continue
        if start is not None:
            parts.append(str(start) if start == previous else f"{start}-{previous}")
        start = previous = number
    if start is not None:
        parts.append(str(start) if start == previous else f"{start}-{previous}")
    return ",".join(parts)


def batch_ids(ranges: str) -> list[int]:
    """'1-3,7' -> [1, 2, 3, 7]: _id_ranges read back (the batches of an imported version's training data)."""
    ids: list[int] = []
    for part in ranges.split(","):
        if match := re.fullmatch(r"(\d+)(?:-(\d+))?", part.strip()):
            ids.extend(range(int(match[1]), int(match[2] or match[1]) + 1))
    return ids
