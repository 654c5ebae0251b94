"""Outcomes: what the banks really answered, recorded by integrators."""

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.decorators import api_view, permission_classes
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from scoring import selectors
from scoring.services import outcomes
from scoring.api.errors import validation_error_response
from scoring.api.idempotency import idempotent
from scoring.api.serializers import (
    OutcomeCreateSerializer,
    OutcomeFilterSerializer,
    OutcomePageSerializer,
    OutcomeSerializer,
)
from scoring.models import Bank, Outcome

from scoring.api.views.common import (IDEMPOTENCY_PARAMETER, READ_ERRORS, SUBMITTERS, WRITE_ERRORS,
                                      paginated, query_params)


@extend_schema(
    methods=["GET"], operation_id="outcomes_list", summary="Ответы банков",
    parameters=[OutcomeFilterSerializer], responses={200: OutcomePageSerializer, **READ_ERRORS},
)
@extend_schema(
    methods=["POST"], operation_id="outcomes_record", summary="Записать, что банк ответил на самом деле",
    request=OutcomeCreateSerializer, parameters=[IDEMPOTENCY_PARAMETER],
    responses={201: OutcomeSerializer,
               200: OpenApiResponse(OutcomeSerializer, description="Ответ этого банка уже был: исправлен."),
               **WRITE_ERRORS},
    examples=[OpenApiExample("Одобрено", request_only=True, value={
        "application": "3f1c2d9e-8a1b-4c55-9e0f-2b7c1d4e5f60", "bank": "bank_a", "result": "approved",
        "amount": "68000.00", "term": 12})],
)
@api_view(["GET", "POST"])
@permission_classes([SUBMITTERS])
@idempotent
def outcome_list(request):
    visible = selectors.applications_for(request.user)
    if request.method == "GET":
        filters = query_params(OutcomeFilterSerializer, request)
        queryset = Outcome.objects.filter(application__in=visible.values("pk")).select_related(
            "bank", "recorded_by").order_by("-recorded_at", "-id")
        if filters.get("application"):
            queryset = queryset.filter(application_id=filters["application"])
        if filters.get("bank"):
            queryset = queryset.filter(bank__code=filters["bank"])
        if filters.get("result"):
            queryset = queryset.filter(result=filters["result"])
        return paginated(request, queryset, OutcomeSerializer)
    serializer = OutcomeCreateSerializer(data=request.data)
    if not serializer.is_valid():
        return validation_error_response(serializer.errors)
    data = serializer.validated_data
    application = visible.filter(pk=data["application"]).first()
    bank = Bank.objects.filter(code=data["bank"]).first()
    if bank is None:  # outside the schema's list of codes: every field's error at once
        errors = {"bank": ["Нет банка с таким кодом."]}
        if application is None:
            errors["application"] = ["Заявка не найдена."]
        return validation_error_response(errors)
    if application is None:  # a well-formed body naming an application this user cannot see: as GET of it
        raise NotFound("Заявка не найдена.")
    outcome, created = outcomes.record_outcome(actor=request.user, application=application, bank=bank,
                                               result=data["result"], amount=data.get("amount"),
                                               term=data.get("term"))
    return Response(OutcomeSerializer(outcome).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)
