"""manage.py export_config and load_config round-trip banks, rules, fields and the import mapping."""
import pytest
import yaml
from django.core.management import CommandError, call_command

from scoring.modelops.configuration import export_config, load_config
from scoring.engine.config import CONFIG_DIR, load_yaml
from scoring.models import Bank, Feature


def database_state():
    banks = list(Bank.objects.order_by("code").values("code", "name", "active", "annual_rate", "min_amount",
                                                      "max_amount", "terms", "approval_threshold",
                                                      "csv_decision_column", "rules"))
    features = list(Feature.objects.order_by("order", "id").values(
        "key", "label", "label_en", "help_text", "type", "choices", "ordered", "min_value", "max_value",
        "min_age", "max_age", "max_length", "required", "order", "used_by_model", "active", "csv_column"))
    return banks, features


def test_export_then_load_gives_the_same_database(db, tmp_path):
    load_config()
    Bank.objects.filter(code="bank_b").update(rules=[{"field": "child_count", "operator": "gt", "value": 3,
                                                      "reason": "Много детей"}], approval_threshold=0.62)
    Feature.objects.filter(key="merch_code").update(active=False, order=5, help_text="Код из договора")
    before = database_state()
    call_command("export_config", str(tmp_path))
    Bank.objects.all().delete()
    Feature.objects.all().delete()
    call_command("load_config", "--config-dir", str(tmp_path))
    assert database_state() == before


def test_export_is_idempotent(db, tmp_path):
    load_config()
    export_config(tmp_path / "one")
    load_config(tmp_path / "one")
    export_config(tmp_path / "two")
    for name in ("features.yaml", "banks.yaml", "import.yaml"):
        assert (tmp_path / "one" / name).read_text() == (tmp_path / "two" / name).read_text()


def test_the_export_of_the_shipped_configuration_loads_as_it(db, tmp_path):
    load_config()
    export_config(tmp_path)
    shipped, exported = load_yaml(CONFIG_DIR / "banks.yaml"), load_yaml(tmp_path / "banks.yaml")
    assert [b["code"] for b in exported["banks"]] == [b["code"] for b in shipped["banks"]]
    assert exported["banks"][0]["rules"] == shipped["banks"][0]["rules"]
    assert load_yaml(tmp_path / "features.yaml")["derived"] == load_yaml(CONFIG_DIR / "features.yaml")["derived"]
    assert load_yaml(tmp_path / "import.yaml")["decision_values"]["success"] == ["success"]


def test_loading_twice_changes_nothing(db):
    load_config()
    first = database_state()
    result = load_config()
    assert result["banks"] == (0, 5) and result["features"] == (0, 16)
    assert database_state() == first


def test_replace_deactivates_fields_and_banks_the_files_leave_out(db, tmp_path):
    load_config()
    export_config(tmp_path)
    features = load_yaml(tmp_path / "features.yaml")
    features["features"] = [f for f in features["features"] if f["key"] != "position"]
    banks = load_yaml(tmp_path / "banks.yaml")
    banks["banks"] = [b for b in banks["banks"] if b["code"] != "bank_e"]
    (tmp_path / "features.yaml").write_text(yaml.safe_dump(features, allow_unicode=True))
    (tmp_path / "banks.yaml").write_text(yaml.safe_dump(banks, allow_unicode=True))
    call_command("load_config", "--config-dir", str(tmp_path), "--replace")
    assert not Feature.objects.get(key="position").active
    assert not Bank.objects.get(code="bank_e").active


def test_it_refuses_to_deactivate_a_field_an_active_model_uses(models_ready, tmp_path):
    export_config(tmp_path)
    features = load_yaml(tmp_path / "features.yaml")
    for entry in features["features"]:
        if entry["key"] == "month_profit":
            entry["active"] = False
    (tmp_path / "features.yaml").write_text(yaml.safe_dump(features, allow_unicode=True))
    with pytest.raises(CommandError, match="month_profit cannot be deactivated: active models use it"):
        call_command("load_config", "--config-dir", str(tmp_path))
    assert Feature.objects.get(key="month_profit").active


def test_it_refuses_an_import_mapping_where_a_word_means_two_things(db, tmp_path):
    load_config()
    export_config(tmp_path)
    (tmp_path / "import.yaml").write_text("decision_values:\n  success: [yes]\n  denied: [yes]\n")
    with pytest.raises(CommandError, match="means both success and denied"):
        call_command("load_config", "--config-dir", str(tmp_path))
