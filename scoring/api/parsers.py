"""The API's JSON parser: DRF's, with a limit on nesting.

A body nested a thousand levels deep made Python's JSON decoder raise RecursionError (a 500); no
request of this API nests more than a few levels (a batch of applications with answers), so
anything deeper than MAX_DEPTH is refused as a parse error (400) before a serializer walks it.
"""
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

MAX_DEPTH = 32


class LimitedJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(f"JSON нарушен: вложенность глубже {MAX_DEPTH} уровней.") from None
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
