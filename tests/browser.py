"""What every browser test uses: Debian's chromium driven by playwright, signing in, axe-core checks and
screenshots. Test modules import the fixtures they use (the fixtures browser and page are in tests/conftest.py).

Scoring runs eagerly inside the live server (tests/conftest.py forces eager mode), so these tests
behave the same on SQLite and on PostgreSQL. axe-core comes from node_modules (package.json; `npm ci`).
"""
import functools
import json
import os
from pathlib import Path

from django.conf import settings
from playwright import sync_api as playwright_api

from scoring.models import Application, Client
from scoring.services.application_columns import columns_for

expect = playwright_api.expect

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
AXE = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = Path(settings.BASE_DIR) / "docs" / "screenshots"
TIMINGS = SCREENSHOTS / "timings.json"


def queued_application(officer, number, full_name, phone):
    """An application waiting in the queue, stored directly: the list is what these tests look at."""
    client = Client.objects.create(full_name=full_name, phone=phone)
    answers = {"loan_amount": 10_000 + number, "loan_term": "12"}
    return Application.objects.create(officer=officer, client=client, answers_hash=f"list-{number}",
                                      answers=answers, **columns_for(answers=answers, client=client))


def log_in(page, live_server, username):
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Имя пользователя").fill(username)
    page.get_by_label("Пароль").fill(f"pw-{username}")
    page.get_by_role("button", name="Войти").click()
    expect(page.get_by_role("heading", name="Заявки", level=1)).to_be_visible()


@functools.cache
def AXE_SOURCE() -> str:
    return AXE.read_text(encoding="utf-8")


def assert_accessible(page, name):
    """axe-core finds no serious or critical violation on the page as it is now."""
    assert AXE.exists(), f"{AXE} is missing: run `npm ci` (package.json pins axe-core)"
    # Evaluated through the DevTools protocol, which the page's CSP (script-src 'self') does not
    # govern; a <script> tag with axe's source would be refused by it, as any inline script is.
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(f"() => {{ {AXE_SOURCE()}\n window.axe = axe; }}")
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    bad = [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
           for v in result["violations"] if v["impact"] in ("serious", "critical")]
    assert bad == [], f"{name}: {json.dumps(bad, ensure_ascii=False)}"


def shoot(page, name, full_page=True):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=full_page)


# The questionnaire as the officer fills it: label -> (how, value). Text, number and date fields are
# typed; selects are picked by value, or by their visible label where the value is a code.
QUESTIONNAIRE = {
    "ФИО клиента": ("fill", "Петров Пётр Петрович"),
    "Телефон клиента": ("fill", "+7 900 123-45-67"),
    "Дата рождения": ("fill", "1988-07-21"),
    "Образование": ("select", "Высшее - специалист"),
    "Род занятости": ("select", "Работаю по найму полный рабочий день/служу"),
    "Общий стаж": ("select", "10 и более лет"),
    "Дата начала работы на текущем месте": ("fill", "2015-03-01"),
    "Должность": ("fill", "Менеджер"),
    "Ежемесячный доход, ₽": ("fill", "70000"),
    "Ежемесячные расходы, ₽": ("fill", "20000"),
    "Пол": ("select_label", "Мужской"),
    "Семейное положение": ("select", "Женат / замужем"),
    "Детей до 18 лет": ("fill", "1"),
    "Код магазина": ("fill", "12"),
    "Сумма кредита, ₽": ("fill", "200000"),
    "Срок, мес.": ("select", "6"),
    "Категория товара": ("select_label", "Мобильные устройства"),
}


def fill_questionnaire(page, **changes):
    """Every field of QUESTIONNAIRE, with changes (label -> value) in place of its value; a label
    changed to None is left empty. Ends on a typed field, so the last select's check runs too."""
    for label, (how, value) in QUESTIONNAIRE.items():
        value = changes.get(label, value)
        if value is None:
            continue
        field = page.get_by_label(label, exact=label == "Пол")
        if how == "fill":
            field.fill(value)
        elif how == "select":
            field.select_option(value)
        else:
            field.select_option(label=value)
    page.get_by_label("Код магазина").focus()


def fill_overreaching_client(page):
    """200 000 ₽ over 6 months at 70 000 ₽ a month: too much for some banks."""
    fill_questionnaire(page)
