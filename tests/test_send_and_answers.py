"""The loop after the result: the officer marks the application sent to banks and records each bank's answer
on the page; both reach the audit log, the analytics funnel and live calibration, and `train --source
outcomes` learns from the answers with the same quality gate as the other sources."""
import html
import json
from decimal import Decimal

import pytest
from django.core.management.base import CommandError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from scoring.analytics import rollup, selectors
from scoring.engine.synthetic import generate_applications
from scoring.models import Application, AuditEntry, Bank, Dispatch, ModelVersion, Outcome
from scoring.services import outcomes
from tests.helpers import run_command

HTMX = {"HX-Request": "true"}


def send_url(application):
    return reverse("scoring:application_send", args=[application.pk])


def answer_url(application):
    return reverse("scoring:application_answer", args=[application.pk])


def codes_of(application, *, refused_by_rule=False):
    return [s.bank.code for s in application.scores.select_related("bank") if s.refused_by_rule == refused_by_rule]


def error_of(body: str, field: str) -> str:
    """The text of a field's error paragraph in the case section."""
    text = html.unescape(body)
    return text.split(f'id="id_{field}_error">', 1)[1].split("</p>", 1)[0]


@pytest.fixture
def sent(scored, officer):
    """The scored application marked sent to its first two banks."""
    banks = [s.bank for s in scored.scores.select_related("bank")][:2]
    outcomes.mark_sent(actor=officer, application=scored, banks=banks)
    return scored, banks


# --- marking the application sent ------------------------------------------------------------------

def test_it_marks_the_application_sent_to_the_chosen_banks(officer_client, officer, scored):
    first, second = codes_of(scored)[:2]
    response = officer_client.post(send_url(scored), {"send-banks": [first, second]}, headers=HTMX)
    assert response.status_code == 200
    body = html.unescape(response.content.decode())
    assert body.startswith('<section id="case"') and "Отмечено: заявка отправлена в" in body
    dispatches = Dispatch.objects.filter(application=scored)
    assert sorted(d.bank.code for d in dispatches) == sorted([first, second])
    assert all(d.sent_by == officer for d in dispatches)
    entries = AuditEntry.objects.filter(object_type="scoring.dispatch", action="create", actor=officer)
    assert sorted(e.after["bank_id"] for e in entries) == sorted(d.bank_id for d in dispatches)


def test_the_recommended_banks_are_checked_at_first(officer_client, scored):
    page = officer_client.get(reverse("scoring:application_detail", args=[scored.pk])).content.decode()
    assert scored.recommendation["action"] == "send" and scored.recommendation["banks"]
    for code in codes_of(scored):
        tag = page.split(f'value="{code}"', 1)[1].split(">", 1)[0]
        assert ("checked" in tag) == (code in scored.recommendation.get("banks", [])), code
    # once it was sent somewhere, the banks left are offered unchecked: a second marking is a choice
    body = officer_client.post(send_url(scored), {"send-banks": codes_of(scored)[:1]}, headers=HTMX).content.decode()
    boxes = body.split('name="send-banks"')[1:]
    assert len(boxes) == len(codes_of(scored)) - 1 and not any("checked" in box.split(">", 1)[0] for box in boxes)


def test_a_bank_that_refuses_by_its_rules_cannot_be_chosen(officer_client, models_ready, officer, answers):
    from scoring.services import runtime, submission

    Bank.objects.filter(code="bank_b").update(
        rules=[{"field": "birth_date", "operator": "lt", "value": 99, "reason": "только клиенты от 99 лет"}])
    application, _ = submission.submit_application(officer=officer, answers=answers)
    runtime.score_application(application_id=application.pk)
    page = officer_client.get(reverse("scoring:application_detail", args=[application.pk])).content.decode()
    assert 'name="send-banks" value="bank_b"' not in page and 'name="send-banks" value="bank_a"' in page
    response = officer_client.post(send_url(application), {"send-banks": ["bank_a", "bank_b"]}, headers=HTMX)
    assert response.status_code == 200
    error = html.unescape(response.content.decode()).split('id="send-banks-error">', 1)[1].split("</p>", 1)[0]
    assert error == "Выберите корректный вариант. bank_b нет среди допустимых значений."
    assert not Dispatch.objects.exists()  # all or none: bank_a was not marked either


def test_it_asks_for_a_bank(officer_client, scored):
    response = officer_client.post(send_url(scored), {}, headers=HTMX)
    assert response.status_code == 200
    assert 'id="send-banks-error">Отметьте хотя бы один банк.' in html.unescape(response.content.decode())
    assert not Dispatch.objects.exists()


def test_without_htmx_it_goes_back_to_the_case_or_shows_the_errors(officer_client, scored):
    response = officer_client.post(send_url(scored), {})
    assert response.status_code == 400 and "Отметьте хотя бы один банк." in response.content.decode()
    response = officer_client.post(send_url(scored), {"send-banks": codes_of(scored)[:1]})
    assert response.status_code == 302 and response["Location"].endswith(f"/applications/{scored.pk}/#case")
    assert Dispatch.objects.count() == 1


def test_marking_a_bank_again_keeps_the_first_time(officer, other_officer, sent):
    application, banks = sent
    first_time = Dispatch.objects.get(application=application, bank=banks[0]).sent_at
    created = outcomes.mark_sent(actor=officer, application=application, banks=banks)
    assert created == [] and Dispatch.objects.get(application=application, bank=banks[0]).sent_at == first_time
    assert AuditEntry.objects.filter(object_type="scoring.dispatch").count() == 2


def test_the_service_writes_all_or_none(officer, models_ready, answers):
    from scoring.services import runtime, submission

    Bank.objects.filter(code="bank_b").update(
        rules=[{"field": "birth_date", "operator": "lt", "value": 99, "reason": "только клиенты от 99 лет"}])
    application, _ = submission.submit_application(officer=officer, answers=answers)
    runtime.score_application(application_id=application.pk)
    application = Application.objects.get(pk=application.pk)
    with pytest.raises(outcomes.SendError):
        outcomes.mark_sent(actor=officer, application=application, banks=list(Bank.objects.order_by("code")))
    assert not Dispatch.objects.exists() and not AuditEntry.objects.filter(object_type="scoring.dispatch").exists()


def test_an_unscored_application_cannot_be_sent(officer_client, officer, configured, answers):
    from scoring.services import submission

    application, _ = submission.submit_application(officer=officer, answers=answers)  # no models: stays queued
    response = officer_client.post(send_url(application), {"send-banks": ["bank_a"]}, headers=HTMX)
    assert response.status_code == 200 and not Dispatch.objects.exists()


@pytest.mark.parametrize("url", [send_url, answer_url])
def test_it_rejects_get(officer_client, scored, url):
    assert officer_client.get(url(scored)).status_code == 405


@pytest.mark.parametrize("url", [send_url, answer_url])
def test_an_analyst_cannot_post(analyst_client, scored, url):
    response = analyst_client.post(url(scored), {"send-banks": codes_of(scored)[:1], "answer-bank": "bank_a",
                                                 "answer-result": "approved"}, headers=HTMX)
    assert response.status_code == 403
    assert not Dispatch.objects.exists() and not Outcome.objects.exists()


@pytest.mark.parametrize("url", [send_url, answer_url])
def test_another_officer_cannot_touch_the_application(client_as, other_officer, scored, url):
    response = client_as(other_officer).post(url(scored), {"send-banks": codes_of(scored)[:1]}, headers=HTMX)
    assert response.status_code == 404 and not Dispatch.objects.exists()


def test_it_needs_the_csrf_token(officer, scored):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(officer)
    assert browser.post(send_url(scored), {"send-banks": codes_of(scored)[:1]}, headers=HTMX).status_code == 403
    assert not Dispatch.objects.exists()


# --- recording the banks' answers ------------------------------------------------------------------

def test_it_records_a_banks_answer(officer_client, officer, sent):
    application, banks = sent
    response = officer_client.post(answer_url(application), {
        "answer-bank": banks[0].code, "answer-result": "approved", "answer-amount": "60 000,50", "answer-term": "12",
    }, headers=HTMX)
    assert response.status_code == 200
    assert f"Записан ответ банка {banks[0].name}." in html.unescape(response.content.decode())
    outcome = Outcome.objects.get(application=application, bank=banks[0])
    assert (outcome.result, outcome.amount, outcome.term, outcome.recorded_by) == (
        "approved", Decimal("60000.50"), 12, officer)
    entry = AuditEntry.objects.get(object_type="scoring.outcome", action="create")
    assert entry.actor == officer and entry.after["result"] == "approved"


def test_a_second_answer_replaces_the_first_and_is_audited(officer_client, sent):
    application, banks = sent
    for result in ("approved", "refused"):
        officer_client.post(answer_url(application), {"answer-bank": banks[0].code, "answer-result": result},
                            headers=HTMX)
    assert list(Outcome.objects.values_list("result", flat=True)) == ["refused"]
    update = AuditEntry.objects.get(object_type="scoring.outcome", action="update")
    assert (update.before["result"], update.after["result"]) == ("approved", "refused")


@pytest.mark.parametrize("data, field, message", [
    ({"answer-amount": "0"}, "answer-amount", "Сумма должна быть больше нуля."),
    ({"answer-amount": "-5"}, "answer-amount", "Сумма должна быть больше нуля."),
    ({"answer-amount": "68 000,01"}, "answer-amount", "Не больше запрошенной суммы: 68\u00a0000\u00a0₽."),
    ({"answer-amount": "много"}, "answer-amount", "Введите число."),
    ({"answer-term": "0"}, "answer-term", "Убедитесь, что это значение больше либо равно 1."),
    ({"answer-result": "refused", "answer-amount": "50000"}, "answer-amount",
     "Сумму и срок указывают только для одобрения."),
    ({"answer-result": ""}, "answer-result", "Обязательное поле."),
    ({"answer-result": "maybe"}, "answer-result", "Выберите корректный вариант. maybe нет среди допустимых значений."),
])
def test_a_wrong_answer_is_refused_at_its_field(officer_client, sent, data, field, message):
    application, banks = sent
    post = {"answer-bank": banks[0].code, "answer-result": "approved", **data}
    response = officer_client.post(answer_url(application), post, headers=HTMX)
    body = response.content.decode()
    assert response.status_code == 200 and error_of(body, field) == message
    control = html.unescape(body).split(f'name="{field}"', 1)[1].split(">", 1)[0]
    assert 'aria-invalid="true"' in control
    assert not Outcome.objects.exists()


@pytest.mark.parametrize("headers", [HTMX, {}])
def test_a_refused_answer_reads_the_case_history_once(officer_client, sent, headers):
    """The form's banks and the section shown again come from one reading of the case (its dispatches)."""
    application, banks = sent
    with CaptureQueriesContext(connection) as queries:
        response = officer_client.post(answer_url(application), {"answer-bank": banks[0].code, "answer-result": ""},
                                       headers=headers)
    assert response.status_code == (200 if headers else 400)
    assert error_of(response.content.decode(), "answer-result") == "Обязательное поле."
    assert len([q for q in queries.captured_queries if 'FROM "scoring_dispatch"' in q["sql"]]) == 1


def test_only_a_bank_the_application_was_sent_to_can_answer(officer_client, sent):
    application, banks = sent
    other = next(code for code in codes_of(application) if code not in {b.code for b in banks})
    response = officer_client.post(answer_url(application), {"answer-bank": other, "answer-result": "approved"},
                                   headers=HTMX)
    assert "Выберите корректный вариант" in error_of(response.content.decode(), "answer-bank")
    assert not Outcome.objects.exists()


def test_the_answer_form_appears_once_the_application_is_sent(officer_client, scored):
    url = reverse("scoring:application_detail", args=[scored.pk])
    assert "Записать ответ банка" not in officer_client.get(url).content.decode()
    officer_client.post(send_url(scored), {"send-banks": codes_of(scored)[:1]}, headers=HTMX)
    page = officer_client.get(url).content.decode()
    assert "Записать ответ банка" in page
    options = page.split('name="answer-bank"', 1)[1].split("</select>", 1)[0]
    assert options.count("<option") == 2  # "—" and the one bank it was sent to


# --- what the loop feeds ---------------------------------------------------------------------------

def test_the_funnel_counts_applications_marked_sent(officer_client, officer, api, sent, answers):
    application, banks = sent
    unsent_bank = next(code for code in codes_of(application) if code not in {b.code for b in banks})
    live = selectors.funnel(selectors.Filters())
    assert (live["sent"], live["approved"]) == (1, 0)
    assert selectors.funnel(selectors.Filters(bank=banks[1].code))["sent"] == 1
    assert selectors.funnel(selectors.Filters(bank=unsent_bank))["sent"] == 0
    rollup.refresh()
    assert rollup.funnel(selectors.Filters())["sent"] == 1
    assert rollup.funnel(selectors.Filters(bank=banks[0].code))["sent"] == 1
    assert rollup.funnel(selectors.Filters(bank=unsent_bank))["sent"] == 0
    # an answer recorded through the API, for an application nobody marked sent, counts as sent too
    from scoring.services import runtime, submission

    other, _ = submission.submit_application(officer=officer, answers={**answers, "loan_amount": 50_000})
    runtime.score_application(application_id=other.pk)
    assert api.post("/api/v1/outcomes/", {"application": str(other.pk), "bank": unsent_bank,
                                          "result": "approved"}, format="json").status_code == 201
    assert selectors.funnel(selectors.Filters())["sent"] == 2
    rollup.refresh()
    assert rollup.funnel(selectors.Filters())["sent"] == 2
    assert rollup.funnel(selectors.Filters(bank=unsent_bank))["sent"] == 1


def test_answers_from_the_page_feed_live_calibration(officer_client, sent):
    application, banks = sent
    officer_client.post(answer_url(application), {"answer-bank": banks[0].code, "answer-result": "approved"},
                        headers=HTMX)
    score = application.scores.get(bank=banks[0])
    rows = selectors.live_calibration(score.model_version)
    assert [(row["n"], row["approved"]) for row in rows] == [(1, 1)]
    rollup.refresh()
    assert [(row["n"], row["approved"]) for row in rollup.live_calibration(score.model_version)] == [(1, 1)]


# --- train --source outcomes -----------------------------------------------------------------------

def answered_applications(officer, rows: int, *, seed: int, bank: str = "bank_a", shuffle_labels: bool = False):
    """`rows` applications of the synthetic generator with `bank`'s decision recorded as its answer (errors
    as errors); shuffle_labels: the answers dealt at random, so that nothing can be learnt from them."""
    frame = generate_applications(rows, seed=seed, bank_codes=[bank])
    decisions = frame[f"{bank}_decision"].tolist()
    if shuffle_labels:
        import random

        random.Random(seed).shuffle(decisions)
    keys = [c for c in frame.columns if not c.startswith("bank_")]
    records = json.loads(frame[keys].to_json(orient="records", force_ascii=False))
    applications = Application.objects.bulk_create(
        Application(officer=officer, answers=answers, answers_hash=f"outcomes-{seed}-{i}",
                    status=Application.Status.DONE) for i, answers in enumerate(records))
    results = {"success": Outcome.Result.APPROVED, "denied": Outcome.Result.REFUSED, "error": Outcome.Result.ERROR}
    target = Bank.objects.get(code=bank)
    Outcome.objects.bulk_create(Outcome(application=application, bank=target, result=results[decision])
                                for application, decision in zip(applications, decisions) if decision in results)
    return decisions


def test_train_from_outcomes_learns_the_recorded_answers_through_the_gate(models_ready, officer):
    decisions = answered_applications(officer, 1500, seed=11)
    answered = sum(d in ("success", "denied") for d in decisions)
    before = ModelVersion.objects.get(bank__code="bank_a", active=True)
    output = run_command("train", "--source", "outcomes", "--bank", "bank_a")
    version = ModelVersion.objects.filter(bank__code="bank_a").latest("created_at")
    assert version.pk != before.pk and f"(version {version.pk})" in output
    assert version.training_data.startswith("outcomes: ")
    assert version.metrics["n_train"] + version.metrics["n_test"] == answered  # errors left out
    # the same gate as every source: judged against the active model on the same held-out rows
    assert version.metrics["champion_version"] == before.pk and "champion_auc_same_rows" in version.metrics
    assert version.metrics["quality_gate"] in output


def test_answers_dealt_at_random_do_not_pass_the_gate(models_ready, officer):
    answered_applications(officer, 600, seed=12, shuffle_labels=True)
    active = ModelVersion.objects.get(bank__code="bank_a", active=True)
    run_command("train", "--source", "outcomes", "--bank", "bank_a")
    version = ModelVersion.objects.filter(bank__code="bank_a").latest("created_at")
    assert version.pk != active.pk and not version.active
    assert ModelVersion.objects.get(bank__code="bank_a", active=True) == active
    assert version.metrics["quality_gate"].endswith("not activated")


def test_train_from_outcomes_refuses_with_too_few_answers(models_ready, officer):
    decisions = answered_applications(officer, 40, seed=13)
    answered = sum(d in ("success", "denied") for d in decisions)
    with pytest.raises(CommandError) as refused:
        run_command("train", "--source", "outcomes", "--bank", "bank_a")
    message = str(refused.value)
    assert f"too few recorded bank answers to train on (bank_a {answered})" in message
    assert "at least 100" in message
    assert ModelVersion.objects.filter(bank__code="bank_a").count() == 1


def test_a_training_run_from_outcomes_takes_the_same_path(models_ready, officer, administrator):
    from scoring.modelops.runs import run_training
    from scoring.models import TrainingRun

    decisions = answered_applications(officer, 40, seed=14)
    run = TrainingRun.objects.create(source=TrainingRun.Source.OUTCOMES, bank_codes=["bank_a"],
                                     started_by=administrator)
    run = run_training(run_id=run.pk)
    assert run.status == TrainingRun.Status.FAILED
    assert run.message.startswith("Записанных ответов банков мало для обучения (bank_a "
                              f"{sum(d in ('success', 'denied') for d in decisions)})")
