"""A result stays as it was decided: every bank score keeps what produced it (model version, threshold,
rate, product limits, the rules in force and those that fired), and the page and the API show the
stored threshold and verdict whatever the bank's settings become."""
import html
import re

import pytest
from django.urls import reverse

from scoring.models import Bank, BankScore
from scoring.services import runtime, submission


@pytest.fixture
def scored(models_ready, officer, answers):
    Bank.objects.filter(code="bank_b").update(
        rules=[{"field": "birth_date", "operator": "lt", "value": 99, "reason": "Банк Б: только клиенты от 99 лет"}])
    application, _ = submission.submit_application(officer=officer, answers=answers)
    runtime.score_application(application_id=application.pk)
    application.refresh_from_db()
    return application


def likely_score(application) -> BankScore:
    score = application.scores.select_related("bank").filter(verdict="likely").first()
    assert score is not None, "the example client is likely approved somewhere"
    return score


def threshold_on_page(page: str, code: str) -> str:
    card = page.split(f'data-bank="{code}"', 1)[1].split("</article>", 1)[0]
    return re.search(r'<p class="threshold">[^:]*: ([^<]*)</p>', card).group(1)


def test_every_score_keeps_what_produced_it(scored):
    for score in scored.scores.select_related("bank", "model_version"):
        bank = score.bank
        assert score.model_version is not None and score.model_version.bank_id == bank.pk
        assert score.threshold == bank.approval_threshold
        decision = score.decision
        assert decision["threshold"] == bank.approval_threshold
        assert decision["annual_rate"] == float(bank.annual_rate) == score.offer["annual_rate"]
        assert (decision["min_amount"], decision["max_amount"]) == (float(bank.min_amount), float(bank.max_amount))
        assert decision["terms"] == [int(t) for t in bank.terms]
        assert decision["rules"] == bank.rules  # every rule in force, as written
        assert decision["affordability"]["enabled"] is True
    refused = scored.scores.get(bank__code="bank_b")
    assert refused.decision["fired"] == ["Банк Б: только клиенты от 99 лет"]
    assert all(s.decision["fired"] == [] for s in scored.scores.exclude(bank__code="bank_b"))


def test_a_later_threshold_change_changes_nothing_on_the_page(officer_client, scored):
    score = likely_score(scored)
    url = reverse("scoring:application_detail", args=[scored.pk])
    before = html.unescape(officer_client.get(url).content.decode())
    shown = threshold_on_page(before, score.bank.code)
    Bank.objects.filter(pk=score.bank_id).update(approval_threshold=0.99)  # above the client's probability
    after = html.unescape(officer_client.get(url).content.decode())
    assert threshold_on_page(after, score.bank.code) == shown != "99\u00a0%"
    card = after.split(f'data-bank="{score.bank.code}"', 1)[1].split("</article>", 1)[0]
    assert "скорее одобрит" in card and f'low="{score.threshold:.3f}"' in card


def test_a_later_threshold_change_changes_nothing_in_the_api(api, scored):
    score = likely_score(scored)
    url = f"/api/v1/applications/{scored.pk}/"
    before = {s["bank"]: s for s in api.get(url).json()["scores"]}[score.bank.code]
    Bank.objects.filter(pk=score.bank_id).update(approval_threshold=0.99, annual_rate="35.00",
                                                 rules=[{"field": "birth_date", "operator": "gt", "value": 1}])
    after = {s["bank"]: s for s in api.get(url).json()["scores"]}[score.bank.code]
    assert after["threshold"] == before["threshold"] == score.threshold != 0.99
    assert after["verdict"] == before["verdict"] == "likely"
    assert after["offer"] == before["offer"] and after["decision"] == before["decision"]
    assert after["decision"]["annual_rate"] != 35.0 and after["decision"]["rules"] != [
        {"field": "birth_date", "operator": "gt", "value": 1}]


def test_a_score_stored_before_thresholds_were_kept_shows_the_banks(scored):
    score = likely_score(scored)
    BankScore.objects.filter(pk=score.pk).update(threshold=None, decision={})
    score.refresh_from_db()
    assert score.threshold_used == score.bank.approval_threshold


def test_the_migration_keeps_the_thresholds_of_older_scores(scored):
    from importlib import import_module

    from django.apps import apps

    keep_thresholds = import_module("scoring.migrations.0016_bank_score_decision").keep_thresholds
    BankScore.objects.update(threshold=None)
    Bank.objects.filter(code="bank_a").update(approval_threshold=0.42)
    keep_thresholds(apps, None)
    kept = dict(BankScore.objects.values_list("bank__code", "threshold"))
    assert kept["bank_a"] == 0.42 and None not in kept.values()
    assert kept == dict(Bank.objects.values_list("code", "approval_threshold"))
