"""Training models inside the product and activating those that pass the quality gate."""
from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db import transaction

from django.conf import settings

from scoring.engine.config import default_derived_specs
from scoring.engine.synthetic import generate_applications
from scoring.engine.training import train_all_banks
from scoring.models import Bank, Feature, ModelVersion

log = logging.getLogger(__name__)

# A model is activated only when the lower bound of its held-out AUC's 95 % CI clears this.
MIN_AUC_CI_LOW = 0.55


@dataclass
class TrainingOutcome:
    version: ModelVersion
    activated: bool
    reason: str


def quality_gate(metrics: dict) -> tuple[bool, str]:
    auc, low, high = metrics.get("auc"), metrics.get("auc_ci_low"), metrics.get("auc_ci_high")
    if auc is None or low is None:
        return False, "no held-out AUC"
    summary = f"AUC {auc:.3f} [{low:.3f}, {high:.3f}]"
    if low <= MIN_AUC_CI_LOW:
        return False, f"{summary} — no better than chance; not activated"
    return True, f"{summary} — activated"


def train_synthetic(*, rows: int = 20_000, seed: int = 42, bank_codes: list[str] | None = None,
                    activate: bool = True) -> list[TrainingOutcome]:
    """Train one model per bank on the built-in synthetic generator's data."""
    banks = Bank.objects.filter(active=True)
    if bank_codes:
        banks = banks.filter(code__in=bank_codes)
    banks = list(banks)
    if not banks:
        raise ValueError("no active banks to train: load the configuration first (manage.py load_config)")
    specs = [f.to_spec() for f in Feature.objects.filter(active=True, used_by_model=True)]
    frame = generate_applications(rows, seed=seed, bank_codes=[b.code for b in banks])
    derived = default_derived_specs(settings.PRESCORING["CONFIG_DIR"])
    encoder, trained = train_all_banks(frame, specs, [b.code for b in banks], derived=derived, seed=seed,
                                       as_of=frame.attrs.get("as_of"))
    source = f"synthetic rows={rows} seed={seed}"
    outcomes = []
    for bank in banks:
        model = trained[bank.code]
        ok, reason = quality_gate(model.metrics)
        with transaction.atomic():
            version = ModelVersion.objects.create(
                bank=bank,
                algorithm="xgboost",
                encoder=encoder.to_dict(),
                feature_keys=[s.key for s in specs],
                artifact=model.to_bytes(),
                artifact_format="xgboost-ubj",
                training_data=source,
                metrics=model.metrics,
            )
            if ok and activate:
                activate_version(version)
        outcomes.append(TrainingOutcome(version=version, activated=ok and activate, reason=reason))
    return outcomes


@transaction.atomic
def activate_version(version: ModelVersion) -> None:
    ModelVersion.objects.select_for_update().filter(bank=version.bank, active=True).exclude(
        pk=version.pk).update(active=False)
    ModelVersion.objects.filter(pk=version.pk).update(active=True)
    version.active = True
