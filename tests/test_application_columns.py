"""The copies of the client's name and phone and of store, category and cohort kept on Application.

Every way an application is created fills them, migration 0011 fills older rows, and they follow
the client: corrected with an edit in the admin, cleared when the client is deleted or erased.
"""
import importlib

import pytest
from django.apps import apps as global_apps
from django.urls import reverse

from scoring.services import retention, submission
from scoring.services.application_columns import columns_for
from scoring.models import Application, Client

migration = importlib.import_module("scoring.migrations.0011_application_search_analytics_columns")

COPIED = ("search_name", "phone_digits", "store", "goods_category", "cohort")


def copied(application) -> dict:
    application.refresh_from_db()
    return {name: getattr(application, name) for name in COPIED}


def test_a_submitted_application_gets_the_copies(configured, officer, answers):
    application, _ = submission.submit_application(
        officer=officer, answers=answers, client={"full_name": "Фёдоров  Пётр Ильич", "phone": "+7 (912) 345-67-89"})
    # 68 000 ₽ over 12 months at 20 % a year: 6 299 ₽ a month on 145 000 ₽ income (4.3 %), employed.
    assert copied(application) == {"search_name": "федоров петр ильич", "phone_digits": "79123456789",
                                   "store": 12, "goods_category": "Mobile_devices", "cohort": "i1-p0-e0"}


def test_an_application_without_a_client_or_those_answers_gets_empty_copies(configured, officer):
    application, _ = submission.submit_application(officer=officer, answers={"loan_amount": 50_000})
    assert copied(application) == {"search_name": "", "phone_digits": "", "store": None, "goods_category": None,
                                   "cohort": "x-x-x"}


def test_a_batch_fills_the_copies_of_each_application(configured, officer, answers):
    batch = submission.submit_batch(officer=officer, items=[
        {"answers": answers, "client": {"full_name": "Иванов Иван", "phone": "8-900-111-22-33"}},
        {"answers": {**answers, "merch_code": 7, "goods_category": "Travel", "month_profit": 30_000}, "client": None},
    ])
    first, second = [item.application for item in batch.items.order_by("position")]
    assert copied(first)["search_name"] == "иванов иван" and copied(first)["phone_digits"] == "89001112233"
    # 6 299 ₽ a month on 30 000 ₽ income: 21 %.
    assert copied(second) == {"search_name": "", "phone_digits": "", "store": 7, "goods_category": "Travel",
                              "cohort": "i0-p1-e0"}


def test_an_applied_suggestion_copies_the_client_and_its_new_cohort(configured, officer, answers):
    original, _ = submission.submit_application(officer=officer, answers=answers,
                                              client={"full_name": "Петров Пётр", "phone": "+7 900 123-45-67"})
    # 600 000 ₽ over 6 months: 105 885 ₽ a month, 73 % of the income.
    alternative, created = submission.apply_suggestion(officer=officer, application=original, amount=600_000, term=6)
    assert created and alternative.client_id == original.client_id
    assert copied(alternative) == {**copied(original), "cohort": "i1-p2-e0"}


def test_the_migration_fills_the_applications_stored_before_it(configured, officer, answers):
    client = Client.objects.create(full_name="СМИРНОВА Алёна", phone="+7 911 000-00-07")
    before = [Application.objects.create(officer=officer, client=client if i % 2 else None,
                                         answers={**answers, "merch_code": i}, answers_hash=f"old-{i}")
              for i in range(5)]
    assert all(copied(a) == {"search_name": "", "phone_digits": "", "store": None, "goods_category": None,
                             "cohort": ""} for a in before)
    migration.fill_columns(global_apps, None)
    for i, application in enumerate(before):
        expected = columns_for(answers={**answers, "merch_code": i}, client=client if i % 2 else None)
        assert copied(application) == expected
    assert copied(before[1])["search_name"] == "смирнова алена" and copied(before[3])["store"] == 3


def test_the_migration_reads_in_batches_and_changes_nothing_when_run_again(configured, officer, answers):
    from scoring.services import application_columns

    for i in range(7):
        Application.objects.create(officer=officer, answers={**answers, "merch_code": i}, answers_hash=f"b-{i}")
    model = global_apps.get_model("scoring", "Application")
    assert application_columns.backfill(model, batch_size=3) == 7
    assert sorted(Application.objects.values_list("store", flat=True)) == list(range(7))
    assert application_columns.backfill(model, batch_size=3) == 0


def test_editing_a_client_in_the_admin_corrects_the_copies(client_as, admin_user, configured, officer, answers):
    application, _ = submission.submit_application(officer=officer, answers=answers,
                                                 client={"full_name": "Петров Пётр", "phone": "+7 900 123-45-67"})
    url = reverse("admin:scoring_client_change", args=[application.client_id])
    response = client_as(admin_user).post(url, {"full_name": "Сидорова Ёлка", "phone": "8 (911) 222-33-44"})
    assert response.status_code == 302
    assert copied(application)["search_name"] == "сидорова елка"
    assert copied(application)["phone_digits"] == "89112223344"


def test_deleting_a_client_clears_the_copies(configured, officer, answers):
    application, _ = submission.submit_application(officer=officer, answers=answers,
                                                 client={"full_name": "Петров Пётр", "phone": "+7 900 123-45-67"})
    Client.objects.filter(pk=application.client_id).delete()
    application.refresh_from_db()
    assert application.client_id is None and application.search_name == "" and application.phone_digits == ""
    assert application.store == 12 and application.cohort == "i1-p0-e0"  # the analytics copies stay


def test_retention_erasure_clears_the_copies_of_the_erased_clients_only(configured, old_and_recent_clients):
    old, recent = old_and_recent_clients
    assert retention.erase_expired_clients(days=365) == 1
    assert copied(old)["search_name"] == "" and copied(old)["phone_digits"] == ""
    assert copied(recent)["search_name"] == "новый клиент" and copied(recent)["phone_digits"] == "79000000002"
    assert not Application.objects.filter(search_name__contains="старый").exists()


@pytest.mark.parametrize("answers,expected", [
    # Band edges: 100 000 and 190 000 ₽ start the next income band.
    ({"month_profit": 99_999.99}, "i0-x-x"),
    ({"month_profit": 100_000}, "i1-x-x"),
    ({"month_profit": 190_000}, "i2-x-x"),
    ({"month_profit": "190000"}, "i2-x-x"),
    # 100 000 ₽ over 12 months: 9 263 ₽ a month; on 92 630 ₽ that is 10 % (p1), just under is p0.
    ({"month_profit": 92_629, "loan_amount": 100_000, "loan_term": "12"}, "i0-p1-x"),
    ({"month_profit": 92_640, "loan_amount": 100_000, "loan_term": 12}, "i0-p0-x"),
    ({"month_profit": 0, "loan_amount": 100_000, "loan_term": "12"}, "i0-x-x"),
    ({"month_profit": 50_000, "loan_amount": 100_000, "loan_term": 0}, "i0-x-x"),
    ({"employment_status": "Работаю по найму неполный рабочий день"}, "x-x-e0"),
    ({"employment_status": "Собственное дело"}, "x-x-e1"),
    ({"employment_status": "Пенсионер"}, "x-x-e2"),
    ({"employment_status": None, "month_profit": None}, "x-x-x"),
])
def test_the_cohort_is_banded_as_the_analytics_pages_name_it(answers, expected):
    assert columns_for(answers=answers)["cohort"] == expected


@pytest.mark.parametrize("store,expected", [(12, 12), (12.0, 12), (12.5, None), ("12", None), (True, None),
                                            (None, None)])
def test_the_store_is_kept_only_when_it_is_a_whole_number(store, expected):
    assert columns_for(answers={"merch_code": store})["store"] == expected


def test_another_questionnaire_without_store_or_category_leaves_them_empty():
    columns = columns_for(answers={"region": "north", "salary": 90_000, "credit_sum": 10_000, "months": "12"})
    assert columns["store"] is None and columns["goods_category"] is None and columns["cohort"] == "x-x-x"


@pytest.mark.parametrize("query", ["+7 900 123-45-67", "8 (900) 123-45-67", "89001234567", "79001234567",
                                   "+79001234567", "8 900 123", "+7 (900) 123", "900 123-45", "45-67"])
def test_a_number_is_found_however_its_prefix_was_typed(configured, officer, answers, query):
    """Officers type one client's number as "+7 900 …" on one application and "8 (900) …" on the next;
    a search with either prefix found only the applications typed with the same one."""
    from scoring.selectors import search_applications

    typed = ["+7 900 123-45-67", "8 (900) 123-45-67", "900 123 45 67"]
    found = set()
    for number, phone in enumerate(typed):
        application, _ = submission.submit_application(
            officer=officer, answers={**answers, "loan_amount": 50_000 + number},
            client={"full_name": "Петров Пётр", "phone": phone})
        found.add(application.pk)
    other, _ = submission.submit_application(officer=officer, answers={**answers, "loan_amount": 60_000},
                                             client={"full_name": "Сидоров Иван", "phone": "+7 911 222-33-44"})
    assert set(search_applications(Application.objects.all(), query=query).values_list("pk", flat=True)) == found


@pytest.mark.parametrize("query, digits", [
    ("+7 900 123-45-67", "9001234567"), ("8 (900) 123-45-67", "9001234567"), ("89001234567", "9001234567"),
    ("8-900", "900"), ("8900", "8900"), ("7 7", "7"), ("900 123", "900123"), ("+375 29 123-45-67", "375291234567"),
    ("45 67 89", "456789"), ("8 800 2000 600", "8002000600")])
def test_the_searched_digits_leave_out_only_a_russian_prefix(query, digits):
    from scoring.services import application_columns

    assert application_columns.searched_phone_digits(query) == digits
