"""Issue 7: a client's name and phone reach only the roles that need them, through every way out.

One officer's application for "Петров Пётр Петрович, +7 900 123-45-67". For every page, API answer
and export, the officer who submitted it receives the name and phone in full and an analyst never
receives more than the masked "Петров П. П., +7 900 123-**-**"; outputs that carry no client at all
are checked to carry none for anyone.
"""
import html
import json
import re

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from scoring.services import outcomes, retention, submission
from scoring.api import webhooks
from scoring.models import ApiClient, AuditEntry, Bank, WebhookDelivery

NAME, PHONE = "Петров Пётр Петрович", "+7 900 123-45-67"
MASKED_NAME, MASKED_PHONE = "Петров П. П.", "+7 900 123-**-**"
# What a masked role must never receive: the first name, the patronymic, the phone's last digits.
HIDDEN = ("Пётр", "Петрович", "45-67", "1234567")  # digits: as a phone without punctuation would carry them


def leaks(text: str) -> list[str]:
    return [piece for piece in HIDDEN if piece in text]


def assert_unmasked(text: str):
    assert NAME in text and PHONE in text


def assert_masked(text: str):
    assert leaks(text) == [] and MASKED_NAME in text and MASKED_PHONE in text


@pytest.fixture
def application(officer, models_ready, answers, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        application, _ = submission.submit_application(officer=officer, answers=answers,
                                                     client={"full_name": NAME, "phone": PHONE})
    application.refresh_from_db()
    assert application.status == "done"
    outcomes.record_outcome(actor=officer, application=application, bank=Bank.objects.get(code="bank_a"),
                            result="approved", amount=68000, term=12)
    return application


# --- pages ---------------------------------------------------------------------------------------

PAGES = {
    "application list": lambda app: (reverse("scoring:application_list"), {}),
    "application list, htmx partial": lambda app: (reverse("scoring:application_list"), {"HX-Request": "true"}),
    "application detail and print summary": lambda app: (reverse("scoring:application_detail", args=[app.pk]), {}),
}


@pytest.mark.parametrize("page", PAGES)
def test_pages_show_the_officer_the_client_and_the_analyst_a_mask(client_as, application, page):
    url, headers = PAGES[page](application)
    officer_html = client_as("officer").get(url, headers=headers).content.decode()
    assert_unmasked(officer_html)
    analyst_html = client_as("analyst").get(url, headers=headers).content.decode()
    assert_masked(analyst_html)


def test_the_print_summary_carries_the_mask_for_an_analyst(client_as, application):
    page = client_as("analyst").get(reverse("scoring:application_detail", args=[application.pk])).content.decode()
    assert 'class="print-only print-title"' in page  # the summary printed for the client is this page
    client_line = re.search(r'<p class="client">.*?</p>', page, re.S).group(0)
    assert client_line == f'<p class="client">Клиент: {MASKED_NAME}, {MASKED_PHONE}</p>'


def test_the_result_block_carries_no_client_for_anyone(client_as, application):
    url = reverse("scoring:application_result", args=[application.pk])
    for role in ("officer", "analyst"):
        text = client_as(role).get(url).content.decode()
        assert leaks(text) == [] and "Петров" not in text


def found(response) -> int:
    return int(response.content.decode().split("Найдено заявок: ")[1].split("<")[0])


@pytest.mark.parametrize("query,officer_finds,analyst_finds", [
    ("Петров", 1, 1),
    ("Петров П.", 1, 1),
    ("петров п п", 1, 1),
    ("Петров И.", 0, 0),
    # The first name and patronymic: an analyst could otherwise guess them letter by letter. ("Пётр" is
    # searched as "петр", which is part of the surname "Петров" that the analyst sees: it finds by that.)
    ("Пётр", 1, 1),
    ("Петрович", 1, 0),
    ("Петров Петрович", 1, 0),
    ("Петров Пётр", 1, 1),
    ("900 123", 1, 0),  # phones: not at all for analysts
    ("45-67", 1, 0),
])
def test_the_list_search_finds_only_by_what_the_role_sees(client_as, application, query, officer_finds,
                                                           analyst_finds):
    url = reverse("scoring:application_list")
    assert found(client_as("officer").get(url, {"q": query})) == officer_finds
    assert found(client_as("analyst").get(url, {"q": query})) == analyst_finds


# --- the API -------------------------------------------------------------------------------------

API = {
    "list": lambda app: reverse("api:application-list"),
    "detail": lambda app: reverse("api:application-detail", kwargs={"application_id": app.pk}),
}


@pytest.mark.parametrize("endpoint", API)
def test_the_api_gives_the_officer_the_client_and_the_analyst_a_mask(token_client, officer, analyst, application,
                                                                     endpoint):
    url = API[endpoint](application)
    officer_body = token_client(officer).get(url)
    assert officer_body.status_code == 200
    assert_unmasked(officer_body.content.decode())
    analyst_body = token_client(analyst).get(url)
    assert analyst_body.status_code == 200
    assert_masked(analyst_body.content.decode())
    assert '"masked":true' in analyst_body.content.decode().replace(" ", "")


def test_api_outputs_without_a_client_carry_none_for_anyone(token_client, officer, analyst, answers, models_ready,
                                                           django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        accepted = token_client(officer).post(reverse("api:batch-create"), {"applications": [
            {"answers": answers, "client": {"full_name": NAME, "phone": PHONE}}]}, format="json")
    assert accepted.status_code == 202
    task = accepted.json()["applications"][0]["id"]
    urls = [accepted.json()["url"], f"/get_result?task_id={task}", reverse("api:outcome-list")]
    for user in (officer, analyst):
        for url in urls:
            response = token_client(user).get(url)
            assert response.status_code == 200, url
            assert leaks(response.content.decode()) == [] and "Петров" not in response.content.decode()


# --- webhooks ------------------------------------------------------------------------------------

def test_a_webhook_carries_the_client_to_the_officer_who_submitted(application, officer):
    payload = webhooks.result_payload(application, "application.scored", 1)
    assert_unmasked(json.dumps(payload, ensure_ascii=False))


def test_a_webhook_to_a_submitter_without_personal_data_is_masked(application, django_user_model):
    integration = django_user_model.objects.create_user("integration")
    integration.user_permissions.add(Permission.objects.get(codename="add_application"))
    type(application).objects.filter(pk=application.pk).update(officer=integration)
    application.refresh_from_db()
    payload = webhooks.result_payload(application, "application.scored", 1)
    assert_masked(json.dumps(payload, ensure_ascii=False))


def test_an_analysts_callback_never_receives_other_peoples_applications(application, analyst, officer):
    ApiClient.objects.create(user=analyst, callback_url="https://analyst.example.ru/hook")
    assert webhooks.create_delivery(application_id=application.pk) is None  # the officer has no callback
    assert not WebhookDelivery.objects.filter(api_client__user=analyst).exists()


# --- analytics exports ---------------------------------------------------------------------------

ANALYTICS_PAGES = ["analytics:dashboard", "analytics:cohorts", "analytics:exploration", "analytics:models",
                   "analytics:fairness", "analytics:drift"]


def csv_links(page_html: str, page_url: str) -> list[str]:
    return [page_url + html.unescape(href) for href in re.findall(r'href="(\?[^"]*csv=[^"]+)"', page_html)]


def test_no_analytics_csv_carries_a_name_or_phone(client_as, application):
    analyst = client_as("analyst")
    pages = [reverse(name) for name in ANALYTICS_PAGES]
    cohorts = analyst.get(reverse("analytics:cohorts")).content.decode()
    pages += sorted(set(re.findall(r'href="(/analytics/cohorts/[\w-]+/)', cohorts)))[:3]
    downloads = 0
    for url in pages:
        response = analyst.get(url)
        assert response.status_code == 200, url
        assert leaks(response.content.decode()) == [] and "Петров" not in response.content.decode()
        for link in csv_links(response.content.decode(), url):
            export = analyst.get(link)
            assert export.status_code == 200 and export["Content-Type"].startswith("text/csv"), link
            assert leaks(export.content.decode()) == [] and "Петров" not in export.content.decode(), link
            downloads += 1
    assert downloads >= 10  # the walk reached the tables, cohort applications included
    assert any("cohorts/" in url for url in pages)


def test_officers_get_no_analytics_export(client_as, application):
    officer = client_as("officer")
    for name in ANALYTICS_PAGES:
        assert officer.get(reverse(name), {"csv": "by_bank"}).status_code == 403


# --- the admin and the audit log -----------------------------------------------------------------

ADMIN_PAGES = {
    "application": lambda app: [reverse("admin:scoring_application_changelist"),
                                reverse("admin:scoring_application_change", args=[app.pk])],
    "client": lambda app: [reverse("admin:scoring_client_changelist"),
                           reverse("admin:scoring_client_change", args=[app.client_id])],
    "webhookdelivery": lambda app: [reverse("admin:scoring_webhookdelivery_changelist")],
}


@pytest.mark.parametrize("model", ADMIN_PAGES)
def test_an_analyst_is_kept_out_of_admin_pages_with_personal_data(analyst_client, analyst, application, model):
    for url in ADMIN_PAGES[model](application):  # analysts are not staff: the admin sends them to its login
        response = analyst_client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
    # Made staff and given the model's permissions by mistake, still refused: they do not see personal data.
    analyst.is_staff = True
    analyst.save()
    analyst.user_permissions.add(*Permission.objects.filter(codename__in=[f"view_{model}", f"change_{model}"]))
    for url in ADMIN_PAGES[model](application):
        assert analyst_client.get(url).status_code == 403, url


def test_the_webhook_log_shows_the_client_to_administrators(admin_client, application, officer):
    ApiClient.objects.create(user=officer, callback_url="https://bank.example.ru/hook")
    delivery = webhooks.create_delivery(application_id=application.pk)
    page = admin_client.get(reverse("admin:scoring_webhookdelivery_change", args=[delivery.pk])).content.decode()
    assert NAME in page


def test_the_audit_log_holds_no_name_or_phone(client_as, token_client, officer, administrator, application):
    client_as("officer").get(reverse("scoring:application_detail", args=[application.pk]))
    token_client(officer).get(reverse("api:application-detail", kwargs={"application_id": application.pk}))
    retention.erase_expired_clients(days=0)  # retention: the erasure is logged too
    entries = list(AuditEntry.objects.values("object_repr", "before", "after"))
    assert {"view_personal_data", "create", "erase_personal_data"} <= set(
        AuditEntry.objects.values_list("action", flat=True))
    text = json.dumps(entries, ensure_ascii=False)
    assert leaks(text) == [] and "Петров" not in text
    log = client_as(administrator).get(reverse("admin:scoring_auditentry_changelist")).content.decode()
    assert "view_personal_data" in log and "Петров" not in log


# --- every read of unmasked personal data on record (issue 16, finding 2) --------------------------

def reads() -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action="view_personal_data"))


def test_the_officers_list_writes_one_entry_naming_the_clients_shown(client_as, officer, application, answers):
    other, _ = submission.submit_application(officer=officer, answers={**answers, "loan_amount": 70000},
                                             client={"full_name": "Сидоров Сидор", "phone": "+7 900 765-43-21"})
    submission.submit_application(officer=officer, answers={**answers, "loan_amount": 71000})  # no client
    page = client_as("officer").get(reverse("scoring:application_list"), {"status": "done"})
    assert NAME in page.content.decode()
    [entry] = reads()
    assert entry.actor == officer and entry.after["where"] == "officer list"
    assert entry.after["clients"] == sorted([application.client_id])  # the other one is queued: not shown
    assert entry.after["query"] == {"status": "done", "page": 1}
    AuditEntry.objects.all().delete()
    client_as("officer").get(reverse("scoring:application_list"))
    [entry] = reads()
    assert entry.after["clients"] == sorted([application.client_id, other.client_id])


def test_a_search_is_recorded_by_its_shape_never_its_words(client_as, application):
    for query, summary in (("Петров Пётр", "2 words"), ("900 123-45", "8 digits")):
        AuditEntry.objects.all().delete()
        client_as("officer").get(reverse("scoring:application_list"), {"q": query}, headers={"HX-Request": "true"})
        [entry] = reads()
        assert entry.after["query"]["search"] == summary and entry.after["clients"] == [application.client_id]
        text = json.dumps([entry.object_repr, entry.after], ensure_ascii=False)
        assert "Петров" not in text and "123" not in text


def test_a_list_without_clients_shown_writes_nothing(client_as, application):
    client_as("officer").get(reverse("scoring:application_list"), {"q": "Иванов"})
    assert reads() == []


def test_the_api_list_writes_one_entry_naming_the_clients_shown(token_client, officer, application):
    response = token_client(officer).get(reverse("api:application-list"), {"status": "done"})
    assert NAME in response.content.decode()
    [entry] = reads()
    assert entry.actor == officer and entry.after["where"] == "api list"
    assert entry.after["clients"] == [application.client_id] and entry.after["query"] == {"status": "done", "page": 1}


def test_the_detail_page_and_api_detail_name_the_client(client_as, token_client, officer, application):
    client_as("officer").get(reverse("scoring:application_detail", args=[application.pk]))
    token_client(officer).get(reverse("api:application-detail", kwargs={"application_id": application.pk}))
    assert [(entry.after["where"], entry.after["clients"]) for entry in reversed(reads())] == [
        ("officer detail", [application.client_id]), ("api detail", [application.client_id])]


@pytest.mark.parametrize("page", ["client change", "client history", "application change", "delivery change"])
def test_each_admin_page_of_one_client_writes_one_entry(client_as, admin_user, application, officer, page):
    ApiClient.objects.create(user=officer, callback_url="https://bank.example.ru/hook")
    delivery = webhooks.create_delivery(application_id=application.pk)
    url = {"client change": reverse("admin:scoring_client_change", args=[application.client_id]),
           "client history": reverse("admin:scoring_client_history", args=[application.client_id]),
           "application change": reverse("admin:scoring_application_change", args=[application.pk]),
           "delivery change": reverse("admin:scoring_webhookdelivery_change", args=[delivery.pk])}[page]
    assert NAME in client_as(admin_user).get(url).content.decode()
    [entry] = reads()
    assert entry.actor == admin_user and entry.after["clients"] == [application.client_id]


def test_the_admin_client_list_is_masked_and_writes_nothing(client_as, administrator, application):
    page = client_as(administrator).get(reverse("admin:scoring_client_changelist")).content.decode()
    assert MASKED_NAME in page and NAME not in page
    assert reads() == []


def test_masked_roles_write_nothing(client_as, token_client, analyst, application):
    client_as("analyst").get(reverse("scoring:application_list"))
    client_as("analyst").get(reverse("scoring:application_list"), {"q": "Петров"})
    client_as("analyst").get(reverse("scoring:application_detail", args=[application.pk]))
    token_client(analyst).get(reverse("api:application-list"))
    token_client(analyst).get(reverse("api:application-detail", kwargs={"application_id": application.pk}))
    assert reads() == []
