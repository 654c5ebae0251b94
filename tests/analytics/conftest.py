"""A small set of applications whose analytics figures are known by hand (see each test)."""
import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from scoring.services.application_columns import columns_for
from scoring.models import Application, Bank, BankScore, Client, ModelVersion, Outcome

MOSCOW = ZoneInfo("Europe/Moscow")

# (day, category, store, employment, birth, income, amount, term, gender, p_a, p_b, action, outcome of bank_a)
ROWS = [
    (10, "Furniture", 5, "Работаю по найму полный рабочий день/служу", "1990-05-01", 100000, 50000, "12", "0",
     0.8, 0.4, "send", "approved"),
    (10, "Furniture", 5, "Собственное дело", "2000-05-01", 50000, 100000, "6", "1", 0.6, 0.2, "send", "refused"),
    (11, "Travel", 7, "Работаю по найму полный рабочий день/служу", "1960-05-01", 200000, 20000, "24", "1",
     0.3, 0.9, "send", None),
    (12, "Travel", 7, "Студент", "2005-05-01", 30000, 30000, "12", "0", 0.1, 0.1, "do_not_send", None),
]


def verdict(p, threshold=0.5):
    return BankScore.Verdict.LIKELY if p >= threshold else BankScore.Verdict.UNLIKELY


@pytest.fixture
def bank_a_version(configured):
    return ModelVersion.objects.create(bank=Bank.objects.get(code="bank_a"), encoder={}, artifact=b"",
                                       training_data="tests", metrics={"auc": 0.8}, active=True)


@pytest.fixture
def known_applications(configured, officer, bank_a_version):
    """Four scored applications in January 2026; bank_a answered two of them (one approved, one refused)."""
    bank_a, bank_b = Bank.objects.get(code="bank_a"), Bank.objects.get(code="bank_b")
    client = Client.objects.create(full_name="Секретов Тайный Иванович", phone="+7 999 111-22-33")
    created = []
    for i, (day, category, store, employment, birth, income, amount, term, gender, p_a, p_b, action, outcome) \
            in enumerate(ROWS):
        answers = {"goods_category": category, "merch_code": store, "employment_status": employment,
                   "birth_date": birth, "month_profit": income, "loan_amount": amount, "loan_term": term,
                   "gender": gender}
        application = Application.objects.create(officer=officer, client=client, answers=answers,
                                                 answers_hash=f"h{i}", status=Application.Status.DONE,
                                                 recommendation={"action": action, "banks": []},
                                                 **columns_for(answers=answers, client=client))
        Application.objects.filter(pk=application.pk).update(
            created_at=dt.datetime(2026, 1, day, 12, 0, tzinfo=MOSCOW))
        BankScore.objects.create(application=application, bank=bank_a, model_version=bank_a_version, probability=p_a,
                                 verdict=verdict(p_a), reasons=[])
        BankScore.objects.create(application=application, bank=bank_b, probability=p_b, verdict=verdict(p_b),
                                 reasons=[])
        if outcome:
            Outcome.objects.create(application=application, bank=bank_a, result=outcome)
        created.append(application)
    return created
