"""The officer's pages at a phone's and a laptop's width (issue 15, items 12 and 14): nothing scrolls
sideways, the applications are cards on a phone, a refusal is a page of the site with a way back, and
axe-core finds no serious violation. Screenshots: docs/screenshots/list-phone.png, forbidden.png."""
import pytest

from tests.browser import assert_accessible, expect, log_in, queued_application, shoot

pytestmark = pytest.mark.django_db(transaction=True)

WIDTHS = {"phone": 390, "laptop": 1366}


@pytest.fixture(params=WIDTHS)
def size(request):
    return request.param


@pytest.fixture
def sized_page(browser, size):
    """A page as wide as a phone's or a laptop's screen."""
    width = WIDTHS[size]
    context = browser.new_context(viewport={"width": width, "height": 844 if size == "phone" else 900},
                                  locale="ru-RU", is_mobile=size == "phone")
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


def assert_no_sideways_scroll(page, name):
    content, screen = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert content <= screen, f"{name}: {content} px of content on a {screen} px screen"


def test_the_officers_pages_fit_the_screen(sized_page, size, live_server, officer, scored):
    page = sized_page
    for number in range(3):
        queued_application(officer, number, f"Константинопольский-Щедрин Александр {number}",
                           f"+7 900 123-45-{number:02d}")
    log_in(page, live_server, "officer1")
    assert_no_sideways_scroll(page, "the list")
    assert_accessible(page, f"list, {size}")
    first_row = page.locator("#results table tbody tr").first
    if size == "phone":  # a card per application: the columns' names beside each value
        assert first_row.evaluate("row => getComputedStyle(row).display") == "block"
        assert page.locator("#results thead").bounding_box()["height"] <= 1  # the headings are for readers
        label = first_row.locator("td").nth(1).evaluate("cell => getComputedStyle(cell, '::before').content")
        assert label == '"Клиент"'
        shoot(page, "list-phone")
    else:  # a table: one row of cells side by side
        assert first_row.evaluate("row => getComputedStyle(row).display") == "table-row"
        boxes = [first_row.locator("td").nth(i).bounding_box() for i in range(2)]
        assert boxes[0]["y"] == boxes[1]["y"] and boxes[0]["x"] < boxes[1]["x"]

    page.goto(f"{live_server.url}/applications/new/")
    expect(page.get_by_role("heading", name="Анкета клиента")).to_be_visible()
    assert_no_sideways_scroll(page, "the questionnaire")
    assert_accessible(page, f"questionnaire, {size}")

    page.goto(f"{live_server.url}/applications/{scored.pk}/")
    expect(page.locator("article.bank").first).to_be_visible()
    page.locator(".answers summary").click()
    expect(page.locator(".answers dl")).to_be_visible()
    assert_no_sideways_scroll(page, "the application with its answers")
    assert_accessible(page, f"application, {size}")


def test_a_refusal_is_a_page_of_the_site_with_a_way_back(sized_page, size, live_server, analyst, configured):
    page = sized_page
    log_in(page, live_server, "analyst1")
    expect(page.locator("nav")).not_to_contain_text("Новая анкета")  # the analyst fills no questionnaires
    page.goto(f"{live_server.url}/applications/new/", referer=f"{live_server.url}/applications/")
    expect(page.get_by_role("heading", name="Нет доступа", level=1)).to_be_visible()
    expect(page.locator(".topbar")).to_be_visible()
    assert_no_sideways_scroll(page, "the refusal")
    assert_accessible(page, f"refusal, {size}")
    if size == "laptop":
        shoot(page, "forbidden", full_page=False)
    page.get_by_role("link", name="Назад").click()
    expect(page.get_by_role("heading", name="Заявки", level=1)).to_be_visible()
    page.goto(f"{live_server.url}/applications/new/")
    page.get_by_role("link", name="К аналитике").click()
    expect(page).to_have_url(f"{live_server.url}/analytics/")


def test_the_sign_in_page_fits_the_screen(sized_page, live_server):
    page = sized_page
    page.goto(f"{live_server.url}/login/")
    expect(page.get_by_role("heading", name="Вход")).to_be_visible()
    assert_no_sideways_scroll(page, "sign-in")


def test_no_page_shows_an_error_in_the_browsers_console(browser, live_server, officer, analyst, administrator,
                                                         scored):
    """Each role's pages, as Chromium loads them: no error in the console, no script error, no request
    refused. A run against gunicorn found two on every page: htmx's indicator styles, an inline <style>
    that the CSP (style-src 'self') refuses, and /favicon.ico, 404; the admin's training run loads htmx too."""
    from scoring.models import TrainingRun

    run = TrainingRun.objects.create(source="synthetic", started_by=administrator)
    pages = {
        # /api/docs/: drf-spectacular's Swagger UI page had an inline <style> of its own.
        "officer1": ["/applications/", "/applications/new/", f"/applications/{scored.pk}/", "/api/docs/"],
        "analyst1": ["/analytics/"],
        "admin1": ["/admin/", "/admin/scoring/bank/", "/admin/scoring/modelversion/train/",
                   f"/admin/scoring/modelversion/train/{run.pk}/"],
    }
    problems = []
    for username, paths in pages.items():
        context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="ru-RU")
        context.set_default_timeout(10_000)
        page = context.new_page()
        page.on("console", lambda m: problems.append((page.url, m.type, m.text)) if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append((page.url, "script", str(e))))
        page.on("response", lambda r: problems.append((page.url, r.status, r.url)) if r.status >= 400 else None)
        if username == "admin1":
            page.goto(f"{live_server.url}/login/")
            page.get_by_label("Имя пользователя").fill(username)
            page.get_by_label("Пароль").fill(f"pw-{username}")
            page.get_by_role("button", name="Войти").click()
            page.wait_for_load_state("networkidle")
        else:
            log_in(page, live_server, username)
        for path in paths:
            page.goto(f"{live_server.url}{path}")
            page.wait_for_load_state("networkidle")  # the icon and what htmx loads after the page
            icon = page.locator("link[rel=icon]")
            assert icon.count() == 1, path
            assert page.request.get(live_server.url + icon.get_attribute("href")).status == 200, path
        context.close()
    assert problems == []
