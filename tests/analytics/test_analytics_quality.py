"""Model quality: stored held-out metrics, the confusion matrix at the bank's threshold, live calibration."""
from django.urls import reverse

from scoring.analytics import selectors
from scoring.analytics.quality import confusion_at, model_quality


def test_it_counts_the_confusion_matrix_at_a_threshold():
    counts = confusion_at([1, 1, 0, 0, 1], [0.9, 0.4, 0.6, 0.2, 0.5], 0.5)
    assert (counts["tp"], counts["fn"], counts["fp"], counts["tn"]) == (2, 1, 1, 1)
    assert counts["precision"] == 2 / 3 and counts["recall"] == 2 / 3 and counts["accuracy"] == 3 / 5


def test_it_calibrates_against_recorded_outcomes(known_applications, bank_a_version):
    rows = selectors.live_calibration(bank_a_version)
    assert [(int(r["band"]), r["n"], r["approved"]) for r in rows] == [(6, 1, 0), (8, 1, 1)]
    assert rows[1]["mean_predicted"] == 0.8


def test_it_shows_the_stored_roc_curve_and_confusion_matrix(analyst_client, known_applications, bank_a_version):
    bank_a_version.metrics = {
        "auc": 0.81, "roc_curve": {"fpr": [0.0, 0.25, 1.0], "tpr": [0.0, 0.75, 1.0], "thresholds": [1.0, 0.5, 0.0]},
        "held_out_predictions": {"y": [1, 1, 0, 0, 1], "p": [0.9, 0.4, 0.6, 0.2, 0.5]},
        "calibration": [{"low": 0.0, "high": 0.5, "n": 2, "mean_predicted": 0.3, "observed_rate": 0.5},
                        {"low": 0.5, "high": 1.0, "n": 3, "mean_predicted": 0.67, "observed_rate": 0.67}],
        "importance": [{"feature": "loan_amount", "importance": 0.4}, {"feature": "month_profit", "importance": 0.2}],
    }
    bank_a_version.save()
    tables = model_quality(bank_a_version)["tables"]
    assert tables["roc"].rows[1] == [0.25, 0.75, 0.5]
    assert tables["confusion"].rows[0][1:] == [2, 1] and tables["confusion"].rows[1][1:] == [1, 1]
    page = analyst_client.get(reverse("analytics:models"), {"version": bank_a_version.pk}).content.decode()
    assert "ROC-кривая" in page and "<polyline" in page and "нет данных" not in page


def test_it_says_there_is_no_data_when_curves_are_not_stored(analyst_client, known_applications, bank_a_version):
    tables = model_quality(bank_a_version)["tables"]
    assert tables["roc"] is None and tables["confusion"] is None
    page = analyst_client.get(reverse("analytics:models"), {"version": bank_a_version.pk}).content.decode()
    assert "нет данных" in page


def test_it_refuses_an_unknown_version(analyst_client, known_applications):
    assert analyst_client.get(reverse("analytics:models"), {"version": "999999"}).status_code == 404
