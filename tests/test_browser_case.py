"""The loop after the result in a real browser: the officer scores an application, marks it sent to two banks,
records one bank's answer (after a refused one), and reads both in the case history, at 1366 px and 390 px."""
import re

import pytest

from scoring.models import Dispatch, Outcome
from tests import browser as browser_kit
from tests.browser import SCREENSHOTS, assert_accessible, expect, log_in

pytestmark = pytest.mark.django_db(transaction=True)


def fill_questionnaire(page):
    """The example client of tests/helpers.EXAMPLE_ANSWERS, as the officer types it."""
    browser_kit.fill_questionnaire(page, **{
        "ФИО клиента": "Смирнова Ольга Петровна", "Телефон клиента": None, "Ежемесячный доход, ₽": "145000",
        "Ежемесячные расходы, ₽": "22500", "Пол": "Женский", "Сумма кредита, ₽": "68000", "Срок, мес.": "12"})


def fits(page, width):
    sizes = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert sizes[0] <= sizes[1], f"the application page is {sizes[0]} px wide in a {sizes[1]} px window ({width})"


def test_an_officer_sends_an_application_and_records_an_answer(page, live_server, models_ready, officer):
    log_in(page, live_server, "officer1")
    page.goto(f"{live_server.url}/applications/new/")
    fill_questionnaire(page)
    page.get_by_role("button", name="Оценить", exact=True).click()
    expect(page.locator("article.bank").first).to_be_visible()

    case = page.locator("#case")
    history = case.locator(".case-history")
    expect(history.locator(".case-submitted")).to_contain_text("Подана: 68 000 ₽ на 12 мес.")
    expect(history.locator(".case-scored li")).to_have_count(5)
    expect(history.locator(".case-scored")).to_contain_text(re.compile(r"модель v\d+ \(xgboost\), обучена"))

    # Marked sent to two banks: the recommended ones are checked at first; the officer picks exactly two.
    boxes = case.get_by_role("checkbox")
    assert boxes.count() >= 2
    for index in range(boxes.count()):
        boxes.nth(index).set_checked(index < 2)
    chosen = [case.locator(f'label[for="{boxes.nth(i).get_attribute("id")}"]').inner_text().strip() for i in range(2)]
    case.get_by_role("button", name="Отметить отправленной").click()
    expect(case.locator(".case-notice")).to_contain_text("Отмечено: заявка отправлена в")
    for name in chosen:
        expect(history.locator(".case-sent", has_text=f"Отправлена в {name}")).to_have_count(1)
    assert Dispatch.objects.count() == 2

    # One bank's answer: a wrong amount is refused at its field, then the answer is recorded.
    answer = case.locator("form", has=page.get_by_role("button", name="Записать ответ"))
    answer.get_by_label("Банк", exact=True).select_option(label=chosen[0])
    answer.get_by_label("Ответ банка").select_option(label="одобрено")
    answer.get_by_label("Одобренная сумма").fill("90000")
    answer.get_by_role("button", name="Записать ответ").click()
    amount_error = case.locator("#id_answer-amount_error")
    expect(amount_error).to_have_text("Не больше запрошенной суммы: 68 000 ₽.")
    expect(case.get_by_label("Одобренная сумма")).to_have_attribute("aria-invalid", "true")
    assert_accessible(page, "case history with an error")
    case.get_by_label("Одобренная сумма").fill("60 000")
    case.get_by_label("Срок, мес.").fill("12")
    case.get_by_role("button", name="Записать ответ").click()
    expect(case.locator(".case-notice")).to_have_text(f"Записан ответ банка {chosen[0]}.")
    expect(history.locator(".case-answered")).to_contain_text(f"Ответ {chosen[0]}: одобрено, 60 000 ₽ на 12 мес.")
    outcome = Outcome.objects.get()
    assert (outcome.bank.name, outcome.result, int(outcome.amount), outcome.term) == (chosen[0], "approved", 60000, 12)

    # The history reads the same after a reload, in order: submitted, scored, sent twice, answered.
    page.reload()
    kinds = page.locator("#case .case-event").evaluate_all("items => items.map(item => item.classList[1])")
    assert kinds == ["case-submitted", "case-scored", "case-sent", "case-sent", "case-answered"]
    assert_accessible(page, "case history")

    for width, height in ((1366, 900), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        page.reload()
        expect(page.locator("#case .case-answered")).to_be_visible()
        fits(page, width)
        if width == 1366:
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.locator("#case").screenshot(path=str(SCREENSHOTS / "case-history.png"))
