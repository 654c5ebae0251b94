"""manage.py export_config and load_config round-trip banks, rules, fields (units, English labels of
choices), derived features, the currency and the import mapping: all read from the database."""
import pytest
import yaml
from django.core.management import CommandError, call_command

from scoring.engine.config import CONFIG_DIR, load_yaml
from scoring.modelops.configuration import export_config, load_config
from scoring.models import Bank, ConfigDocument, Feature
from scoring.services import product_config


def database_state():
    banks = list(Bank.objects.order_by("code").values("code", "name", "active", "annual_rate", "min_amount",
                                                      "max_amount", "terms", "approval_threshold",
                                                      "csv_decision_column", "rules"))
    features = list(Feature.objects.order_by("order", "id").values(
        "key", "label", "label_en", "help_text", "type", "choices", "ordered", "min_value", "max_value",
        "min_age", "max_age", "max_length", "required", "order", "used_by_model", "active", "csv_column",
        "unit", "unit_en"))
    documents = dict(ConfigDocument.objects.values_list("name", "data"))
    return banks, features, documents


def test_export_then_load_gives_the_same_database(db, tmp_path):
    load_config()
    Bank.objects.filter(code="bank_b").update(rules=[{"field": "child_count", "operator": "gt", "value": 3,
                                                      "reason": "Много детей"}], approval_threshold=0.62)
    Feature.objects.filter(key="merch_code").update(active=False, order=5, help_text="Код из договора")
    Feature.objects.filter(key="month_profit").update(unit="тыс. ₽", unit_en="thousand RUB")
    before = database_state()
    call_command("export_config", str(tmp_path))
    Bank.objects.all().delete()
    Feature.objects.all().delete()
    ConfigDocument.objects.all().delete()
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


def test_units_and_english_labels_of_choices_and_derived_features_round_trip(db, tmp_path):
    load_config()
    export_config(tmp_path / "one")
    features = load_yaml(tmp_path / "one" / "features.yaml")
    by_key = {f["key"]: f for f in features["features"]}
    assert (by_key["loan_amount"]["unit"], by_key["loan_amount"]["unit_en"]) == ("₽", "RUB")
    assert (by_key["loan_term"]["unit"], by_key["loan_term"]["unit_en"]) == ("мес.", "months")
    assert {"value": "Студент", "label_en": "Student"} in by_key["employment_status"]["choices"]
    assert {"value": "Furniture", "label": "Мебель", "label_en": "Furniture"} in by_key["goods_category"]["choices"]
    assert [d["label_en"] for d in features["derived"]] == ["Payment to income", "Expenses to income",
                                                            "Income left after the payment"]
    Feature.objects.all().delete()
    ConfigDocument.objects.all().delete()
    load_config(tmp_path / "one")
    assert Feature.objects.get(key="loan_term").unit_en == "months"
    export_config(tmp_path / "two")
    for name in ("features.yaml", "banks.yaml", "import.yaml"):
        assert (tmp_path / "one" / name).read_text() == (tmp_path / "two" / name).read_text()


def test_export_reads_the_database_not_the_configuration_directory(db, tmp_path, settings):
    source = tmp_path / "lender"
    load_config()
    export_config(source)
    banks = load_yaml(source / "banks.yaml")
    banks["currency"] = {"code": "EUR", "symbol": "€", "symbol_en": "EUR"}
    (source / "banks.yaml").write_text(yaml.safe_dump(banks, allow_unicode=True), encoding="utf-8")
    (source / "import.yaml").write_text("id_column: Nr\ndecision_values: {success: [good], denied: [bad]}\n",
                                        encoding="utf-8")
    features = load_yaml(source / "features.yaml")
    features["derived"] = features["derived"][:1]
    (source / "features.yaml").write_text(yaml.safe_dump(features, allow_unicode=True), encoding="utf-8")
    load_config(source)
    settings.PRESCORING = {**settings.PRESCORING, "CONFIG_DIR": tmp_path / "empty"}  # no files there
    export_config(tmp_path / "out")
    assert load_yaml(tmp_path / "out" / "banks.yaml")["currency"]["symbol"] == "€"
    assert load_yaml(tmp_path / "out" / "import.yaml")["decision_values"]["denied"] == ["bad"]
    assert [d["key"] for d in load_yaml(tmp_path / "out" / "features.yaml")["derived"]] == ["payment_to_income"]
    assert product_config.currency()["code"] == "EUR"


def test_export_config_writes_to_the_configuration_directory_by_default(db, tmp_path, settings):
    load_config()
    settings.PRESCORING = {**settings.PRESCORING, "CONFIG_DIR": tmp_path / "configs"}
    call_command("export_config")
    assert sorted(p.name for p in (tmp_path / "configs").iterdir()) == ["banks.yaml", "features.yaml", "import.yaml"]
