"""Analytics charts in the reader's language: the bins without a value of their own, choice labels, field names."""
import html

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone, translation

from scoring.analytics.drift import ALL_VALUES, MISSING, OTHER, shown_label
from scoring.analytics.exploration import exploration_tables, profile
from scoring.analytics.models import DriftMeasurement
from scoring.models import HistoricalApplication, ImportBatch


@pytest.fixture
def history(configured):
    cache.clear()
    batch = ImportBatch.objects.create(file_name="h.csv", sha256="1" * 64, rows_total=3, rows_imported=3)
    for i, (category, gender) in enumerate([("Furniture", "0"), ("Travel", None), ("Travel", "1")]):
        HistoricalApplication.objects.create(
            batch=batch, row_number=i + 1, decisions={"bank_a": "success"},
            answers={"goods_category": category, "gender": gender, "month_profit": 50000 + i,
                     "birth_date": "1990-01-01"})
    yield
    cache.clear()


def test_the_bins_without_a_value_are_translated_at_display():
    with translation.override("en"):
        assert [shown_label(label) for label in (MISSING, OTHER, ALL_VALUES, "< 25")] == \
            ["not specified", "other", "all values", "< 25"]
    assert [shown_label(label) for label in (MISSING, OTHER, ALL_VALUES)] == ["не указано", "другое", "все значения"]


def test_the_exploration_charts_follow_the_reader_not_the_cache(history):
    with translation.override("en"):
        tables, charts = exploration_tables(profile("imported"))  # fills the cache in English
        gender = [row[0] for row in tables["field_gender"].rows]
        assert sorted(gender) == ["Female", "Male", "not specified"]
        assert "not specified" in charts["field_gender"] and "Furniture" in charts["field_goods_category"]
        assert tables["field_gender"].title == "Gender"
        assert "Date of birth (years)" in [row[0] for row in tables["correlation"].rows]
    tables, charts = exploration_tables(profile("imported"))  # the same cached profile, read in Russian
    assert "не указано" in [row[0] for row in tables["field_gender"].rows]
    assert "Мебель" in charts["field_goods_category"] and tables["field_gender"].title == "Пол"
    assert "Дата рождения (лет)" in [row[0] for row in tables["correlation"].rows]


def test_the_drift_page_shows_its_bins_in_english(analyst_client, bank_a_version):
    DriftMeasurement.objects.create(
        model_version=bank_a_version, feature="gender", psi=0.9, reference_source="tests", reference_rows=10,
        live_rows=10, computed_at=timezone.now(),
        bins=[{"label": "0", "reference": 0.5, "live": 0.1}, {"label": OTHER, "reference": 0.3, "live": 0.1},
              {"label": MISSING, "reference": 0.2, "live": 0.8}])
    english = html.unescape(analyst_client.get(reverse("analytics:drift"), HTTP_ACCEPT_LANGUAGE="en").content.decode())
    assert "<td>not specified</td>" in english and "<td>other</td>" in english and "не указано" not in english
    russian = analyst_client.get(reverse("analytics:drift")).content.decode()
    assert "<td>не указано</td>" in russian


def test_the_reports_choice_labels_follow_the_reader(configured):
    """The dashboard's and cohorts' categories and employment, and the fairness page's genders, on an
    English page in English (they were the questionnaire's Russian labels)."""
    from scoring.analytics.groups import gender_labels
    from scoring.analytics.reports import _choice_labels
    from scoring.analytics.wording import value_labels
    from scoring.models import Feature

    with translation.override("en"):
        assert _choice_labels("goods_category")["Furniture"] == "Furniture"
        assert _choice_labels("goods_category")["Mobile_devices"] == "Mobile devices"
        assert set(gender_labels().values()) == {"Female", "Male"}
        assert value_labels(Feature.objects.get(key="snils")) == {"true": "yes", "false": "no"}
    assert _choice_labels("goods_category")["Mobile_devices"] == "Мобильные устройства"
    assert set(gender_labels().values()) == {"Женский", "Мужской"}


def test_the_stored_group_quality_names_its_genders_in_the_readers_language(known_applications, settings):
    """The daily refresh stores the quality per group from the recorded answers. It runs in Russian,
    and it used to store the genders' Russian labels, which an English fairness page then showed."""
    from scoring.analytics import rollup, selectors
    from scoring.analytics.fairness import live_fairness

    settings.PRESCORING_FAIRNESS_MIN_GROUP = 2
    rollup.refresh()
    assert rollup.live_group_quality_snapshot() is not None  # the page reads what the refresh stored
    with translation.override("en"):
        rows = live_fairness(selectors.Filters())["live_auc"].rows
        assert {row[2] for row in rows if str(row[1]) == "Sex"} == {"Female", "Male"}
    rows = live_fairness(selectors.Filters())["live_auc"].rows
    assert {row[2] for row in rows if str(row[1]) == "Пол"} == {"Женский", "Мужской"}
    # A refresh's rows from before (a bare list, the genders' Russian labels) are not read: the page
    # computes the groups afresh until the next refresh.
    from scoring.analytics.models import AnalyticsSnapshot
    AnalyticsSnapshot.objects.filter(key="live_group_quality").update(data=[["bank_a", "gender", "Мужской", 1, 1.0, None]])
    assert rollup.live_group_quality_snapshot() is None
    with translation.override("en"):
        rows = live_fairness(selectors.Filters())["live_auc"].rows
        assert {row[2] for row in rows if str(row[1]) == "Sex"} == {"Female", "Male"}
