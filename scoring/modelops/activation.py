"""Activation: the quality gate, and the one path by which a model version becomes (or stops being)
its bank's active model: training, the train command, the admin's "activate" and "roll back", and
deactivate_models (or load_config --deactivate-models), which leaves a bank without one."""
from __future__ import annotations

import re

from django.db import transaction
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from scoring.models import Bank, ModelVersion
from scoring.services import audit, runtime

# A model is activated only when the lower bound of its held-out AUC's 95 % CI clears this.
MIN_AUC_CI_LOW = 0.55
# How much held-out AUC a new model may lose to the active one on the same rows and still replace
# it: less than the noise between two fits of the same data, so retraining is not blocked by luck.
MAX_AUC_LOSS = 0.005

# The metrics entries that compare a version with the model that was active when it was trained.
CHAMPION_KEYS = ("champion_version", "champion_auc_same_rows", "champion_error")
class ModelVersionError(ValueError):
    """The action is refused; the message says why, in words for the administrator."""



def quality_gate(metrics: dict) -> tuple[bool, str]:
    """(passed, reason) for a new model's metrics, e.g. (False, "AUC 0.510 [0.480, 0.540] — no better
    than chance; not activated").

    Reads "auc", "auc_ci_low", "auc_ci_high" (held-out) and, when the bank had an active model,
    "champion_auc_same_rows" (that model's AUC on the same held-out rows) or "champion_error"
    (why it could not be scored: an active model that cannot read the rows does not block).
    """
    passed, evidence, verdict = judge(metrics)
    return passed, f"{evidence} — {verdict}"


def judge(metrics: dict) -> tuple[bool, str, str]:
    """(passed, the figures behind the verdict, the verdict) as quality_gate describes."""
    auc, low, high = metrics.get("auc"), metrics.get("auc_ci_low"), metrics.get("auc_ci_high")
    if auc is None or low is None or high is None:
        return False, "no held-out AUC", "not activated"
    evidence = f"AUC {auc:.3f} [{low:.3f}, {high:.3f}]"
    if low <= MIN_AUC_CI_LOW:
        return False, evidence, "no better than chance; not activated"
    champion = metrics.get("champion_auc_same_rows")
    if champion is None:
        if metrics.get("champion_error"):
            return True, evidence, "activated (the active model could not score the held-out rows)"
        return True, evidence, "activated"
    if auc < champion - MAX_AUC_LOSS:
        return (False, f"AUC {auc:.3f} vs active {champion:.3f} on the same rows",
                "worse than the active model; not activated")
    return True, f"{evidence} vs active {champion:.3f} on the same rows", "activated"


# The gate's English verdicts (stored in metrics["quality_gate"] and run outcomes) in the reader's
# language, longest first: "not activated" is replaced before "activated".
GATE_WORDS = (
    ("activated (the active model could not score the held-out rows)",
     gettext_lazy("активирована (активная модель не смогла оценить отложенные строки)")),
    ("passes the gate; not activated (activation off)",
     gettext_lazy("проверку прошла; не активирована (активация выключена)")),
    ("the active model changed during training; not activated",
     gettext_lazy("активная модель сменилась во время обучения; не активирована")),
    ("no better than chance; not activated", gettext_lazy("не лучше случайного угадывания; не активирована")),
    ("worse than the active model; not activated", gettext_lazy("хуже активной модели; не активирована")),
    ("not activated", gettext_lazy("не активирована")),
    ("activated", gettext_lazy("активирована")),
    ("no held-out AUC", gettext_lazy("нет AUC на отложенных строках")),
    ("no decisions in the data", gettext_lazy("в данных нет решений банка")),
    ("not trained: ", gettext_lazy("не обучена: ")),
    (" vs active ", gettext_lazy(" против активной модели: ")),
    (" on the same rows", gettext_lazy(" на тех же строках")),
)


# Why a bank was not trained (engine.training.training_problem), with its counts.
REASON_PATTERNS = (
    (re.compile(r"only (?P<answered>\d+) answered rows \(at least (?P<needed>\d+) needed\)"),
     gettext_lazy("строк с ответом банка: %(answered)s (нужно не меньше %(needed)s)")),
    (re.compile(r"(?P<approvals>\d+) approvals and (?P<refusals>\d+) refusals "
                r"\(at least (?P<each>\d+) of each needed\)"),
     gettext_lazy("одобрений: %(approvals)s, отказов: %(refusals)s (нужно не меньше %(each)s тех и других)")),
)


def gate_in_words(text: str) -> str:
    """A gate reason as the pages show it: «AUC 0,800 [0,770, 0,830] — активирована» in Russian."""
    for pattern, words in REASON_PATTERNS:
        text = pattern.sub(lambda match, words=words: str(words) % match.groupdict(), text)
    for english, words in GATE_WORDS:
        text = text.replace(english, str(words))
    if (get_language() or "ru").startswith("ru"):
        text = re.sub(r"(\d)\.(\d)", r"\1,\2", text)
        text = re.sub(r"\[([\d,]+), ([\d,]+)\]", r"[\1; \2]", text)  # an interval of decimal commas
    return text


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


@transaction.atomic
def make_active(version: ModelVersion, *, actor, action: str = "activate") -> ModelVersion | None:
    """The one way a version becomes its bank's active model (training, the train command, the admin,
    rollback): the others are switched off, the activation time is kept (rollback reads it), the audit
    log gets an entry (actor None: a command or the configuration) and every process reloads its
    models. Returns the version it replaced. The callers decide whether the version may be activated."""
    previous = (ModelVersion.objects.select_for_update().filter(bank=version.bank, active=True)
                .exclude(pk=version.pk).select_related("bank").first())
    ModelVersion.objects.filter(bank=version.bank, active=True).exclude(pk=version.pk).update(active=False)
    now = timezone.now()
    ModelVersion.objects.filter(pk=version.pk).update(active=True, activated_at=now)
    version.active, version.activated_at = True, now
    audit.record(actor=actor, action=action, obj=version, before=_activation_snapshot(previous),
                 after=_activation_snapshot(version))
    transaction.on_commit(runtime.forget_loaded_models)
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
    make_active(version, actor=actor)
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
def deactivate(version: ModelVersion, *, actor, action: str = "deactivate") -> bool:
    """The one way a version stops being active without another taking its place (manage.py
    deactivate_models, load_config --deactivate-models): its bank then scores nothing until a model
    is trained or activated. An audit entry per version; every process reloads its models. Returns
    whether the version was active."""
    version = ModelVersion.objects.select_for_update().select_related("bank").defer("artifact").get(pk=version.pk)
    if not version.active:
        return False
    ModelVersion.objects.filter(pk=version.pk).update(active=False)
    before = _activation_snapshot(version)
    version.active = False
    audit.record(actor=actor, action=action, obj=version, before=before, after=None)
    transaction.on_commit(runtime.forget_loaded_models)
    return True


def deactivate_active(*, bank_codes: list[str] | None = None, actor=None) -> list[ModelVersion]:
    """Deactivate the active version of each bank in bank_codes (of every bank when None); returns them.
    ModelVersionError names codes that are no bank."""
    with transaction.atomic():
        if bank_codes is not None:
            unknown = sorted(set(bank_codes) - set(Bank.objects.filter(code__in=bank_codes)
                                                   .values_list("code", flat=True)))
            if unknown:
                raise ModelVersionError(_("Нет банка с кодом %(codes)s.") % {"codes": ", ".join(unknown)})
        versions = ModelVersion.objects.filter(active=True).select_related("bank").defer("artifact")
        if bank_codes is not None:
            versions = versions.filter(bank__code__in=bank_codes)
        deactivated = [v for v in versions.order_by("bank__code") if deactivate(v, actor=actor)]
    return deactivated


@transaction.atomic
def roll_back(*, bank: Bank, actor) -> ModelVersion:
    """Reactivate the bank's previous version. It was trusted before, so the gate is not asked again."""
    Bank.objects.select_for_update().get(pk=bank.pk)
    target = previous_version(bank)
    if target is None:
        raise ModelVersionError(_("У банка «%(bank)s» нет предыдущей версии модели для отката.") % {"bank": bank.name})
    make_active(target, actor=actor, action="rollback")
    return target


