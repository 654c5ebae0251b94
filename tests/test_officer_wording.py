"""What the officer's pages say (issue 15, items 10–12): counts that agree with their number, decimals
and times as the page's language and the configured time zone write them, words instead of codes, and
refusals in the site's layout with a way back."""
import re
from datetime import datetime, timezone as dt_timezone
from html.parser import HTMLParser

import pytest
from django.db import OperationalError
from django.template import loader
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import translation

from prescoring.errors import permission_denied, server_error
from scoring.engine.phrases import RUSSIAN, render
from scoring.models import Application
from tests.browser import queued_application

LIST = reverse("scoring:application_list")
NEW = reverse("scoring:application_new")
CODES = ("queued", "scoring", "done", "failed", "likely", "uncertain", "unlikely", "do_not_send", "send",
         "refused_by_rule", "approved", "refused")


class _Text(HTMLParser):
    """The text a reader sees: no tags, attributes, scripts or styles."""

    def __init__(self):
        super().__init__()
        self.parts, self._hidden = [], 0

    def handle_starttag(self, tag, attrs):
        self._hidden += tag in ("script", "style")

    def handle_endtag(self, tag):
        self._hidden -= tag in ("script", "style")

    def handle_data(self, data):
        if not self._hidden:
            self.parts.append(data)


def visible_text(response) -> str:
    parser = _Text()
    parser.feed(response.content.decode())
    return re.sub(r"[ \t\r\n]+", " ", " ".join(parser.parts))  # no-break spaces stay


def in_english(client):
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    return client


# --- plurals and missing values ---

@pytest.mark.parametrize("count", [1, 2, 5, 21])
def test_the_list_counts_applications_in_words_that_agree_with_the_number(officer_client, officer, count):
    for number in range(count):
        queued_application(officer, number, f"Клиент {number}", f"+7 900 000-00-{number:02d}")
    text = visible_text(officer_client.get(LIST))
    assert f"Найдено заявок: {count}" in text
    assert not re.search(r"\d+ заяв", text), "a number before «заявка» must agree with it («21 заявок»)"
    english = visible_text(in_english(officer_client).get(LIST))
    with translation.override("en"):  # the count picks the English form from the catalogue
        found = translation.ngettext("Найдено заявок: %(counter)s", "Найдено заявок: %(counter)s", count)
    assert found % {"counter": count} in english


def test_the_questionnaire_progress_reads_right_at_any_number_of_fields(officer_client, configured):
    text = visible_text(officer_client.get(NEW))
    done, total = map(int, re.search(r"Обязательные поля: заполнено (\d+) из (\d+)", text).groups())
    assert 0 < done < total
    assert not re.search(r"\d+ (обязательных|поля|полей)", text)


def test_a_missing_answer_reads_right_after_any_label():
    for label in ("Должность", "Стаж", "Образование"):
        text = render({"id": "field.missing.down", "params": {"label": label}}, RUSSIAN)
        assert text == f"{label}: нет ответа — снижает шанс"


# --- numbers, units and time ---

def test_the_result_writes_decimals_with_a_comma_in_russian_and_a_point_in_english(client_as, officer, scored):
    offers = [s.offer for s in scored.scores.all() if s.offer and not s.refused_by_rule]
    assert offers
    client = client_as(officer)
    detail = reverse("scoring:application_detail", args=[scored.pk])
    russian = visible_text(client.get(detail))
    for offer in offers:
        assert f"{offer['full_cost_percent']:.3f}".replace(".", ",") + " % годовых" in russian
        assert f"{offer['annual_rate']:.1f}".replace(".", ",") + " % годовых" in russian
    assert re.search(r"[+-]\d+,\d п\.п\.", russian) and not re.search(r"\d\.\d п\.п\.", russian)
    assert re.search(r"\d\s\d{3}\s₽", russian)  # thousands grouped, the unit after the figure

    english = visible_text(in_english(client).get(detail))
    for offer in offers:
        assert f"{offer['full_cost_percent']:.3f}% per year" in english  # as every other percentage there
    assert not re.search(r"\d,\d{1,2}(?!\d) ?%", english)


def test_the_list_writes_each_loan_with_its_units(officer_client, officer):
    queued_application(officer, 5000, "Петров Пётр", "+7 900 000-00-01")  # 15 000 ₽ over 12 months
    text = visible_text(officer_client.get(LIST))
    assert "15\u00a0000\u00a0₽" in text and "12\u00a0мес." in text


def test_the_answers_write_numbers_with_their_units_and_dates_as_the_language_does(client_as, officer, scored):
    client = client_as(officer)
    detail = reverse("scoring:application_detail", args=[scored.pk])
    answers = visible_text(client.get(detail)).split("Ответы анкеты", 1)[1]
    assert "145\u00a0000\u00a0₽" in answers and "21.07.1988" in answers and "1988-07-21" not in answers
    english = visible_text(in_english(client).get(detail))
    assert re.search(r"RUB\s145,000", english) and "July 21, 1988" in english


def test_times_are_shown_in_the_configured_time_zone(officer_client, officer, settings):
    settings.TIME_ZONE = "Asia/Vladivostok"  # UTC+10, no summer time
    application = queued_application(officer, 1, "Петров Пётр", "+7 900 000-00-01")
    Application.objects.filter(pk=application.pk).update(
        created_at=datetime(2026, 3, 1, 20, 30, tzinfo=dt_timezone.utc))
    for url in (LIST, reverse("scoring:application_detail", args=[application.pk])):
        text = visible_text(officer_client.get(url))
        assert "02.03.2026 06:30" in text, url
        assert "01.03.2026" not in text and "20:30" not in text, url


def test_the_pages_name_statuses_and_verdicts_in_words_not_codes(officer_client, officer, scored):
    queued_application(officer, 1, "Петров Пётр", "+7 900 000-00-01")
    for url in (LIST, reverse("scoring:application_detail", args=[scored.pk]),
                reverse("scoring:application_result", args=[scored.pk])):
        text = visible_text(officer_client.get(url))
        raw = [code for code in CODES if re.search(rf"(?<![\w-]){code}(?![\w-])", text)]
        assert raw == [], url
    text = visible_text(officer_client.get(LIST))
    assert "в очереди" in text and "готово" in text


# --- refusals ---

def test_a_refused_page_is_in_the_layout_with_a_way_back(analyst_client):
    response = analyst_client.get(NEW, HTTP_REFERER="http://testserver/applications/?page=1")
    html = response.content.decode()
    assert response.status_code == 403
    assert 'class="topbar"' in html and '<main id="main">' in html
    assert "<h1>Нет доступа</h1>" in html
    assert re.search(r'<a class="button" href="http://testserver/applications/\?page=1">.*Назад</a>', html)
    assert f'href="{reverse("analytics:dashboard")}">К аналитике</a>' in html


def test_an_officer_refused_goes_back_to_the_applications(officer_client):
    response = officer_client.get(reverse("analytics:dashboard"))
    html = response.content.decode()
    assert response.status_code == 403
    assert f'href="{LIST}">К заявкам</a>' in html
    assert "Назад" not in visible_text(response)  # no page of this site to go back to


def test_a_link_back_to_another_site_is_not_offered(analyst_client):
    response = analyst_client.get(NEW, HTTP_REFERER="https://elsewhere.example/applications/")
    assert response.status_code == 403
    assert "elsewhere.example" not in response.content.decode()


def test_the_refusal_is_in_the_users_language(analyst_client):
    html = in_english(analyst_client).get(NEW, HTTP_REFERER="http://testserver/applications/").content.decode()
    assert '<html lang="en">' in html
    with translation.override("en"):
        for words in ("Applications", translation.gettext("Нет доступа"),
                      translation.pgettext("на предыдущую страницу", "Назад"), translation.gettext("К аналитике")):
            assert words in html


def test_a_failed_csrf_check_is_the_refusal_page(officer, configured):
    client = Client(enforce_csrf_checks=True)
    client.force_login(officer)
    response = client.post(NEW, {"full_name": "Петров Пётр"}, HTTP_REFERER="http://testserver/applications/new/")
    html = response.content.decode()
    assert response.status_code == 403
    assert 'class="topbar"' in html and "Форма устарела" in html
    assert f'href="{LIST}">К заявкам</a>' in html and 'href="http://testserver/applications/new/"' in html


def test_the_api_still_refuses_in_its_json_shape(token_client, analyst, answers):
    response = token_client(analyst).post("/api/v1/applications/", {"answers": answers}, format="json")
    assert response.status_code == 403
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["code"] == "permission_denied" and response.json()["status"] == 403


def test_a_refusal_django_raises_under_the_api_is_json_too(analyst):
    request = RequestFactory().get("/api/v1/anything/")
    request.user = analyst
    response = permission_denied(request)
    assert response.status_code == 403 and response["Content-Type"].startswith("application/json")
    assert b'"code": "permission_denied"' in response.content


def test_an_unknown_page_is_in_the_layout_and_the_api_answers_json(officer_client):
    page = officer_client.get("/applications/00000000-0000-0000-0000-000000000000/")
    assert page.status_code == 404 and 'class="topbar"' in page.content.decode()
    api = officer_client.get("/api/v1/no-such-thing/")
    assert api.status_code == 404 and api.json()["code"] == "not_found"


def test_the_server_error_page_is_in_the_layout_without_a_request():
    html = loader.render_to_string("500.html")  # no database here: a query would fail the test
    assert 'class="topbar"' in html and "Ошибка сервера" in html
    assert 'action="/i18n/setlang/"' not in html  # no token to switch the language with


def test_a_database_outage_is_a_page_in_the_layout_without_the_database():
    request = RequestFactory().get("/applications/")
    try:
        raise OperationalError("the database is restarting")
    except OperationalError:
        response = server_error(request)  # no database here: a query would fail the test
    html = response.content.decode()
    assert response.status_code == 503 and 'class="topbar"' in html and "Сервис временно недоступен" in html


def test_the_analyst_sees_no_link_to_the_questionnaire(analyst, officer, scored):
    as_analyst, as_officer = Client(), Client()
    as_analyst.force_login(analyst)
    as_officer.force_login(officer)
    for url in (LIST, reverse("scoring:application_detail", args=[scored.pk]),
                reverse("scoring:application_result", args=[scored.pk])):
        html = as_analyst.get(url).content.decode()
        assert f'href="{NEW}"' not in html and "/apply/" not in html, url
    assert f'href="{NEW}"' in as_officer.get(LIST).content.decode()
