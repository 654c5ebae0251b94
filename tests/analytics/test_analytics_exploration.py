"""Data exploration of a training data set: distribution, missing share, approval per value and bank."""
import pytest
from django.core.cache import cache
from django.urls import reverse

from scoring.analytics.exploration import profile
from scoring.models import HistoricalApplication, ImportBatch


@pytest.fixture
def history(configured):
    cache.clear()
    batch = ImportBatch.objects.create(file_name="h.csv", sha256="0" * 64, rows_total=4, rows_imported=4)
    rows = [("Furniture", "0", 100000, "success", "denied"), ("Furniture", "1", 120000, "success", "denied"),
            ("Travel", None, 140000, "success", "success"), ("Travel", "0", 160000, "denied", "error")]
    for i, (category, gender, income, a, b) in enumerate(rows):
        HistoricalApplication.objects.create(
            batch=batch, row_number=i + 1,
            answers={"goods_category": category, "gender": gender, "month_profit": income,
                     "loan_amount": income // 2, "birth_date": "1990-01-01"},
            decisions={"bank_a": a, "bank_b": b})
    yield
    cache.clear()


def field(result, key):
    return next(f for f in result["fields"] if f["key"] == key)


def test_it_reports_approval_per_value_and_bank(history):
    bins = {b["label"]: b for b in field(profile("imported"), "goods_category")["bins"]}
    assert bins["Мебель"]["count"] == 2 and bins["Мебель"]["share"] == 0.5
    assert bins["Мебель"]["approval"]["bank_a"] == 1.0 and bins["Путешествия"]["approval"]["bank_a"] == 0.5
    assert bins["Путешествия"]["approval"]["bank_b"] == 1.0  # the bank's 'error' is not an answer


def test_it_reports_the_missing_share(history):
    assert field(profile("imported"), "gender")["missing_share"] == 0.25
    assert field(profile("imported"), "education")["missing_share"] == 1.0


def test_it_correlates_numeric_fields(history):
    corr = profile("imported")["correlation"]
    i, j = corr["labels"].index("Ежемесячный доход, ₽"), corr["labels"].index("Сумма кредита, ₽")
    assert corr["matrix"][i][j] == pytest.approx(1.0)


def test_the_page_offers_to_profile_the_data_set_then_shows_it(analyst_client, configured, settings):
    """Issue 15 item 16: no empty page, a button; the profile is computed in the background."""
    settings.PRESCORING_BACKGROUND_THREADS = False  # the task runs inline here
    cache.clear()
    url = reverse("analytics:exploration")
    before = analyst_client.get(url, {"source": "synthetic"}).content.decode()
    assert "Рассчитать" in before and "Корреляции" not in before
    response = analyst_client.post(reverse("analytics:exploration_compute"), {"source": "synthetic"})
    assert response.status_code == 302 and response["Location"].endswith("?source=synthetic")
    page = analyst_client.get(url, {"source": "synthetic"}).content.decode()
    assert "5\u00a0000 строк" in page
    assert "Корреляции" in page and "<svg" in page


def test_the_page_shows_computing_while_the_profile_runs(analyst_client, configured):
    from scoring.analytics import jobs, tasks

    cache.clear()
    assert jobs.mark_started(tasks.profile_job("synthetic"))
    page = analyst_client.get(reverse("analytics:exploration"), {"source": "synthetic"}).content.decode()
    assert "обрабатывается" in page and 'hx-trigger="every 2s"' in page
    assert analyst_client.post(reverse("analytics:exploration_compute"), {"source": "synthetic"},
                               follow=True).content.decode().count("уже обрабатывается") == 1
    cache.clear()


def test_officers_may_not_compute_a_profile(officer_client, configured):
    cache.clear()
    assert officer_client.post(reverse("analytics:exploration_compute"), {"source": "synthetic"}).status_code == 403
    assert cache.get("analytics:job:profile:synthetic") is None


def test_without_imported_history_the_page_says_so_and_where_to_go(client_as, analyst, administrator, configured):
    cache.clear()
    page = client_as(analyst).get(reverse("analytics:exploration")).content.decode()
    assert "нет ни одной строки" in page and "?source=synthetic" in page and "Рассчитать" not in page
    assert "manage.py" not in page and "загружает администратор" in page
    admin_page = client_as(administrator).get(reverse("analytics:exploration")).content.decode()
    assert reverse("admin:scoring_importbatch_upload") in admin_page


def test_imported_history_is_profiled_by_the_button(analyst_client, history):
    url = reverse("analytics:exploration")
    assert "Рассчитать" in analyst_client.get(url).content.decode()
    analyst_client.post(reverse("analytics:exploration_compute"), {"source": "imported"})
    page = analyst_client.get(url).content.decode()
    assert "4 строк" in page and "Мебель" in page
