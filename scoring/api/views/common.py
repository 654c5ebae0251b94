"""What every API view shares: the documented error responses, pagination, query validation, the
submitter permission."""
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination

from scoring.accounts import roles
from scoring.api.idempotency import HEADER as IDEMPOTENCY_HEADER

# The error shape, referenced from every operation's error responses (see scoring/api/schema.py).
ERROR = OpenApiResponse(response=OpenApiTypes.OBJECT, description="Ошибка: {status, code, detail, errors?}")
COMMON_ERRORS = {401: ERROR, 403: ERROR, 429: ERROR}
READ_ERRORS = {**COMMON_ERRORS, 400: ERROR, 404: ERROR}
WRITE_ERRORS = {**COMMON_ERRORS, 400: ERROR, 404: ERROR, 409: ERROR, 415: ERROR}

IDEMPOTENCY_PARAMETER = OpenApiParameter(
    IDEMPOTENCY_HEADER, {"type": "string", "minLength": 1, "maxLength": 255}, OpenApiParameter.HEADER,
    required=False,
    description="Повтор запроса с тем же ключом и телом вернёт тот же ответ; с другим телом — 409. "
                "От 1 до 255 символов.",
)


class Pages(PageNumberPagination):
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100


def paginated(request, queryset, serializer_class, context=None):
    paginator = Pages()
    page = paginator.paginate_queryset(queryset, request)
    data = serializer_class(page, many=True, context={"request": request, **(context or {})}).data
    return paginator.get_paginated_response(data)


REPEATED = "Параметр указан больше одного раза."


def query_params(serializer_class, request):
    """The validated query parameters. A plain dict, not the QueryDict: DRF reads an empty optional
    parameter of a QueryDict as absent, and the schema's enums say `?verdict=` is not a value."""
    serializer = serializer_class(data=request.query_params.dict())
    # A parameter given twice (?page_size=10&page_size=50) is refused, not read as its last value.
    repeated = {name: [REPEATED] for name in serializer.fields if len(request.query_params.getlist(name)) > 1}
    if repeated:
        raise ValidationError(repeated)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


# For @permission_classes: signed in, and a submitter for POST (reading is for every role).
SUBMITTERS = roles.api_permission(
    roles.can_submit, methods=["POST"],
    message="Отправлять анкеты может только кредитный специалист или администратор.")
