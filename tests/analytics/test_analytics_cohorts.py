"""Cohorts by income, payment-to-income and employment on the four known applications."""
from django.urls import reverse

from scoring.analytics import selectors
from scoring.analytics import reports
from scoring.analytics.reports import cohorts

# By hand: annuity at 20 % a year; A1 50 000 ₽ / 12 mo → 4 632 ₽ on 100 000 ₽ income (4.6 %), A2 100 000 ₽ / 6 mo
# → 17 646 ₽ on 50 000 ₽ (35 %), A3 20 000 ₽ / 24 mo → 1 018 ₽ on 200 000 ₽, A4 30 000 ₽ / 12 mo → 2 779 ₽ on 30 000 ₽.
EXPECTED = {"i1-p0-e0", "i0-p2-e1", "i2-p0-e0", "i0-p0-e2"}


def test_it_puts_each_client_in_the_cohort_of_their_traits(known_applications):
    codes = {"-".join(r[k] for k in selectors.COHORT_KEYS) for r in selectors.cohort_sizes(selectors.Filters())}
    assert codes == EXPECTED


def test_it_reports_size_prediction_and_realised_approval(known_applications):
    table = cohorts(selectors.Filters())["tables"]["cohorts"]
    rows = {row[0]: row for row in table.rows}
    employed = rows["доход 100–190 тыс. ₽, платёж до 10 % дохода, по найму"]
    assert employed[1] == 1 and employed[2] == 0.25
    assert employed[3:8] == [0.8, 0.4, None, None, None]
    assert employed[-2:] == [1, 1.0]
    heavy = rows["доход до 100 тыс. ₽, платёж от 25 % дохода, собственное дело"]
    assert heavy[-2:] == [1, 0.0]


def test_a_cohort_leads_to_its_applications(analyst_client, known_applications):
    page = analyst_client.get(reverse("analytics:cohorts")).content.decode()
    assert reverse("analytics:cohort_detail", args=["i0-p2-e1"]) in page
    detail = analyst_client.get(reverse("analytics:cohort_detail", args=["i0-p2-e1"]))
    assert str(known_applications[1].pk) in detail.content.decode()
    assert str(known_applications[0].pk) not in detail.content.decode()


def test_it_refuses_an_unknown_cohort(analyst_client, known_applications):
    assert analyst_client.get(reverse("analytics:cohort_detail", args=["zz-p0-e0"])).status_code == 404


def test_a_category_filter_keeps_the_cohorts_of_that_category(known_applications):
    filters = selectors.Filters(category="Furniture")
    assert {reports.cohort_code(r): r["n"] for r in selectors.cohort_sizes(filters)} == {"i1-p0-e0": 1, "i0-p2-e1": 1}
    predictions = {(reports.cohort_code(r), r["bank__code"]): r["mean_probability"]
                   for r in selectors.cohort_predictions(filters)}
    assert predictions == {("i0-p2-e1", "bank_a"): 0.6, ("i0-p2-e1", "bank_b"): 0.2,
                           ("i1-p0-e0", "bank_a"): 0.8, ("i1-p0-e0", "bank_b"): 0.4}
    outcomes = {reports.cohort_code(r): (r["answered"], r["approved"]) for r in selectors.cohort_outcomes(filters)}
    assert outcomes == {"i1-p0-e0": (1, 1), "i0-p2-e1": (1, 0)}


def test_a_cohorts_applications_follow_the_store_filter(analyst_client, known_applications):
    url = reverse("analytics:cohort_detail", args=["i0-p0-e2"])
    student = str(known_applications[3].pk)
    assert student in analyst_client.get(url, {"store": 7}).content.decode()
    assert student not in analyst_client.get(url, {"store": 5}).content.decode()
    rows = analyst_client.get(url, {"csv": "cohort_applications"}).content.decode("utf-8-sig").splitlines()
    assert rows[1].split(";")[:6] == ["2026-01-12 12:00", "30000", "12", "30000", "Путешествия", "7"]
