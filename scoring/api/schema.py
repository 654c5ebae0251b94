"""The OpenAPI schema follows the Feature table: the answers object is described field by field."""
from copy import copy

from django.conf import settings
from django.utils import timezone

from scoring.api.legacy_fields import FIELDS
from scoring.models import Bank, Feature

_TYPES = {
    "number": {"type": "number"},
    "integer": {"type": "integer"},
    "boolean": {"type": "boolean"},
    "date": {"type": "string", "format": "date"},
    "text": {"type": "string"},
}

BLANK = {"type": "string", "pattern": "^\\s*$", "description": "Пусто: ответа нет."}
# Control characters but tab and line breaks are refused in a text answer (PostgreSQL cannot store NUL).
TEXT_PATTERN = "^[^\\x00-\\x08\\x0B\\x0C\\x0E-\\x1F]*$"
# A date without an age bound (the job start): from when a client of the oldest age taken (83) was 16.
UNBOUNDED_DATE_YEARS = 83 - 16


def feature_schema(feature: Feature) -> dict:
    if feature.type == "choice":
        schema = {"type": "string", "enum": [v for v, _label in feature.choice_pairs()]}
    else:
        schema = dict(_TYPES[feature.type])
    if feature.min_value is not None and feature.type in ("number", "integer"):
        schema["minimum"] = feature.min_value
    if feature.max_value is not None and feature.type in ("number", "integer"):
        schema["maximum"] = feature.max_value
    if feature.max_length and feature.type == "text":
        schema["maxLength"] = feature.max_length
    if feature.type == "text":
        schema["pattern"] = TEXT_PATTERN
    if feature.type == "date":
        schema["pattern"] = date_pattern(feature)
    if not feature.required:
        if feature.type != "text":
            # An optional answer may also be left blank (as the form sends it): the same as null.
            schema = {"anyOf": [schema, BLANK]}
        schema["nullable"] = True
    schema["title"] = feature.label
    if feature.help_text:
        schema["description"] = feature.help_text
    return schema


def _years(first: int, last: int) -> str:
    """A regular expression for the years first..last, a decade at a time: 1943..1960 ->
    194[3-9]|195[0-9]|1960."""
    parts = []
    for decade in range(first // 10, last // 10 + 1):
        low, high = max(first, decade * 10) % 10, min(last, decade * 10 + 9) % 10
        parts.append(f"{decade}{low}" if low == high else f"{decade}[{low}-{high}]")
    return "|".join(parts)


def date_pattern(feature: Feature) -> str:
    """The dates a date field surely takes, as a pattern: whole years that are neither in the future
    nor give an age outside min_age..max_age, whatever the day (so the pattern holds all year), and
    days every month has (1-28) or that month's own."""
    year = timezone.localdate().year
    first = year - (feature.max_age if feature.max_age is not None else UNBOUNDED_DATE_YEARS)
    last = year - 1 - (feature.min_age if feature.min_age is not None else 0)
    days = "(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])|(0[13-9]|1[0-2])-(29|30)|(0[13578]|1[02])-31"
    return f"^({_years(first, last)})-({days})$"


# What JSON Schema cannot say about a questionnaire, said in words on the Answers object.
ANSWERS_RULES = ("Кроме типов и границ ниже, анкета проверяется по правилам, которые JSON Schema не выражает: "
                 "дата не позже сегодняшней, возраст клиента по дате рождения в границах поля, работа начата "
                 "не раньше 16-летия клиента. Нарушение любого — 400 с полем в errors. Шаблон (pattern) даты "
                 "берёт только годы, верные в любой день; даты на краях (начало работы в этом году) тоже "
                 "принимаются.")


def answers_schema(features: list[Feature] | None = None) -> dict:
    """JSON Schema of the answers object, from the active fields as they are now."""
    if features is None:
        features = list(Feature.objects.filter(active=True).order_by("order", "id"))
    return {
        "type": "object",
        "description": f"Ответы анкеты, по активным полям (таблица полей анкеты в админке). {ANSWERS_RULES}",
        "properties": {f.key: feature_schema(f) for f in features},
        "required": [f.key for f in features if f.required],
        "additionalProperties": False,
    }


ERROR_SCHEMA = {
    "type": "object",
    "description": "Одна форма для любой ошибки API (docs/api.md, «Ошибки»).",
    "properties": {
        "status": {"type": "integer", "description": "HTTP-код ответа."},
        "code": {"type": "string", "description": "Код ошибки: invalid, parse_error, not_authenticated, "
                 "authentication_failed, permission_denied, not_found, method_not_allowed, "
                 "idempotency_key_reused, payload_too_large, unsupported_media_type, throttled, not_ready…"},
        "detail": {"type": "string", "description": "Сообщение для человека."},
        "errors": {"type": "object", "description": "Только для 400 invalid: поле → список сообщений "
                   "(для вложенных объектов — вложенный объект).", "additionalProperties": True},
    },
    "required": ["status", "code", "detail"],
    "example": {"status": 400, "code": "invalid", "detail": "Проверьте поля запроса.",
                "errors": {"answers": {"birth_date": ["Обязательное поле."]}}},
}

ERROR_DESCRIPTIONS = {
    "400": "Ошибка в запросе: errors — по полям.",
    "401": "Нет токена или он неверный.",
    "403": "Роль пользователя не позволяет это действие.",
    "404": "Не найдено (или не видно этому пользователю).",
    "405": "Метод не поддерживается.",
    "409": "Idempotency-Key уже использован с другим телом, или вариант этой заявки оценить нельзя.",
    "411": "Тело без Content-Length (Transfer-Encoding: chunked) не принимается.",
    "413": "Пакет больше допустимого.",
    "414": "Строка запроса длиннее допустимого (detail называет предел).",
    "415": "Тело не в JSON.",
    "429": "Слишком много запросов с этим токеном; см. заголовок Retry-After.",
    "431": "Заголовок запроса длиннее допустимого (detail называет предел).",
}
# What the middleware answers for any request, before a view (prescoring.middleware: RequestBodyLimitMiddleware,
# RequestHeaderLimitMiddleware).
ANY_REQUEST_ERRORS = ("411", "414", "431")

LEGACY_RESULT_SCHEMA = {
    "type": "object",
    "properties": {"task_id": {"type": "string", "format": "uuid"}},
    "required": ["task_id"],
    "additionalProperties": {"type": "number", "minimum": 0, "maximum": 1},
    "description": "task_id и для каждого банка (код) — вероятность одобрения от 0 до 1.",
}


def add_questionnaire_to_schema(result, generator, request, public):
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas["Answers"] = answers_schema()
    schemas["Error"] = ERROR_SCHEMA
    _describe_requests(schemas)
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            for code in ANY_REQUEST_ERRORS:
                operation["responses"].setdefault(code, {})
            for code, response in operation["responses"].items():
                if code.startswith(("4", "5")):
                    response["description"] = ERROR_DESCRIPTIONS.get(code, response.get("description", ""))
                    response["content"] = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
            if path == "/get_result" and "200" in operation["responses"]:
                operation["responses"]["200"]["content"]["application/json"]["schema"] = LEGACY_RESULT_SCHEMA
            for code, links in LINKS.get(operation.get("operationId"), {}).items():
                if code in operation["responses"]:
                    operation["responses"][code]["links"] = links
    return result


def _loan_field(feature: Feature | None, fallback: dict) -> dict:
    """A loan amount or term as the alternative's body takes it: a number, within the field's bounds
    or among its choices (the term's choices are numbers of months)."""
    if feature is None:
        return fallback
    if feature.type == "choice":
        values = [value for value, _label in feature.choice_pairs()]
        if not all(value.isdigit() for value in values):
            return fallback
        return {"type": "integer", "enum": [int(value) for value in values], "title": feature.label}
    schema = {"type": "number", "title": feature.label}
    if feature.min_value is not None:
        schema["minimum"] = feature.min_value
    if feature.max_value is not None:
        schema["maximum"] = feature.max_value
    return schema


def legacy_field_schema(feature: Feature) -> dict:
    """A field of /upload_features: optional, and also in the 2023 service's forms (an integer for a
    choice of numbers or a yes/no, a date with a zero time after it)."""
    relaxed = copy(feature)
    relaxed.required = False
    schema = feature_schema(relaxed)
    old_forms = []
    if feature.type == "choice":
        values = [value for value, _label in feature.choice_pairs()]
        if all(value.isdigit() for value in values):
            old_forms.append({"type": "integer", "enum": [int(value) for value in values]})
    elif feature.type == "boolean":
        old_forms.append({"type": "integer", "enum": [0, 1]})
    elif feature.type == "date":
        old_forms.append({"type": "string", "pattern": date_pattern(feature)[:-1] + "( 00:00:00(\\.0{1,7})?)?$"})
    if old_forms:
        schema["anyOf"] = [schema["anyOf"][0], *old_forms, BLANK]
    return schema


def _describe_requests(schemas: dict) -> None:
    """Request bodies as the views check them: the questionnaire, the batch's bounds, the banks."""
    if "ApplicationCreateRequest" in schemas:
        single = schemas["ApplicationCreateRequest"]
        single["properties"]["answers"] = {"$ref": "#/components/schemas/Answers"}
        single["additionalProperties"] = False  # a misspelt key is refused (serializers.unknown_keys_errors)
    if "BatchCreateRequest" in schemas:
        limit = settings.PRESCORING_API["BATCH_LIMIT"]
        items = schemas["BatchCreateRequest"]["properties"]["applications"]
        items.update({"minItems": 1, "maxItems": limit, "description": f"От 1 до {limit} анкет; больше — 413."})
    if "AlternativeRequest" in schemas:
        features = {f.key: f for f in Feature.objects.filter(active=True, key__in=("loan_amount", "loan_term"))}
        fields = schemas["AlternativeRequest"]["properties"]
        fields["loan_amount"] = _loan_field(features.get("loan_amount"), fields["loan_amount"])
        fields["loan_term"] = _loan_field(features.get("loan_term"), fields["loan_term"])
    if "LegacyFeaturesRequest" in schemas:
        features = {f.key: f for f in Feature.objects.filter(active=True)}
        schemas["LegacyFeaturesRequest"]["properties"] = {
            old: legacy_field_schema(features[key]) for old, key in FIELDS.items() if key in features}
    if "OutcomeCreateRequest" in schemas:
        fields = schemas["OutcomeCreateRequest"]["properties"]
        fields["bank"]["enum"] = list(Bank.objects.order_by("code").values_list("code", flat=True))
        # At least 1 ₽ (min_value=1), two decimals at most: what the generated "-?…" pattern does not say.
        fields["amount"]["pattern"] = "^0*[1-9][0-9]{0,9}(\\.[0-9]{0,2})?$"


def _follow(operation_id: str, parameter: str, source: str) -> dict:
    return {"operationId": operation_id, "parameters": {parameter: f"$response.body#/{source}"}}


# OpenAPI links: what a client (and schemathesis's stateful phase) calls next with an answer's id.
LINKS = {
    "legacy_upload_features": {"201": {
        "CheckTask": _follow("legacy_check_task", "task_id", "task_id"),
        "CheckState": _follow("legacy_check_state", "task_id", "task_id"),
        "GetResult": _follow("legacy_get_result", "task_id", "task_id"),
    }},
    "batches_create": {"202": {"GetBatch": _follow("batches_retrieve", "batch_id", "id")}},
    "applications_create": {code: {
        "GetApplication": _follow("applications_retrieve", "application_id", "id"),
        "ProposeAlternative": _follow("applications_alternative", "application_id", "id"),
        # A bank's answer about the submitted application: its body's application is the answer's id.
        "RecordOutcome": {"operationId": "outcomes_record", "requestBody": {"application": "$response.body#/id"}},
    } for code in ("200", "201", "202")},
}
