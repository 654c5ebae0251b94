"""Reading configs/*.yaml into engine objects (no Django)."""
from __future__ import annotations

from pathlib import Path

import yaml

from .features import FeatureSpec, parse_choices
from .preprocessing import DerivedSpec

CONFIG_DIR = Path(__file__).resolve().parents[2] / "configs"


# libyaml's parser when PyYAML was built with it: the same safe loading, ten times faster (every
# configuration load reads features.yaml and banks.yaml).
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml(path: Path) -> dict:
    with open(path, encoding="utf-8") as fh:
        return yaml.load(fh, Loader=_SAFE_LOADER) or {}


def feature_specs_from_config(entries: list[dict]) -> list[FeatureSpec]:
    specs = []
    for entry in entries:
        values, labels = parse_choices(entry.get("choices"))
        specs.append(
            FeatureSpec(
                key=entry["key"],
                type=entry["type"],
                label=entry.get("label", entry["key"]),
                choices=values,
                choice_labels=labels,
                ordered=bool(entry.get("ordered", False)),
                min_value=entry.get("min_value"),
                max_value=entry.get("max_value"),
                min_age=entry.get("min_age"),
                max_age=entry.get("max_age"),
                max_length=entry.get("max_length"),
                required=bool(entry.get("required", False)),
                used_by_model=bool(entry.get("used_by_model", True)),
                categorical=bool(entry.get("categorical", False)),
            )
        )
    return specs


def default_feature_specs(config_dir: Path = CONFIG_DIR) -> list[FeatureSpec]:
    """The 16 fields of the default questionnaire, from configs/features.yaml."""
    return feature_specs_from_config(load_yaml(config_dir / "features.yaml")["features"])


def default_derived_specs(config_dir: Path = CONFIG_DIR) -> list[DerivedSpec]:
    """The derived features declared in configs/features.yaml (payment-to-income, ...)."""
    return [DerivedSpec.from_dict(d) for d in load_yaml(config_dir / "features.yaml").get("derived", [])]


def default_bank_codes(config_dir: Path = CONFIG_DIR) -> list[str]:
    return [b["code"] for b in load_yaml(config_dir / "banks.yaml")["banks"]]
