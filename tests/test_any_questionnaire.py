"""Another lender's questionnaire works end to end without a code change.

The test replaces the 16 default fields and five banks by a 20-field questionnaire of mixed types
and one bank (configuration only: features.yaml with a derived payment-to-income, banks.yaml,
import.yaml with its own decision words), writes a history CSV in that lender's columns, imports
it, trains, and scores through the API and the officer's form.
"""
import datetime as dt

import numpy as np
import pytest
import yaml
from rest_framework.test import APIClient

from scoring.modelops import configuration
from scoring.modelops.importing import import_decisions_csv
from scoring.models import Bank, Feature
from scoring.modelops.training import train_imported
from tests.helpers import write_csv

ROWS = 1500
TODAY = dt.date.today()

FEATURES = [
    {"key": "applicant_birth", "label": "Дата рождения заёмщика", "type": "date", "required": True,
     "min_age": 18, "max_age": 90, "csv_column": "DOB"},
    {"key": "region", "label": "Регион", "type": "choice", "required": True, "csv_column": "Region",
     "choices": ["north", "south", "east", "west", "centre"]},
    {"key": "housing", "label": "Жильё", "type": "choice", "csv_column": "Housing",
     "choices": [{"value": "own", "label": "Собственное"}, {"value": "rent", "label": "Съёмное"},
                 {"value": "parents", "label": "У родителей"}]},
    {"key": "has_car", "label": "Есть автомобиль", "type": "boolean", "csv_column": "Car"},
    {"key": "has_deposit", "label": "Есть вклад", "type": "boolean", "required": True, "csv_column": "Deposit"},
    {"key": "dependants", "label": "Иждивенцев", "type": "integer", "min_value": 0, "max_value": 10,
     "csv_column": "Dependants"},
    {"key": "salary", "label": "Зарплата, ₽", "type": "number", "required": True, "min_value": 1000,
     "max_value": 5000000, "csv_column": "Salary"},
    {"key": "other_income", "label": "Прочий доход, ₽", "type": "number", "min_value": 0, "csv_column": "OtherIncome"},
    {"key": "rent_payment", "label": "Аренда, ₽", "type": "number", "min_value": 0, "csv_column": "Rent"},
    {"key": "existing_debt", "label": "Долг по другим кредитам, ₽", "type": "number", "min_value": 0,
     "csv_column": "Debt"},
    {"key": "credit_sum", "label": "Сумма займа, ₽", "type": "number", "required": True, "min_value": 1000,
     "max_value": 1000000, "csv_column": "Sum"},
    {"key": "months", "label": "Срок займа, мес.", "type": "choice", "ordered": True, "required": True,
     "choices": ["12", "24", "36", "48"], "csv_column": "Months"},
    {"key": "employer_type", "label": "Работодатель", "type": "choice", "csv_column": "Employer",
     "choices": ["state", "private", "self"]},
    {"key": "job_title", "label": "Должность", "type": "text", "max_length": 100, "csv_column": "Job"},
    {"key": "employed_since", "label": "Работает с", "type": "date", "csv_column": "EmployedSince"},
    {"key": "email_given", "label": "Указан e-mail", "type": "boolean", "csv_column": "Email"},
    {"key": "marital", "label": "Семейное положение", "type": "choice", "csv_column": "Marital",
     "choices": ["single", "married", "divorced"]},
    {"key": "purpose", "label": "Цель займа", "type": "choice", "csv_column": "Purpose",
     "choices": ["car", "repair", "education", "other"]},
    {"key": "credit_history_years", "label": "Кредитная история, лет", "type": "integer", "min_value": 0,
     "max_value": 60, "csv_column": "HistoryYears"},
    {"key": "comment", "label": "Комментарий", "type": "text", "used_by_model": False, "csv_column": "Comment"},
]
DERIVED = [
    {"key": "loan_burden", "label": "Платёж к зарплате", "kind": "payment_to_income",
     "inputs": {"amount": "credit_sum", "term": "months", "income": "salary"}},
    {"key": "debt_to_salary", "label": "Долг к зарплате", "kind": "ratio",
     "inputs": {"numerator": "existing_debt", "denominator": "salary"}},
]
BANKS = [{"code": "lender_x", "name": "Кредитор Икс", "annual_rate": "15.00", "min_amount": 1000,
          "max_amount": 1000000, "terms": [12, 24, 36, 48], "approval_threshold": 0.5,
          "csv_decision_column": "Verdict",
          "rules": [{"field": "loan_burden", "operator": "gt", "value": 0.9,
                     "reason": "Платёж больше 90 % зарплаты"}]}]
IMPORT = {"id_column": "AppNo", "decision_values": {"success": ["approved"], "denied": ["rejected"],
                                                     "error": ["timeout"]}}


def years_ago(years: float) -> str:
    return (TODAY - dt.timedelta(days=int(years * 365.25))).isoformat()


def history(rng: np.random.Generator) -> list[dict]:
    """ROWS applications whose approval depends on burden, deposit, credit history and housing."""
    rows = []
    for i in range(ROWS):
        salary = float(rng.choice([30_000, 50_000, 80_000, 120_000, 200_000]))
        credit_sum = float(rng.integers(10, 600)) * 1000
        months = int(rng.choice([12, 24, 36, 48]))
        deposit = bool(rng.random() < 0.4)
        history_years = int(rng.integers(0, 20))
        housing = str(rng.choice(["own", "rent", "parents"]))
        burden = credit_sum / months / salary
        score = 1.5 - 4.0 * burden + 1.2 * deposit + 0.08 * history_years + (0.6 if housing == "own" else 0.0)
        approved = rng.random() < 1 / (1 + np.exp(-score))
        age = float(rng.uniform(20, 70))
        rows.append({
            "AppNo": f"X-{i}", "DOB": years_ago(age) + " 00:00:00.0000000",
            "Region": str(rng.choice(["north", "south", "east", "west", "centre"])), "Housing": housing,
            "Car": rng.choice(["1", "0"]), "Deposit": "1" if deposit else "0",
            "Dependants": f"{int(rng.integers(0, 4))}.0", "Salary": f"{salary:.0f}",
            "OtherIncome": "" if rng.random() < 0.5 else str(int(rng.integers(0, 30)) * 1000),
            "Rent": str(int(rng.integers(0, 40)) * 1000), "Debt": str(int(rng.integers(0, 200)) * 1000),
            "Sum": f"{credit_sum:.0f}", "Months": str(months),
            "Employer": str(rng.choice(["state", "private", "self"])),
            "Job": str(rng.choice(["Инженер", "инженер ", "Врач", "Учитель", "Водитель", "ИП"])),
            "EmployedSince": years_ago(float(rng.uniform(0, age - 18))) if rng.random() < 0.9 else "",
            "Email": rng.choice(["1", "0"]), "Marital": str(rng.choice(["single", "married", "divorced"])),
            "Purpose": str(rng.choice(["car", "repair", "education", "other"])),
            "HistoryYears": str(history_years), "Comment": "",
            "Verdict": "timeout" if rng.random() < 0.01 else ("Approved" if approved else "Rejected"),
        })
    return rows


@pytest.fixture
def other_lender(db, tmp_path, settings):
    config_dir = tmp_path / "configs"
    config_dir.mkdir()
    (config_dir / "features.yaml").write_text(yaml.safe_dump({"features": FEATURES, "derived": DERIVED},
                                                             allow_unicode=True), encoding="utf-8")
    (config_dir / "banks.yaml").write_text(yaml.safe_dump({"banks": BANKS}, allow_unicode=True), encoding="utf-8")
    (config_dir / "import.yaml").write_text(yaml.safe_dump(IMPORT), encoding="utf-8")
    configuration.load_config()  # the default lender first: its fields and banks get replaced
    settings.PRESCORING = {**settings.PRESCORING, "CONFIG_DIR": config_dir}
    configuration.load_config(replace=True)
    return config_dir


def client_answers(**overrides) -> dict:
    answers = {"applicant_birth": years_ago(35), "region": "north", "housing": "own", "has_car": True,
               "has_deposit": True, "dependants": 1, "salary": 120000, "other_income": 0, "rent_payment": 0,
               "existing_debt": 0, "credit_sum": 100000, "months": "36", "employer_type": "state",
               "job_title": "Инженер", "employed_since": years_ago(5), "email_given": True, "marital": "married",
               "purpose": "repair", "credit_history_years": 15}
    answers.update(overrides)
    return answers


def test_another_lenders_questionnaire_imports_trains_and_scores(other_lender, tmp_path, officer, token_client,
                                                                  django_capture_on_commit_callbacks):
    assert Feature.objects.filter(active=True).count() == 20
    assert list(Bank.objects.filter(active=True).values_list("code", flat=True)) == ["lender_x"]

    path = tmp_path / "history.csv"
    rows = history(np.random.default_rng(5))
    write_csv(path, rows, header=list(rows[0]))
    report = import_decisions_csv(path=path)
    # A row whose one decision is a technical error ("timeout") has no usable decision: skipped, the rest kept.
    timeouts = [number for number, row in enumerate(rows, start=2) if row["Verdict"] == "timeout"]
    assert [number for number, _reasons in report.skipped] == timeouts and report.rows_flagged == 0
    assert report.rows_imported == ROWS - len(timeouts)

    [outcome] = train_imported()
    assert outcome.activated, outcome.reason
    version = outcome.version
    assert "loan_burden" in version.encoder["columns"] and "comment" not in version.feature_keys
    # Well above chance, not a figure to the second decimal: the held-out fifth is picked by a hash of the
    # rows' ids, and PostgreSQL's ids differ with the tests run before (its sequences are not reset);
    # seen 0.699 there against more than 0.7 on SQLite. The gate above already judged the interval.
    assert version.metrics["auc"] > 0.65

    api = token_client(officer)
    with django_capture_on_commit_callbacks(execute=True):
        strong = api.post("/api/v1/applications/", {"answers": client_answers()}, format="json")
        weak = api.post("/api/v1/applications/", {"answers": client_answers(
            has_deposit=False, housing="rent", credit_history_years=0, salary=40000, credit_sum=600000,
            months="12")}, format="json")
    assert strong.status_code == 202 and weak.status_code == 202, (strong.json(), weak.json())
    strong_detail = api.get(strong.json()["url"]).json()
    weak_detail = api.get(weak.json()["url"]).json()
    assert strong_detail["status"] == "done" and weak_detail["status"] == "done"
    [strong_score] = strong_detail["scores"]
    [weak_score] = weak_detail["scores"]
    assert strong_score["bank"] == "lender_x"
    assert strong_score["probability"] > 0.7
    # The offer reads the amount and term from the fields the payment feature names (credit_sum, months).
    assert strong_score["offer"]["annual_rate"] == 15.0 and strong_score["offer"]["term"] == 36
    # Payment 600 000 / 12 over a 40 000 salary trips the bank's knock-out rule on the derived feature.
    assert weak_score["probability"] == 0 and "Платёж больше 90 % зарплаты" in weak_score["reasons"][0]["text"]
    assert {r["feature"] for r in strong_score["reasons"]} <= {f["key"] for f in FEATURES} | {"loan_burden",
                                                                                              "debt_to_salary"}


def test_the_officers_form_and_validation_follow_the_other_questionnaire(other_lender, officer_client):
    page = officer_client.get("/applications/new/").content.decode()
    assert 'name="credit_sum"' in page and 'name="loan_amount"' not in page
    assert '<option value="rent">Съёмное</option>' in page
    response = officer_client.post("/applications/new/", {**client_answers(), "has_car": "true",
                                                          "has_deposit": "", "credit_sum": "500",
                                                          "months": "7", "email_given": "true"})
    errors = response.context["form"].errors
    assert response.status_code == 400
    assert errors["has_deposit"] == ["Обязательное поле."]
    assert errors["credit_sum"] == ["Значение должно быть не меньше 1 000."]
    assert errors["months"]


def test_the_api_refuses_the_default_questionnaires_fields(other_lender, officer, answers):
    api = APIClient()
    api.force_authenticate(officer)
    response = api.post("/api/v1/applications/", {"answers": answers}, format="json")
    assert response.status_code == 400
    errors = response.json()["errors"]["answers"]
    assert errors["loan_amount"] == ["Неизвестное поле анкеты."] and errors["salary"] == ["Обязательное поле."]
