"""Daily figures give the same numbers as the live queries they replace."""
import datetime as dt

import pytest
from django.core.management import call_command
from django.urls import reverse

from scoring.analytics import rollup, selectors
from scoring.analytics.fairness import live_fairness
from scoring.analytics.reports import cohorts, dashboard, store_section


def rounded(value):
    if isinstance(value, float):
        return round(value, 9)
    if isinstance(value, (list, tuple)):
        return [rounded(v) for v in value]
    return value


def tables_of(data):
    """Every table's rows, floats rounded: a sum of sums differs from one sum in the last bits."""
    return {key: rounded(table.rows) for key, table in data["tables"].items()}


@pytest.mark.parametrize("filters", [selectors.Filters(), selectors.Filters(bank="bank_a"),
                                     selectors.Filters(date_from=dt.date(2026, 1, 11)),
                                     selectors.Filters(category="Furniture"),
                                     selectors.Filters(category="Travel", bank="bank_b", date_to=dt.date(2026, 1, 11))])
def test_the_dashboard_is_the_same_from_daily_figures(known_applications, filters):
    live = tables_of(dashboard(filters))
    rollup.refresh()
    assert rollup.usable(filters, "all")
    assert tables_of(dashboard(filters)) == live


def test_cohorts_are_the_same_from_daily_figures(known_applications):
    live = tables_of(cohorts(selectors.Filters()))
    rollup.refresh()
    assert tables_of(cohorts(selectors.Filters())) == live


@pytest.mark.parametrize("filters", [selectors.Filters(), selectors.Filters(category="Travel")])
def test_fairness_is_the_same_from_daily_figures(known_applications, filters):
    live = {k: rounded(t.rows) for k, t in live_fairness(filters).items()}
    rollup.refresh()
    assert {k: rounded(t.rows) for k, t in live_fairness(filters).items()} == live


def test_live_calibration_is_the_same_from_daily_figures(known_applications, bank_a_version):
    live = selectors.live_calibration(bank_a_version)
    rollup.refresh()
    assert rounded([list(r.values()) for r in rollup.live_calibration(bank_a_version)]) == rounded(
        [[float(r["band"]), r["n"], r["mean_predicted"], r["approved"]] for r in live])


def test_a_store_filter_reads_the_applications(known_applications):
    rollup.refresh()
    assert not rollup.usable(selectors.Filters(store=5))
    assert selectors.funnel(selectors.Filters(store=5))["submitted"] == 2


def test_the_command_refreshes_and_the_page_says_when(analyst_client, known_applications):
    call_command("refresh_analytics")
    assert "Итоги по дням на" in analyst_client.get(reverse("analytics:dashboard")).content.decode()


def test_it_is_scheduled(settings):
    assert settings.CELERY_BEAT_SCHEDULE["analytics-refresh"]["task"] == "scoring.analytics.tasks.refresh_analytics"


def test_the_cohort_page_counts_from_daily_figures(analyst_client, known_applications):
    rollup.refresh()
    assert rollup.cohort_size(selectors.Filters(), "i0-p2-e1") == 1
    page = analyst_client.get(reverse("analytics:cohort_detail", args=["i0-p2-e1"])).content.decode()
    assert "1 заявка" in page and str(known_applications[1].pk) in page


@pytest.mark.parametrize("filters", [selectors.Filters(), selectors.Filters(bank="bank_b"),
                                     selectors.Filters(date_to=dt.date(2026, 1, 10))])
def test_the_store_table_is_the_same_from_daily_figures(known_applications, filters):
    live = tables_of(store_section(filters))
    assert live["by_store"]
    rollup.refresh()
    assert rollup.usable(filters, "store")
    assert tables_of(store_section(filters)) == live


def test_cohorts_with_a_category_filter_read_the_applications_and_agree(known_applications):
    rollup.refresh()
    filters = selectors.Filters(category="Travel")
    assert not rollup.usable(filters)
    rows = {row[0]: row[1] for row in cohorts(filters)["tables"]["cohorts"].rows}
    assert rows == {"доход от 190 тыс. ₽, платёж до 10 % дохода, по найму": 1,
                    "доход до 100 тыс. ₽, платёж до 10 % дохода, не работает, учится, на пенсии": 1}
