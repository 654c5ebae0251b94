"""Explanations on another lender's questionnaire: values written by the field's type and unit, English
labels of fields, choices and derived features on English pages, the configured currency, and the
payment features at each bank's own rate.
"""

import datetime as dt
import html
import re

import numpy as np
import pandas as pd
import pytest
import yaml
from django.urls import reverse
from django.utils import translation

from scoring.engine.explanations import reasons_for, wording
from scoring.engine.features import FeatureSpec
from scoring.engine.phrases import RUSSIAN, Words, render
from scoring.engine.preprocessing import DerivedSpec
from scoring.modelops import configuration
from scoring.modelops.training import train_frame
from scoring.models import Application, Bank, BankScore, ModelVersion
from scoring.services import phrases, runtime, submission
from tests.test_any_questionnaire import FEATURES, client_answers

EURO = {"code": "EUR", "symbol": "€", "symbol_en": "€"}
LONG_FLOAT = re.compile(r"\d[.,]\d{4,}")
NB = "\u00a0"


def _with(key: str, **changes) -> dict:
    return {**next(f for f in FEATURES if f["key"] == key), **changes}


FIELDS = [
    _with(
        "housing",
        label_en="Housing",
        choices=[
            {"value": "own", "label": "Собственное", "label_en": "Own home"},
            {"value": "rent", "label": "Съёмное", "label_en": "Rented"},
            {"value": "parents", "label": "У родителей"},
        ],
    ),
    _with("has_deposit", label_en="Has a deposit"),
    _with("salary", label="Зарплата", label_en="Salary", unit="EUR"),
    _with("credit_sum", label="Сумма займа", label_en="Loan amount", unit="¤"),
    _with("months"),
    _with("dependants", unit="чел.", unit_en="people"),
    _with("existing_debt", label="Долг по другим кредитам", unit="€"),
    _with("credit_history_years", unit="лет", unit_en="years"),
]
DERIVED = [
    {
        "key": "loan_burden",
        "label": "Платёж к зарплате",
        "label_en": "Payment to salary",
        "kind": "payment_to_income",
        "inputs": {"amount": "credit_sum", "term": "months", "income": "salary"},
    },
    {
        "key": "payment",
        "label": "Ежемесячный платёж",
        "label_en": "Monthly payment",
        "kind": "monthly_payment",
        "inputs": {"amount": "credit_sum", "term": "months"},
    },
]
RATES = {"lender_x": "15.00", "lender_y": "35.00"}
BANKS = [
    {
        "code": code,
        "name": f"Кредитор {code[-1].upper()}",
        "annual_rate": rate,
        "min_amount": 1000,
        "max_amount": 1000000,
        "terms": [12, 24, 36, 48],
        "approval_threshold": 0.5,
    }
    for code, rate in RATES.items()
]


# --- writing one factor, without a database ----------------------------------------------------------


def _spec(entry: dict) -> FeatureSpec:
    from scoring.engine.features import parse_choice_labels_en, parse_choices

    values, labels = parse_choices(entry.get("choices"))
    return FeatureSpec(
        key=entry["key"],
        type=entry["type"],
        label=entry["label"],
        label_en=entry.get("label_en", ""),
        choices=values,
        choice_labels=labels,
        choice_labels_en=parse_choice_labels_en(entry.get("choices")),
        ordered=bool(entry.get("ordered")),
        unit=entry.get("unit", ""),
        unit_en=entry.get("unit_en", ""),
    )


def factor(key: str, answers: dict, derived: dict | None = None, direction: float = 0.5) -> dict:
    specs = [_spec(f) for f in FIELDS + [_with("employed_since"), _with("region")]]
    [reason] = reasons_for(
        {key: direction}, answers, derived or {}, **wording(specs, [DerivedSpec.from_dict(d) for d in DERIVED])
    )
    return reason


def test_values_are_written_by_the_fields_type_unit_and_the_currency():
    euro = Words(EURO)
    assert (
        render(factor("salary", {"salary": 45000.0})["message"], euro) == f"Зарплата: 45{NB}000{NB}€ — повышает шанс"
    )
    assert (
        render(factor("credit_sum", {"credit_sum": 250000})["message"], euro)
        == f"Сумма займа: 250{NB}000{NB}€ — повышает шанс"
    )
    assert render(factor("existing_debt", {"existing_debt": 1200.5})["message"], euro).startswith(
        f"Долг по другим кредитам: 1{NB}200{NB}€"
    )
    assert factor("dependants", {"dependants": 2})["text"] == f"Иждивенцев: 2{NB}чел. — повышает шанс"
    assert (
        factor("payment", {}, {"payment": 209.40656390476056})["text"]
        == f"Ежемесячный платёж: 209{NB}₽ — повышает шанс"
    )
    assert (
        render(factor("payment", {}, {"payment": 209.40656390476056})["message"], euro)
        == f"Ежемесячный платёж: 209{NB}€ — повышает шанс"
    )
    assert (
        factor("loan_burden", {}, {"loan_burden": 0.3834}, -0.5)["text"]
        == f"Платёж к зарплате: 38{NB}% — снижает шанс"
    )
    assert factor("housing", {"housing": "rent"})["text"] == "Жильё: Съёмное — повышает шанс"
    since = factor("employed_since", {"employed_since": "2019-03-12"}, {"employed_since": 5.3})
    assert since["text"] == f"Работает с: 12.03.2019 (5{NB}лет) — повышает шанс"
    # A field without a unit keeps a whole number whole and drops a float's noise.
    assert factor("region", {"region": 3.14159})["text"] == "Регион: 3,14 — повышает шанс"
    assert (
        render(factor("payment", {}, {"payment": 209.40656390476056})["message"], RUSSIAN)
        == factor("payment", {}, {"payment": 209.40656390476056})["text"]
    )


def test_english_uses_the_configured_english_labels_and_units(db):
    with translation.override("en"):
        english = phrases.CatalogueWords()
        english.__dict__["currency"] = EURO  # as product_config.currency() gives it once configured
        assert (
            render(factor("housing", {"housing": "rent"})["message"], english)
            == "Housing: Rented — raises the chance"
        )
        # A choice without an English label, and a field without an English unit: the Russian ones.
        assert (
            render(factor("housing", {"housing": "parents"})["message"], english)
            == "Housing: У родителей — raises the chance"
        )
        assert (
            render(factor("dependants", {"dependants": 1200})["message"], english)
            == f"Иждивенцев: 1,200{NB}people — raises the chance"
        )
        assert (
            render(factor("loan_burden", {}, {"loan_burden": 0.3834}, -0.5)["message"], english)
            == "Payment to salary: 38% — lowers the chance"
        )
        salary = render(factor("salary", {"salary": 45000.0})["message"], english)
        assert salary.startswith("Salary: ") and "45,000" in salary and "€" in salary and "RUB" not in salary
        since = render(
            factor("employed_since", {"employed_since": "2019-03-12"}, {"employed_since": 5.3})["message"], english
        )
        assert since == "Работает с: March 12, 2019 (5 years) — raises the chance"
        assert phrases.label_of(factor("loan_burden", {}, {"loan_burden": 0.38}), english) == "Payment to salary"


# --- end to end: a configured lender with two banks, euros, trained models ---------------------------


def decided_rows(rng: np.random.Generator, n: int = 1200) -> pd.DataFrame:
    rows = []
    for _ in range(n):
        salary = float(rng.choice([1_000, 2_000, 3_000, 5_000]))
        credit_sum = float(rng.integers(1, 60)) * 1000
        months = int(rng.choice([12, 24, 36, 48]))
        housing = str(rng.choice(["own", "rent", "parents"]))
        deposit, history = bool(rng.random() < 0.4), int(rng.integers(0, 20))
        burden = credit_sum / months / salary
        score = 1.5 - 4.0 * burden + 1.2 * deposit + 0.08 * history + (0.8 if housing == "own" else -0.3)
        row = {
            "housing": housing,
            "has_deposit": deposit,
            "salary": salary,
            "credit_sum": credit_sum,
            "months": str(months),
            "dependants": int(rng.integers(0, 4)),
            "existing_debt": float(rng.integers(0, 20)) * 1000,
            "credit_history_years": history,
        }
        for offset, code in ((0.0, "lender_x"), (-0.7, "lender_y")):
            row[f"{code}_decision"] = "success" if rng.random() < 1 / (1 + np.exp(-score - offset)) else "denied"
        rows.append(row)
    frame = pd.DataFrame(rows)
    frame.attrs["as_of"] = dt.date.today()
    return frame


@pytest.fixture
def euro_lender(db, tmp_path, settings):
    config_dir = tmp_path / "configs"
    config_dir.mkdir()
    (config_dir / "features.yaml").write_text(
        yaml.safe_dump({"features": FIELDS, "derived": DERIVED}, allow_unicode=True), encoding="utf-8"
    )
    (config_dir / "banks.yaml").write_text(
        yaml.safe_dump({"currency": EURO, "banks": BANKS}, allow_unicode=True), encoding="utf-8"
    )
    configuration.load_config()
    settings.PRESCORING = {**settings.PRESCORING, "CONFIG_DIR": config_dir, "TOP_REASONS": 20}
    configuration.load_config(replace=True, deactivate_models=True)
    outcomes = train_frame(
        decided_rows(np.random.default_rng(3)), source="tests", banks=list(Bank.objects.filter(active=True)), seed=3
    )
    assert [o.activated for o in outcomes] == [True, True], [o.reason for o in outcomes]
    return outcomes


def scored(officer, **changes):
    answers = {key: value for key, value in client_answers(**changes).items() if key in {f["key"] for f in FIELDS}}
    application, _ = submission.submit_application(officer=officer, answers=answers)
    return runtime.score_application(application_id=application.pk)


def test_each_bank_sees_and_quotes_the_payment_at_its_own_rate(euro_lender, officer):
    application = scored(officer, salary=2000, credit_sum=30000, months="24", housing="rent")
    loaded, banks = runtime.load_models_and_banks()
    as_of = application.created_at.date()
    payments = {}
    for score in application.scores.select_related("bank"):
        code, rate = score.bank.code, float(score.bank.annual_rate)
        encoder, model = loaded.scorer.models[code]
        assert encoder.bank_rate
        payments[code] = encoder.derived_values(application.answers, as_of, rate=rate)["payment"]
        assert payments[code] == pytest.approx(score.offer["monthly_payment"], abs=0.01)
        own = model.predict_proba(encoder.transform([application.answers], as_of, rate=rate))[0]
        assert score.probability == pytest.approx(own, abs=1e-5)
    assert payments["lender_y"] > payments["lender_x"] + 100


def test_the_result_page_writes_amounts_in_euros_and_no_long_floats(euro_lender, officer, officer_client):
    application = scored(officer, salary=2000, credit_sum=30000, months="24", housing="rent")
    page = html.unescape(
        officer_client.get(reverse("scoring:application_detail", args=[application.pk])).content.decode()
    )
    result = page.split('id="result"', 1)[1]
    texts = re.findall(r'<span class="text">(.*?)</span>', result)
    assert texts and not [t for t in texts if LONG_FLOAT.search(t)]
    assert "₽" not in result and "руб" not in result
    assert re.search(rf"платёж <strong>[\d{NB}]+{NB}€</strong>", result)
    assert f"Сумма займа: 30{NB}000{NB}€" in page or "Сумма займа" not in " ".join(texts)
    assert "Жильё: Съёмное" in " ".join(texts) and re.search(rf"Платёж к зарплате: \d+{NB}%", " ".join(texts))


def test_the_english_page_and_api_use_the_english_labels(euro_lender, officer, officer_client, api):
    application = scored(officer, salary=2000, credit_sum=30000, months="24", housing="rent")
    officer_client.post(reverse("set_language"), {"language": "en", "next": "/"})
    page = html.unescape(
        officer_client.get(reverse("scoring:application_detail", args=[application.pk])).content.decode()
    )
    texts = " ".join(re.findall(r'<span class="text">(.*?)</span>', page))
    assert "Housing: Rented — lowers the chance" in texts
    assert re.search(r"Payment to salary: \d+% — lowers the chance", texts)
    assert "Съёмное" not in texts and "Платёж к зарплате" not in texts and not LONG_FLOAT.search(texts)
    reasons = api.get(f"/api/v1/applications/{application.pk}/", HTTP_ACCEPT_LANGUAGE="en").json()["scores"][0][
        "reasons"
    ]
    by_feature = {r["feature"]: r for r in reasons}
    assert by_feature["loan_burden"]["label"] == "Payment to salary" and by_feature["housing"]["label"] == "Housing"
    assert by_feature["housing"]["text"] == "Housing: Rented — lowers the chance"
    assert not [r["text"] for r in reasons if LONG_FLOAT.search(r["text"]) or "RUB" in r["text"]]
    # The stored texts are Russian, in the configured currency, as the Russian API writes them.
    stored = BankScore.objects.filter(application=application).first().reasons
    russian = api.get(f"/api/v1/applications/{application.pk}/").json()["scores"]
    assert {r["text"] for s in russian for r in s["reasons"]} >= {r["text"] for r in stored}


def test_the_loan_amount_and_term_are_the_fields_the_lenders_payment_reads(euro_lender, officer, api,
                                                                            django_capture_on_commit_callbacks):
    """credit_sum and months here: the case history, the answer form and the alternatives read them."""
    application = scored(officer, salary=2000, credit_sum=30000, months="24", housing="rent")
    assert runtime.current_loan_keys() == ("credit_sum", "months")
    [submitted] = [e for e in api.get(f"/api/v1/applications/{application.pk}/").json()["history"]
                   if e["event"] == "submitted"]
    assert (submitted["amount"], submitted["term"]) == (30000, 24)
    # Not scored yet: the active models' fields (scored: those of the versions that scored it, above).
    answers = {key: value for key, value in client_answers(credit_sum=41000, months="36").items()
               if key in {f["key"] for f in FIELDS}}
    pending, _ = submission.submit_application(officer=officer, answers=answers)
    [submitted] = [e for e in api.get(f"/api/v1/applications/{pending.pk}/").json()["history"]
                   if e["event"] == "submitted"]
    assert (submitted["amount"], submitted["term"]) == (41000, 36)

    bad_term = api.post(f"/api/v1/applications/{application.pk}/alternatives/",
                        {"loan_amount": 20000, "loan_term": 7}, format="json")
    assert bad_term.status_code == 400 and bad_term.json()["errors"]["non_field_errors"][0].startswith("loan_term:")
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(f"/api/v1/applications/{application.pk}/alternatives/",
                            {"loan_amount": 20000, "loan_term": 12}, format="json")
    assert response.status_code == 202, response.json()
    variant = Application.objects.get(parent=application)
    assert (variant.answers["credit_sum"], variant.answers["months"]) == (20000, "12")
    assert "loan_amount" not in variant.answers and "loan_term" not in variant.answers
    [asked] = [e for e in api.get(f"/api/v1/applications/{application.pk}/").json()["history"]
               if e["event"] == "variant"]
    assert (asked["amount"], asked["term"]) == (20000, 12)
    # With no lender's model active, the scored application still reads the fields its models read.
    ModelVersion.objects.update(active=False)
    assert runtime.current_loan_keys() == ("loan_amount", "loan_term")
    histories = {pk: api.get(f"/api/v1/applications/{pk}/").json()["history"] for pk in (application.pk, pending.pk)}
    amounts = {pk: [(e["amount"], e["term"]) for e in history if e["event"] == "submitted"]
               for pk, history in histories.items()}
    assert amounts == {application.pk: [(30000, 24)], pending.pk: [(None, None)]}
