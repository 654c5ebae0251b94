"""Offers, knock-out rules, amount/term suggestions and the recommendation."""
import numpy as np
import pytest
from django.urls import reverse

from scoring.services import runtime, submission
from scoring.engine.advice import BankTerms, candidate_grid, offer, recommendation, suggestions, term_refusals
from scoring.engine.explanations import waterfall
from scoring.engine.offers import monthly_payment
from scoring.engine.rules import Rule
from scoring.models import Application, Bank, BankScore


def terms(code="bank_x", threshold=0.5, rules=(), **extra):
    values = {"name": code.upper(), "annual_rate": 20.0, "min_amount": 4000, "max_amount": 200000,
              "terms": (6, 12, 18, 24), "threshold": threshold, "rules": tuple(rules), **extra}
    return BankTerms(code=code, **values)


# --- rules ------------------------------------------------------------------------------------

def test_a_rule_fires_on_its_condition_only():
    young = Rule.from_dict({"field": "birth_date", "operator": "lt", "value": 21, "reason": "с 21 года"})
    assert young.fires({"birth_date": 19.5}) and not young.fires({"birth_date": 30.0})
    assert not young.fires({})  # a missing fact never refuses
    jobless = Rule.from_dict({"field": "employment_status", "operator": "in", "value": ["Не работаю"], "reason": "x"})
    assert jobless.fires({"employment_status": "Не работаю"}) and not jobless.fires({"employment_status": "Студент"})
    burden = Rule.from_dict({"field": "payment_to_income", "operator": "gt", "value": 0.5, "reason": "x"})
    np.testing.assert_array_equal(burden.fires({"payment_to_income": np.array([0.2, 0.7, np.nan])}, size=3),
                                  [False, True, False])


@pytest.mark.parametrize("rule, message", [
    ({"field": "age", "operator": "older", "value": 1}, "неизвестный оператор"),
    ({"field": "age", "operator": "lt", "value": "abc"}, "нужно число"),
    ({"field": "status", "operator": "in", "value": []}, "непустой список"),
    ({"operator": "lt", "value": 1}, "без field"),
])
def test_a_bad_rule_is_refused_with_a_reason(rule, message):
    with pytest.raises(ValueError, match=message):
        Rule.from_dict(rule)


def test_bank_validation_refuses_bad_rules(configured):
    from django.core.exceptions import ValidationError

    bank = Bank.objects.get(code="bank_a")
    bank.rules = [{"field": "birth_date", "operator": "older", "value": 1}]
    with pytest.raises(ValidationError) as error:
        bank.full_clean()
    assert "неизвестный оператор" in str(error.value.message_dict["rules"])


# --- offers and suggestions -------------------------------------------------------------------

def test_the_offer_is_the_annuity_at_the_bank_rate():
    result = offer(terms(annual_rate=12.0), 100_000, 12)
    assert result == {"annual_rate": 12.0, "amount": 100_000, "term": 12, "monthly_payment": 8884.88,
                      "total_repayment": 106618.56, "overpayment": 6618.56, "full_cost_percent": 12.683}
    assert offer(terms(), None, 12) == {}


def test_a_loan_outside_the_product_is_refused_with_the_limit():
    bank = terms(max_amount=100_000, terms=(6, 12))
    assert term_refusals(bank, 50_000, 12) == []
    reasons = term_refusals(bank, 150_000, 24)
    assert any("100\u00a0000" in r for r in reasons) and any("24 мес." in r for r in reasons)


def test_the_grid_steps_down_by_a_thousand_for_every_term():
    amounts, terms_ = candidate_grid([terms(min_amount=10_000), terms("b", terms=(36,), min_amount=12_000)], 15_500, 12)
    assert set(terms_) == {6, 12, 18, 24, 36}
    per_term = sorted(amounts[terms_ == 12])
    assert per_term == [10_000, 11_000, 12_000, 13_000, 14_000, 15_000, 15_500]


def test_suggestions_are_the_largest_amount_per_term_that_reaches_the_threshold():
    bank = terms(threshold=0.5, terms=(6, 12, 18))
    amounts, terms_ = candidate_grid([bank], 50_000, 12)
    # The fake model: approval falls with the amount and rises with the term.
    probabilities = (1 - amounts / 100_000 + (terms_ - 12) / 60)[:, None]
    found = suggestions([bank], probabilities, amounts, terms_, amount=50_000, term=12, facts={},
                        variant_facts={"loan_amount": amounts, "loan_term": terms_})["bank_x"]
    # Nearest first: 1 000 ₽ less at the same term, then the full amount over 18 months, then 6 months.
    assert [(s["amount"], s["term"]) for s in found] == [(49_000, 12), (50_000, 18), (40_000, 6)]
    assert all(s["probability"] >= 0.5 for s in found)
    assert found[1]["monthly_payment"] == pytest.approx(monthly_payment(50_000, 20.0, 18), abs=0.01)


def test_suggestions_respect_the_rules_and_the_limit():
    rule = Rule.from_dict({"field": "loan_term", "operator": "ge", "value": 18, "reason": "не дольше года"})
    bank = terms(threshold=0.5, rules=[rule])
    amounts, terms_ = candidate_grid([bank], 50_000, 12)
    probabilities = np.full((len(amounts), 1), 0.9)
    found = suggestions([bank], probabilities, amounts, terms_, amount=50_000, term=12, facts={},
                        variant_facts={"loan_amount": amounts, "loan_term": terms_}, limit=5)["bank_x"]
    assert {s["term"] for s in found} == {6, 12}
    none = suggestions([bank], probabilities * 0, amounts, terms_, amount=50_000, term=12, facts={},
                       variant_facts={"loan_amount": amounts, "loan_term": terms_})
    assert none == {"bank_x": []}


def test_the_recommendation_sends_to_banks_above_their_threshold():
    scores = [
        {"bank": "a", "bank_name": "А", "probability": 0.62, "threshold": 0.6, "refused": False, "monthly_payment": 9000},
        {"bank": "b", "bank_name": "Б", "probability": 0.70, "threshold": 0.5, "refused": False, "monthly_payment": 9500},
        {"bank": "c", "bank_name": "В", "probability": 0.90, "threshold": 0.5, "refused": True, "monthly_payment": 8000},
        {"bank": "d", "bank_name": "Г", "probability": 0.55, "threshold": 0.6, "refused": False, "monthly_payment": 8000},
    ]
    advice = recommendation(scores)
    assert advice["action"] == "send" and advice["banks"] == ["b", "a"]
    assert advice["ranking"] == ["b", "a", "c", "d"]
    assert "Б" in advice["text"]


def test_it_advises_against_a_hopeless_application_and_says_why():
    down = {"direction": "down"}
    scores = [
        {"bank": "a", "bank_name": "А", "probability": 0.2, "threshold": 0.5, "refused": False,
         "reasons": [{**down, "feature": "payment_to_income", "contribution": -1.0, "text": "Платёж велик"},
                     {**down, "feature": "birth_date", "contribution": -0.1, "text": "Возраст"}],
         "suggestions": [{"amount": 30_000, "term": 12, "probability": 0.6, "monthly_payment": 2800}]},
        {"bank": "b", "bank_name": "Б", "probability": 0.3, "threshold": 0.5, "refused": False,
         "reasons": [{**down, "feature": "payment_to_income", "contribution": -0.8, "text": "Платёж велик"}],
         "suggestions": [{"amount": 40_000, "term": 24, "probability": 0.55, "monthly_payment": 2000}]},
    ]
    advice = recommendation(scores)
    assert advice["action"] == "do_not_send" and advice["banks"] == []
    assert advice["reasons"][0] == "Платёж велик"
    assert advice["suggestion"]["bank"] == "b" and advice["suggestion"]["amount"] == 40_000


def test_the_waterfall_walks_from_the_average_to_the_estimate():
    reasons = [{"text": "a", "contribution": 0.5, "direction": "up"}, {"text": "b", "contribution": -1.0, "direction": "down"}]
    probability = 1 / (1 + np.exp(-(0.2 + 0.5 - 1.0 + 0.3)))
    steps = waterfall(0.2, reasons, probability)
    assert [s["text"] for s in steps] == ["Средняя оценка модели", "a", "b", "Прочие факторы"]
    assert steps[-1]["end"] == pytest.approx(probability)
    assert all(a["end"] == pytest.approx(b["start"]) for a, b in zip(steps[1:], steps[2:]))


# --- through the service, the pages and the API -----------------------------------------------

def test_scores_carry_offers_ranks_and_a_recommendation(scored):
    scores = list(scored.scores.select_related("bank"))
    assert [s.rank for s in scores] == [0, 1, 2, 3, 4]
    assert [s.bank.code for s in scores] == scored.recommendation["ranking"]
    assert scored.recommendation["action"] in {"send", "do_not_send"}
    for score in scores:
        assert score.offer["monthly_payment"] == pytest.approx(
            monthly_payment(68_000, float(score.bank.annual_rate), 12), abs=0.01)
        assert score.base_value is not None and score.waterfall()[-1]["end"] == pytest.approx(score.probability)
        if score.probability >= score.bank.approval_threshold:
            assert score.suggestions == []


def test_a_knock_out_rule_refuses_whatever_the_model_says(models_ready, officer, answers):
    Bank.objects.filter(code="bank_b").update(
        rules=[{"field": "birth_date", "operator": "lt", "value": 99, "reason": "Банк Б: только клиенты от 99 лет"}])
    application, _ = submission.submit_application(officer=officer, answers=answers)
    runtime.score_application(application_id=application.pk)
    score = BankScore.objects.get(application=application, bank__code="bank_b")
    assert score.probability == 0.0 and score.verdict == "unlikely" and score.refused_by_rule
    assert score.reasons[0]["text"] == "Банк Б: только клиенты от 99 лет"
    application.refresh_from_db()
    assert "bank_b" not in application.recommendation["banks"]
    assert application.recommendation["ranking"][-1] == "bank_b"


def test_a_hopeless_client_gets_do_not_send_with_alternatives(models_ready, officer, answers):
    answers.update({"month_profit": 20_000, "month_expense": 15_000, "loan_amount": 200_000, "loan_term": "6",
                    "employment_status": "Не работаю", "work_experience": None, "job_start_date": None})
    application, _ = submission.submit_application(officer=officer, answers=answers)
    runtime.score_application(application_id=application.pk)
    application.refresh_from_db()
    assert application.recommendation["action"] == "do_not_send"
    assert application.recommendation["reasons"]
    for score in application.scores.all():
        for option in score.suggestions:
            assert option["probability"] >= score.bank.approval_threshold
            assert option["amount"] <= 200_000 and (option["amount"], option["term"]) != (200_000, 6)


def test_one_click_applies_a_suggestion(officer_client, scored, django_capture_on_commit_callbacks):
    url = reverse("scoring:application_apply_suggestion", args=[scored.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = officer_client.post(url, {"loan_amount": "45000", "loan_term": "18"})
    alternative = Application.objects.exclude(pk=scored.pk).get()
    assert response.status_code == 302 and response.url.endswith(f"/applications/{alternative.pk}/")
    assert alternative.parent_id == scored.pk and alternative.status == "done"
    assert alternative.answers["loan_amount"] == 45000 and alternative.answers["loan_term"] == "18"
    assert "исходной заявке" in officer_client.get(response.url).content.decode()
    assert {k: v for k, v in alternative.answers.items() if not k.startswith("loan_")} == \
        {k: v for k, v in scored.answers.items() if not k.startswith("loan_")}


def test_a_bad_suggestion_is_refused_and_nothing_is_created(officer_client, scored):
    url = reverse("scoring:application_apply_suggestion", args=[scored.pk])
    response = officer_client.post(url, {"loan_amount": "45000", "loan_term": "7"}, follow=True)
    assert "Вариант не применён" in response.content.decode()
    assert Application.objects.count() == 1
    assert officer_client.get(url).status_code == 405


def test_the_api_returns_advice_and_applies_an_alternative(api, scored, django_capture_on_commit_callbacks):
    body = api.get(f"/api/v1/applications/{scored.pk}/").json()
    assert body["recommendation"]["ranking"] == [s["bank"] for s in body["scores"]]
    assert {"offer", "suggestions", "rank", "threshold", "refused_by_rule"} <= set(body["scores"][0])
    with django_capture_on_commit_callbacks(execute=True):
        created = api.post(f"/api/v1/applications/{scored.pk}/alternatives/",
                           {"loan_amount": 30000, "loan_term": 24}, format="json")
    assert created.status_code == 202
    child = api.get(created.json()["url"]).json()
    assert child["parent"] == str(scored.pk) and child["status"] == "done"
    bad = api.post(f"/api/v1/applications/{scored.pk}/alternatives/", {"loan_amount": 30000, "loan_term": 7},
                   format="json")
    assert bad.status_code == 400 and "loan_term" in bad.json()["errors"]["non_field_errors"][0]
