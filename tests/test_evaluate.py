import datetime as dt
import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from scoring.models import ModelVersion
from tests.helpers import BANKS, generated_history


def generated_file(tmp_path, rows: int = 2000, seed: int = 9):
    return generated_history(tmp_path / f"labelled-{rows}-{seed}.csv", rows=rows, seed=seed)


def run_evaluate(*args, **options) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("evaluate", *map(str, args), stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue()


def test_json_gives_each_bank_auc_brier_n_and_the_oracle(models_ready, tmp_path):
    out, _err = run_evaluate(generated_file(tmp_path), "--json")

    figures = json.loads(out)
    assert sorted(figures) == BANKS
    versions = dict(ModelVersion.objects.filter(active=True).values_list("bank__code", "pk"))
    for code, bank in figures.items():
        assert 0.0 <= bank["auc"] <= 1.0 and 0.0 <= bank["brier"] <= 0.25
        assert 1950 <= bank["n"] <= 2000  # about 1 % of decisions are 'error', not answers
        assert abs(bank["auc"] - bank["oracle_auc"]) < 0.1
        assert bank["version"] == versions[code]


def test_the_table_names_every_bank_and_the_counts(models_ready, tmp_path):
    today = timezone.localdate().isoformat()  # the day generate_training_data dates its rows to
    out, _err = run_evaluate(generated_file(tmp_path, rows=300), "--as-of", today)

    assert "300 rows, 300 scored, 0 skipped" in out and f"as of {today}" in out
    assert "oracle AUC" in out
    assert all(code in out for code in BANKS)


def edit_cells(path, changes: dict[int, dict[str, str]]) -> None:
    """Set cells of a generated file: {line number (header = 0): {column: text}}."""
    lines = path.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(";")
    for number, cells in changes.items():
        row = lines[number].split(";")
        for column, text in cells.items():
            row[header.index(column)] = text
        lines[number] = ";".join(row)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_rows_with_odd_answers_are_scored_and_only_rows_without_a_decision_skipped(models_ready, tmp_path):
    path = generated_file(tmp_path, rows=300)
    undecided = {f"Bank{letter}_decision": "error" for letter in "ABCDE"}
    edit_cells(path, {1: {"BirthDate": "1988-21-07"}, 2: {"JobStartDate": "NULL", "Position": "NULL"},
                      3: {"Goods_category": "Electronics", "MonthProfit": "много"}, 4: undecided})

    out, _err = run_evaluate(path)
    assert "300 rows, 299 scored, 1 skipped (no usable bank decision)" in out
    assert "2 scored with odd values" in out  # NULL in optional fields is plain missing
    assert "skipped line 5: decisions: Нет пригодного решения банка" in out
    assert "birth_date" not in out

    out, err = run_evaluate(path, "--json")
    assert all(bank["n"] <= 299 for bank in json.loads(out).values())
    assert "1 row(s) skipped: no usable bank decision" in err


def test_the_configured_decision_words_and_id_column_are_read(models_ready, tmp_path, settings):
    from tests.test_import_history import use_import_mapping

    path = generated_file(tmp_path, rows=300)
    expected, _err = run_evaluate(path, "--json")
    use_import_mapping(settings, tmp_path, id_column="AppNo",
                       decision_values={"success": ["good"], "denied": ["bad"], "error": ["failed"]})
    text = path.read_text(encoding="utf-8").replace("SkillFactory_Id", "AppNo")
    text = text.replace(";success", ";good").replace(";denied", ";Bad").replace(";error", ";failed")
    path.write_text(text, encoding="utf-8")

    out, err = run_evaluate(path, "--json")

    assert json.loads(out) == json.loads(expected) and not err
    table, _err = run_evaluate(path)
    assert "300 rows, 300 scored, 0 skipped" in table


def test_each_rows_decision_day_counts_its_ages(models_ready, tmp_path, settings):
    from tests.test_import_history import use_import_mapping

    path = generated_file(tmp_path, rows=300)
    expected, _err = run_evaluate(path, "--json")
    # The same file as if decided a year ago: dates a year earlier, with the day in a column of its own.
    use_import_mapping(settings, tmp_path, decision_date_column="Decided")
    lines = path.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(";")
    year_ago = timezone.localdate() - dt.timedelta(days=365)
    rows = []
    for line in lines[1:]:
        cells = line.split(";")
        for column in ("BirthDate", "JobStartDate"):
            i = header.index(column)
            if cells[i]:
                cells[i] = (dt.date.fromisoformat(cells[i]) - dt.timedelta(days=365)).isoformat()
        rows.append(";".join(cells + [year_ago.strftime("%d.%m.%Y")]))
    path.write_text("\n".join([lines[0] + ";Decided", *rows]) + "\n", encoding="utf-8")

    out, _err = run_evaluate(path, "--json")

    assert json.loads(out) == json.loads(expected)


def test_without_probability_columns_there_is_no_oracle(models_ready, tmp_path):
    path = generated_file(tmp_path, rows=300)
    lines = [line.split(";") for line in path.read_text(encoding="utf-8").splitlines()]
    keep = [i for i, column in enumerate(lines[0]) if not column.endswith("_p_true")]
    path.write_text("\n".join(";".join(row[i] for i in keep) for row in lines) + "\n", encoding="utf-8")

    out, _err = run_evaluate(path, "--json")

    assert all("oracle_auc" not in bank and "auc" in bank for bank in json.loads(out).values())


def test_a_missing_file_is_a_command_error(models_ready, tmp_path):
    with pytest.raises(CommandError, match="не найден"):
        run_evaluate(tmp_path / "nowhere.csv")


def test_a_missing_column_is_named(models_ready, tmp_path):
    path = tmp_path / "short.csv"
    path.write_text("SkillFactory_Id;BirthDate\n1;1988-07-21\n", encoding="utf-8")
    with pytest.raises(CommandError, match="«MonthProfit»"):
        run_evaluate(path)


def test_it_needs_active_models(configured, tmp_path):
    with pytest.raises(CommandError, match="manage.py train"):
        run_evaluate(generated_file(tmp_path, rows=50))


def test_a_bad_as_of_date_is_refused(models_ready, tmp_path):
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        run_evaluate(generated_file(tmp_path, rows=50), "--as-of", "2025-13-01")
