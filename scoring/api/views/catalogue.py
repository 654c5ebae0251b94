"""The catalogue as integrators read it: banks with their terms, the questionnaire's fields."""

from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import api_view
from rest_framework.response import Response

from scoring.api.serializers import (
    BankSerializer,
    FeatureSerializer,
    QuestionnaireSerializer,
)
from scoring.models import Bank, ModelVersion
from scoring.services.questionnaire import active_features

from scoring.api.examples import (BANKS_EXAMPLE)
from scoring.api.schema import answers_schema
from scoring.api.views.common import (COMMON_ERRORS)


@extend_schema(operation_id="banks_list", responses={200: BankSerializer(many=True), **COMMON_ERRORS},
               summary="Активные банки и условия их продуктов", examples=[BANKS_EXAMPLE])
@api_view(["GET"])
def bank_list(request):
    active = ModelVersion.objects.filter(active=True).only("id", "bank", "active")  # the id, never the blobs
    banks = Bank.objects.filter(active=True).prefetch_related(
        Prefetch("model_versions", queryset=active)).order_by("code")
    return Response(BankSerializer(banks, many=True).data)


@extend_schema(operation_id="features_list", responses={200: QuestionnaireSerializer, **COMMON_ERRORS},
               summary="Поля анкеты: чтобы построить свою форму",
               description="Строится по активным полям анкеты в момент запроса: изменения в админке видны сразу.")
@api_view(["GET"])
def feature_list(request):
    features = active_features()
    return Response({"features": FeatureSerializer(features, many=True).data,
                     "answers_schema": answers_schema(features)})
