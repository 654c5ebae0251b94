import csv

import numpy as np
import pytest
from django.core.management import CommandError

from scoring.engine.synthetic import generate_applications
from scoring.models import Bank
from tests.helpers import HISTORY_HEADER, run_command

# The legacy header (HISTORY_HEADER) and the public data set's published shares (percent), from
# docs/data-format.md: the spec the generator is held to.
MISSING = "(missing)"
PUBLISHED_SHARES = {
    "education": {"Высшее - специалист": 80.2, "Среднее профессиональное": 7.1, "Среднее": 3.5,
                  "Неоконченное высшее": 3.5, "Бакалавр": 2.3, "Несколько высших": 1.7, "Магистр": 1.1,
                  "Неоконченное среднее": 0.5},
    "employment_status": {"Работаю по найму полный рабочий день/служу": 73.6, "Собственное дело": 23.1,
                          "Не работаю": 1.1, "Работаю по найму неполный рабочий день": 0.9, "Студент": 0.7,
                          "Декретный отпуск": 0.3, "Пенсионер": 0.3},
    "work_experience": {"10 и более лет": 54.7, "3 - 4 года": 8.0, "2 - 3 года": 7.6, "4 - 5 лет": 5.6,
                        "5 - 6 лет": 4.4, "1 - 2 года": 4.2, "6 - 7 лет": 3.8, "7 - 8 лет": 3.4, "8 - 9 лет": 2.3,
                        "6 месяцев - 1 год": 1.9, "9 - 10 лет": 1.3, "4 - 6 месяцев": 0.8,
                        "менее 4 месяцев": 0.5, MISSING: 1.2},
    "family_status": {"Никогда в браке не состоял(а)": 67.2, "Женат / замужем": 22.6,
                      "Разведён / Разведена": 7.4, "Гражданский брак / совместное проживание": 1.6,
                      "Вдовец / вдова": 0.7},
    "loan_term": {"6": 36.4, "12": 37.7, "18": 13.3, "24": 12.5},
    "gender": {"0": 68.7, "1": 30.8, MISSING: 0.6},
    "goods_category": {g: 100 / 7 for g in ("Furniture", "Mobile_devices", "Travel", "Medical_services",
                                            "Education", "Fitness", "Other")},
    "child_count": {"0": 93.4, "1": 3.1, "2": 2.3, "3": 0.5, "4+": 0.1},
}
PUBLISHED_QUARTILES = {"month_profit": (100_000, 145_000, 190_000), "loan_amount": (35_000, 68_000, 101_000)}
MAX_TOTAL_VARIATION = 0.05
MAX_QUARTILE_ERROR = 0.10


def total_variation(observed: dict[str, float], published: dict[str, float]) -> float:
    """Half the summed absolute difference of two distributions given as shares (categories not listed count 0)."""
    categories = set(observed) | set(published)
    return 0.5 * sum(abs(observed.get(c, 0.0) - published.get(c, 0.0)) for c in categories)


def observed_shares(values, field: str) -> dict[str, float]:
    labels = []
    for value in values:
        if value is None or (isinstance(value, float) and np.isnan(value)):
            labels.append(MISSING)
        elif field == "child_count":
            labels.append("4+" if int(value) >= 4 else str(int(value)))
        else:
            labels.append(str(value))
    unique, counts = np.unique(np.array(labels, dtype=object), return_counts=True)
    return {str(u): c / len(labels) for u, c in zip(unique, counts)}


@pytest.fixture(scope="module")
def synthetic():
    return generate_applications(20_000, seed=2024)


@pytest.mark.parametrize("field", sorted(PUBLISHED_SHARES))
def test_choice_marginals_match_data_md(synthetic, field):
    published = {c: share / 100 for c, share in PUBLISHED_SHARES[field].items()}
    distance = total_variation(observed_shares(synthetic[field], field), published)
    assert distance <= MAX_TOTAL_VARIATION, f"{field}: total variation {distance:.3f}"


@pytest.mark.parametrize("field", sorted(PUBLISHED_QUARTILES))
def test_quartiles_match_data_md(synthetic, field):
    observed = np.percentile(synthetic[field].astype(float), [25, 50, 75])
    for name, value, expected in zip(("p25", "p50", "p75"), observed, PUBLISHED_QUARTILES[field]):
        assert abs(value - expected) <= MAX_QUARTILE_ERROR * expected, f"{field} {name}: {value:.0f} vs {expected}"


def run_generate(**options) -> str:
    return run_command("generate_training_data", **options)


def test_it_writes_the_rows_in_data_md_format(configured, tmp_path):
    path = tmp_path / "train.csv"
    output = run_generate(rows=40, seed=3, out=str(path))
    assert "40 rows written" in output
    with open(path, encoding="utf-8", newline="") as fh:
        lines = list(csv.reader(fh, delimiter=";"))
    header, rows = lines[0], lines[1:]
    assert header == HISTORY_HEADER + ["BankA_p_true", "BankB_p_true", "BankC_p_true", "BankD_p_true",
                                       "BankE_p_true"]
    assert len(rows) == 40 and all(len(row) == len(header) for row in rows)
    column = {name: [row[i] for row in rows] for i, name in enumerate(header)}
    assert set(column["SNILS"]) <= {"0", "1"}
    assert set(column["BankA_decision"]) <= {"success", "denied", "error"}
    assert all(0.0 <= float(p) <= 1.0 for p in column["BankE_p_true"])
    assert column["SkillFactory_Id"] == [str(i) for i in range(1, 41)]


def test_the_same_seed_gives_the_same_file(configured, tmp_path):
    for name, seed in (("a", 8), ("b", 8), ("c", 9)):
        run_generate(rows=30, seed=seed, out=str(tmp_path / f"{name}.csv"))
    first, again, other = ((tmp_path / f"{n}.csv").read_bytes() for n in "abc")
    assert first == again and first != other


def test_it_follows_the_configured_banks_and_columns(configured, tmp_path):
    Bank.objects.filter(code="bank_b").update(active=False)
    Bank.objects.filter(code="bank_a").update(csv_decision_column="Bank1_decision")
    path = tmp_path / "train.csv"
    run_generate(rows=5, seed=1, out=str(path))
    header = path.read_text(encoding="utf-8").splitlines()[0].split(";")
    assert "Bank1_decision" in header and "Bank1_p_true" in header
    assert "BankB_decision" not in header and "BankA_decision" not in header


def test_it_needs_the_configuration(db, tmp_path):
    path = tmp_path / "train.csv"
    with pytest.raises(CommandError, match="load_config"):
        run_generate(rows=5, out=str(path))
    assert not path.exists()
