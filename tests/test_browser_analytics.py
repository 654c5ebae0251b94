"""Analytics pages in a real browser (issue 15, items 13, 15 and 16): at 390 px nothing scrolls
sideways and no chart label runs out of its chart; drift, the data profile and the fairness
retraining are started by a button, run in the background and show their result on the page."""
import math
import random

import pytest
from django.core.cache import cache
from django.utils import timezone

from scoring.engine.synthetic import generate_applications
from scoring.models import Application, Bank, BankScore, ModelVersion
from scoring.services.application_columns import columns_for
from tests.browser import assert_accessible, expect, log_in, shoot

pytestmark = pytest.mark.django_db(transaction=True)

PAGES = ["/analytics/", "/analytics/cohorts/", "/analytics/data/?source=synthetic", "/analytics/models/",
         "/analytics/fairness/", "/analytics/drift/"]

# Every chart text's box inside its chart's box (1 px for rounding); the offending texts otherwise.
CUT_LABELS = """() => {
  const cut = [];
  for (const svg of document.querySelectorAll('svg.chart')) {
    const box = svg.getBoundingClientRect();
    for (const text of svg.querySelectorAll('text')) {
      const r = text.getBoundingClientRect();
      if (r.left < box.left - 1 || r.right > box.right + 1 || r.top < box.top - 1 || r.bottom > box.bottom + 1) {
        cut.push(text.textContent);
      }
    }
  }
  return cut;
}"""
SIDEWAYS = "document.documentElement.scrollWidth - document.documentElement.clientWidth"


@pytest.fixture
def analytics_data(configured, trained_artifacts, officer, analyst):
    """Every bank's model trained on rows drift can rebuild, and 160 applications scored today (one day)."""
    cache.clear()  # the profiles and the job marks of earlier tests (the live server shares this process)
    encoder, by_bank = trained_artifacts
    banks = list(Bank.objects.order_by("code"))
    versions = {bank.code: ModelVersion.objects.create(
        bank=bank, algorithm="xgboost", encoder=encoder, artifact=by_bank[bank.code][0], metrics=by_bank[bank.code][1],
        training_data="synthetic rows=800 seed=11", active=True) for bank in banks}
    frame = generate_applications(160, seed=5, as_of=timezone.localdate())
    rng = random.Random(3)
    for i, record in enumerate(frame.iloc[:, :16].astype(object).to_dict("records")):
        answers = {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in record.items()}
        application = Application.objects.create(officer=officer, answers=answers, answers_hash=f"b{i}",
                                                 status=Application.Status.DONE,
                                                 recommendation={"action": "send", "banks": []},
                                                 **columns_for(answers=answers))
        for bank in banks:
            p = rng.random()
            BankScore.objects.create(application=application, bank=bank, model_version=versions[bank.code],
                                     probability=p, reasons=[],
                                     verdict=BankScore.Verdict.LIKELY if p >= bank.approval_threshold
                                     else BankScore.Verdict.UNLIKELY)


def test_analytics_pages_fit_a_phone(browser, live_server, analytics_data):
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="ru-RU", is_mobile=True)
    context.set_default_timeout(60_000)
    page = context.new_page()
    try:
        log_in(page, live_server, "analyst1")
        page.goto(f"{live_server.url}/analytics/data/?source=synthetic")
        page.get_by_role("button", name="Рассчитать").click()
        expect(page.get_by_role("heading", name="Корреляции числовых полей (Пирсон)")).to_be_visible()
        page.goto(f"{live_server.url}/analytics/drift/")
        page.get_by_role("button", name="Рассчитать сдвиг").click()
        expect(page.get_by_role("button", name="Пересчитать сдвиг")).to_be_visible()
        for path in PAGES:
            page.goto(f"{live_server.url}{path}")
            assert page.evaluate(SIDEWAYS) <= 0, f"{path} scrolls sideways at 390 px"
            assert page.locator("svg.chart").count() or path.startswith(("/analytics/fairness", "/analytics/drift"))
            assert page.evaluate(CUT_LABELS) == [], f"{path}: chart labels cut"
    finally:
        context.close()


def test_drift_is_computed_from_its_page(page, live_server, analytics_data):
    log_in(page, live_server, "analyst1")
    page.goto(f"{live_server.url}/analytics/drift/")
    expect(page.get_by_text("Сдвиг ещё не рассчитан.")).to_be_visible()
    page.get_by_role("button", name="Рассчитать сдвиг").click()
    table = page.locator("#table-drift")
    expect(table).to_be_visible(timeout=60_000)  # the page polls until the background work is done
    expect(table).to_contain_text("Ежемесячный доход")
    expect(table).not_to_contain_text("month_profit")
    assert_accessible(page, "analytics-drift")
    shoot(page, "analytics-drift")


def test_fairness_retraining_runs_in_the_background(page, live_server, analytics_data):
    log_in(page, live_server, "analyst1")
    page.goto(f"{live_server.url}/analytics/fairness/")
    expect(page.get_by_text("Группы меньше 30 заявок не сравниваются.")).to_be_visible()
    page.get_by_label("Банк", exact=True).select_option(label="Банк А")
    page.get_by_role("button", name="Обучить без защищённых полей").click()
    # The request returns before the training ends: the page shows it running, then its result.
    expect(page.get_by_text("обучается…")).to_be_visible()
    result = page.locator("#table-attribute_free")
    expect(result).to_contain_text("Банк А", timeout=120_000)
    expect(page.get_by_text("обучается…")).to_have_count(0)
    expect(result).to_contain_text("синтетические данные: 800 строк")
    assert_accessible(page, "analytics-fairness")
    shoot(page, "analytics-fairness")
