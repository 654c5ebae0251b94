"""Dashboard figures on four applications whose answers are known (conftest.ROWS)."""
import csv
import io

import pytest
from django.urls import reverse

from scoring.analytics import selectors
from scoring.analytics.reports import dashboard
from scoring.models import Bank


def csv_rows(response):
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))


def test_it_counts_applications_per_day(known_applications):
    period, rows = selectors.applications_over_time(selectors.Filters())
    assert period == "day"
    assert [(r["period"].day, r["submitted"], r["recommended"]) for r in rows] == [(10, 2, 2), (11, 1, 1), (12, 1, 0)]


def test_it_averages_predicted_approval_per_bank(known_applications):
    rows = {r["bank__code"]: r for r in selectors.approval_by_bank(selectors.Filters())}
    assert rows["bank_a"]["n"] == 4 and rows["bank_a"]["mean_probability"] == pytest.approx(0.45)
    assert rows["bank_a"]["likely"] == 2
    assert rows["bank_b"]["mean_probability"] == pytest.approx(0.4) and rows["bank_b"]["likely"] == 1


def test_it_averages_predicted_approval_per_goods_category(known_applications):
    rows = {(r["value"], r["bank__code"]): r["mean_probability"]
            for r in selectors.approval_by(selectors.Filters(), "category")}
    assert rows[("Furniture", "bank_a")] == pytest.approx(0.7)
    assert rows[("Travel", "bank_b")] == pytest.approx(0.5)


def test_it_bands_ages(known_applications):
    rows = {r["value"] for r in selectors.approval_by(selectors.Filters(), "age_band")}
    assert rows == {"18–24", "25–34", "35–44", "65+"}


def test_it_groups_by_store(known_applications):
    table = dashboard(selectors.Filters())["tables"]["by_store"]
    assert [(row[0], row[1]) for row in table.rows] == [("5", 2), ("7", 2)]


def test_the_page_loads_the_store_table_on_demand(analyst_client, known_applications):
    page = analyst_client.get(reverse("analytics:dashboard")).content.decode()
    assert "section=by_store" in page and 'id="table-by_store"' not in page
    section = analyst_client.get(reverse("analytics:dashboard"), {"section": "by_store"}, HTTP_HX_REQUEST="true")
    assert 'id="table-by_store"' in section.content.decode() and "<html" not in section.content.decode()


def test_it_counts_the_funnel(known_applications):
    assert selectors.funnel(selectors.Filters()) == {
        "submitted": 4, "scored": 4, "recommended": 3, "sent": 2, "approved": 1}


def test_it_compares_realised_and_predicted_approval(known_applications):
    (row,) = selectors.outcomes_by_bank(selectors.Filters())
    assert (row["bank__code"], row["sent"], row["approved"], row["refused"]) == ("bank_a", 2, 1, 1)
    assert row["mean_predicted"] == pytest.approx(0.7)


def test_it_applies_the_filters(known_applications):
    filters = selectors.Filters(category="Travel", bank="bank_b")
    rows = selectors.approval_by_bank(filters)
    assert [(r["bank__code"], r["n"]) for r in rows] == [("bank_b", 2)]
    assert selectors.funnel(selectors.Filters(store=5))["submitted"] == 2
    import datetime as dt
    assert selectors.funnel(selectors.Filters(date_from=dt.date(2026, 1, 11)))["submitted"] == 2


def test_the_page_filters_through_htmx(analyst_client, known_applications):
    response = analyst_client.get(reverse("analytics:dashboard"), {"category": "Travel"}, HTTP_HX_REQUEST="true")
    page = response.content.decode()
    assert response.status_code == 200 and 'id="analytics-body"' in page
    assert "hx-get" in page and "<svg" in page


def test_it_exports_a_table_as_csv(analyst_client, known_applications):
    response = analyst_client.get(reverse("analytics:dashboard"), {"csv": "by_bank"})
    assert response["Content-Type"].startswith("text/csv")
    rows = csv_rows(response)
    assert rows[0][0] == "Банк"
    assert rows[1][1:] == ["4", "0,4500", "0,5000"]  # a Russian spreadsheet reads "0.45" as text


def test_an_english_reader_gets_commas_between_columns_and_decimal_points(analyst_client, known_applications):
    """A spreadsheet set up for English splits a list at "," and reads "0.45" as a number (and "0,45"
    as text): the file follows the language of the page it is downloaded from."""
    response = analyst_client.get(reverse("analytics:dashboard"), {"csv": "by_bank"}, HTTP_ACCEPT_LANGUAGE="en")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=","))
    assert rows[0][0] == "Bank"
    assert rows[1][1:] == ["4", "0.4500", "0.5000"]


def test_it_exports_every_table_of_the_page(analyst_client, known_applications):
    tables = dashboard(selectors.Filters())["tables"]
    for key in tables:
        assert analyst_client.get(reverse("analytics:dashboard"), {"csv": key}).status_code == 200


def test_it_refuses_an_unknown_table(analyst_client, known_applications):
    assert analyst_client.get(reverse("analytics:dashboard"), {"csv": "nope"}).status_code == 404


def test_a_reversed_date_range_is_an_error_not_a_500(analyst_client, known_applications):
    response = analyst_client.get(reverse("analytics:dashboard"), {"date_from": "2026-02-01", "date_to": "2026-01-01"})
    assert response.status_code == 200 and "Конец периода раньше начала" in response.content.decode()


def test_a_store_filter_narrows_every_table_to_that_store(known_applications):
    # Store 5 has the two Furniture applications: bank_a 0.8 and 0.6, bank_b 0.4 and 0.2; both sent to bank_a.
    tables = dashboard(selectors.Filters(store=5))["tables"]
    assert [row[:3] for row in tables["by_bank"].rows] == [["Банк А", 2, pytest.approx(0.7)],
                                                          ["Банк Б", 2, pytest.approx(0.3)]]
    assert [row[0] for row in tables["by_category"].rows] == ["Мебель"]
    assert [row[1] for row in tables["funnel"].rows] == [2, 2, 2, 2, 1]
    assert dashboard(selectors.Filters(store=99))["tables"]["funnel"].rows[0][1] == 0


def test_the_store_section_and_its_csv_are_the_store_table_alone(analyst_client, known_applications):
    section = analyst_client.get(reverse("analytics:dashboard"), {"section": "by_store"}, HTTP_HX_REQUEST="true")
    assert list(section.context["tables"]) == ["by_store"]
    rows = csv_rows(analyst_client.get(reverse("analytics:dashboard"), {"csv": "by_store"}))
    # Store 5: bank_a 0.8 and 0.6, bank_b 0.4 and 0.2; store 7: bank_a 0.3 and 0.1, bank_b 0.9 and 0.1.
    assert rows[1:] == [["5", "2", "0,7000", "0,3000", "", "", "", "0,5000"],
                        ["7", "2", "0,2000", "0,5000", "", "", "", "0,3500"]]
    filtered = analyst_client.get(reverse("analytics:dashboard"), {"csv": "by_store", "bank": "bank_b"})
    assert csv_rows(filtered)[1:] == [["5", "2", "0,3000", "0,3000"], ["7", "2", "0,5000", "0,5000"]]


def test_csv_cells_that_a_spreadsheet_would_run_are_text(analyst_client, known_applications):
    """An administrator-set bank name "=HYPERLINK(...)" comes out as text, not a formula (issue 16)."""
    Bank.objects.filter(code="bank_a").update(name='=HYPERLINK("http://evil.example","Банк")')
    rows = csv_rows(analyst_client.get(reverse("analytics:dashboard"), {"csv": "by_bank"}))
    names = [row[0] for row in rows[1:]]
    assert "'=HYPERLINK(\"http://evil.example\",\"Банк\")" in names
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row if cell)
