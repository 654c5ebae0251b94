"""The OpenAPI schema follows the Feature table: the answers object is described field by field."""
from scoring.models import Feature

_TYPES = {
    "number": {"type": "number"},
    "integer": {"type": "integer"},
    "boolean": {"type": "boolean"},
    "date": {"type": "string", "format": "date"},
    "text": {"type": "string"},
}


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
    schema["title"] = feature.label
    if feature.help_text:
        schema["description"] = feature.help_text
    if not feature.required:
        schema["nullable"] = True
    return schema


def answers_schema(features: list[Feature] | None = None) -> dict:
    """JSON Schema of the answers object, from the active fields as they are now."""
    if features is None:
        features = list(Feature.objects.filter(active=True).order_by("order", "id"))
    return {
        "type": "object",
        "description": "Ответы анкеты, по активным полям (таблица полей анкеты в админке).",
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
    "409": "Idempotency-Key уже использован с другим телом, или результат ещё не готов (legacy).",
    "413": "Пакет больше допустимого.",
    "415": "Тело не в JSON.",
    "429": "Слишком много запросов с этим токеном; см. заголовок Retry-After.",
}

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
    for name in ("ApplicationCreateRequest",):
        if name in schemas:
            schemas[name]["properties"]["answers"] = {"$ref": "#/components/schemas/Answers"}
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
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


def _follow(operation_id: str, parameter: str, source: str) -> dict:
    return {"operationId": operation_id, "parameters": {parameter: f"$response.body#/{source}"}}


# OpenAPI links: what a client (and schemathesis's stateful phase) calls next with an answer's id.
LINKS = {
    "legacy_upload_features": {"201": {
        "CheckTask": _follow("legacy_check_task", "task_id", "task_id"),
        "CheckState": _follow("legacy_check_state", "task_id", "task_id"),
        "GetResult": _follow("legacy_get_result", "task_id", "task_id"),
    }},
    "applications_create": {code: {
        "GetApplication": _follow("applications_retrieve", "application_id", "id"),
        "ProposeAlternative": _follow("applications_alternative", "application_id", "id"),
    } for code in ("200", "201", "202")},
}
