"""Batches: many questionnaires in one request, and their progress."""

from django.conf import settings
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import status
from rest_framework.decorators import api_view, permission_classes
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response

from scoring import selectors
from scoring.services import submission
from scoring.api.errors import PayloadTooLarge
from scoring.api.idempotency import idempotent
from scoring.api.serializers import (
    ApplicationStatusSerializer,
    BatchAcceptedSerializer,
    BatchCreateSerializer,
    BatchSerializer,
    ClientSerializer,
    unknown_keys_errors,
)
from scoring.services.questionnaire import active_features, validate_answers

from scoring.api.examples import (ANSWERS_EXAMPLE, BATCH_EXAMPLE)
from scoring.api.views.common import (ERROR, IDEMPOTENCY_PARAMETER, READ_ERRORS, SUBMITTERS, WRITE_ERRORS)


def _validated_batch(data) -> list[dict]:
    """Each questionnaire checked like a single one; errors are reported by position in the list."""
    items = data.get("applications") if isinstance(data, dict) else None
    if not isinstance(items, list) or not items:
        raise ValidationError({"applications": ["Ожидается непустой список анкет."]})
    limit = settings.PRESCORING_API["BATCH_LIMIT"]
    if len(items) > limit:
        raise PayloadTooLarge(f"В пакете {len(items)} анкет, а можно не больше {limit}. "
                              f"Разбейте его на части.")
    features = active_features()
    validated, errors = [], {}
    for position, item in enumerate(items):
        if not isinstance(item, dict):
            errors[str(position)] = {"non_field_errors": ["Ожидается объект {answers, client}."]}
            continue
        item_errors = unknown_keys_errors(item)
        if "answers" not in item:
            item_errors["answers"] = ["Обязательное поле."]
            answers = {}
        else:
            answers, answer_errors = validate_answers(item["answers"], features)
            if answer_errors:
                item_errors["answers"] = answer_errors
        client = ClientSerializer(data=item.get("client") or {})
        if item.get("client") is not None and not client.is_valid():
            item_errors["client"] = client.errors
        if item_errors:
            errors[str(position)] = item_errors
            continue
        validated.append({"answers": answers,
                          "client": client.validated_data if item.get("client") is not None else None})
    if errors:
        raise ValidationError({"applications": errors})
    return validated


@extend_schema(
    operation_id="batches_create", request=BatchCreateSerializer, parameters=[IDEMPOTENCY_PARAMETER],
    responses={202: BatchAcceptedSerializer, 413: ERROR, **WRITE_ERRORS},
    summary="Отправить пакет анкет (до 1000)",
    description="Все анкеты проверяются до записи: если хоть одна с ошибкой, ничего не сохраняется, а "
                "ошибки приходят по номерам (errors.applications.<номер>). Каждая анкета оценивается "
                "отдельной задачей; прогресс и результаты — по адресу url. Больше 1000 анкет — 413.",
    examples=[OpenApiExample("Пакет из одной анкеты", request_only=True,
                             value={"applications": [{"answers": ANSWERS_EXAMPLE}]}),
              OpenApiExample("Слишком большой пакет", response_only=True, status_codes=["413"],
                             value={"status": 413, "code": "payload_too_large",
                                    "detail": "В пакете 1200 анкет, а можно не больше 1000. Разбейте его на части."})],
)
@api_view(["POST"])
@permission_classes([SUBMITTERS])
@idempotent
def batch_create(request):
    items = _validated_batch(request.data)
    batch = submission.submit_batch(officer=request.user, items=items)
    _batch, rows = selectors.batch_for(request.user, batch.pk)
    body = {
        "id": str(batch.pk),
        "url": request.build_absolute_uri(f"/api/v1/applications/batch/{batch.pk}/"),
        "total": len(rows),
        "applications": ApplicationStatusSerializer([row.application for row in rows], many=True,
                                                    context={"request": request}).data,
    }
    return Response(body, status=status.HTTP_202_ACCEPTED)


@extend_schema(operation_id="batches_retrieve", responses={200: BatchSerializer, **READ_ERRORS},
               summary="Пакет: прогресс и результаты", examples=[BATCH_EXAMPLE])
@api_view(["GET"])
def batch_detail(request, batch_id):
    batch, rows = selectors.batch_for(request.user, batch_id)
    if batch is None:
        raise NotFound("Пакет не найден.")
    counts = {key: 0 for key in ("queued", "scoring", "done", "failed")}
    applications = []
    for row in rows:
        application = row.application
        counts[application.status] = counts.get(application.status, 0) + 1
        applications.append({
            "position": row.position, "id": str(application.pk), "status": application.status,
            "url": request.build_absolute_uri(f"/api/v1/applications/{application.pk}/"),
            "action": (application.recommendation or {}).get("action"),
            "scores": [{"bank": s.bank.code, "probability": s.probability, "verdict": s.verdict}
                       for s in application.scores.all()],
        })
    finished = counts["done"] + counts["failed"]
    total = len(rows)
    return Response({
        "id": str(batch.pk),
        "url": request.build_absolute_uri(f"/api/v1/applications/batch/{batch.pk}/"),
        "created_at": BatchSerializer().fields["created_at"].to_representation(batch.created_at),
        "is_complete": finished == total,
        "progress": {**counts, "total": total, "finished": finished,
                     "percent": round(100.0 * finished / total, 1) if total else 100.0},
        "applications": applications,
    })
