"""Model versions: which model scored, with its held-out quality."""

from drf_spectacular.utils import extend_schema
from rest_framework.decorators import api_view
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from scoring.api.serializers import (
    ModelVersionFilterSerializer,
    ModelVersionPageSerializer,
    ModelVersionSerializer,
)
from scoring.models import ModelVersion

from scoring.api.views.common import (READ_ERRORS, paginated, query_params)


@extend_schema(operation_id="model_versions_list", parameters=[ModelVersionFilterSerializer],
               responses={200: ModelVersionPageSerializer, **READ_ERRORS},
               summary="Версии моделей с метриками (только чтение)")
@api_view(["GET"])
def model_version_list(request):
    filters = query_params(ModelVersionFilterSerializer, request)
    queryset = ModelVersion.objects.select_related("bank").defer("artifact", "encoder").order_by("-created_at", "-id")
    if filters.get("bank"):
        queryset = queryset.filter(bank__code=filters["bank"])
    if filters.get("active") is not None:
        queryset = queryset.filter(active=filters["active"])
    return paginated(request, queryset, ModelVersionSerializer)


@extend_schema(operation_id="model_versions_retrieve", responses={200: ModelVersionSerializer, **READ_ERRORS},
               summary="Версия модели")
@api_view(["GET"])
def model_version_detail(request, version_id):
    version = ModelVersion.objects.select_related("bank").defer("artifact", "encoder").filter(pk=version_id).first()
    if version is None:
        raise NotFound("Версия модели не найдена.")
    return Response(ModelVersionSerializer(version).data)
