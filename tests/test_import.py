import csv
import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from scoring.engine.config import default_derived_specs
from scoring.engine.training import train_all_banks
from scoring.modelops.importing import historical_frame, import_decisions_csv
from scoring.models import Bank, Feature, HistoricalApplication, ImportBatch
from tests.helpers import BANKS, HISTORY_HEADER, generated_history, legacy_row, run_command, write_csv


def run_import(path, **options) -> str:
    return run_command("import_applications", path, **options)


def run_import_refused(path, **options) -> tuple[str, str]:
    """(stdout, CommandError message) of an import that must fail."""
    out = io.StringIO()
    with pytest.raises(CommandError) as refused:
        call_command("import_applications", str(path), stdout=out, **options)
    return out.getvalue(), str(refused.value)


def generated_file(tmp_path, rows: int, seed: int = 5):
    return generated_history(tmp_path / f"synthetic-{rows}-{seed}.csv", rows=rows, seed=seed)


def test_generated_data_round_trips(configured, tmp_path):
    path = generated_file(tmp_path, 300)
    output = run_import(path)
    assert "строк всего 300, загружено 300, с пометками 0, пропущено 0, пустых 0" in output
    with open(path, encoding="utf-8", newline="") as fh:
        written = list(csv.DictReader(fh, delimiter=";"))
    stored = list(HistoricalApplication.objects.order_by("row_number"))
    assert len(stored) == 300
    columns = dict(Bank.objects.values_list("code", "csv_decision_column"))
    for row, application in zip(written, stored):
        assert application.external_id == row["SkillFactory_Id"]
        assert application.decisions == {code: row[column] for code, column in columns.items()}
        assert application.answers["month_profit"] == int(row["MonthProfit"])
        assert application.answers["loan_term"] == row["Loan_term"]
        assert set(application.p_true) == set(BANKS)
    batch = ImportBatch.objects.get()
    assert (batch.rows_total, batch.rows_imported, batch.rows_rejected, batch.rows_empty) == (300, 300, 0, 0)
    assert batch.rows_flagged == 0 and batch.report["rows"]["imported"] == 300 and batch.report["flagged"] == []
    assert batch.file_name == path.name and len(batch.sha256) == 64


def test_it_imports_a_file_with_the_legacy_quirks(configured, tmp_path):
    header = HISTORY_HEADER + ["BankA_p_true", "BankC_p_true", "Comment"]
    rows = [
        legacy_row(BankA_p_true="0.81", BankC_p_true="0.4", Comment="проверено"),
        legacy_row(SkillFactory_Id="658.0", BirthDate="1988-07-21 00:00:00.0000000",
                   JobStartDate="2013-09-01 00:00:00.000000000", BankA_decision="SUCCESS",
                   BankB_decision="Error", BankA_p_true="0.5", BankC_p_true="0.61"),
        {column: "" for column in header},
        None,
        legacy_row(SkillFactory_Id="660", **{"employment status": "Студент"}, Value="", JobStartDate="",
                   Position="", Gender="", SNILS="", ChildCount="0.0", BankD_decision="",
                   BankA_p_true="0.2", BankC_p_true="0.3"),
    ]
    path = write_csv(tmp_path / "legacy.csv", rows, header=header)

    output = run_import(path)

    assert "строк всего 5, загружено 3, с пометками 0, пропущено 0, пустых 2" in output
    assert "Comment" in output
    first, second, student = HistoricalApplication.objects.order_by("row_number")
    assert [first.row_number, second.row_number, student.row_number] == [2, 3, 6]
    assert first.external_id == "657"
    assert first.answers["birth_date"] == second.answers["birth_date"] == "1988-07-21"
    assert second.answers["job_start_date"] == "2013-09-01"
    assert first.answers["position"] == "Менеджер"
    assert (first.answers["month_profit"], first.answers["child_count"], first.answers["merch_code"]) == (145000, 1, 12)
    assert (first.answers["gender"], first.answers["loan_term"], first.answers["snils"]) == ("1", "12", True)
    assert first.decisions == {"bank_a": "success", "bank_b": "denied", "bank_c": "error",
                               "bank_d": "success", "bank_e": "denied"}
    assert second.decisions["bank_a"] == "success" and second.decisions["bank_b"] == "error"
    assert first.p_true == {"bank_a": 0.81, "bank_c": 0.4}
    assert "bank_d" not in student.decisions
    assert student.answers["work_experience"] is None and student.answers["gender"] is None
    assert student.answers["snils"] is None and student.answers["child_count"] == 0


def test_bad_values_are_stored_as_missing_or_kept_and_every_row_is_listed(configured, tmp_path):
    rows = [legacy_row(), legacy_row(BirthDate="1988-21-07"), legacy_row(),
            legacy_row(Loan_term="7", BankB_decision="maybe"), legacy_row()]
    path = write_csv(tmp_path / "bad.csv", rows)

    output = run_import(path)

    assert "строк всего 5, загружено 5, с пометками 2, пропущено 0, пустых 0" in output
    assert ("строка 3: birth_date: Значение «1988-21-07» не прочитано (Введите дату в формате ГГГГ-ММ-ДД.): "
            "сохранено как пропуск.") in output
    assert "строка 5: loan_term: Значения «7» нет среди вариантов анкеты: сохранено как новая категория." in output
    assert "строка 5: bank_b: Решение «maybe» в колонке «BankB_decision»" in output
    assert "новая категория: loan_term (Loan_term) «7»: строк 1" in output
    assert "строка 2" not in output and "строка 4" not in output
    by_row = {a.row_number: a for a in HistoricalApplication.objects.all()}
    assert len(by_row) == 5 and by_row[2].flags == {}
    assert by_row[3].answers["birth_date"] is None and list(by_row[3].flags) == ["birth_date"]
    assert by_row[5].answers["loan_term"] == "7" and "bank_b" not in by_row[5].decisions
    assert by_row[5].decisions["bank_a"] == "success" and sorted(by_row[5].flags) == ["bank_b", "loan_term"]
    batch = ImportBatch.objects.get()
    assert (batch.rows_imported, batch.rows_flagged, batch.rows_rejected) == (5, 2, 0)
    assert [entry["row"] for entry in batch.report["flagged"]] == [3, 5]
    assert batch.report["unseen"] == {"loan_term": {"7": 1}}


def test_the_service_reports_flags_with_reasons(configured, tmp_path):
    path = write_csv(tmp_path / "bad.csv", [legacy_row(MonthProfit="много"), legacy_row(),
                                            legacy_row(education="", ChildCount="1.5")])
    report = import_decisions_csv(path=path)
    assert report.accepted and report.rows_imported == 3 and report.batch is not None
    assert [number for number, _flags in report.flagged] == [2, 4]
    assert report.flagged[0][1] == {
        "month_profit": ["Значение «много» не прочитано (Введите число.): сохранено как пропуск."]}
    assert report.flagged[1][1] == {
        "education": ["Обязательное поле пусто: сохранено как пропуск."],
        "child_count": ["Значение «1.5» не прочитано (Введите целое число.): сохранено как пропуск."]}
    assert report.flag_counts[("education", "Обязательное поле пусто: сохранено как пропуск.")] == 1
    stored = HistoricalApplication.objects.get(row_number=4)
    assert stored.answers["education"] is None and stored.answers["child_count"] is None


def test_the_same_file_is_not_imported_twice(configured, tmp_path):
    path = write_csv(tmp_path / "history.csv", [legacy_row(), legacy_row(SkillFactory_Id="2")])
    run_import(path)
    copy = tmp_path / "renamed.csv"
    copy.write_bytes(path.read_bytes())

    for again in (path, copy):
        _output, error = run_import_refused(again)
        assert "уже загружен" in error and "history.csv" in error
    assert HistoricalApplication.objects.count() == 2 and ImportBatch.objects.count() == 1


def test_a_dry_run_checks_without_storing(configured, tmp_path):
    path = write_csv(tmp_path / "history.csv", [legacy_row(), None])
    output = run_import(path, dry_run=True)
    assert "проверка без записи" in output
    assert not HistoricalApplication.objects.exists() and not ImportBatch.objects.exists()
    run_import(path)
    assert HistoricalApplication.objects.count() == 1


def test_a_missing_column_is_named(configured, tmp_path):
    header = [column for column in HISTORY_HEADER if column not in ("BirthDate", "BankC_decision")]
    path = write_csv(tmp_path / "short.csv", [legacy_row()], header=header)
    _output, error = run_import_refused(path)
    assert "«BirthDate»" in error and "«BankC_decision»" in error
    assert not ImportBatch.objects.exists()


def test_columns_come_from_the_configuration(configured, tmp_path):
    Feature.objects.filter(key="birth_date").update(csv_column="Дата рождения")
    Bank.objects.filter(code="bank_a").update(csv_decision_column="Bank1")
    header = ["Дата рождения" if c == "BirthDate" else "Bank1" if c == "BankA_decision" else c for c in HISTORY_HEADER]
    row = legacy_row(**{"Дата рождения": "1990-01-02", "Bank1": "denied"})
    run_import(write_csv(tmp_path / "renamed.csv", [row], header=header))
    application = HistoricalApplication.objects.get()
    assert application.answers["birth_date"] == "1990-01-02" and application.decisions["bank_a"] == "denied"


@pytest.mark.parametrize("problem, expected", [
    ("missing", "не найден"),
    ("not_utf8", "UTF-8"),
    ("commas", "Найден разделитель «,»"),
    ("empty", "пуст"),
])
def test_an_unreadable_file_is_refused_with_a_clear_message(configured, tmp_path, problem, expected):
    path = tmp_path / "history.csv"
    if problem == "not_utf8":
        write_csv(path, [legacy_row()], encoding="cp1251")
    elif problem == "commas":
        write_csv(path, [legacy_row()], sep=",")
    elif problem == "empty":
        path.write_bytes(b"")
    _output, error = run_import_refused(path)
    assert expected in error


def test_it_needs_the_configuration(db, tmp_path):
    _output, error = run_import_refused(write_csv(tmp_path / "history.csv", [legacy_row()]))
    assert "load_config" in error


def test_historical_frame_is_what_training_takes(configured, tmp_path):
    run_import(generated_file(tmp_path, 1500, seed=11))
    codes = list(Bank.objects.order_by("code").values_list("code", flat=True))

    frame = historical_frame(codes)

    keys = list(Feature.objects.filter(active=True).values_list("key", flat=True))
    assert len(frame) == 1500 and frame.attrs["as_of"] == timezone.localdate()
    assert set(frame.columns) == {*keys, *(f"{c}_decision" for c in codes), *(f"{c}_p_true" for c in codes),
                                  "_row_key"}
    assert frame["_row_key"].is_unique
    assert set(frame["bank_a_decision"]) <= {"success", "denied", "error"}
    specs = [f.to_spec() for f in Feature.objects.filter(active=True, used_by_model=True)]
    encoder, models = train_all_banks(frame, specs, codes, derived=default_derived_specs(), seed=3,
                                      as_of=frame.attrs["as_of"])
    assert sorted(models) == codes
    for model in models.values():
        assert 0.0 <= model.metrics["auc"] <= 1.0 and "oracle_auc" in model.metrics
        assert model.metrics["n_test"] > 250


def test_historical_frame_leaves_out_probabilities_some_rows_lack(configured, tmp_path):
    header = HISTORY_HEADER + ["BankA_p_true"]
    run_import(write_csv(tmp_path / "h.csv", [legacy_row(BankA_p_true="0.7"), legacy_row(BankA_p_true="")],
                         header=header))
    frame = historical_frame(["bank_a"])
    assert "bank_a_p_true" not in frame.columns and list(frame["bank_a_decision"]) == ["success", "success"]


def test_decisions_made_years_ago_keep_the_ages_the_banks_saw(tmp_path, configured):
    import datetime as dt

    path = write_csv(tmp_path / "old.csv", [legacy_row(BirthDate="2000-01-01", JobStartDate="2019-01-01")])
    output = run_import(path, decided_on=dt.date(2020, 1, 1))
    assert "загружено 1" in output
    assert ImportBatch.objects.get().decided_on == dt.date(2020, 1, 1)
    frame = historical_frame(BANKS)
    today = timezone.localdate()
    age = (today - dt.date.fromisoformat(frame.loc[0, "birth_date"])).days / 365.25
    tenure = (today - dt.date.fromisoformat(frame.loc[0, "job_start_date"])).days / 365.25
    assert age == pytest.approx(20.0, abs=0.01) and tenure == pytest.approx(1.0, abs=0.01)


def test_ages_are_checked_on_the_day_of_the_decisions(tmp_path, configured):
    import datetime as dt

    # 17 on the day of the decisions, though an adult today: the row is kept and flagged.
    path = write_csv(tmp_path / "minor.csv", [legacy_row(BirthDate="2003-01-01", JobStartDate="")])
    output = run_import(path, decided_on=dt.date(2020, 1, 1))
    assert ("строка 2: birth_date: Возраст клиента должен быть не меньше 18 лет. Значение «2003-01-01» сохранено."
            in output)
    stored = HistoricalApplication.objects.get()
    assert stored.answers["birth_date"] == "2003-01-01" and list(stored.flags) == ["birth_date"]


def test_a_decision_date_in_the_future_is_refused(tmp_path, configured):
    import datetime as dt

    path = write_csv(tmp_path / "future.csv", [legacy_row()])
    _output, error = run_import_refused(path, decided_on=timezone.localdate() + dt.timedelta(days=1))
    assert "ещё не наступила" in error and not ImportBatch.objects.exists()
