"""Issue 15 items 10, 11 and 13 on the analytics pages: words instead of codes, one number format per
language, the configured time zone, charts whose labels fit, fairness only between groups large enough."""
import datetime as dt
import html
import re

from django.urls import reverse
from django.utils import translation

from scoring.analytics import charts, selectors
from scoring.analytics.fairness import live_fairness
from scoring.analytics.groups import age_band_label, group_label
from scoring.analytics.models import AttributeFreeTraining, DriftMeasurement
from scoring.analytics.tables import format_value
from scoring.analytics.wording import data_source
from scoring.models import Bank, ModelVersion

UTC = dt.UTC


def test_table_cells_use_the_languages_number_format(configured):
    assert [format_value(0.8123, "ratio"), format_value(0.125, "share"), format_value(12345, "count")] == \
        ["0,812", "12,5 %", "12\u00a0345"]
    assert format_value(150000, "money") == "150\u00a0000\u00a0₽"
    assert format_value(None, "text") == "не указано" and format_value(None, "share") == "—"
    with translation.override("en"):
        assert [format_value(0.8123, "ratio"), format_value(0.125, "share"), format_value(12345, "count")] == \
            ["0.812", "12.5%", "12,345"]


def test_times_are_shown_in_the_configured_time_zone(settings):
    settings.TIME_ZONE = "Europe/Moscow"
    assert format_value(dt.datetime(2026, 1, 10, 21, 30, tzinfo=UTC), "datetime") == "11.01.2026 00:30"


def test_charts_write_decimal_commas():
    bars = charts.bar_chart([("Банк А", 0.734)], title="t")
    assert "73,4 %" in bars and "73.4" not in bars
    heat = charts.heatmap(["a", "b"], [[1.0, -0.25], [-0.25, 1.0]], title="t")
    assert "-0,25" in heat and "0.25" not in heat


def test_a_long_chart_label_is_cut_with_its_full_text_as_a_tooltip():
    name = "Работаю по найму полный рабочий день/служу, а также подрабатываю по выходным в другой компании"
    svg = charts.bar_chart([(name, 0.5)], title="t")
    shown = re.search(r"<text[^>]*><title>([^<]*)</title>([^<]*)</text>", svg)
    assert shown[1] == name and shown[2].endswith("…") and len(shown[2]) < len(name)
    assert charts.text_width(shown[2], 14) <= charts.WIDTH


def test_an_over_time_chart_of_one_day_shows_its_point():
    svg = charts.line_chart(["10.01.2026"], [("Подано", [3]), ("Рекомендовано", [1])], title="t")
    assert svg.count("<circle") == 2 and "10.01.2026" in svg


def test_the_dashboard_over_time_chart_of_one_day_has_its_point(analyst_client, known_applications):
    page = analyst_client.get(reverse("analytics:dashboard"), {"date_from": "2026-01-10", "date_to": "2026-01-10"})
    chart = re.search(r'id="table-over_time".*?(<svg.*?</svg>)', page.content.decode(), re.DOTALL)[1]
    assert "<circle" in chart and "10.01.2026" in chart and "2026-01-10" not in chart


def test_data_sources_in_words():
    assert data_source("synthetic rows=800 seed=11") == "синтетические данные: 800 строк"
    assert data_source("imported: 2 000 rows, batches 1-3") == "загруженная история: 2\u00a0000 строк"
    assert data_source("") == "не указано"


def test_the_models_page_shows_words_not_codes(analyst_client, configured, trained_artifacts):
    encoder, by_bank = trained_artifacts
    artifact, metrics = by_bank["bank_a"]
    ModelVersion.objects.create(bank=Bank.objects.get(code="bank_a"), encoder=encoder, artifact=artifact,
                                metrics={**metrics, "quality_gate": "AUC 0.739 [0.696, 0.778] — activated"},
                                training_data="synthetic rows=800 seed=11", active=True)
    page = analyst_client.get(reverse("analytics:models")).content.decode()
    assert "синтетические данные: 800 строк" in page and "rows=" not in page
    assert "AUC 0,739 [0,696; 0,778] — активирована" in page and "activated" not in page
    importance = re.search(r'id="table-importance".*?</section>', page, re.DOTALL)[0]
    keys = {i["feature"] for i in metrics["importance"]}
    assert not any(f">{key}<" in importance for key in keys)  # labels, not keys


def test_age_bands_carry_their_unit_and_missing_groups_say_not_specified():
    assert age_band_label("65+").endswith("лет") and age_band_label("") == "не указано"
    assert group_label("gender", None, {}) == "не указано" and group_label("gender", "1", {"1": "Женский"}) == "Женский"


def test_a_group_below_the_minimum_is_not_compared(known_applications, settings):
    """Groups of two applications: bank_b's 0 of 2 against 1 of 2 is no evidence of anything."""
    settings.PRESCORING_FAIRNESS_MIN_GROUP = 30
    table = live_fairness(selectors.Filters())["impact_gender"]
    assert not any(table.flags) and all(row[2] is None for row in table.rows)
    assert all("не сравнивается" in row[1] for row in table.rows)
    settings.PRESCORING_FAIRNESS_MIN_GROUP = 2
    assert any(live_fairness(selectors.Filters())["impact_gender"].flags)


def test_the_fairness_page_says_the_minimum_group(analyst_client, known_applications, settings):
    settings.PRESCORING_FAIRNESS_MIN_GROUP = 30
    page = analyst_client.get(reverse("analytics:fairness")).content.decode()
    assert "Группы меньше 30 заявок не сравниваются" in page and 'class="flagged"' not in page


def test_the_fairness_page_polls_a_running_training_and_shows_the_result(analyst_client, configured):
    bank = Bank.objects.get(code="bank_a")
    run = AttributeFreeTraining.objects.create(bank=bank, excluded=["gender", "birth_date"])
    page = analyst_client.get(reverse("analytics:fairness")).content.decode()
    assert "обучается…" in page and 'hx-trigger="every 2s"' in page
    AttributeFreeTraining.objects.filter(pk=run.pk).update(
        status=AttributeFreeTraining.Status.DONE, auc_with=0.81, auc_without=0.8, training_data="synthetic rows=800 seed=1",
        finished_at=dt.datetime(2026, 1, 10, 21, 30, tzinfo=UTC), metrics={"rows": 800})
    page = analyst_client.get(reverse("analytics:fairness")).content.decode()
    assert 'hx-trigger="every 2s"' not in page and "обучается…" not in page
    assert "0,810" in page and "0,010" in page and "11.01.2026 00:30" in page
    assert "синтетические данные: 800 строк" in page


def test_the_drift_page_shows_labels_percentages_and_local_time(analyst_client, bank_a_version):
    DriftMeasurement.objects.create(
        model_version=bank_a_version, feature="month_profit", psi=0.4567, reference_source="tests",
        reference_rows=1000, live_rows=10, computed_at=dt.datetime(2026, 1, 10, 21, 30, tzinfo=UTC),
        bins=[{"label": "< 50\u00a0000", "reference": 0.125, "live": 0.5}, {"label": "нет ответа", "reference": 0.875,
                                                                         "live": 0.5}])
    page = analyst_client.get(reverse("analytics:drift")).content.decode()
    assert "Ежемесячный доход" in page and ">month_profit<" not in page
    assert "11.01.2026 00:30" in page and "2026-01-10" not in page
    assert "0,457" in page and "12,5 %" in page and "<td>не указано</td>" in page
    assert "manage.py" not in page
    english = html.unescape(analyst_client.get(reverse("analytics:drift"), HTTP_ACCEPT_LANGUAGE="en").content.decode())
    assert "< 50,000" in english and "0.457" in english
