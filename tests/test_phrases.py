"""The engine's phrases (reasons, refusals, the recommendation, the waterfall) in the reader's language.

Scores store each phrase's Russian text and its message (id and parameters); pages and the API
render the message in the active language: Russian by default, English after the switch.
"""
import html
import json
import os
import re
import subprocess
import sys

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from scoring.services import phrases
from scoring.services import runtime, submission
from scoring.engine.advice import BankTerms, recommendation, term_refusals
from scoring.engine.explanations import reasons_for
from scoring.engine.phrases import PHRASES, RUSSIAN, render
from scoring.models import Application, Bank, BankScore

CYRILLIC = re.compile("[А-Яа-яЁё]")


def known_reasons():
    """A client with a 58 % payment-to-income (a high load), 36 years old, 45 000 ₽ income, a 12-month loan for travel."""
    contributions = {"payment_to_income": -0.9, "birth_date": 0.4, "goods_category": -0.2, "month_profit": 0.15,
                     "loan_term": -0.1}
    answers = {"goods_category": "Travel", "birth_date": "1990-01-01", "month_profit": 45000, "loan_term": "12"}
    derived = {"payment_to_income": 0.583, "birth_date": 36.2}
    return reasons_for(contributions, answers, derived, top_n=5, margin=-0.5,
                       labels={"goods_category": "Категория товара", "month_profit": "Ежемесячный доход, ₽"},
                       choice_labels={"goods_category": {"Travel": "Путешествия"}})


@pytest.fixture
def known_application(configured, officer):
    """One bank below its threshold (with the known reasons), one refusing the loan by its product limits."""
    reasons = known_reasons()
    bank_a, bank_b = Bank.objects.get(code="bank_a"), Bank.objects.get(code="bank_b")
    limits = BankTerms(code="bank_b", name=bank_b.name, annual_rate=20.0, min_amount=4000, max_amount=200000,
                       terms=(6, 12, 18, 24), threshold=0.5)
    refusals = [runtime.rule_reason(text) for text in term_refusals(limits, 250000, 7)]
    refusals.append(runtime.rule_reason("Банк Б: только по будням"))  # written by an administrator
    advice = recommendation([
        {"bank": "bank_a", "bank_name": bank_a.name, "probability": 0.3, "threshold": 0.5, "refused": False,
         "reasons": reasons},
        {"bank": "bank_b", "bank_name": bank_b.name, "probability": 0.0, "threshold": 0.5, "refused": True,
         "reasons": refusals},
    ])
    application = Application.objects.create(officer=officer, answers={"loan_amount": 250000, "loan_term": "7"},
                                             answers_hash="known", status=Application.Status.DONE,
                                             recommendation=advice)
    BankScore.objects.create(application=application, bank=bank_a, probability=0.3, verdict="unlikely",
                             reasons=reasons, base_value=0.0, rank=0)
    BankScore.objects.create(application=application, bank=bank_b, probability=0.0, verdict="unlikely",
                             reasons=refusals, rank=1)
    return application


def page_text(client, application) -> str:
    return html.unescape(client.get(reverse("scoring:application_detail", args=[application.pk])).content.decode())


def switch_to_english(client):
    client.post(reverse("set_language"), {"language": "en", "next": "/"})


def phrases_on(page: str) -> list[str]:
    """The generated texts of a result: reasons, waterfall steps, the recommendation's reasons."""
    reasons = re.findall(r'<span class="text">(.*?)</span>', page)
    steps = re.findall(r'<th scope="row">(.*?)</th>', page)
    advice = re.findall(r"<li>(.*?)</li>", page.split('class="advice advice-stop"', 1)[-1].split("</ul>", 1)[0])
    return reasons + steps + advice


# --- the engine: one table, Russian as stored ------------------------------------------------------

def test_every_stored_text_is_its_message_rendered_in_russian():
    for reason in known_reasons():
        assert render(reason["message"], RUSSIAN) == reason["text"]
    assert known_reasons()[0]["message"] == {"id": "payment_to_income.high", "params": {"share": 0.583}}


def test_the_engine_stays_free_of_django():
    """Every engine module imported by a fresh interpreter loads no part of Django."""
    probe = ("import importlib, json, pkgutil, sys\n"
             "import scoring.engine as engine\n"
             "for module in pkgutil.iter_modules(engine.__path__):\n"
             "    importlib.import_module(f'scoring.engine.{module.name}')\n"
             "print(json.dumps(sorted(name for name in sys.modules if name.split('.')[0] == 'django')))\n")
    result = subprocess.run([sys.executable, "-c", probe], cwd=settings.BASE_DIR, capture_output=True, text=True,
                            env={"PATH": os.environ.get("PATH", "")}, timeout=120)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == []


def test_every_phrase_has_an_english_translation():
    with translation.override("en"):
        untranslated = [key for key, template in PHRASES.items() if translation.gettext(template) == template]
    assert untranslated == []


def test_english_durations_and_money_follow_english_usage(db):  # the currency is configuration
    with translation.override("en"):
        words = phrases.words()
        assert [words.duration(0.5), words.duration(1.2), words.duration(36.9)] == ["6 months", "1 year", "36 years"]
        assert words.money(8884.88) == "RUB\u00a08,885" and phrases.percent(0.734) == "73%"
    assert phrases.money(8884.88) == "8\u00a0885\u00a0₽" and phrases.percent(0.734) == "73 %"


# --- the officer's pages -------------------------------------------------------------------------

def test_the_result_is_russian_by_default_and_reads_as_stored(officer_client, known_application):
    page = page_text(officer_client, known_application)
    for reason in known_application.scores.get(bank__code="bank_a").reasons:
        assert reason["text"] in page
    assert "Платёж 58\u00a0% дохода — высокая нагрузка" in page
    assert "Сумма больше максимальной в банке (200\u00a0000\u00a0₽)" in page
    assert "Средняя оценка модели" in page and "Прочие факторы" in page


def test_the_english_switch_shows_english_phrases_with_the_clients_numbers(officer_client, known_application):
    switch_to_english(officer_client)
    page = page_text(officer_client, known_application)
    assert "Payment is 58% of income — a heavy burden" in page
    assert "Age 36 years — suits the bank" in page
    assert "Goods category: Travel — lowers the chance" in page
    assert "Income of RUB\u00a045,000 a month — sufficient" in page
    assert "Term of 12\u00a0months — the bank does not favour it" in page
    assert "The amount is above the bank's maximum (RUB\u00a0200,000)" in page
    assert "The bank does not lend for 7 months: available 6, 12, 18, 24" in page
    assert "The model's average estimate" in page and "Other factors" in page
    generated = [text for text in phrases_on(page) if text != "Банк Б: только по будням"]
    assert len(generated) >= 10 and [text for text in generated if CYRILLIC.search(text)] == []


def test_a_knock_out_rule_reason_stays_as_the_administrator_wrote_it(officer_client, known_application):
    switch_to_english(officer_client)
    assert "Банк Б: только по будням" in page_text(officer_client, known_application)


def test_the_do_not_send_reasons_follow_the_language(officer_client, known_application):
    assert "Платёж 58\u00a0% дохода — высокая нагрузка" in known_application.recommendation["reasons"]
    switch_to_english(officer_client)
    stop = page_text(officer_client, known_application).split('class="advice advice-stop"', 1)[1].split("</div>", 1)[0]
    assert "<li>Payment is 58% of income — a heavy burden</li>" in stop


def test_an_old_result_without_messages_still_shows_its_text(officer_client, configured, officer):
    application = Application.objects.create(
        officer=officer, answers={}, answers_hash="old", status=Application.Status.DONE,
        recommendation={"action": "do_not_send", "banks": [], "ranking": ["bank_a"], "text": "Не отправляйте",
                        "reasons": ["Старая причина"]})
    BankScore.objects.create(application=application, bank=Bank.objects.get(code="bank_a"), probability=0.2,
                             verdict="unlikely", base_value=-1.0, reasons=[
                                 {"feature": "month_profit", "label": "Доход", "contribution": -0.4,
                                  "direction": "down", "effect_pp": -5.0, "text": "Старая фраза"}])
    switch_to_english(officer_client)
    page = page_text(officer_client, application)
    assert "Старая фраза" in page and "<li>Старая причина</li>" in page
    assert "The model's average estimate" in page  # the waterfall's own steps are computed at display


def test_a_scored_application_in_english_has_no_russian_in_its_phrases(officer_client, models_ready, officer,
                                                                       answers):
    answers.pop("position")  # a free-text answer is the client's words, not a phrase
    application, _ = submission.submit_application(officer=officer, answers=answers)
    runtime.score_application(application_id=application.pk)
    russian = page_text(officer_client, application)
    assert all(r["text"] in russian for s in application.scores.all() for r in s.reasons)
    switch_to_english(officer_client)
    english = phrases_on(page_text(officer_client, application))
    rules = {r["text"] for s in application.scores.all() for r in s.reasons if not r.get("message")}
    assert len(english) > 20 and [t for t in english if CYRILLIC.search(t) and t not in rules] == []


# --- the API -------------------------------------------------------------------------------------

def test_the_api_answers_in_the_language_asked_for(api, known_application):
    url = f"/api/v1/applications/{known_application.pk}/"
    russian = api.get(url).json()
    english = api.get(url, HTTP_ACCEPT_LANGUAGE="en").json()
    stored = known_application.scores.get(bank__code="bank_a").reasons
    assert [r["text"] for r in russian["scores"][0]["reasons"]] == [r["text"] for r in stored]
    reasons = english["scores"][0]["reasons"]
    assert reasons[0]["text"] == "Payment is 58% of income — a heavy burden"
    assert {r["feature"]: r["label"] for r in reasons}["goods_category"] == "Goods category"
    assert set(reasons[0]) == {"feature", "label", "contribution", "direction", "effect_pp", "text"}
    assert english["recommendation"]["text"].startswith("Do not send the application")
    assert "Payment is 58% of income — a heavy burden" in english["recommendation"]["reasons"]
    assert russian["recommendation"]["text"] == known_application.recommendation["text"]
    assert "reason_messages" not in english["recommendation"] and "message" not in english["recommendation"]


def test_english_costs_one_query_for_the_field_labels_not_one_per_phrase(officer_client, known_application):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    url = reverse("scoring:application_detail", args=[known_application.pk])
    officer_client.get(url)
    with CaptureQueriesContext(connection) as russian:
        officer_client.get(url)
    switch_to_english(officer_client)
    officer_client.get(url)
    with CaptureQueriesContext(connection) as english:
        officer_client.get(url)
    assert len(english) == len(russian) + 1


def test_webhook_bodies_are_russian_whoever_triggered_the_scoring(known_application):
    from scoring.api.webhooks import result_payload

    with translation.override("en"):
        body = result_payload(known_application, "application.scored", 1)
    assert body["application"]["scores"][0]["reasons"][0]["text"] == "Платёж 58\u00a0% дохода — высокая нагрузка"
    assert body["application"]["recommendation"]["text"].startswith("Не отправляйте")
