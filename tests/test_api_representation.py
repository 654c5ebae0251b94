"""The bank scores in API answers are built directly (BankScoreSerializer.to_representation); they
must be what the declared serializer fields give, in both languages, with refusals and suggestions."""
import json

import pytest
from rest_framework.test import APIRequestFactory

from scoring import services
from scoring.api.serializers import BankScoreSerializer
from scoring.models import BankScore


@pytest.mark.parametrize("language", ["ru", "en"])
def test_direct_scores_match_the_declared_fields(officer, models_ready, answers, language, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        # A large loan: several banks below their threshold (suggestions), one over its limit (refusal).
        services.submit_application(officer=officer, answers={**answers, "loan_amount": 900000})
        services.submit_application(officer=officer, answers=answers)
    scores = list(BankScore.objects.select_related("bank"))
    assert any(s.suggestions for s in scores) and any(s.refused_by_rule for s in scores)
    request = APIRequestFactory().get("/", HTTP_ACCEPT_LANGUAGE=language)
    from django.utils import translation

    with translation.override(language):
        for score in scores:
            serializer = BankScoreSerializer(context={"request": request})
            direct, declared = serializer.to_representation(score), serializer.declared_representation(score)
            # As JSON: the same keys in the same order, and 1.0 is not 1.
            assert json.dumps(direct, ensure_ascii=False) == json.dumps(declared, ensure_ascii=False)
