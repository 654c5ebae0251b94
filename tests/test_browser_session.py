"""The session ends while the officer has the questionnaire open (PRESCORING_SESSION_SECONDS, a working
day): nothing typed is lost. The field checks used to follow the redirect and put the login page into
the form, and «Оценить» went to the login page, which has no way back to what was typed.

Now the page says the session has ended, keeps the form, and after signing in again in another tab
the same form is sent and scored (with the CSRF token signing in renewed)."""
import re
from importlib import import_module

import pytest
from django.conf import settings

from scoring.models import Application
from tests.browser import assert_accessible, expect, fill_questionnaire, log_in

pytestmark = pytest.mark.django_db(transaction=True)

RESULT_URL = re.compile(r"/applications/[0-9a-f-]{36}/$")


def end_session(page):
    """The server forgets the browser's session, as it does when the session runs out; the browser
    keeps sending its cookie."""
    key = next(c["value"] for c in page.context.cookies() if c["name"] == settings.SESSION_COOKIE_NAME)
    import_module(settings.SESSION_ENGINE).SessionStore(session_key=key).delete()


def test_a_questionnaire_outlives_its_session_and_is_sent_after_signing_in_again(page, live_server, models_ready,
                                                                                officer):
    log_in(page, live_server, "officer1")
    page.goto(f"{live_server.url}/applications/new/")
    fill_questionnaire(page, **{"ФИО клиента": "Смирнова Анна Олеговна", "Сумма кредита, ₽": "64000"})
    page.wait_for_load_state("networkidle")
    notice = page.locator("#session-ended")
    expect(notice).to_be_hidden()

    end_session(page)
    page.get_by_label("Должность").fill("Бухгалтер")
    page.get_by_label("Код магазина").focus()  # leaves the field: its check is refused
    expect(notice).to_be_visible()
    expect(notice).to_have_attribute("role", "alert")  # read out as it appears
    expect(page.get_by_label("Код магазина")).to_be_focused()  # the notice does not take the officer's place
    form = page.locator("form.questionnaire")
    expect(form.get_by_role("heading", name="Вход")).to_have_count(0)  # the login page is not swapped in
    expect(page.get_by_label("Должность")).to_have_value("Бухгалтер")

    page.get_by_role("button", name="Оценить", exact=True).click()
    expect(notice).to_be_focused()  # the click was refused: the notice says why
    assert_accessible(page, "questionnaire, session ended")
    assert page.url == f"{live_server.url}/applications/new/"
    expect(page.get_by_label("ФИО клиента")).to_have_value("Смирнова Анна Олеговна")
    page.get_by_role("button", name="Я вошёл, продолжить").click()
    expect(notice.get_by_text("Вход ещё не выполнен.")).to_be_visible()
    assert Application.objects.count() == 0

    with page.context.expect_page() as opened:
        notice.get_by_role("link", name="Войти в новой вкладке").click()
    tab = opened.value
    tab.get_by_label("Имя пользователя").fill("officer1")
    tab.get_by_label("Пароль").fill("pw-officer1")
    tab.get_by_role("button", name="Войти").click()
    expect(tab.get_by_role("heading", name="Вы снова вошли", level=1)).to_be_visible()
    tab.close()

    page.get_by_role("button", name="Я вошёл, продолжить").click()
    expect(notice).to_be_hidden()
    expect(page.get_by_role("alert")).to_have_count(0)
    page.get_by_role("button", name="Оценить", exact=True).click()
    page.wait_for_url(RESULT_URL)
    application = Application.objects.get()
    assert application.client.full_name == "Смирнова Анна Олеговна"
    assert application.answers["position"] == "Бухгалтер" and application.answers["loan_amount"] == 64000


def test_a_search_without_a_session_leaves_the_list_as_it_was(page, live_server, models_ready, officer):
    log_in(page, live_server, "officer1")
    results = page.locator("#results")
    before = results.inner_text()
    end_session(page)
    page.get_by_role("searchbox").fill("Петров")
    expect(page.locator("#session-ended")).to_be_visible()
    expect(results).to_have_text(before)
    expect(page.get_by_role("heading", name="Вход")).to_have_count(0)


def test_the_admins_training_run_says_the_session_has_ended(page, live_server, configured, administrator):
    """The run's progress is polled every 2 s; after the session ended the polls got the login page."""
    from scoring.models import TrainingRun

    run = TrainingRun.objects.create(source="synthetic", started_by=administrator, status=TrainingRun.Status.RUNNING)
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Имя пользователя").fill("admin1")
    page.get_by_label("Пароль").fill("pw-admin1")
    page.get_by_role("button", name="Войти").click()
    page.wait_for_load_state("networkidle")
    page.goto(f"{live_server.url}/admin/scoring/modelversion/train/{run.pk}/")
    progress = page.locator("#training-progress")
    end_session(page)
    expect(page.get_by_role("alert")).to_contain_text("Сессия закончилась")  # the next poll is refused
    expect(progress).to_contain_text("Обучается")
    expect(page.get_by_label("Имя пользователя")).to_have_count(0)  # no login form swapped in
    assert_accessible(page, "training run, session ended")
