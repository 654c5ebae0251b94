"""Uploading a lender's history in the admin: the command's import from the browser, administrators only."""
import csv
import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from scoring.models import AuditEntry, HistoricalApplication, ImportBatch
from tests.helpers import HISTORY_HEADER, csv_text, legacy_row

UPLOAD_URL = "/admin/scoring/importbatch/upload/"
LIST_URL = "/admin/scoring/importbatch/"


def csv_bytes(rows, header=HISTORY_HEADER, encoding="utf-8") -> bytes:
    return csv_text(rows, header=header).encode(encoding)


def upload(client, content: bytes, name="history.csv", content_type="text/csv", **fields):
    return client.post(UPLOAD_URL, {"file": SimpleUploadedFile(name, content, content_type=content_type), **fields})


def test_the_list_of_imports_links_to_the_upload_page(admin_client, configured):
    html = admin_client.get(LIST_URL).content.decode()
    assert f'href="{UPLOAD_URL}"' in html and "Загрузить историю (CSV)" in html


def test_the_upload_page_shows_the_form(admin_client, configured):
    response = admin_client.get(UPLOAD_URL)
    html = response.content.decode()
    assert response.status_code == 200
    assert 'enctype="multipart/form-data"' in html and 'type="file"' in html and 'type="date"' in html


def test_it_imports_a_good_file_and_lists_it(admin_client, administrator, configured):
    content = csv_bytes([legacy_row(), legacy_row(SkillFactory_Id="2"), {}])
    response = upload(admin_client, content, name="bank-history-2024.csv", decided_on="2024-03-01")

    html = response.content.decode()
    assert response.status_code == 200
    assert "Строк всего: 3, загружено: 2, отклонено: 0, пустых: 1." in html
    batch = ImportBatch.objects.get()
    assert (batch.file_name, batch.user, batch.rows_imported) == ("bank-history-2024.csv", administrator, 2)
    assert batch.decided_on == dt.date(2024, 3, 1)
    assert HistoricalApplication.objects.filter(batch=batch).count() == 2
    assert reverse("admin:scoring_importbatch_change", args=[batch.pk]) in html
    listed = admin_client.get(LIST_URL).content.decode()
    assert "bank-history-2024.csv" in listed
    entry = AuditEntry.objects.get(action="import_history")
    assert entry.actor == administrator and entry.object_id == str(batch.pk)
    assert entry.after["rows_imported"] == 2 and entry.after["sha256"] == batch.sha256


def test_without_a_date_the_decisions_are_taken_as_of_today(admin_client, configured):
    upload(admin_client, csv_bytes([legacy_row()]))
    assert ImportBatch.objects.get().decided_on == dt.date.today()


def test_a_file_with_odd_rows_is_stored_and_the_page_shows_each_flag_and_skipped_row(admin_client, configured):
    no_decisions = {f"Bank{letter}_decision": "" for letter in "ABCDE"}
    rows = [legacy_row(), legacy_row(BirthDate="1988-21-07"), legacy_row(),
            legacy_row(Loan_term="7", BankB_decision="maybe"), legacy_row(MonthProfit="много"),
            legacy_row(**no_decisions)]
    response = upload(admin_client, csv_bytes(rows))

    html = response.content.decode()
    assert response.status_code == 200
    assert "Строк всего: 6, загружено: 5, отклонено: 1, пустых: 0." in html and "С пометками: 3." in html
    flagged = html[html.index('id="flagged-rows"'):]
    assert ("<tr><td>3</td><td>BirthDate</td><td>birth_date</td><td>Значение «1988-21-07» не прочитано "
            "(Введите дату в формате ГГГГ-ММ-ДД.): сохранено как пропуск.</td></tr>") in flagged
    assert ("<tr><td>5</td><td>Loan_term</td><td>loan_term</td><td>Значения «7» нет среди вариантов анкеты: "
            "сохранено как новая категория.</td></tr>") in flagged
    assert "<tr><td>5</td><td>BankB_decision</td><td>bank_b</td>" in flagged and "maybe" in flagged
    assert "<tr><td>6</td><td>MonthProfit</td><td>month_profit</td>" in flagged
    assert flagged.count("<tr><td>") == 4  # one line per flag, the good rows not listed
    skipped = html[html.index('id="rejected-rows"'):html.index('id="flagged-rows"')]
    assert "<tr><td>7</td><td>—</td><td>decisions</td><td>Нет ни одного решения банка" in skipped
    unseen = html[html.index('id="unseen-categories"'):html.index('id="rejected-rows"')]
    assert "<td>Loan_term</td><td>loan_term</td><td>7</td><td>1</td>" in unseen
    batch = ImportBatch.objects.get()
    assert (batch.rows_imported, batch.rows_flagged, batch.rows_rejected) == (5, 3, 1)
    assert HistoricalApplication.objects.filter(batch=batch).count() == 5
    assert AuditEntry.objects.filter(action="import_history").count() == 1


def test_the_page_lists_the_first_100_flagged_rows_only(admin_client, configured):
    rows = [legacy_row(SkillFactory_Id=str(i), Goods_category="Electronics") for i in range(150)]
    html = upload(admin_client, csv_bytes(rows)).content.decode()
    flagged = html[html.index('id="flagged-rows"'):]
    assert flagged.count("<tr><td>") == 100 and "<tr><td>101</td>" in flagged and "<tr><td>102</td>" not in flagged
    assert "Строки с пометками: 150; показаны не больше 100." in html
    assert "<td>Electronics</td><td>150</td>" in html
    assert ImportBatch.objects.get().rows_flagged == 150


@pytest.mark.parametrize("name,content,content_type,message", [
    ("history.xlsx", None, "text/csv", "Загрузите файл CSV (расширение .csv)."),
    ("history.csv", None, "image/png", "Загрузите файл CSV, а не image/png."),
    ("history.csv", b"\x89PNG\r\n\x1a\n\x00\x00", "text/csv", "Файл не похож на текстовый CSV."),
    ("history.csv", b"", "text/csv", "Файл пуст."),
    ("history.csv", "cp1251", "text/csv", "Файл не в кодировке UTF-8 (байт {position})."),
])
def test_a_file_that_is_not_a_utf8_csv_gets_a_form_error(admin_client, configured, name, content, content_type,
                                                         message):
    if content is None:
        content = csv_bytes([legacy_row()])
    elif content == "cp1251":
        content = csv_bytes([legacy_row()], encoding="cp1251")
        message = message.format(position=next(i for i, byte in enumerate(content) if byte > 127) + 1)
    response = upload(admin_client, content, name=name, content_type=content_type)
    html = response.content.decode()
    assert response.status_code == 400
    assert message in html and 'class="errorlist' in html
    assert not ImportBatch.objects.exists()


def test_a_file_over_the_size_limit_gets_a_form_error(admin_client, configured, settings):
    content = csv_bytes([legacy_row(SkillFactory_Id=str(i)) for i in range(20)])
    settings.PRESCORING = {**settings.PRESCORING, "MAX_UPLOAD_BYTES": 1024}
    response = upload(admin_client, content)
    assert response.status_code == 400 and "Файл больше 1,0\xa0КБ." in response.content.decode()
    assert not ImportBatch.objects.exists()


def test_a_missing_column_is_named_on_the_page(admin_client, configured):
    header = [column for column in HISTORY_HEADER if column != "BirthDate"]
    response = upload(admin_client, csv_bytes([legacy_row()], header=header))
    assert response.status_code == 400 and "«BirthDate»" in response.content.decode()
    assert not ImportBatch.objects.exists()


def test_a_decision_date_in_the_future_is_refused(admin_client, configured):
    tomorrow = dt.date.today() + dt.timedelta(days=1)
    response = upload(admin_client, csv_bytes([legacy_row()]), decided_on=tomorrow.isoformat())
    assert response.status_code == 400 and "ещё не наступила" in response.content.decode()
    assert not ImportBatch.objects.exists()


def test_the_same_file_twice_is_refused_as_the_command_does(admin_client, configured):
    content = csv_bytes([legacy_row(), legacy_row(SkillFactory_Id="2")])
    assert upload(admin_client, content, name="history.csv").status_code == 200
    for name in ("history.csv", "renamed.csv"):
        response = upload(admin_client, content, name=name)
        html = response.content.decode()
        assert response.status_code == 400
        assert "уже загружен" in html and "«history.csv»" in html and "повторно не загружается" in html
    assert ImportBatch.objects.count() == 1 and HistoricalApplication.objects.count() == 2


@pytest.mark.parametrize("role", ["officer", "analyst"])
@pytest.mark.parametrize("staff", [False, True])
def test_officers_and_analysts_are_refused(client_as, configured, role, staff):
    client = client_as(role, staff=staff)
    assert client.get(UPLOAD_URL).status_code == 403
    assert upload(client, csv_bytes([legacy_row()])).status_code == 403
    assert not ImportBatch.objects.exists()


def test_anonymous_visitors_are_sent_to_the_login(client, configured):
    for response in (client.get(UPLOAD_URL), upload(client, csv_bytes([legacy_row()]))):
        assert response.status_code == 302 and response["Location"] == f"/login/?next={UPLOAD_URL}"
    assert not ImportBatch.objects.exists()


def test_the_page_speaks_english_on_request(admin_client, configured):
    admin_client.post(reverse("set_language"), {"language": "en", "next": "/"})
    try:
        get = admin_client.get(UPLOAD_URL).content.decode()
        flagged = upload(admin_client, csv_bytes([legacy_row(BirthDate="1988-21-07")])).content.decode()
    finally:
        translation.activate("ru")
    assert "Upload history (CSV)" in get and "Decision date" in get
    assert "Загрузить" not in get
    assert "Rows in total: 1, imported: 1, rejected: 0, empty: 0." in flagged
    assert "Enter a date as YYYY-MM-DD." in flagged


def test_the_whole_report_is_a_download_however_many_rows_the_page_shows(admin_client):
    """The page lists the first rows; the CSV has every flagged row (issue 16: no 61 MB page)."""
    rows = [legacy_row(MonthProfit="много") for _ in range(150)] + [legacy_row(MonthProfit="=1+1")]
    page = upload(admin_client, csv_bytes(rows)).content.decode()
    batch = ImportBatch.objects.get()
    assert page.count("<tr><td>") < 150 and f"/admin/scoring/importbatch/{batch.pk}/report.csv" in page
    response = admin_client.get(f"/admin/scoring/importbatch/{batch.pk}/report.csv")
    assert response["Content-Disposition"].startswith("attachment")
    lines = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    flagged = [line for line in lines[1:] if line[1] == "flagged"]
    assert [int(line[0]) for line in flagged] == list(range(2, 153))
    assert all(line[2] == "month_profit" for line in flagged)
    assert not any(cell.startswith("=") for line in lines for cell in line)


def test_the_report_download_is_for_administrators(analyst_client, db):
    assert analyst_client.get("/admin/scoring/importbatch/1/report.csv").status_code in (302, 403)
