"""The API's JSON parser: DRF's, with a limit on nesting, a byte-order mark allowed, and its refusals
in the API's language.

A body nested a thousand levels deep made Python's JSON decoder raise RecursionError (a 500); no
request of this API nests more than a few levels (a batch of applications with answers), so
anything deeper than MAX_DEPTH is refused as a parse error (400) before a serializer walks it.

A UTF-8 body that starts with a byte-order mark (PowerShell 5 and .NET's StreamWriter write one) was
refused as "Unexpected UTF-8 BOM"; RFC 8259 lets a parser ignore it, and this one does. A body that
is not JSON, or not in the body's charset, is refused with where and why in Russian, as every other
`detail` is (DRF's were Python's English: "JSON parse error - Expecting value: line 1 column 1").
"""
import json

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser
from rest_framework.utils.json import strict_constant

MAX_DEPTH = 32

# Python's JSONDecodeError.msg -> what it means, in the API's language (others are shown as they are).
DECODE_ERRORS = {
    "Expecting value": "ожидалось значение",
    "Expecting property name enclosed in double quotes": "ожидалось имя поля в двойных кавычках",
    "Expecting ',' delimiter": "ожидалась запятая",
    "Expecting ':' delimiter": "ожидалось двоеточие",
    "Extra data": "после JSON есть ещё символы",
    "Invalid control character at": "управляющий символ внутри строки (перевод строки пишут как \\n)",
    "Unterminated string starting at": "строка не закрыта кавычкой",
    "Invalid \\escape": "неверная escape-последовательность",
    "Invalid \\uXXXX escape": "неверная escape-последовательность \\uXXXX",
}


class LimitedJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        encoding = (parser_context or {}).get("encoding") or "utf-8"
        raw = stream.read()  # capped by its Content-Length before (prescoring.middleware.RequestBodyLimitMiddleware)
        try:
            # bytes.decode takes text encodings only: a charset such as bz2_codec, which would expand a
            # small body past every limit, is a LookupError here (as in DRF's own get_encoding).
            text = raw.decode(encoding)
        except LookupError:
            raise ParseError(f"Кодировка «{encoding}» из Content-Type неизвестна или не текстовая; "
                             "пришлите тело в UTF-8.") from None
        except UnicodeDecodeError as exc:
            raise ParseError(f"Тело запроса не в кодировке {encoding} (байт {exc.start + 1}): пришлите его в UTF-8 "
                             "или назовите кодировку в Content-Type (charset=…).") from None
        try:
            data = json.loads(text.removeprefix("\ufeff"), parse_constant=strict_constant if self.strict else None)
        except RecursionError:
            raise ParseError(f"JSON нарушен: вложенность глубже {MAX_DEPTH} уровней.") from None
        except json.JSONDecodeError as exc:
            raise ParseError(f"Тело запроса — не JSON: {DECODE_ERRORS.get(exc.msg, exc.msg)} "
                             f"(строка {exc.lineno}, столбец {exc.colno}).") from None
        except ValueError:  # strict_constant: NaN, Infinity
            raise ParseError("Тело запроса — не JSON: NaN и Infinity в JSON не допускаются.") from None
        if nesting_depth(data) > MAX_DEPTH:
            raise ParseError(f"JSON нарушен: вложенность глубже {MAX_DEPTH} уровней.")
        return data


def nesting_depth(data) -> int:
    """How many lists and objects deep `data` goes (0 for a scalar), without recursion."""
    deepest, stack = 0, [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            children = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        deepest = max(deepest, depth)
        if depth > MAX_DEPTH:
            return depth
        stack.extend((child, depth + 1) for child in children)
    return deepest


class AnyContentJSONParser(LimitedJSONParser):
    """The 2023 service parsed every body as JSON whatever its Content-Type (or none): its clients
    send it so, and its legacy endpoints must take them unchanged."""

    media_type = "*/*"
