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


def test_the_page_shows_the_synthetic_data_set(analyst_client, configured):
    cache.clear()
    page = analyst_client.get(reverse("analytics:exploration"), {"source": "synthetic"}).content.decode()
    assert "5000 строк" in page.replace("\u202f", "") or "5 000" in page
    assert "Корреляции" in page and "<svg" in page
