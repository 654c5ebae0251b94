"""What model operations read: which active models use a questionnaire field."""
from __future__ import annotations

from django.utils.translation import gettext as _

from scoring.models import ModelVersion


def version_field_keys(version: ModelVersion) -> set[str]:
    """The questionnaire fields a version reads (its encoder's fields, whatever feature_keys says)."""
    keys = set(version.feature_keys or [])
    keys.update(spec.get("key") for spec in (version.encoder or {}).get("specs", []))
    return keys


def active_models_using(feature_key: str) -> list[ModelVersion]:
    """The active model versions that read feature_key: it cannot be deactivated while they are active."""
    versions = ModelVersion.objects.filter(active=True).select_related("bank").defer("artifact", "metrics")
    return [v for v in versions.order_by("bank__code") if feature_key in version_field_keys(v)]


def describe_versions(versions: list[ModelVersion]) -> str:
    """'Банк А (версия 3), Банк Б (версия 4)'."""
    return ", ".join(_("%(bank)s (версия %(id)s)") % {"bank": v.bank.name, "id": v.pk} for v in versions)


