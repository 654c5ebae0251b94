"""The administrator's pages in a real browser (issue 15, item 14): at 1366 px the bank's rules and the
questionnaire's field list fit the content area without sideways scrolling; at 390 px the main admin
pages do not scroll sideways either."""
import pytest

from scoring.models import Bank
from tests.browser import assert_accessible, expect, shoot

pytestmark = pytest.mark.django_db(transaction=True)

SIDEWAYS = "document.documentElement.scrollWidth - document.documentElement.clientWidth"
# Visible elements of the content area that reach past its right edge (1 px for rounding), and any
# box inside it that scrolls sideways on its own (a form control's own text may be longer than it).
OVERFLOWING = """() => {
  const content = document.querySelector('#content');
  const right = content.getBoundingClientRect().right;
  const out = [];
  for (const el of content.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) continue;
    const name = el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (el.name ? '[name=' + el.name + ']' : '');
    if (r.right > right + 1) out.push(name + ' ends at ' + Math.round(r.right) + ' > ' + Math.round(right));
    else if (!el.matches('input, select, textarea') && el.scrollWidth > el.clientWidth + 1
             && getComputedStyle(el).overflowX !== 'visible') {
      out.push(name + ' scrolls ' + (el.scrollWidth - el.clientWidth) + ' px');
    }
  }
  return out;
}"""


def sign_in_to_admin(page, live_server, username="admin1"):
    page.goto(f"{live_server.url}/login/?next=/admin/")
    page.get_by_label("Имя пользователя").fill(username)
    page.get_by_label("Пароль").fill(f"pw-{username}")
    page.get_by_role("button", name="Войти").click()
    expect(page.locator("#site-name")).to_have_text("Прескоринг")


def assert_fits(page, name):
    sideways = page.evaluate(SIDEWAYS)
    assert sideways <= 0, f"{name} scrolls {sideways} px sideways"
    assert page.evaluate(OVERFLOWING) == [], name


def test_the_bank_rules_and_the_field_list_fit_at_1366_px(browser, live_server, configured, administrator):
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="ru-RU")
    page = context.new_page()
    try:
        sign_in_to_admin(page, live_server)
        bank = Bank.objects.get(code="bank_a")
        page.goto(f"{live_server.url}/admin/scoring/bank/{bank.pk}/change/")
        expect(page.get_by_role("heading", name="Изменить банк")).to_be_visible()
        rules = page.locator("#rules-group tbody tr.form-row")
        expect(rules).to_have_count(3)  # the bank's rule and two blank rows
        expect(page.locator('input[name="approval_threshold"]')).to_have_value("50")
        expect(page.locator('input[name="annual_rate"]')).to_have_value("19,90")  # the Russian decimal comma
        assert_fits(page, "the bank's change page")
        assert_accessible(page, "admin bank")
        shoot(page, "admin-bank")

        page.goto(f"{live_server.url}/admin/scoring/feature/")
        expect(page.get_by_role("heading", name="Выберите поле анкеты для изменения")).to_be_visible()
        assert_fits(page, "the field list")
    finally:
        context.close()


@pytest.mark.parametrize("path", ["/admin/", "/admin/scoring/bank/", "/admin/scoring/bank/{bank_a}/change/",
                                  "/admin/scoring/feature/", "/admin/scoring/modelversion/",
                                  "/admin/scoring/modelversion/train/"])
def test_the_main_admin_pages_do_not_scroll_sideways_at_390_px(browser, live_server, models_ready, administrator,
                                                               path):
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="ru-RU", is_mobile=True)
    page = context.new_page()
    try:
        sign_in_to_admin(page, live_server)
        page.goto(f"{live_server.url}{path.format(bank_a=Bank.objects.get(code='bank_a').pk)}")
        sideways = page.evaluate(SIDEWAYS)
        assert sideways <= 0, f"{path} scrolls {sideways} px sideways on a 390 px screen"
    finally:
        context.close()


@pytest.mark.parametrize("path", ["/admin/scoring/modelversion/train/", "/admin/scoring/modelversion/compare/",
                                  "/admin/scoring/importbatch/upload/", "/admin/scoring/importbatch/",
                                  "/admin/scoring/feature/"])
def test_the_admins_own_forms_name_every_control(browser, live_server, models_ready, administrator, path):
    """axe-core on the pages the product adds to the admin: found without labels were the training
    form's data select and row count, the comparison's two selects and the field list's order boxes;
    and the breadcrumb links differed from their text by colour alone."""
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="ru-RU")
    page = context.new_page()
    try:
        sign_in_to_admin(page, live_server)
        page.goto(f"{live_server.url}{path}")
        assert_accessible(page, path)
        if path.endswith("/train/"):
            expect(page.get_by_label("Данные")).to_have_value("imported")
            expect(page.get_by_label("Строк синтетики")).to_have_value("20000")
            expect(page.get_by_role("group", name="Банки")).to_be_visible()
        if path.endswith("/feature/"):
            expect(page.get_by_label("Порядок поля «Дата рождения»")).to_be_visible()
    finally:
        context.close()
