"""The officer's pages through the test client: blur checks, defaults, the list's search and filters."""
import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from scoring.services.application_columns import columns_for
from scoring.models import Application, BankScore, Client


def stored(officer, number, full_name="", phone="", status="queued", action="", days_ago=0):
    client = Client.objects.create(full_name=full_name, phone=phone) if full_name or phone else None
    answers = {"loan_amount": 50_000 + number, "loan_term": "12"}
    application = Application.objects.create(
        officer=officer, client=client, answers=answers, answers_hash=f"h-{number}", status=status,
        recommendation={"action": action} if action else {}, **columns_for(answers=answers, client=client))
    if days_ago:
        Application.objects.filter(pk=application.pk).update(
            created_at=timezone.now() - dt.timedelta(days=days_ago))
    return application


def found(response) -> int:
    html = response.content.decode()
    return int(html.split("Найдено заявок: ")[1].split("<")[0])


def test_the_questionnaire_starts_with_sensible_defaults(officer_client, configured):
    html = officer_client.get(reverse("scoring:application_new")).content.decode()
    assert 'name="child_count" value="0"' in html
    assert '<option value="12" selected>' in html
    assert 'id="progress-bar" max="11" value="2"' in html


def test_it_checks_one_field_on_blur_and_returns_the_progress(officer_client, configured):
    url = reverse("scoring:application_check_field", args=["month_profit"])
    response = officer_client.post(url, {"month_profit": "-5", "birth_date": ""}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Значение должно быть не меньше 0." in html and 'aria-invalid="true"' in html
    assert 'value="-5"' in html
    assert "Обязательное поле." not in html  # the birth date's error waits until the officer gets there
    assert 'hx-swap-oob="true"' in html and 'value="0"' in html


def test_a_valid_field_counts_towards_the_progress(officer_client, configured):
    url = reverse("scoring:application_check_field", args=["month_profit"])
    html = officer_client.post(url, {"month_profit": "45000", "child_count": "0"}).content.decode()
    assert 'class="error"' not in html
    assert 'id="progress-bar" max="11" value="2"' in html


def test_it_refuses_to_check_an_unknown_field(officer_client, configured):
    response = officer_client.post(reverse("scoring:application_check_field", args=["salary"]), {})
    assert response.status_code == 404


def test_an_analyst_cannot_use_the_questionnaire_checks(analyst_client, configured):
    response = analyst_client.post(reverse("scoring:application_check_field", args=["month_profit"]), {})
    assert response.status_code == 403


def test_the_list_finds_a_client_by_name_or_phone(officer_client, officer):
    stored(officer, 1, "Петров Пётр Петрович", "+7 (900) 123-45-67")
    stored(officer, 2, "Сидоров Сидор", "+7 911 000-00-00")
    url = reverse("scoring:application_list")
    assert found(officer_client.get(url, {"q": "петров"})) == 1
    assert found(officer_client.get(url, {"q": "Пётр Петров"})) == 1
    assert found(officer_client.get(url, {"q": "900 1234"})) == 1
    assert found(officer_client.get(url, {"q": "Иванов"})) == 0


def test_the_list_finds_cyrillic_names_in_any_case_and_with_e_for_yo(officer_client, officer):
    stored(officer, 1, "Фёдоров Пётр Ильич", "+7 900 000-00-01")
    stored(officer, 2, "ЕГОРОВА алёна", "+7 900 000-00-02")
    url = reverse("scoring:application_list")
    for query in ("ФЁДОРОВ", "фёдоров", "федоров", "Федоров", "фЕдОрОв", "петр ильич", "ПЁТР"):
        assert found(officer_client.get(url, {"q": query})) == 1, query
    for query in ("егорова", "Егорова Алена", "АЛЁНА"):
        assert found(officer_client.get(url, {"q": query})) == 1, query
    assert found(officer_client.get(url, {"q": "Фёдорова"})) == 0


def test_the_list_finds_a_phone_by_its_digits_whatever_the_separators(officer_client, officer):
    stored(officer, 1, "Петров Пётр", "+7 (900) 123-45-67")
    stored(officer, 2, "Сидоров Сидор", "8 911 765 43 21")
    url = reverse("scoring:application_list")
    for query in ("(900) 123-45", "900-123", "+7 900 123 45 67", "4567", "79001234567"):
        assert found(officer_client.get(url, {"q": query})) == 1, query
    assert found(officer_client.get(url, {"q": "911-765"})) == 1
    assert found(officer_client.get(url, {"q": "00"})) == 0  # too few digits to search by


def test_the_list_filters_by_status_recommendation_and_date(officer_client, officer):
    stored(officer, 1, status="done", action="send")
    stored(officer, 2, status="done", action="do_not_send")
    stored(officer, 3, status="failed", days_ago=40)
    url = reverse("scoring:application_list")
    assert found(officer_client.get(url, {"status": "done"})) == 2
    assert found(officer_client.get(url, {"verdict": "do_not_send"})) == 1
    month_ago = (timezone.localdate() - dt.timedelta(days=30)).isoformat()
    assert found(officer_client.get(url, {"created_from": month_ago})) == 2
    assert found(officer_client.get(url, {"created_to": month_ago})) == 1


def test_a_mistyped_filter_date_is_reported_and_ignored(officer_client, officer):
    stored(officer, 1)
    response = officer_client.get(reverse("scoring:application_list"), {"created_from": "31.02.2026"})
    assert response.status_code == 200
    assert found(response) == 1
    assert 'id="id_created_from_error"' in response.content.decode()


def test_an_htmx_search_returns_only_the_results(officer_client, officer):
    stored(officer, 1, "Петров Пётр")
    response = officer_client.get(reverse("scoring:application_list"), {"q": "Петров"},
                                  headers={"HX-Request": "true"})
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="results"') and "<html" not in html


def test_the_list_pages_keep_the_filters(officer_client, officer):
    for number in range(30):
        stored(officer, number, status="done")
    html = officer_client.get(reverse("scoring:application_list"), {"status": "done"}).content.decode()
    assert "?status=done&amp;page=2" in html and "Страница 1 из 2" in html


def test_an_analyst_sees_masked_data_and_cannot_search_by_phone(analyst_client, officer):
    stored(officer, 1, "Петров Пётр Петрович", "+7 900 123-45-67")
    url = reverse("scoring:application_list")
    html = analyst_client.get(url).content.decode()
    assert "Петров П. П." in html and "+7 900 123-**-**" in html
    assert "Пётр" not in html and "45-67" not in html
    assert found(analyst_client.get(url, {"q": "900 123"})) == 0
    assert found(analyst_client.get(url, {"q": "79001234567"})) == 0
    assert found(analyst_client.get(url, {"q": "петров"})) == 1  # names are searchable, phones are not


@pytest.mark.parametrize("ranks", [[0, 1, 2, 3, 4], [4, 3, 2, 1, 0]])
def test_the_bank_cards_follow_the_recommendation_order(officer_client, officer, configured, ranks):
    from scoring.models import Bank

    application = stored(officer, 1, status="done", action="send")
    banks = list(Bank.objects.order_by("code"))
    for bank, rank in zip(banks, ranks):
        BankScore.objects.create(application=application, bank=bank, probability=0.5 + rank / 100,
                                 verdict="likely", reasons=[], rank=rank)
    html = officer_client.get(reverse("scoring:application_detail", args=[application.pk])).content.decode()
    by_rank = [bank for _rank, bank in sorted(zip(ranks, banks), key=lambda pair: pair[0])]
    positions = [html.index(f'data-bank="{bank.code}"') for bank in by_rank]
    assert positions == sorted(positions)


@pytest.mark.parametrize("sent", [["bank_d"], ["bank_b", "bank_d"]])
def test_the_send_advice_names_exactly_the_banks_to_send_to(officer_client, officer, configured, sent):
    import re

    from scoring.models import Bank

    application = stored(officer, 1, status="done", action="send")
    Application.objects.filter(pk=application.pk).update(recommendation={"action": "send", "banks": sent})
    for rank, bank in enumerate(Bank.objects.order_by("-code")):  # bank_e first: not every card is sent to
        BankScore.objects.create(application=application, bank=bank, probability=0.6 - rank / 10,
                                 verdict="likely" if bank.code in sent else "unlikely", reasons=[], rank=rank)
    html = officer_client.get(reverse("scoring:application_detail", args=[application.pk])).content.decode()
    advice = re.sub(r"\s+", " ", html.split('class="advice advice-send"')[1].split("</div>")[0])
    names = [Bank.objects.get(code=code).name for code in sorted(sent, reverse=True)]
    expected = ", ".join(rf"<strong>{name}</strong> \(\d+ %\)" for name in names)
    assert re.search(rf": {expected}\.</p>", advice), advice
