import pytest

from scoring.services import runtime, submission
from scoring.models import Application, BankScore, ModelVersion
from scoring.tasks import score_application


@pytest.fixture
def application(models_ready, officer, answers, django_capture_on_commit_callbacks):
    from scoring.services.questionnaire import validate_answers

    cleaned, errors = validate_answers(answers)
    assert errors == {}
    application, created = submission.submit_application(officer=officer, answers=cleaned)
    assert created
    return application


def test_it_scores_every_active_bank(application):
    runtime.score_application(application_id=application.pk)
    application.refresh_from_db()
    assert application.status == "done" and application.scored_at is not None
    scores = list(application.scores.select_related("bank"))
    assert sorted(s.bank.code for s in scores) == ["bank_a", "bank_b", "bank_c", "bank_d", "bank_e"]
    for score in scores:
        assert 0.0 <= score.probability <= 1.0
        assert score.verdict in {"likely", "uncertain", "unlikely"}
        assert score.reasons and all(r["text"] and r["feature"] for r in score.reasons)
        assert score.offer["monthly_payment"] > 68000 / 12


def test_scoring_twice_leaves_one_set_of_scores(application):
    # A worker died mid-way: the application is marked as being scored, nothing else is stored.
    Application.objects.filter(pk=application.pk).update(status="scoring")
    runtime.score_application(application_id=application.pk)  # the redelivered task
    first = dict(BankScore.objects.values_list("bank__code", "probability"))
    runtime.score_application(application_id=application.pk)  # and a duplicate of it
    assert BankScore.objects.filter(application=application).count() == 5
    assert dict(BankScore.objects.values_list("bank__code", "probability")) == first
    assert Application.objects.get(pk=application.pk).status == "done"


def test_verdict_follows_the_bank_threshold(settings):
    settings.PRESCORING = {**settings.PRESCORING, "UNCERTAIN_MARGIN": 0.1}
    assert runtime.verdict_for(0.5, 0.5) == "likely"
    assert runtime.verdict_for(0.45, 0.5) == "uncertain"
    assert runtime.verdict_for(0.39, 0.5) == "unlikely"


def test_the_task_marks_the_application_failed_without_models(application):
    ModelVersion.objects.update(active=False)
    assert score_application.delay(str(application.pk)).get() == "failed"
    application.refresh_from_db()
    assert application.status == "failed"
    assert "manage.py train" in application.error
    assert not application.scores.exists()


def test_the_task_ignores_an_unknown_application(db):
    assert score_application.delay("00000000-0000-0000-0000-000000000000").get() == "missing"


def test_inactive_banks_are_not_scored(application):
    from scoring.models import Bank

    Bank.objects.filter(code="bank_e").update(active=False)
    runtime.score_application(application_id=application.pk)
    assert sorted(application.scores.values_list("bank__code", flat=True)) == ["bank_a", "bank_b", "bank_c", "bank_d"]


def test_same_answers_return_the_same_application(models_ready, officer, other_officer, answers):
    first, created = submission.submit_application(officer=officer, answers=answers)
    again, created_again = submission.submit_application(officer=officer, answers=dict(reversed(answers.items())))
    theirs, created_theirs = submission.submit_application(officer=other_officer, answers=answers)
    assert created and not created_again and created_theirs
    assert again.pk == first.pk and theirs.pk != first.pk


def test_a_failed_application_is_queued_again_on_resubmit(models_ready, officer, answers,
                                                          django_capture_on_commit_callbacks):
    application, _ = submission.submit_application(officer=officer, answers=answers)
    runtime.mark_failed(application_id=application.pk, message="сбой")
    with django_capture_on_commit_callbacks(execute=True):
        again, created = submission.submit_application(officer=officer, answers=answers)
    assert not created and again.pk == application.pk
    again.refresh_from_db()
    assert again.status == "done" and again.error == ""


def test_submit_queues_scoring_after_commit(models_ready, officer, answers, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        application, _ = submission.submit_application(officer=officer, answers=answers,
                                                     client={"full_name": "Иванов Иван", "phone": "+7 900 000-00-00"})
    assert len(callbacks) == 1
    application.refresh_from_db()
    assert application.status == "queued" and application.client.full_name == "Иванов Иван"
    callbacks[0]()
    application.refresh_from_db()
    assert application.status == "done"
