"""The import mapping is configuration: a sixth bank added in the admin is imported and trained from
its decision column; the words meaning approval, refusal and error come from import.yaml."""
import yaml
from admin_post import rules_post

from scoring.modelops.configuration import export_config, load_config
from scoring.modelops.importing import import_decisions_csv
from scoring.models import Bank, HistoricalApplication, ModelVersion, TrainingRun
from tests.helpers import generated_history


def test_a_sixth_bank_added_in_the_admin_is_imported_and_trained(admin_client, tmp_path,
                                                                   django_capture_on_commit_callbacks):
    response = admin_client.post("/admin/scoring/bank/add/", {
        "code": "bank_f", "name": "Банк Е", "active": "on", "annual_rate": "18.00", "min_amount": "4000",
        "max_amount": "200000", "terms": "6, 12, 18, 24", "approval_threshold": "50",
        "csv_decision_column": "BankF_decision", **rules_post([])})
    assert response.status_code == 302
    path = generated_history(tmp_path / "history.csv", rows=3000, seed=11)
    assert "BankF_decision" in path.read_text(encoding="utf-8").splitlines()[0]

    report = import_decisions_csv(path=path)
    assert report.accepted and report.rows_imported == 3000
    assert all("bank_f" in d for d in HistoricalApplication.objects.values_list("decisions", flat=True)[:50])

    bank = Bank.objects.get(code="bank_f")
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post("/admin/scoring/modelversion/train/", {"source": "imported", "banks": [bank.pk],
                                                                  "rows": "20000"})
    run = TrainingRun.objects.get()
    assert run.status == TrainingRun.Status.DONE, run.message
    [outcome] = run.outcomes
    assert outcome["bank"] == "bank_f" and outcome["activated"], outcome["reason"]
    version = ModelVersion.objects.get(pk=outcome["version"])
    assert version.active and version.training_data.startswith("imported: 3 000 rows")


def test_decision_words_come_from_import_yaml(configured, tmp_path):
    config_dir = tmp_path / "configs"
    export_config(config_dir)
    (config_dir / "import.yaml").write_text(yaml.safe_dump(
        {"id_column": "Номер", "decision_values": {"success": ["одобрено"], "denied": ["отказ"], "error": ["сбой"]}},
        allow_unicode=True), encoding="utf-8")
    load_config(config_dir)  # the loaded mapping is the one import reads, whichever directory it came from
    path = generated_history(tmp_path / "history.csv", rows=40, seed=3)
    text = path.read_text(encoding="utf-8").replace("SkillFactory_Id", "Номер")
    text = text.replace(";success", ";Одобрено").replace(";denied", ";отказ").replace(";error", ";сбой")
    path.write_text(text, encoding="utf-8")

    report = import_decisions_csv(path=path)
    assert report.accepted, report.rejected[:2]
    stored = HistoricalApplication.objects.order_by("row_number").first()
    assert set(stored.decisions.values()) <= {"success", "denied", "error"}
    assert stored.external_id == "1"


def test_it_drops_and_flags_a_decision_word_the_mapping_does_not_know(configured, tmp_path):
    path = generated_history(tmp_path / "history.csv", rows=5, seed=3)
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[1] = lines[1].replace(";success", ";maybe", 1).replace(";denied", ";maybe", 1)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = import_decisions_csv(path=path)
    assert report.rows_imported == 5 and report.rows_flagged == 1  # the row is kept without those two decisions
    row, flags = report.flagged[0]
    assert row == 2 and len(flags) == 2
    message = next(iter(flags.values()))[0]
    assert "success, denied, error" in message and "«maybe»" in message
    stored = HistoricalApplication.objects.get(row_number=2)
    assert set(flags) == set(stored.flags) and not set(flags) & set(stored.decisions)
