"""Import that keeps history: missing-value markers, history's rules (flag, do not refuse), rows skipped only
without a usable decision, the decision day per row, the report, and leaving flagged rows out of training."""
import csv
import datetime as dt
import io
import shutil

import pytest
import yaml
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.utils import timezone

from scoring.modelops.configuration import load_config, validate_import_mapping
from scoring.modelops.importing import historical_frame, import_decisions_csv
from scoring.models import HistoricalApplication, ImportBatch
from tests.helpers import BANKS, HISTORY_HEADER, ROOT, legacy_row, run_command, write_csv

NO_DECISIONS = {f"Bank{letter}_decision": "" for letter in "ABCDE"}


def use_import_mapping(settings, tmp_path, **keys):
    """A copy of configs/ whose import.yaml has these keys, loaded as the configuration in use."""
    config_dir = tmp_path / "configs"
    shutil.copytree(ROOT / "configs", config_dir)
    path = config_dir / "import.yaml"
    path.write_text(yaml.safe_dump({**yaml.safe_load(path.read_text(encoding="utf-8")), **keys},
                                   allow_unicode=True), encoding="utf-8")
    settings.PRESCORING = {**settings.PRESCORING, "CONFIG_DIR": config_dir}
    load_config(config_dir)
    return config_dir


def age_in_frame(frame, row: int) -> float:
    return (timezone.localdate() - dt.date.fromisoformat(frame.loc[row, "birth_date"])).days / 365.25


def test_null_markers_are_missing_in_every_column_the_text_too(configured, tmp_path):
    path = write_csv(tmp_path / "nulls.csv", [
        legacy_row(Position="NULL", Gender="NULL", JobStartDate=" NULL ", Value="nan", SNILS="N/A",
                   ChildCount="NULL", BankE_decision="NULL"),
        legacy_row(Position="Null"),  # markers are compared case-sensitively: "Null" is not listed
    ])
    report = import_decisions_csv(path=path)

    first, second = HistoricalApplication.objects.order_by("row_number")
    for key in ("position", "gender", "job_start_date", "work_experience", "snils", "child_count"):
        assert first.answers[key] is None, key
    assert "bank_e" not in first.decisions and first.decisions["bank_a"] == "success"
    # child_count is required: the form would never have sent it empty, so the row is flagged, not refused.
    assert first.flags == {"child_count": ["Обязательное поле пусто: сохранено как пропуск."]}
    assert second.answers["position"] == "Null" and second.flags == {}
    assert report.rows_imported == 2 and report.rows_flagged == 1


def test_implausible_rows_are_stored_as_they_are_and_flagged(configured, tmp_path):
    path = write_csv(tmp_path / "odd.csv", [
        legacy_row(BirthDate="1990-05-01", JobStartDate="2004-09-01"),  # a job at 14
        legacy_row(BirthDate="1930-01-01", JobStartDate=""),            # 90 years old, over max_age 83
        legacy_row(MonthProfit="20000000", Position="x" * 250),         # over max_value and max_length
        legacy_row(),
    ])
    output = run_command("import_applications", path, decided_on=dt.date(2024, 1, 1))

    assert "загружено 4, с пометками 3, пропущено 0" in output
    job, old, rich, plain = HistoricalApplication.objects.order_by("row_number")
    assert job.answers["job_start_date"] == "2004-09-01"
    assert job.flags == {"job_start_date": [
        "Дата начала работы должна быть не раньше 16-летия клиента. Значение «2004-09-01» сохранено."]}
    assert old.answers["birth_date"] == "1930-01-01"
    assert old.flags == {"birth_date": [
        "Возраст клиента должен быть не больше 83 лет. Значение «1930-01-01» сохранено."]}
    assert rich.answers["month_profit"] == 20_000_000 and len(rich.answers["position"]) == 250
    assert sorted(rich.flags) == ["month_profit", "position"]
    assert plain.flags == {}
    assert "строка 2: job_start_date:" in output and "строка 3: birth_date:" in output


def test_unknown_categories_are_kept_and_counted(configured, tmp_path):
    path = write_csv(tmp_path / "unseen.csv", [
        legacy_row(Goods_category="Electronics"), legacy_row(Goods_category="Electronics"),
        legacy_row(Goods_category="Appliances", education="Среднее специальное"), legacy_row(),
    ])
    output = run_command("import_applications", path)

    stored = list(HistoricalApplication.objects.order_by("row_number"))
    assert [a.answers["goods_category"] for a in stored] == ["Electronics", "Electronics", "Appliances",
                                                              "Mobile_devices"]
    assert stored[2].answers["education"] == "Среднее специальное"
    batch = ImportBatch.objects.get()
    assert batch.report["unseen"] == {"goods_category": {"Electronics": 2, "Appliances": 1},
                                      "education": {"Среднее специальное": 1}}
    assert batch.rows_flagged == 3
    assert "новая категория: goods_category (Goods_category) «Electronics»: строк 2" in output


def test_the_encoder_reads_an_unseen_category_as_none_of_the_known_ones(configured, tmp_path):
    from scoring.engine.preprocessing import FeatureEncoder
    from scoring.models import Feature

    specs = [f.to_spec() for f in Feature.objects.filter(active=True, used_by_model=True)]
    encoder = FeatureEncoder(specs).fit([{"goods_category": "Travel"}])
    goods = [i for i, column in enumerate(encoder.columns) if column.startswith("goods_category=")]
    for records in ([{"goods_category": "Electronics"}], [{"goods_category": "Electronics"}] * 300):
        matrix = encoder.transform(records, as_of=dt.date(2024, 1, 1))
        assert matrix.shape[0] == len(records) and (matrix[:, goods] == 0).all()


def test_a_row_without_a_usable_decision_is_skipped_with_its_reason_and_the_others_stored(configured, tmp_path):
    path = write_csv(tmp_path / "undecided.csv", [
        legacy_row(),
        legacy_row(**NO_DECISIONS),
        legacy_row(BankA_decision="error", BankB_decision="error", BankC_decision="", BankD_decision="error",
                   BankE_decision="maybe"),
        legacy_row(SkillFactory_Id="4"),
    ])
    output = run_command("import_applications", path)

    assert "строк всего 4, загружено 2, с пометками 0, пропущено 2, пустых 0" in output
    assert "строка 3: пропущена: decisions: Нет ни одного решения банка: все колонки решений пусты." in output
    assert "строка 4: пропущена: decisions: Нет пригодного решения банка" in output
    assert "строка 4: пропущена: bank_e: Решение «maybe»" in output
    assert sorted(HistoricalApplication.objects.values_list("row_number", flat=True)) == [2, 5]
    batch = ImportBatch.objects.get()
    assert (batch.rows_imported, batch.rows_rejected, batch.rows_flagged) == (2, 2, 0)
    assert [entry["row"] for entry in batch.report["skipped"]] == [3, 4]
    assert batch.report["rows"] == {"total": 4, "imported": 2, "flagged": 0, "skipped": 2, "empty": 0}


def test_an_unknown_decision_word_drops_only_that_banks_decision(configured, tmp_path):
    path = write_csv(tmp_path / "word.csv", [legacy_row(BankC_decision="cancelled")])
    run_command("import_applications", path)
    stored = HistoricalApplication.objects.get()
    assert stored.decisions == {"bank_a": "success", "bank_b": "denied", "bank_d": "success", "bank_e": "denied"}
    assert list(stored.flags) == ["bank_c"] and "«cancelled»" in stored.flags["bank_c"][0]


@pytest.mark.parametrize("sep, named", [(",", "«,»"), ("\t", "«табуляция»"), ("|", "«|»")])
def test_a_wrong_separator_is_refused_naming_the_one_found(configured, tmp_path, sep, named):
    path = write_csv(tmp_path / "history.csv", [legacy_row()], sep=sep)
    with pytest.raises(CommandError) as refused:
        run_command("import_applications", path)
    assert f"Найден разделитель {named}" in str(refused.value) and "«;»" in str(refused.value)
    assert not ImportBatch.objects.exists()


def test_the_delimiter_comes_from_import_yaml(configured, tmp_path, settings):
    use_import_mapping(settings, tmp_path, delimiter=",")
    path = write_csv(tmp_path / "commas.csv", [legacy_row(Position="Менеджер")], sep=",")
    run_command("import_applications", path)
    assert HistoricalApplication.objects.get().answers["position"] == "Менеджер"


def test_a_dry_run_prints_the_report_and_stores_nothing(configured, tmp_path):
    path = write_csv(tmp_path / "history.csv", [legacy_row(), legacy_row(JobStartDate="1990-01-01"),
                                                legacy_row(**NO_DECISIONS)])
    output = run_command("import_applications", path, dry_run=True)
    assert "строк всего 3, загружено 2, с пометками 1, пропущено 1" in output
    assert "строка 3: job_start_date:" in output and "строка 4: пропущена:" in output
    assert "ничего не сохранено" in output
    assert not HistoricalApplication.objects.exists() and not ImportBatch.objects.exists()


def test_the_report_file_lists_every_flagged_and_skipped_row(configured, tmp_path):
    rows = [legacy_row(Goods_category=f"New{i}") for i in range(30)] + [legacy_row(**NO_DECISIONS), legacy_row()]
    path = write_csv(tmp_path / "history.csv", rows)
    report = tmp_path / "report.csv"
    run_command("import_applications", path, report=report)
    with open(report, encoding="utf-8", newline="") as fh:
        lines = list(csv.DictReader(fh, delimiter=";"))
    assert {int(line["row"]) for line in lines if line["status"] == "flagged"} == set(range(2, 32))
    assert [(line["row"], line["key"]) for line in lines if line["status"] == "skipped"] == [("32", "decisions")]
    assert {line["column"] for line in lines if line["status"] == "flagged"} == {"Goods_category"}


def test_the_decision_date_column_counts_each_rows_ages_to_its_own_day(configured, tmp_path, settings):
    use_import_mapping(settings, tmp_path, decision_date_column="Decided")
    header = HISTORY_HEADER + ["Decided"]
    path = write_csv(tmp_path / "dated.csv", [
        legacy_row(BirthDate="2003-06-01", JobStartDate="", Decided="01.01.2021"),       # 17 that day
        legacy_row(BirthDate="1980-01-01", JobStartDate="", Decided="2020-01-01 00:00:00"),  # 40 that day
        legacy_row(BirthDate="1980-01-01", JobStartDate="", Decided=""),                 # the file's day
        legacy_row(BirthDate="1980-01-01", JobStartDate="", Decided="вчера"),
    ], header=header)
    run_command("import_applications", path, decided_on=dt.date(2010, 1, 1))

    minor, dated, undated, unreadable = HistoricalApplication.objects.order_by("row_number")
    assert (minor.decided_on, dated.decided_on, undated.decided_on) == (dt.date(2021, 1, 1), dt.date(2020, 1, 1), None)
    assert list(minor.flags) == ["birth_date"] and "не меньше 18" in minor.flags["birth_date"][0]
    assert dated.flags == {} and undated.flags == {}
    assert unreadable.decided_on is None and "«вчера»" in unreadable.flags["decided_on"][0]
    frame = historical_frame(BANKS)
    assert 17.0 < age_in_frame(frame, 0) < 17.6  # still 17, however long ago that was
    assert age_in_frame(frame, 1) == pytest.approx(40.0, abs=0.01)
    assert age_in_frame(frame, 2) == pytest.approx(30.0, abs=0.01)  # counted to --decided-on


def test_a_missing_decision_date_column_is_named(configured, tmp_path, settings):
    use_import_mapping(settings, tmp_path, decision_date_column="Decided")
    with pytest.raises(CommandError, match="«Decided»"):
        run_command("import_applications", write_csv(tmp_path / "h.csv", [legacy_row()]))


def test_flagged_rows_can_be_left_out_of_training(configured, tmp_path, settings):
    run_command("import_applications", write_csv(tmp_path / "h.csv", [
        legacy_row(), legacy_row(JobStartDate="1990-01-01"), legacy_row(Goods_category="Electronics")]))
    assert len(historical_frame(BANKS)) == 3
    settings.PRESCORING = {**settings.PRESCORING, "TRAIN_EXCLUDE_FLAGGED": True}
    frame = historical_frame(BANKS)
    assert len(frame) == 1 and frame.loc[0, "goods_category"] == "Mobile_devices"


def test_the_exclusion_setting_comes_from_the_environment():
    from tests.helpers import settings_with

    assert settings_with({})["settings"]["PRESCORING"]["TRAIN_EXCLUDE_FLAGGED"] is False
    on = settings_with({"PRESCORING_TRAIN_EXCLUDE_FLAGGED": "1"})
    assert on["settings"]["PRESCORING"]["TRAIN_EXCLUDE_FLAGGED"] is True


def test_a_messy_generated_legacy_file_imports_at_least_99_percent_of_its_decided_rows(configured, tmp_path):
    path = tmp_path / "legacy.csv"
    out = io.StringIO()
    call_command("generate_training_data", rows=1500, seed=8, messy=True, out=str(path), stdout=out)
    text = path.read_text(encoding="utf-8")
    assert "NULL" in text and "DecisionDate" in text.splitlines()[0]
    with open(path, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter=";"))
    decided = sum(any(row[f"Bank{letter}_decision"] in ("success", "denied") for letter in "ABCDE") for row in rows)

    report = import_decisions_csv(path=path)

    assert report.rows_imported >= 0.99 * decided and report.rows_imported + report.rows_skipped == len(rows)
    assert report.rows_flagged >= 0.05 * len(rows)  # the generator's share of odd rows (8 %) shows
    assert {key for key, _value in report.unseen.items()} <= {"goods_category", "education"} and report.unseen
    flagged = set(HistoricalApplication.objects.exclude(flags={}).values_list("row_number", flat=True))
    assert flagged == {row for row, _flags in report.flagged}


@pytest.mark.parametrize("mapping, message", [
    ({"missing_values": [None, "nan"]}, "unquoted null"),
    ({"missing_value": ["NULL"]}, "unknown keys missing_value"),
    ({"delimiter": ";;"}, "delimiter"),
    ({"missing_values": ["error"]}, "means both error and a missing value"),
])
def test_a_broken_import_mapping_is_refused(mapping, message):
    with pytest.raises(ValidationError, match=message):
        validate_import_mapping(mapping)


def test_the_default_mapping_reads_null_markers():
    mapping = validate_import_mapping(yaml.safe_load((ROOT / "configs" / "import.yaml").read_text(encoding="utf-8")))
    assert {"NULL", "null", "nan", ""} <= set(mapping["missing_values"])
    assert (mapping["delimiter"], mapping["decision_date_column"]) == (";", "")


def test_day_first_dates_of_an_export_are_read_as_the_same_day(configured, tmp_path):
    path = write_csv(tmp_path / "dates.csv", [
        legacy_row(BirthDate="21.07.1988", JobStartDate="01/03/2015 00:00:00"),
        legacy_row(BirthDate="1988-13-45"),  # not a date in any reading: missing and flagged
    ])
    import_decisions_csv(path=path)
    dotted, broken = HistoricalApplication.objects.order_by("row_number")
    assert dotted.answers["birth_date"] == "1988-07-21" and dotted.answers["job_start_date"] == "2015-03-01"
    assert dotted.flags == {}
    assert broken.answers["birth_date"] is None and "birth_date" in broken.flags


def test_an_income_with_a_comma_before_three_digits_is_flagged_not_read_as_seventy(configured, tmp_path):
    """An English export writes 70,000 for seventy thousand; a decimal comma would read 70. The row is
    kept, the income stored as missing with both readings in the flag, never as 70."""
    path = write_csv(tmp_path / "commas.csv", [legacy_row(MonthProfit="70,000"), legacy_row(MonthProfit="70000,50")])
    report = import_decisions_csv(path=path)
    grouped, decimal = HistoricalApplication.objects.order_by("row_number")
    assert grouped.answers["month_profit"] is None
    assert grouped.flags == {"month_profit": [
        "Значение «70,000» не прочитано («70,000» можно прочитать и как 70, и как 70 000: тысячи отделяйте "
        "пробелом, дробную часть — запятой.): сохранено как пропуск."]}
    assert decimal.answers["month_profit"] == 70000.5 and decimal.flags == {}
    assert report.rows_imported == 2 and report.rows_flagged == 1
