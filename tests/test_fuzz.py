"""Hostile input, generated: the questionnaire form and the CSV import take any text without a 500,
a half-written record or unescaped output."""
import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from django.utils.html import escape

from scoring.modelops.importing import ImportRefused, import_decisions_csv
from scoring.models import Application, Client, HistoricalApplication, ImportBatch
from tests.helpers import EXAMPLE_ANSWERS, HISTORY_HEADER, legacy_row, write_csv

HOSTILE = st.one_of(
    st.text(max_size=300),
    st.sampled_from([
        "'", '"', "O'Brien", "'; DROP TABLE scoring_application; --", "' OR '1'='1", "1; SELECT pg_sleep(10)",
        "<script>alert(1)</script>", '"><img src=x onerror=alert(1)>', "{{ 7*7 }}", "{% debug %}",
        "\u202eevil", "𝕏🙂 тест", "\x00", "a" * 5000, "1e309", "-0", "NaN", "Infinity", " ", "",
    ]),
)
FORM_FIELDS = ["full_name", "phone", "birth_date", "education", "employment_status", "work_experience",
               "job_start_date", "position", "month_profit", "month_expense", "gender", "family_status",
               "child_count", "snils", "merch_code", "loan_amount", "loan_term", "goods_category"]
EXAMPLES = settings(max_examples=20, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def valid_post():
    """The example questionnaire as the officer's form posts it (every value as text)."""
    return {"full_name": "Иванов Иван", "phone": "+7 900 111-22-33",
            **{key: str(value) for key, value in EXAMPLE_ANSWERS.items()}, "snils": "true"}


@pytest.mark.django_db
@EXAMPLES
@given(changes=st.dictionaries(st.sampled_from(FORM_FIELDS), HOSTILE, min_size=1, max_size=4))
def test_the_form_takes_any_text_without_a_500_or_a_half_written_record(officer_client, models_ready, changes):
    before = (Application.objects.count(), Client.objects.count())
    response = officer_client.post("/applications/new/", {**valid_post(), **changes})
    assert response.status_code in (302, 400), response.status_code
    after = (Application.objects.count(), Client.objects.count())
    if response.status_code == 400:
        assert after == before  # refused: nothing stored
        page = response.content.decode()
    else:
        assert after[0] - before[0] in (0, 1)  # the same answers again return the earlier application
        page = officer_client.get(response["Location"]).content.decode()
    for value in changes.values():
        if "<" in value and value.strip():
            assert value not in page, "user text rendered without escaping"


AMOUNTS = itertools.count(30000, 10)  # a new questionnaire for every example: never an earlier application


@pytest.mark.django_db
@EXAMPLES
@given(value=HOSTILE)
def test_a_client_name_is_shown_escaped(officer_client, models_ready, value):
    response = officer_client.post("/applications/new/", {**valid_post(), "full_name": value,
                                                          "loan_amount": str(next(AMOUNTS))})
    if response.status_code != 302:
        assert response.status_code == 400
        return
    page = officer_client.get(response["Location"]).content.decode()
    shown = value.strip()
    assert escape(shown) in page
    if "<" in shown:
        assert shown not in page


COLUMNS = st.sampled_from(HISTORY_HEADER)


@pytest.mark.django_db
@EXAMPLES
@given(cells=st.dictionaries(COLUMNS, HOSTILE, min_size=1, max_size=5), rows=st.integers(1, 3))
def test_the_import_keeps_the_good_rows_whatever_the_hostile_cells(configured, tmp_path_factory, cells, rows):
    path = write_csv(tmp_path_factory.mktemp("csv") / "hostile.csv",
                     [legacy_row(SkillFactory_Id=str(i)) for i in range(rows)] + [legacy_row(**cells)])
    try:
        report = import_decisions_csv(path=path)
    except ImportRefused:
        assert not ImportBatch.objects.exists() and not HistoricalApplication.objects.exists()
        return
    try:
        # History is kept: the hostile line (a newline in a cell cuts it in two) is stored, flagged, or skipped
        # for want of a decision; the good rows before it always are.
        stored = set(HistoricalApplication.objects.values_list("row_number", flat=True))
        assert len(stored) == report.rows_imported == report.rows_valid
        assert set(range(2, rows + 2)) <= stored
    finally:
        HistoricalApplication.objects.all().delete()
        ImportBatch.objects.all().delete()


@pytest.mark.django_db
@EXAMPLES
@given(content=st.one_of(
    st.binary(max_size=2000),
    st.text(max_size=2000).map(lambda t: t.encode("utf-8")),
    st.lists(st.text(alphabet=';"\n\r,\'ab', max_size=40), max_size=30).map(lambda lines: "\n".join(
        [";".join(HISTORY_HEADER)] + lines).encode("utf-8")),
    st.just(";".join(HISTORY_HEADER).encode("cp1251", errors="replace") + b"\n\xff\xfe\x00;;;\n"),
))
def test_a_malformed_csv_is_refused_or_reported_never_crashes(configured, tmp_path_factory, content):
    path = tmp_path_factory.mktemp("csv") / "malformed.csv"
    path.write_bytes(content)
    try:
        report = import_decisions_csv(path=path)
    except ImportRefused as refused:
        assert str(refused)
    else:
        assert HistoricalApplication.objects.count() == report.rows_imported  # what the report says, no more
    HistoricalApplication.objects.all().delete()
    ImportBatch.objects.all().delete()
