"""The full cost of each bank's offer (payment, total repayment, overpayment, ПСК) on the result page
and in the API, the officer's choice of ordering the banks by chance or by payment, and a card that
never contradicts itself (no offer from a refusing bank, no "suits the bank" for a refused amount, no
probability rounded onto its threshold)."""
import html
import re

import pytest
from django.urls import reverse

from scoring.engine.advice import offer_cost
from scoring.engine.offers import full_cost_percent, monthly_payment
from scoring.models import BankScore
from scoring.services import runtime, submission


def page_of(client, application, query="") -> str:
    url = reverse("scoring:application_detail", args=[application.pk]) + query
    return html.unescape(client.get(url).content.decode())


def test_the_full_cost_is_the_nominal_rate_compounded_monthly():
    assert full_cost_percent(19.9) == 21.819  # ((1 + 0.199/12)^12 - 1) * 100 = 21.8188...
    assert full_cost_percent(12.0) == 12.683
    assert full_cost_percent(0) == 0.0


def test_the_cost_adds_up_from_the_payment():
    cost = offer_cost(100_000, 12.0, 12)
    assert cost["monthly_payment"] == 8884.88
    assert cost["total_repayment"] == pytest.approx(8884.88 * 12) == 106618.56
    assert cost["overpayment"] == pytest.approx(cost["total_repayment"] - 100_000)
    assert cost["full_cost_percent"] == 12.683


def test_the_api_offer_carries_the_full_cost(api, scored):
    body = api.get(f"/api/v1/applications/{scored.pk}/").json()
    for score in body["scores"]:
        rate = score["offer"]["annual_rate"]
        assert score["offer"]["monthly_payment"] == pytest.approx(monthly_payment(68_000, rate, 12), abs=0.01)
        assert score["offer"]["total_repayment"] == pytest.approx(score["offer"]["monthly_payment"] * 12, abs=0.01)
        assert score["offer"]["overpayment"] == pytest.approx(score["offer"]["total_repayment"] - 68_000, abs=0.01)
        assert score["offer"]["full_cost_percent"] == full_cost_percent(rate)


def test_an_offer_stored_before_the_cost_gets_it_computed(api, scored):
    score = scored.scores.first()
    BankScore.objects.filter(pk=score.pk).update(offer={key: score.offer[key] for key in
                                                        ("annual_rate", "amount", "term", "monthly_payment")})
    body = api.get(f"/api/v1/applications/{scored.pk}/").json()
    shown = {s["bank"]: s for s in body["scores"]}[score.bank.code]["offer"]
    assert shown == score.offer


def test_the_page_shows_the_cost_on_every_card(officer_client, scored):
    page = page_of(officer_client, scored)
    for score in scored.scores.select_related("bank"):
        card = page.split(f'data-bank="{score.bank.code}"', 1)[1].split("</article>", 1)[0]
        assert "Всего выплатить" in card and "Переплата" in card and "ПСК" in card
        psk = f"{score.offer['full_cost_percent']:.3f}".replace(".", ",")
        assert f"{psk} % годовых" in card


def cards(page: str) -> list[str]:
    return re.findall(r'<article class="bank [^"]*" data-bank="([^"]+)"', page)


def test_the_officer_sorts_the_banks_by_payment_or_by_chance(officer_client, scored):
    scores = list(scored.scores.select_related("bank"))
    by_chance = [s.bank.code for s in sorted(scores, key=lambda s: s.rank)]
    by_payment = [s.bank.code for s in sorted(scores, key=lambda s: (s.refused_by_rule, s.offer["monthly_payment"]))]
    assert by_chance != by_payment, "the example's banks differ in order by payment and by chance"
    default = page_of(officer_client, scored)
    assert cards(default) == by_chance and "?sort=payment" in default
    sorted_page = page_of(officer_client, scored, "?sort=payment")
    assert cards(sorted_page) == by_payment
    assert '<strong aria-current="true">по платежу</strong>' in sorted_page
    result = html.unescape(officer_client.get(
        reverse("scoring:application_result", args=[scored.pk]) + "?sort=payment").content.decode())
    assert cards(result) == by_payment


def test_a_bank_refusing_by_rule_shows_no_offer(officer_client, scored):
    score = scored.scores.select_related("bank").first()
    BankScore.objects.filter(pk=score.pk).update(reasons=[runtime.rule_reason("Банк: только по будням")],
                                                 probability=0.0, verdict="unlikely")
    card = page_of(officer_client, scored).split(f'data-bank="{score.bank.code}"', 1)[1].split("</article>", 1)[0]
    assert "Предложения нет" in card and "Ставка" not in card and "ПСК" not in card


def test_an_amount_over_the_maximum_is_never_said_to_suit_the_bank(models_ready, officer, answers):
    application, _ = submission.submit_application(officer=officer, answers={**answers, "loan_amount": 900_000})
    runtime.score_application(application_id=application.pk)
    for score in BankScore.objects.filter(application=application):
        assert score.refused_by_rule and score.reasons[0]["message"]["id"] == "amount_above_max"
        assert not [r for r in score.reasons if r["feature"] == "loan_amount" and r["direction"] == "up"]


@pytest.mark.parametrize("probability, shown", [(0.497, "49,7 %"), (0.4996, "49,96 %"), (0.73, "73 %"),
                                                (0.5, "50 %")])
def test_a_probability_is_never_rounded_onto_its_threshold(officer_client, scored, probability, shown):
    score = scored.scores.select_related("bank").first()
    BankScore.objects.filter(pk=score.pk).update(probability=probability, threshold=0.5)
    card = page_of(officer_client, scored).split(f'data-bank="{score.bank.code}"', 1)[1].split("</article>", 1)[0]
    assert f"<strong>{shown}</strong>" in card
