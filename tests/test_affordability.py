"""The product's affordability rule: a loan that leaves the client less than the configured minimum
after expenses and a bank's payment is refused by that bank before its model, never recommended, and
its alternatives are only affordable ones; load phrases grade on one scale."""
import html
from pathlib import Path

import numpy as np
import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from scoring.engine.advice import Affordability, BankTerms, affordability_refusals, suggestions
from scoring.engine.explanations import reasons_for
from scoring.engine.offers import monthly_payment
from scoring.modelops.configuration import load_config
from scoring.models import Application, BankScore
from scoring.services import product_config, runtime, submission

# The client: 55 000 ₽ income, 48 000 ₽ expenses, 150 000 ₽ over 12 months.
SHORT = {"month_profit": 55_000, "month_expense": 48_000, "loan_amount": 150_000, "loan_term": "12"}


def bank(**extra) -> BankTerms:
    values = {"code": "bank_x", "name": "Банк Х", "annual_rate": 20.0, "min_amount": 4000, "max_amount": 200_000,
              "terms": (6, 12, 18, 24), "threshold": 0.5, "affordability": Affordability(), **extra}
    return BankTerms(**values)


def scored(officer, answers) -> Application:
    application, _ = submission.submit_application(officer=officer, answers=answers)
    runtime.score_application(application_id=application.pk)
    application.refresh_from_db()
    return application


# --- the engine ----------------------------------------------------------------------------------

def test_the_remainder_is_income_less_expenses_less_the_payment():
    rule = Affordability()
    payment = monthly_payment(150_000, 20.0, 12)
    assert rule.remainder(SHORT, payment) == pytest.approx(55_000 - 48_000 - payment)
    assert rule.refuses(rule.remainder(SHORT, payment))
    assert not rule.refuses(rule.remainder({**SHORT, "month_expense": 20_000}, payment))
    assert rule.remainder({"month_expense": 48_000}, payment) is None  # no income: refuses nothing
    assert not rule.refuses(None)
    np.testing.assert_array_equal(rule.refuses(rule.remainder(SHORT, np.array([1000.0, 9000.0]))), [False, True])


def test_it_refuses_with_a_phrase_saying_the_client_cannot_pay():
    [reason] = affordability_refusals(bank(), SHORT, 150_000, 12)
    remainder = round(55_000 - 48_000 - monthly_payment(150_000, 20.0, 12))
    assert reason.message == {"id": "unaffordable", "params": {"amount": remainder}}
    assert str(reason) == "После платежа и расходов остаётся -6\u00a0895\u00a0₽: клиент не сможет платить"
    assert affordability_refusals(bank(), SHORT, 20_000, 12) == []
    assert affordability_refusals(bank(affordability=Affordability(enabled=False)), SHORT, 150_000, 12) == []
    assert affordability_refusals(bank(affordability=None), SHORT, 150_000, 12) == []


def test_a_minimum_remainder_is_named_in_the_refusal():
    rule = Affordability(min_remainder=5000)
    [reason] = affordability_refusals(bank(affordability=rule), SHORT, 30_000, 12)  # leaves about 4 221 ₽
    assert reason.message["id"] == "unaffordable.minimum" and "меньше необходимых 5\u00a0000\u00a0₽" in reason


def test_alternatives_are_only_affordable_amounts_and_terms():
    terms = bank()
    amounts = np.array([150_000.0, 60_000.0, 50_000.0, 40_000.0] * 2)
    loan_terms = np.array([12.0] * 4 + [24.0] * 4)
    probabilities = np.full((len(amounts), 1), 0.9)  # the model would approve all of them
    found = suggestions([terms], probabilities, amounts, loan_terms, amount=150_000, term=12, facts=SHORT,
                        variant_facts={})["bank_x"]
    assert found, "an affordable alternative exists"
    for option in found:
        assert 55_000 - 48_000 - monthly_payment(option["amount"], 20.0, option["term"]) >= 0
    # 150 000 ₽ over 24 months would pass the model but costs 7 634 ₽ a month: 60 000 ₽ is the largest.
    assert {(o["amount"], o["term"]) for o in found} == {(60_000.0, 12), (60_000.0, 24)}


def test_load_phrases_grade_by_the_share_on_one_scale():
    """A 25 % payment never reads heavier than 87 % expenses, whichever way the model took each."""
    reasons = reasons_for({"payment_to_income": -0.9, "expense_to_income": 0.5}, {},
                          {"payment_to_income": 0.25, "expense_to_income": 0.87}, margin=0.0)
    texts = {r["feature"]: r["text"] for r in reasons}
    assert texts["payment_to_income"] == "Платёж 25\u00a0% дохода — небольшая нагрузка"
    assert texts["expense_to_income"] == "Расходы 87\u00a0% дохода — высокая нагрузка"
    middle = reasons_for({"payment_to_income": 0.9}, {}, {"payment_to_income": 0.4}, margin=0.0)
    assert middle[0]["text"] == "Платёж 40\u00a0% дохода — заметная нагрузка"
    short = reasons_for({"free_income": -0.4}, {}, {"free_income": -6895.0}, margin=0.0)
    assert short[0]["text"] == "После платежа и расходов остаётся -6\u00a0895\u00a0₽ — денег не хватает"


# --- through the service, the page and the API ---------------------------------------------------

def test_every_bank_refuses_an_unaffordable_loan_before_its_model(models_ready, officer, answers):
    application = scored(officer, {**answers, **SHORT})
    assert application.recommendation["action"] == "do_not_send"
    for score in application.scores.select_related("bank"):
        payment = monthly_payment(150_000, float(score.bank.annual_rate), 12)
        assert score.refused_by_rule and score.probability == 0.0 and score.verdict == "unlikely"
        assert score.reasons[0]["message"] == {"id": "unaffordable",
                                               "params": {"amount": round(7000 - payment)}}
        assert score.decision["fired"][-1].endswith("клиент не сможет платить")
        assert score.decision["affordability"] == {"enabled": True, "min_remainder": 0.0,
                                                   "remainder": pytest.approx(7000 - payment, abs=0.01)}
        for option in score.suggestions:
            assert 7000 - monthly_payment(option["amount"], float(score.bank.annual_rate), option["term"]) >= 0
    assert any(score.suggestions for score in application.scores.all())


def test_the_page_says_the_client_cannot_pay_and_does_not_recommend_sending(officer_client, models_ready,
                                                                            officer, answers):
    application = scored(officer, {**answers, **SHORT})
    page = html.unescape(officer_client.get(reverse("scoring:application_detail", args=[application.pk]))
                         .content.decode())
    assert "клиент не сможет платить" in page and "Рекомендация: отправить" not in page


def test_the_api_shows_the_refusal(api, models_ready, officer, answers):
    application = scored(officer, {**answers, **SHORT})
    body = api.get(f"/api/v1/applications/{application.pk}/").json()
    assert body["recommendation"]["action"] == "do_not_send"
    for score in body["scores"]:
        assert score["refused_by_rule"] and score["reasons"][0]["text"].endswith("клиент не сможет платить")


def test_an_affordable_loan_is_not_refused(models_ready, officer, answers):
    application = scored(officer, answers)  # 145 000 ₽ income, 22 500 ₽ expenses, 68 000 ₽ over 12 months
    assert not any(r.get("message", {}) and r["message"]["id"].startswith("unaffordable")
                   for s in application.scores.all() for r in s.reasons)


def test_the_rule_can_be_switched_off(models_ready, officer, answers):
    product_config.store("product", {**product_config.product(),
                                     "affordability": {"enabled": False, "min_remainder": 0}})
    application = scored(officer, {**answers, **SHORT})
    assert not any(s.refused_by_rule for s in application.scores.all())


def test_a_configured_minimum_refuses_a_thin_remainder(models_ready, officer, answers):
    product_config.store("product", {**product_config.product(),
                                     "affordability": {"enabled": True, "min_remainder": 100_000}})
    application = scored(officer, answers)  # leaves about 116 200 ₽, above 100 000 ₽ ...
    thin = scored(officer, {**answers, "month_expense": 40_000})  # ... leaves about 98 700 ₽: refused
    assert not any(s.refused_by_rule for s in application.scores.all())
    assert all(s.reasons[0]["message"]["id"] == "unaffordable.minimum" for s in thin.scores.all())


# --- configuration -------------------------------------------------------------------------------

def test_the_rule_is_on_by_default(db):
    assert product_config.affordability() == {"enabled": True, "min_remainder": 0}


def test_load_config_stores_the_affordability_block(configured, tmp_path, settings):
    assert product_config.product()["affordability"] == {"enabled": True, "min_remainder": 0}
    source = Path(settings.PRESCORING["CONFIG_DIR"])
    for name in ("features.yaml", "banks.yaml", "import.yaml"):
        text = (source / name).read_text(encoding="utf-8")
        if name == "banks.yaml":
            text = text.replace("  min_remainder: 0\n", "  min_remainder: 3000\n")
        (tmp_path / name).write_text(text, encoding="utf-8")
    load_config(tmp_path)
    assert product_config.affordability() == {"enabled": True, "min_remainder": 3000}


@pytest.mark.parametrize("block, message", [
    ("affordability: yes\n", "affordability"),
    ("affordability: {enabled: maybe}\n", "enabled"),
    ("affordability: {min_remainder: -5}\n", "min_remainder"),
    ("affordability: {minimum: 5}\n", "unknown keys"),
])
def test_a_wrong_block_refuses_the_load(configured, tmp_path, settings, block, message):
    source = Path(settings.PRESCORING["CONFIG_DIR"])
    for name in ("features.yaml", "banks.yaml", "import.yaml"):
        (tmp_path / name).write_text((source / name).read_text(encoding="utf-8"), encoding="utf-8")
    banks = (tmp_path / "banks.yaml").read_text(encoding="utf-8")
    start = banks.index("affordability:")
    end = banks.index("banks:", start)
    (tmp_path / "banks.yaml").write_text(banks[:start] + block + banks[end:], encoding="utf-8")
    with pytest.raises(ValidationError, match=message):
        load_config(tmp_path)
    assert product_config.affordability() == {"enabled": True, "min_remainder": 0}
    assert BankScore.objects.count() == 0


def test_the_refusal_names_the_configured_currency(models_ready, officer, answers):
    product_config.store("product", {**product_config.product(),
                                     "currency": {"code": "EUR", "symbol": "€", "symbol_en": "EUR"}})
    application = scored(officer, {**answers, **SHORT})
    for score in application.scores.all():
        refusal = score.reasons[0]["text"]
        assert refusal.endswith("\u00a0€: клиент не сможет платить") and score.decision["fired"] == [refusal]
