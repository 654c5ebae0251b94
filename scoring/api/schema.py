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


def add_questionnaire_to_schema(result, generator, request, public):
    features = list(Feature.objects.filter(active=True).order_by("order", "id"))
    answers = {
        "type": "object",
        "description": "Ответы анкеты, по активным полям (таблица полей анкеты в админке).",
        "properties": {f.key: feature_schema(f) for f in features},
        "required": [f.key for f in features if f.required],
        "additionalProperties": False,
    }
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas["Answers"] = answers
    for name in ("ApplicationCreateRequest",):
        if name in schemas:
            schemas[name]["properties"]["answers"] = {"$ref": "#/components/schemas/Answers"}
    return result
