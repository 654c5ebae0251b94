"""Fairness: the approval-rate ratio per group and bank, group AUCs, training without protected fields."""
import numpy as np
import pytest
from django.urls import reverse

from scoring.analytics import selectors
from scoring.analytics.fairness import compare_with_and_without, live_fairness
from scoring.analytics.groups import group_metrics, ratio
from scoring.analytics.models import AttributeFreeTraining
from scoring.engine.synthetic import generate_applications
from scoring.models import Bank, ModelVersion


def test_it_computes_the_ratio_of_lowest_to_highest_rate():
    assert ratio([0.4, 0.5]) == pytest.approx(0.8)
    assert ratio([0.5]) is None


def test_it_measures_auc_and_approval_rate_per_group():
    y = np.array([1, 0] * 20 + [1, 1, 0, 0] * 10)
    p = np.array([0.9, 0.1] * 20 + [0.2, 0.8, 0.7, 0.3] * 10)
    groups = np.array(["a"] * 40 + ["b"] * 40, dtype=object)
    by_group = {g["group"]: g for g in group_metrics(y, p, groups, 0.5)}
    assert by_group["a"]["auc"] == 1.0 and by_group["b"]["auc"] == 0.5
    assert by_group["a"]["approval_rate"] == 0.5 and by_group["b"]["n"] == 40


def test_it_flags_a_bank_whose_ratio_is_below_four_fifths(known_applications, settings):
    settings.PRESCORING_FAIRNESS_MIN_GROUP = 2
    # bank_a: men 1 of 2 likely, women 1 of 2 → 1.0; bank_b: men 0 of 2, women 1 of 2 → 0.0, flagged.
    table = live_fairness(selectors.Filters())["impact_gender"]
    rows = {row[0]: (row[2], flag) for row, flag in zip(table.rows, table.flags)}
    assert rows["Банк А"] == (1.0, False)
    assert rows["Банк Б"] == (0.0, True)


def test_the_page_marks_the_flagged_bank(analyst_client, known_applications, settings):
    settings.PRESCORING_FAIRNESS_MIN_GROUP = 2
    page = analyst_client.get(reverse("analytics:fairness")).content.decode()
    assert 'class="flagged"' in page and "ниже порога" in page


def test_training_without_protected_fields_reports_both_aucs(configured):
    frame = generate_applications(1500, seed=3, bank_codes=["bank_a"])
    result = compare_with_and_without(frame, bank=Bank.objects.get(code="bank_a"), excluded=["gender", "birth_date"],
                                      algorithms=("xgboost",))
    assert "gender" in result["with"]["fields"] and "gender" not in result["without"]["fields"]
    assert "birth_date" not in result["without"]["fields"]
    assert 0.5 < result["with"]["auc"] <= 1 and 0.5 < result["without"]["auc"] <= 1
    assert result["with"]["n_test"] == result["without"]["n_test"]  # the same held-out rows
    assert {g["group"] for g in result["without"]["gender"]} == {"0", "1"}


def test_the_button_trains_and_stores_the_comparison(analyst_client, configured, django_capture_on_commit_callbacks,
                                                     settings):
    settings.PRESCORING_BACKGROUND_THREADS = False  # the training runs inline here
    bank = Bank.objects.get(code="bank_b")
    ModelVersion.objects.create(bank=bank, algorithm="xgboost", encoder={}, artifact=b"",
                                training_data="synthetic rows=1500 seed=5", active=True)
    with django_capture_on_commit_callbacks(execute=True):
        response = analyst_client.post(reverse("analytics:fairness_train"), {"bank": "bank_b"})
    assert response.status_code == 302
    run = AttributeFreeTraining.objects.get(bank=bank)
    assert run.status == AttributeFreeTraining.Status.DONE, run.error
    assert run.training_data == "synthetic rows=1500 seed=5"
    assert run.auc_cost == pytest.approx(run.auc_with - run.auc_without)
    page = analyst_client.get(reverse("analytics:fairness")).content.decode()
    assert f"{run.auc_with:.3f}".replace(".", ",") in page


def test_the_button_refuses_an_unknown_bank(analyst_client, configured):
    assert analyst_client.post(reverse("analytics:fairness_train"), {"bank": "nope"}).status_code == 404


def test_one_run_at_a_time_per_bank(analyst_client, configured, django_capture_on_commit_callbacks):
    """Repeated clicks while a run is queued start nothing new (issue 16, finding 6); another bank may run."""
    with django_capture_on_commit_callbacks(execute=False) as queued:
        for _ in range(3):
            response = analyst_client.post(reverse("analytics:fairness_train"), {"bank": "bank_b"}, follow=True)
        analyst_client.post(reverse("analytics:fairness_train"), {"bank": "bank_c"})
    assert AttributeFreeTraining.objects.filter(bank__code="bank_b").count() == 1
    assert AttributeFreeTraining.objects.filter(bank__code="bank_c").count() == 1
    assert len(queued) == 2  # one task per bank
    assert "уже идёт" in response.content.decode()
    AttributeFreeTraining.objects.filter(bank__code="bank_b").update(status=AttributeFreeTraining.Status.DONE)
    analyst_client.post(reverse("analytics:fairness_train"), {"bank": "bank_b"})
    assert AttributeFreeTraining.objects.filter(bank__code="bank_b").count() == 2  # finished: a new one may start
