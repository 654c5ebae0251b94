"""The bank scores in API answers are built directly (BankScoreSerializer.to_representation); they
must be what the declared serializer fields give, in both languages, with refusals and suggestions."""
import json

import pytest
from rest_framework.serializers import ModelSerializer
from rest_framework.test import APIRequestFactory

from scoring.services import outcomes, phrases, submission
from scoring.api.serializers import ApplicationSerializer, ApplicationStatusSerializer, BankScoreSerializer
from scoring.models import BankScore


def declared_score(serializer, score) -> dict:
    """What BankScoreSerializer's declared fields give, with the reasons in the active language."""
    data = ModelSerializer.to_representation(serializer, score)
    data["reasons"] = BankScoreSerializer.reasons_of(score, phrases.words())
    return data


def declared_application(serializer, application) -> dict:
    """What ApplicationSerializer's declared fields give, its scores as declared_score gives them."""
    data = ModelSerializer.to_representation(serializer, application)
    child = BankScoreSerializer(context=serializer.context)
    data["scores"] = [declared_score(child, score) for score in application.scores.all()]
    return data


@pytest.mark.parametrize("language", ["ru", "en"])
def test_direct_scores_match_the_declared_fields(officer, models_ready, answers, language, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        # A large loan: several banks below their threshold (suggestions), one over its limit (refusal).
        submission.submit_application(officer=officer, answers={**answers, "loan_amount": 900000})
        submission.submit_application(officer=officer, answers=answers)
    scores = list(BankScore.objects.select_related("bank"))
    assert any(s.suggestions for s in scores) and any(s.refused_by_rule for s in scores)
    request = APIRequestFactory().get("/", HTTP_ACCEPT_LANGUAGE=language)
    from django.utils import translation

    with translation.override(language):
        for score in scores:
            serializer = BankScoreSerializer(context={"request": request})
            direct, declared = serializer.to_representation(score), declared_score(serializer, score)
            # As JSON: the same keys in the same order, and 1.0 is not 1.
            assert json.dumps(direct, ensure_ascii=False) == json.dumps(declared, ensure_ascii=False)


@pytest.mark.parametrize("role", ["officer", "analyst"])
def test_direct_applications_match_the_declared_fields(officer, analyst, models_ready, answers, role,
                                                       django_capture_on_commit_callbacks):
    from scoring.models import Application, Bank, Outcome

    with django_capture_on_commit_callbacks(execute=True):
        scored, _ = submission.submit_application(officer=officer, answers=answers,
                                                client={"full_name": "Иванов Иван Иванович", "phone": "+7 900 123-45-67"})
        variant, _ = submission.apply_suggestion(officer=officer, application=scored, amount=50000, term=12)
    queued, _ = submission.submit_application(officer=officer, answers={**answers, "loan_amount": 70000})  # not committed
    outcomes.record_outcome(actor=officer, application=scored, bank=Bank.objects.get(code="bank_b"), result="approved",
                            amount=68000, term=12)
    request = APIRequestFactory().get("/")
    request.user = officer if role == "officer" else analyst
    from rest_framework.request import Request

    context = {"request": Request(request)}
    context["request"].user = request.user
    for application in Application.objects.filter(pk__in=[scored.pk, variant.pk, queued.pk]):
        serializer = ApplicationSerializer(context=context)
        direct, declared = serializer.to_representation(application), declared_application(serializer, application)
        assert json.dumps(direct, ensure_ascii=False) == json.dumps(declared, ensure_ascii=False)
    assert Outcome.objects.filter(application=scored).exists()


def test_direct_statuses_match_the_declared_fields(officer, models_ready, answers, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        scored, _ = submission.submit_application(officer=officer, answers=answers)
    queued, _ = submission.submit_application(officer=officer, answers={**answers, "loan_amount": 70000})  # not committed
    scored.refresh_from_db()
    context = {"request": APIRequestFactory().get("/")}
    for application, status in ((scored, "done"), (queued, "queued")):
        serializer = ApplicationStatusSerializer(context=context)
        direct = serializer.to_representation(application)
        assert direct["status"] == status and direct["url"].endswith(f"/api/v1/applications/{application.pk}/")
        assert json.dumps(direct) == json.dumps(ModelSerializer.to_representation(serializer, application))


@pytest.mark.django_db(transaction=True)  # committed: the embedded default scores at the commit, in the request
def test_the_answer_to_a_waited_submission_carries_the_result(api, models_ready, answers):
    response = api.post("/api/v1/applications/?wait=5", {"answers": answers}, format="json",
                        **{"wsgi.multithread": True})
    assert response.status_code == 202
    body = response.json()
    assert body["status"] == "done" and len(body["scores"]) == 5 and body["outcomes"] == []
    assert body == api.get(f"/api/v1/applications/{body['id']}/").json()  # what GET answers
    repeated = api.post("/api/v1/applications/?wait=5", {"answers": answers}, format="json")
    assert repeated.status_code == 200 and repeated.json() == body  # the same answers: the same application
