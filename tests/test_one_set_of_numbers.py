"""Reasons, waterfall and API show one set of numbers, adding up from the model's average to the shown
probability (issue 15, finding 1)."""
import pytest

from scoring.models import BankScore
from scoring.services import runtime


@pytest.fixture
def scores(scored):
    return list(BankScore.objects.filter(application=scored))


def test_each_reason_is_its_waterfall_step_and_they_add_up(scores):
    checked = 0
    for score in scores:
        if score.refused_by_rule:
            continue
        steps = score.waterfall()
        reasons = [r for r in score.explained_reasons if r.get("kind") != "rule"]
        by_text = {step["text"]: step for step in steps}
        for reason in reasons:
            step = by_text[reason["text"]]
            assert reason["effect_pp"] == pytest.approx((step["end"] - step["start"]) * 100, abs=0.051)
        total = score.average_probability * 100 + sum(r["effect_pp"] for r in reasons) + score.other_factors_pp
        assert total == pytest.approx(score.probability * 100, abs=0.05 * (len(reasons) + 2))
        checked += 1
    assert checked


def test_the_stored_effects_are_the_ones_shown(scores):
    for score in scores:
        stored = [r.get("effect_pp") for r in score.reasons if r.get("kind") != "rule"]
        shown = [r.get("effect_pp") for r in score.explained_reasons if r.get("kind") != "rule"]
        assert stored == shown


def test_a_bank_refusing_by_rule_lists_no_model_effects(scores):
    score = scores[0]
    score.reasons = [runtime.rule_reason("Сумма больше максимальной для банка.")] + score.reasons
    score.probability = 0.0
    assert all(r["effect_pp"] is None for r in score.explained_reasons)
    assert score.other_factors_pp is None and score.waterfall() == []


def test_the_page_and_the_api_say_how_to_read_them(officer_client, api, scores):
    application = scores[0].application
    page = officer_client.get(f"/applications/{application.pk}/").content.decode()
    assert "Как читать п.п." in page
    body = api.get(f"/api/v1/applications/{application.pk}/").json()
    for score in body["scores"]:
        stored = BankScore.objects.get(application=application, bank__code=score["bank"])
        assert [r["effect_pp"] for r in score["reasons"]] == [r.get("effect_pp") for r in stored.explained_reasons]
