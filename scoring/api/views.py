"""The REST API: the same flow as the pages, through the same services."""
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.decorators import api_view
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.response import Response

from scoring import audit, roles, selectors, services
from scoring.api.errors import validation_error_response
from scoring.api.serializers import (
    AlternativeSerializer,
    ApplicationCreateSerializer,
    ApplicationSerializer,
    ApplicationStatusSerializer,
)


@extend_schema(
    request=ApplicationCreateSerializer,
    responses={
        202: ApplicationStatusSerializer,
        200: OpenApiResponse(ApplicationStatusSerializer,
                             description="Те же ответы уже отправлялись: возвращена существующая заявка."),
        400: OpenApiResponse(description="Ошибки по полям: {status, code, detail, errors}"),
    },
    summary="Отправить анкету на оценку",
)
@api_view(["POST"])
def application_create(request):
    if not roles.can_submit(request.user):
        raise PermissionDenied("Отправлять анкеты может только кредитный специалист.")
    serializer = ApplicationCreateSerializer(data=request.data)
    if not serializer.is_valid():
        return validation_error_response(serializer.errors)
    application, created = services.submit_application(
        officer=request.user,
        answers=serializer.validated_data["answers"],
        client=serializer.validated_data.get("client"),
    )
    application.refresh_from_db(fields=["status"])
    body = ApplicationStatusSerializer(application, context={"request": request}).data
    return Response(body, status=status.HTTP_202_ACCEPTED if created else status.HTTP_200_OK)


@extend_schema(responses={200: ApplicationSerializer}, summary="Заявка и оценки банков")
@api_view(["GET"])
def application_detail(request, application_id):
    application = selectors.application_with_scores(request.user, application_id)
    if application is None:
        raise NotFound("Заявка не найдена.")
    body = ApplicationSerializer(application, context={"request": request}).data
    if application.client_id and roles.sees_personal_data(request.user) and body.get("client"):
        audit.record(actor=request.user, action="view_personal_data", obj=application)
    return Response(body)


@extend_schema(
    request=AlternativeSerializer,
    responses={
        202: ApplicationStatusSerializer,
        200: OpenApiResponse(ApplicationStatusSerializer, description="Такой вариант уже оценивался."),
        400: OpenApiResponse(description="Ошибки по полям: {status, code, detail, errors}"),
    },
    summary="Оценить другой вариант суммы и срока (новая заявка, связанная с исходной)",
)
@api_view(["POST"])
def application_alternative(request, application_id):
    if not roles.can_submit(request.user):
        raise PermissionDenied("Отправлять анкеты может только кредитный специалист.")
    application = selectors.application_with_scores(request.user, application_id)
    if application is None:
        raise NotFound("Заявка не найдена.")
    serializer = AlternativeSerializer(data=request.data)
    if not serializer.is_valid():
        return validation_error_response(serializer.errors)
    try:
        alternative, created = services.apply_suggestion(
            officer=request.user, application=application,
            amount=serializer.validated_data["loan_amount"], term=serializer.validated_data["loan_term"],
        )
    except services.SuggestionError as exc:
        return validation_error_response({"non_field_errors": [str(exc)]})
    alternative.refresh_from_db(fields=["status"])
    body = ApplicationStatusSerializer(alternative, context={"request": request}).data
    return Response(body, status=status.HTTP_202_ACCEPTED if created else status.HTTP_200_OK)
