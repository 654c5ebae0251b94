"""Drift: PSI per field between a model's training data and the latest applications."""
import math
import re

import pytest
from django.core.management import call_command
from hypothesis import given, strategies as st
from django.urls import reverse
from django.utils import timezone

from scoring.analytics.drift import compute_drift, psi, reference_frame
from scoring.analytics.models import DriftMeasurement
from scoring.engine.synthetic import generate_applications
from scoring.analytics.drift import ReferenceUnavailable
from scoring.models import Application, Bank, Feature, HistoricalApplication, ImportBatch, ModelVersion
from scoring.modelops.training import _id_ranges, batch_ids
from tests.helpers import generated_history, run_command


def test_psi_of_known_shares():
    expected = (0.25 - 0.5) * math.log(0.25 / 0.5) + (0.75 - 0.5) * math.log(0.75 / 0.5)
    assert psi([0.5, 0.5], [0.25, 0.75]) == pytest.approx(expected)
    assert psi([0.3, 0.7], [0.3, 0.7]) == 0


@pytest.fixture
def synthetic_version(configured, trained_artifacts):
    encoder, by_bank = trained_artifacts
    artifact, metrics = by_bank["bank_a"]
    return ModelVersion.objects.create(bank=Bank.objects.get(code="bank_a"), encoder=encoder, artifact=artifact,
                                       metrics=metrics, training_data="synthetic rows=800 seed=11", active=True)


def live_applications(officer, count, **changes):
    # Generated as of today: ages and tenures are counted to the day each application is submitted.
    frame = generate_applications(count, seed=99, as_of=timezone.localdate())
    for i, record in enumerate(frame.iloc[:, :16].astype(object).to_dict("records")):
        answers = {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in record.items()}
        answers.update(changes)
        Application.objects.create(officer=officer, answers=answers, answers_hash=f"d{i}",
                                   status=Application.Status.DONE)


def test_it_rebuilds_the_synthetic_training_rows(synthetic_version):
    frame = reference_frame(synthetic_version)
    assert len(frame) == 800 and frame.equals(generate_applications(800, seed=11, bank_codes=["bank_a"]))


@given(st.sets(st.integers(min_value=1, max_value=10_000), max_size=40))
def test_batch_ranges_read_back_as_written(ids):
    assert batch_ids(_id_ranges(sorted(ids))) == sorted(ids)


def test_batch_ranges_ignore_what_is_not_a_range():
    assert batch_ids("") == [] and batch_ids("1-3, 7,x,5-,-2") == [1, 2, 3, 7]


def test_it_rebuilds_the_imported_rows_of_the_versions_batches_only(synthetic_version, tmp_path):
    run_command("import_applications", generated_history(tmp_path / "first.csv", rows=300, seed=8))
    run_command("import_applications", generated_history(tmp_path / "second.csv", rows=200, seed=9))
    first, second = ImportBatch.objects.order_by("pk")
    version = synthetic_version
    version.training_data = f"imported: 200 rows, batches {second.pk}"
    frame = reference_frame(version)
    assert len(frame) == HistoricalApplication.objects.filter(batch=second).count() == 200
    version.training_data = f"imported: 500 rows, batches {first.pk}-{second.pk}"
    assert len(reference_frame(version)) == 500
    version.training_data = f"imported: 10 rows, batches {second.pk + 1}"
    with pytest.raises(ReferenceUnavailable, match="no longer stored"):
        reference_frame(version)


@pytest.mark.parametrize("text", ["", "outcomes: 300 applications with recorded answers", "synthetic rows=x seed=1"])
def test_a_reference_it_cannot_rebuild_says_so(synthetic_version, text):
    synthetic_version.training_data = text
    with pytest.raises(ReferenceUnavailable, match="cannot be rebuilt"):
        reference_frame(synthetic_version)


def test_it_finds_drift_in_a_changed_field_only(synthetic_version, officer):
    live_applications(officer, 400, loan_term="24")
    run = compute_drift(last=400)
    by_field = {m.feature: m.psi for m in run.measurements}
    assert by_field["loan_term"] > 0.25
    assert by_field["goods_category"] < 0.1 and by_field["month_profit"] < 0.1
    assert DriftMeasurement.objects.filter(model_version=synthetic_version).count() == len(by_field)


def test_the_dashboard_warns_when_a_psi_exceeds_the_limit(analyst_client, synthetic_version, officer):
    live_applications(officer, 200, loan_term="24")
    call_command("compute_drift", "--last", "200")
    label = Feature.objects.get(key="loan_term").label
    page = analyst_client.get(reverse("analytics:dashboard")).content.decode()
    assert 'role="alert"' in page and label in page and "loan_term" not in page
    drift_page = analyst_client.get(reverse("analytics:drift")).content.decode()
    assert label in drift_page and "loan_term" not in drift_page


def test_the_dashboard_does_not_warn_without_drift(analyst_client, synthetic_version, officer):
    live_applications(officer, 300)
    call_command("compute_drift", "--last", "300")
    assert 'role="alert"' not in analyst_client.get(reverse("analytics:dashboard")).content.decode()


def test_it_skips_a_model_whose_training_data_cannot_be_rebuilt(configured, trained_artifacts, officer):
    encoder, by_bank = trained_artifacts
    version = ModelVersion.objects.create(bank=Bank.objects.get(code="bank_b"), encoder=encoder,
                                          artifact=by_bank["bank_b"][0], training_data="a spreadsheet", active=True)
    live_applications(officer, 10)
    run = compute_drift(last=10)
    assert version.pk in run.skipped and not run.measurements


def test_it_is_scheduled_daily(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["analytics-compute-drift"]
    assert entry["task"] == "scoring.analytics.tasks.compute_drift" and entry["schedule"] == 24 * 3600


def test_an_analyst_computes_drift_from_the_page(analyst_client, synthetic_version, officer):
    """Issue 15 item 16: the empty page offers the computation; the result replaces it (inline here)."""
    live_applications(officer, 50, loan_term="24")
    before = analyst_client.get(reverse("analytics:drift")).content.decode()
    assert "Рассчитать сдвиг" in before and "Сдвиг ещё не рассчитан" in before
    assert analyst_client.post(reverse("analytics:drift_compute")).status_code == 302
    assert DriftMeasurement.objects.filter(model_version=synthetic_version).exists()
    page = analyst_client.get(reverse("analytics:drift")).content.decode()
    assert Feature.objects.get(key="loan_term").label in page and "Пересчитать сдвиг" in page


def test_the_drift_page_shows_computing_and_polls(analyst_client, configured):
    from django.core.cache import cache

    from scoring.analytics import jobs, tasks

    cache.clear()
    assert jobs.mark_started(tasks.DRIFT_JOB)  # as the button marks it while the work runs
    page = analyst_client.get(reverse("analytics:drift")).content.decode()
    assert "Сдвиг считается" in page and 'hx-trigger="every 2s"' in page and "Рассчитать сдвиг" not in page
    assert "уже считается" in analyst_client.post(reverse("analytics:drift_compute"), follow=True).content.decode()
    cache.clear()


def test_an_officer_may_not_compute_drift(officer_client, configured):
    assert officer_client.post(reverse("analytics:drift_compute")).status_code == 403
    assert officer_client.get(reverse("analytics:drift_compute")).status_code == 403


def test_the_drift_page_names_choices_and_yes_no_values_as_the_form_does(analyst_client, synthetic_version, officer):
    """A bin of a choice is its option's label (Мебель, not Furniture), a yes/no answer да / нет; stored
    as the value, so an English page says the English label. The bins are shown for a field that drifted."""
    live_applications(officer, 200, goods_category="Furniture", snils=False)
    call_command("compute_drift", "--last", "200")
    page = analyst_client.get(reverse("analytics:drift")).content.decode()
    rows = set(re.findall(r"<tr><td>([^<]+)</td><td class=\"num\">", page))
    assert {"Мебель", "Мобильные устройства", "да", "нет"} <= rows
    assert not rows & {"Furniture", "Mobile_devices", "true", "false"}
    analyst_client.post(reverse("set_language"), {"language": "en", "next": "/"})
    english = analyst_client.get(reverse("analytics:drift")).content.decode()
    english_rows = set(re.findall(r"<tr><td>([^<]+)</td><td class=\"num\">", english))
    assert {"Furniture", "Mobile devices", "yes", "no"} <= english_rows, english_rows
