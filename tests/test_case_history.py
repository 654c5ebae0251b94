"""The case history of an application: submitted, scored (with which model version and threshold per bank),
variants asked for, sent to banks and the banks' answers, by whom and when; the same data on the officer's
page and in the API."""
import datetime as dt
import html

import pytest
from django.urls import reverse
from django.utils import timezone

from scoring.models import Application, Bank, BankScore, Dispatch, ModelVersion, Outcome
from scoring.services import case_history, outcomes, submission


@pytest.fixture
def worked_case(scored, officer):
    """The scored application, a variant asked for, sent to two banks, one of which answered."""
    scores = list(scored.scores.select_related("bank"))
    first, second = scores[0].bank, scores[1].bank
    submission.apply_suggestion(officer=officer, application=scored, amount=50_000, term=12)
    outcomes.mark_sent(actor=officer, application=scored, banks=[first, second])
    outcomes.record_outcome(actor=officer, application=scored, bank=first, result=Outcome.Result.APPROVED,
                            amount=60_000, term=12)
    return scored, first, second


def history_of(application):
    application = Application.objects.prefetch_related("scores__bank").select_related("officer").get(pk=application.pk)
    return case_history.case_history(application)


def test_it_tells_the_case_in_order(worked_case, officer):
    application, first, second = worked_case
    events = history_of(application)
    assert [e["event"] for e in events] == ["submitted", "scored", "variant", "sent", "sent", "answered"]
    assert [e["at"] for e in events] == sorted(e["at"] for e in events)
    submitted = events[0]
    assert (submitted["by"], submitted["amount"], submitted["term"]) == ("officer1", 68000.0, 12)
    variant = events[2]
    assert variant["amount"] == 50000.0 and Application.objects.get(pk=variant["application"]).parent_id == application.pk
    assert {e["bank"] for e in events if e["event"] == "sent"} == {first.code, second.code}
    assert all(e["by"] == "officer1" for e in events if e["event"] in ("sent", "answered"))
    answered = events[-1]
    assert (answered["bank"], answered["result"], answered["amount"], answered["term"]) == (
        first.code, "approved", 60000.0, 12)


def test_the_scoring_names_each_banks_model_version_and_threshold_as_decided(worked_case):
    application, first, _second = worked_case
    Bank.objects.filter(pk=first.pk).update(approval_threshold=0.99)  # a later change changes nothing
    scored = next(e for e in history_of(application) if e["event"] == "scored")
    stored = {s.bank.code: s for s in BankScore.objects.filter(application=application).select_related("bank")}
    assert {row["bank"] for row in scored["banks"]} == set(stored)
    for row in scored["banks"]:
        score = stored[row["bank"]]
        version = ModelVersion.objects.get(pk=score.model_version_id)
        assert row["model_version"] == version.pk and row["algorithm"] == version.algorithm
        assert row["trained_at"] == version.created_at
        assert row["threshold"] == score.threshold != 0.99
        assert (row["probability"], row["verdict"]) == (score.probability, score.verdict)


def test_a_deleted_model_version_is_said_so(scored):
    version_id = scored.scores.first().model_version_id
    BankScore.objects.filter(model_version_id=version_id).update(model_version=None)
    rows = next(e for e in history_of(scored) if e["event"] == "scored")["banks"]
    assert sum(row["model_version"] is None for row in rows) == 1


def test_an_answer_recorded_without_a_send_is_still_in_the_history(scored, officer):
    bank = scored.scores.first().bank
    outcomes.record_outcome(actor=officer, application=scored, bank=bank, result=Outcome.Result.REFUSED)
    events = history_of(scored)
    assert [e["event"] for e in events][-1] == "answered" and not Dispatch.objects.exists()


def test_a_failed_scoring_is_in_the_history(officer, configured, answers):
    application, _ = submission.submit_application(officer=officer, answers=answers)
    Application.objects.filter(pk=application.pk).update(status=Application.Status.FAILED, error="нет моделей")
    events = history_of(application)
    assert [(e["event"], e["error"]) for e in events] == [("submitted", None), ("failed", "нет моделей")]


def test_events_at_the_same_moment_keep_the_order_of_the_case(scored, officer):
    bank = scored.scores.first().bank
    outcomes.mark_sent(actor=officer, application=scored, banks=[bank])
    outcomes.record_outcome(actor=officer, application=scored, bank=bank, result=Outcome.Result.APPROVED)
    moment = timezone.now() - dt.timedelta(days=1)
    Application.objects.filter(pk=scored.pk).update(created_at=moment, scored_at=moment)
    Dispatch.objects.update(sent_at=moment)
    Outcome.objects.update(recorded_at=moment)
    assert [e["event"] for e in history_of(scored)] == ["submitted", "scored", "sent", "answered"]


def test_the_page_shows_the_case_history(officer_client, worked_case):
    application, first, second = worked_case
    page = html.unescape(officer_client.get(reverse("scoring:application_detail", args=[application.pk]))
                         .content.decode())
    case = page.split('id="case"', 1)[1].split("</section>", 1)[0]
    assert "История заявки" in case
    assert f"Отправлена в {first.name}" in case and f"Отправлена в {second.name}" in case
    assert f"Ответ {first.name}: одобрено, 60\u00a0000\u00a0₽" in case
    assert "Запрошен вариант: 50\u00a0000\u00a0₽ на 12 мес." in case
    for score in application.scores.all():
        assert f"модель v{score.model_version_id} (xgboost), обучена" in case
    # the times are in order on the page as in the service
    times = [chunk.split('"', 1)[0] for chunk in case.split('<time datetime="')[1:]]
    assert times == sorted(times) and len(times) == 6


def test_the_case_reloads_itself_when_the_scoring_finishes(officer_client, officer, models_ready, answers):
    from scoring.services import runtime

    application, _ = submission.submit_application(officer=officer, answers=answers)
    Application.objects.filter(pk=application.pk).update(status=Application.Status.QUEUED)
    BankScore.objects.filter(application=application).delete()
    page = officer_client.get(reverse("scoring:application_detail", args=[application.pk])).content.decode()
    case = page.split('<section id="case"', 1)[1].split(">", 1)[0]
    assert 'hx-trigger="application-scored from:body"' in case
    assert f'hx-get="{reverse("scoring:application_case", args=[application.pk])}"' in case
    runtime.score_application(application_id=application.pk)
    result = officer_client.get(reverse("scoring:application_result", args=[application.pk]), headers={"HX-Request": "true"})
    assert result.status_code == 286 and result["HX-Trigger"] == "application-scored"
    section = officer_client.get(reverse("scoring:application_case", args=[application.pk])).content.decode()
    assert section.startswith('<section id="case"') and "Оценена банками:" in section
    assert "hx-trigger" not in section.split(">", 1)[0]  # finished: it listens no more


def test_an_analyst_sees_the_history_without_the_forms(client_as, analyst, worked_case):
    application, first, _second = worked_case
    page = client_as(analyst).get(reverse("scoring:application_detail", args=[application.pk])).content.decode()
    assert "История заявки" in page and first.name in page
    assert "Отметить отправку" not in page and "Записать ответ" not in page


def test_the_api_detail_carries_the_history(api, worked_case):
    application, first, _second = worked_case
    body = api.get(f"/api/v1/applications/{application.pk}/").json()
    events = body["history"]
    assert [e["event"] for e in events] == ["submitted", "scored", "variant", "sent", "sent", "answered"]
    assert set(events[0]) == {"event", "at", "by", "bank", "bank_name", "amount", "term", "result", "application",
                              "error", "banks"}
    scored = events[1]
    stored = {s.bank.code: s for s in application.scores.select_related("bank")}
    assert {row["bank"]: row["model_version"] for row in scored["banks"]} == {
        code: score.model_version_id for code, score in stored.items()}
    for row in scored["banks"]:
        trained = ModelVersion.objects.get(pk=row["model_version"]).created_at
        assert dt.datetime.fromisoformat(row["trained_at"]) == trained
        assert row["threshold"] == stored[row["bank"]].threshold
    assert events[-1] == {**events[-1], "bank": first.code, "result": "approved", "amount": 60000.0, "term": 12,
                          "by": "officer1"}


def test_the_schema_describes_the_history(api, configured):
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    components = schema["components"]["schemas"]
    application = components["Application"]["properties"]
    assert application["history"]["type"] == "array"
    assert application["history"]["items"]["$ref"].endswith("/HistoryEvent")
    event = components["HistoryEvent"]
    assert set(event["properties"]) >= {"event", "at", "by", "bank", "result", "amount", "banks"}
    kind = event["properties"]["event"]
    reference = kind["$ref"] if "$ref" in kind else kind["allOf"][0]["$ref"]
    assert components[reference.rsplit("/", 1)[1]]["enum"] == list(case_history.EVENTS)
