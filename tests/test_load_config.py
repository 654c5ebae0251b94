"""manage.py load_config: the shipped configuration, and another lender's directory loaded whole
(fields, derived features, banks, import mapping, currency), all or nothing, replacing the demo one."""
import io
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from django.conf import settings
from django.core.management import CommandError, call_command

from scoring.modelops.configuration import import_mapping
from scoring.modelops.forms import rule_field_choices
from scoring.modelops.importing import import_decisions_csv
from scoring.modelops.training import train_frame
from scoring.models import (
    Application,
    AuditEntry,
    Bank,
    ConfigDocument,
    Feature,
    HistoricalApplication,
    ModelVersion,
)
from scoring.services import product_config


def test_it_loads_five_banks_and_sixteen_fields(db):
    call_command("load_config")
    assert list(Bank.objects.values_list("code", flat=True)) == ["bank_a", "bank_b", "bank_c", "bank_d", "bank_e"]
    assert Feature.objects.count() == 16
    term = Feature.objects.get(key="loan_term")
    assert term.type == "choice" and [v for v, _ in term.choice_pairs()] == ["6", "12", "18", "24"]
    assert (term.unit, term.unit_en) == ("мес.", "months")
    bank = Bank.objects.get(code="bank_a")
    assert bank.terms == [6, 12, 18, 24] and bank.min_amount == 4000 and bank.max_amount == 200000


def test_it_is_idempotent_and_restores_edited_values(db):
    call_command("load_config")
    Bank.objects.filter(code="bank_a").update(name="Изменён")
    call_command("load_config")
    assert Bank.objects.count() == 5 and Feature.objects.count() == 16
    assert Bank.objects.get(code="bank_a").name == "Банк А"


def test_fields_keep_the_configured_order(db):
    call_command("load_config")
    keys = list(Feature.objects.values_list("key", flat=True))
    assert keys[0] == "birth_date" and keys[-1] == "goods_category"


def test_the_shipped_configuration_stores_its_documents_once(db):
    call_command("load_config")
    assert product_config.currency() == {"code": "RUB", "symbol": "₽", "symbol_en": "RUB"}
    assert [d["key"] for d in product_config.derived_entries()] == ["payment_to_income", "expense_to_income",
                                                                    "free_income"]
    assert import_mapping()["decision_values"]["success"] == ["success"]
    entries = AuditEntry.objects.filter(action="load_config", object_type="scoring.configdocument").count()
    assert entries == 3
    call_command("load_config")
    assert AuditEntry.objects.filter(action="load_config", object_type="scoring.configdocument").count() == 3


# --- another lender's directory ----------------------------------------------------------------------

# A German-credit-like questionnaire: six fields, a derived payment, one bank, "good"/"bad" decisions, euros.
FEATURES = [
    {"key": "checking_account", "label": "Текущий счёт", "label_en": "Checking account", "type": "choice",
     "required": True, "csv_column": "checking",
     "choices": [{"value": "none", "label": "нет счёта", "label_en": "no account"},
                 {"value": "negative", "label": "меньше 0", "label_en": "below 0"},
                 {"value": "positive", "label": "0 и больше", "label_en": "0 or more"}]},
    {"key": "duration", "label": "Срок", "label_en": "Duration", "type": "integer", "required": True,
     "min_value": 4, "max_value": 72, "unit": "мес.", "unit_en": "months", "csv_column": "duration"},
    {"key": "credit_amount", "label": "Сумма кредита", "label_en": "Credit amount", "type": "number",
     "required": True, "min_value": 250, "max_value": 20000, "unit": "€", "unit_en": "EUR", "csv_column": "amount"},
    {"key": "age", "label": "Возраст", "label_en": "Age", "type": "integer", "required": True, "min_value": 18,
     "max_value": 80, "unit": "лет", "unit_en": "years", "csv_column": "age"},
    {"key": "housing", "label": "Жильё", "label_en": "Housing", "type": "choice", "csv_column": "housing",
     "choices": [{"value": "own", "label": "своё", "label_en": "own"}, {"value": "rent", "label": "съёмное",
                                                                          "label_en": "rented"}]},
    {"key": "savings", "label": "Сбережения", "label_en": "Savings", "type": "choice", "ordered": True,
     "csv_column": "savings", "choices": ["little", "moderate", "rich"]},
]
DERIVED = [{"key": "monthly_payment", "label": "Ежемесячный платёж", "label_en": "Monthly payment",
            "kind": "monthly_payment", "inputs": {"amount": "credit_amount", "term": "duration"}}]
BANKS = [{"code": "lender", "name": "Кредитор", "annual_rate": "9.50", "min_amount": 250, "max_amount": 20000,
          "terms": [6, 12, 24, 36, 48], "approval_threshold": 0.5, "csv_decision_column": "decision",
          "rules": [{"field": "monthly_payment", "operator": "gt", "value": 5000, "reason": "Платёж слишком велик"}]}]
CURRENCY = {"code": "EUR", "symbol": "€", "symbol_en": "EUR"}
IMPORT = {"id_column": "id", "decision_values": {"success": ["good"], "denied": ["bad"], "error": []}}


def write_config(config_dir, *, features=FEATURES, derived=DERIVED, banks=BANKS, currency=CURRENCY,
                 mapping=IMPORT):
    config_dir.mkdir(exist_ok=True)
    for name, data in (("features.yaml", {"features": features, "derived": derived}),
                       ("banks.yaml", {"currency": currency, "banks": banks}), ("import.yaml", mapping)):
        (config_dir / name).write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return config_dir


def history(rows: int = 600, seed: int = 4) -> pd.DataFrame:
    """Handmade decisions that depend on the monthly payment and the checking account."""
    rng = np.random.default_rng(seed)
    duration = rng.choice([6, 12, 24, 36, 48], rows)
    amount = rng.integers(5, 200, rows) * 100.0
    checking = rng.choice(["none", "negative", "positive"], rows)
    score = 1.5 - amount / duration / 150 + np.where(checking == "positive", 1.0, 0.0)
    approved = rng.random(rows) < 1 / (1 + np.exp(-score))
    frame = pd.DataFrame({"checking_account": checking, "duration": duration, "credit_amount": amount,
                          "age": rng.integers(20, 70, rows), "housing": rng.choice(["own", "rent"], rows),
                          "savings": rng.choice(["little", "moderate", "rich"], rows),
                          "lender_decision": np.where(approved, "success", "denied")})
    frame.attrs["as_of"] = pd.Timestamp("2024-01-01").date()
    return frame


def test_a_directory_is_loaded_whole_and_every_reader_uses_it(db, tmp_path):
    call_command("load_config")  # the demo configuration first (no models): the directory replaces it
    call_command("load_config", "--config-dir", str(write_config(tmp_path / "lender")), "--replace")

    assert sorted(Feature.objects.filter(active=True).values_list("key", flat=True)) == sorted(
        f["key"] for f in FEATURES)
    assert list(Bank.objects.filter(active=True).values_list("code", flat=True)) == ["lender"]
    assert Feature.objects.get(key="credit_amount").unit == "€"
    assert Feature.objects.get(key="checking_account").choices[0]["label_en"] == "no account"
    mapping = import_mapping()
    assert mapping["id_column"] == "id"
    assert mapping["decision_values"] == {"success": ["good"], "denied": ["bad"], "error": []}
    assert product_config.currency() == CURRENCY
    assert product_config.derived_entries() == DERIVED
    assert ("monthly_payment", "Ежемесячный платёж (monthly_payment)") in rule_field_choices()
    assert "payment_to_income" not in dict(rule_field_choices())

    [outcome] = train_frame(history(), source="handmade", banks=[Bank.objects.get(code="lender")], seed=1)
    encoder = outcome.version.encoder
    assert [d["key"] for d in encoder["derived"]] == ["monthly_payment"]
    assert "monthly_payment" in encoder["columns"] and "payment_to_income" not in encoder["columns"]


def test_the_configuration_directory_setting_is_the_default(db, tmp_path, settings):
    settings.PRESCORING = {**settings.PRESCORING, "CONFIG_DIR": write_config(tmp_path / "lender")}
    call_command("load_config")
    assert list(Bank.objects.values_list("code", flat=True)) == ["lender"]
    assert import_mapping()["decision_values"]["denied"] == ["bad"]


def test_what_was_loaded_wins_over_the_files_of_the_configuration_directory(db, tmp_path, settings):
    call_command("load_config", "--config-dir", str(write_config(tmp_path / "lender")))
    settings.PRESCORING = {**settings.PRESCORING, "CONFIG_DIR": tmp_path / "nowhere"}
    assert import_mapping()["decision_values"]["success"] == ["good"]
    assert [d["key"] for d in product_config.derived_entries()] == ["monthly_payment"]


def test_a_currency_may_be_a_plain_code(db, tmp_path):
    call_command("load_config", "--config-dir", str(write_config(tmp_path / "lender", currency="CHF")))
    assert product_config.currency() == {"code": "CHF", "symbol": "CHF", "symbol_en": "CHF"}


@pytest.mark.parametrize("derived, message", [
    ([{**DERIVED[0], "kind": "interest"}], "unknown derived feature kind 'interest'"),
    ([{**DERIVED[0], "inputs": {"amount": "credit_amount", "term": "months"}}],
     "input term names 'months', which is no active field"),
    ([{**DERIVED[0], "inputs": {"amount": "credit_amount"}}], r"needs inputs \['amount', 'term'\]"),
    ([{**DERIVED[0], "key": "age"}], "a questionnaire field has the same key"),
    ([{**DERIVED[0], "colour": "red"}], "unknown keys colour"),
])
def test_a_broken_derived_feature_refuses_the_whole_load(db, tmp_path, derived, message):
    call_command("load_config")
    before = (list(Feature.objects.values_list("key", "active", "label")), list(Bank.objects.values_list(
        "code", "active")), list(ConfigDocument.objects.values_list("name", "data")), AuditEntry.objects.count())
    with pytest.raises(CommandError, match=message):
        call_command("load_config", "--config-dir", str(write_config(tmp_path / "lender", derived=derived)),
                     "--replace")
    after = (list(Feature.objects.values_list("key", "active", "label")), list(Bank.objects.values_list(
        "code", "active")), list(ConfigDocument.objects.values_list("name", "data")), AuditEntry.objects.count())
    assert after == before
    assert not Feature.objects.filter(key="credit_amount").exists()


def test_a_broken_currency_refuses_the_load(db, tmp_path):
    with pytest.raises(CommandError, match="currency: unknown keys colour"):
        call_command("load_config", "--config-dir", str(write_config(tmp_path / "lender",
                                                                     currency={"code": "EUR", "colour": "red"})))
    assert not Bank.objects.exists()


def test_replace_refuses_while_demo_models_are_active_and_names_the_option(models_ready, tmp_path):
    active = set(ModelVersion.objects.filter(active=True).values_list("pk", flat=True))
    assert len(active) == 5
    with pytest.raises(CommandError, match="active models use it .*--deactivate-models"):
        call_command("load_config", "--config-dir", str(write_config(tmp_path / "lender")), "--replace")
    assert set(ModelVersion.objects.filter(active=True).values_list("pk", flat=True)) == active
    assert Feature.objects.filter(active=True).count() == 16 and not Bank.objects.filter(code="lender").exists()
    assert product_config.currency()["code"] == "RUB"


def test_replace_with_deactivate_models_swaps_the_demo_questionnaire(models_ready, tmp_path, officer, token_client,
                                                                    django_capture_on_commit_callbacks):
    active = sorted(ModelVersion.objects.filter(active=True).values_list("pk", flat=True))
    out = call_command_output("load_config", "--config-dir", str(write_config(tmp_path / "lender")),
                              "--replace", "--deactivate-models")
    assert "models deactivated" in out
    assert not ModelVersion.objects.filter(active=True).exists()
    assert list(Bank.objects.filter(active=True).values_list("code", flat=True)) == ["lender"]
    entries = AuditEntry.objects.filter(action="deactivate", object_type="scoring.modelversion")
    assert sorted(int(e.object_id) for e in entries) == active
    assert all(e.before["version"] == int(e.object_id) and e.after is None for e in entries)

    # No bank has a model now: an application is taken and ends "failed" with the reason, not a 500.
    api = token_client(officer)
    answers = {"checking_account": "positive", "duration": 12, "credit_amount": 3000, "age": 40,
               "housing": "own", "savings": "little"}
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post("/api/v1/applications/", {"answers": answers}, format="json")
    assert response.status_code == 202, response.json()
    application = Application.objects.get()
    assert application.status == Application.Status.FAILED and "Нет активных моделей" in application.error
    assert api.get(response.json()["url"]).status_code == 200


def call_command_output(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def docs_example() -> dict[str, str]:
    """The example of docs/configuration.md: file name -> the code block that follows `name`:."""
    text = (Path(settings.BASE_DIR) / "docs" / "configuration.md").read_text(encoding="utf-8")
    example = text.split("## Example: another lender's questionnaire", 1)[1]
    blocks = re.findall(r"^`([\w.]+)`:\n\n```\w+\n(.*?)```", example, re.MULTILINE | re.DOTALL)
    history = re.search(r"The history it reads:\n\n```text\n(.*?)```", example, re.DOTALL).group(1)
    return {**dict(blocks), "history.csv": history}


def test_the_example_of_the_configuration_reference_loads_and_imports(models_ready, tmp_path):
    files = docs_example()
    assert sorted(files) == ["banks.yaml", "features.yaml", "history.csv", "import.yaml"]
    for name, content in files.items():
        (tmp_path / name).write_text(content, encoding="utf-8")
    call_command("load_config", "--config-dir", str(tmp_path), "--replace", "--deactivate-models")
    assert Feature.objects.filter(active=True).count() == 6
    assert [d["key"] for d in product_config.derived_entries()] == ["monthly_payment"]
    assert product_config.currency()["symbol"] == "€"
    assert import_mapping()["decision_values"]["denied"] == ["bad"]
    report = import_decisions_csv(path=tmp_path / "history.csv")
    assert report.rows_imported == 3, report
    assert HistoricalApplication.objects.get(external_id="3").answers["housing"] is None


def test_bootstrap_loads_the_given_directory_and_may_train_nothing(db, tmp_path):
    out = call_command_output("bootstrap", "--config-dir", str(write_config(tmp_path / "lender")), "--no-train",
                              "--no-demo-users")
    assert "documents: 3 created" in out
    assert list(Bank.objects.values_list("code", flat=True)) == ["lender"]
    assert not ModelVersion.objects.exists()
