"""Bodies as integrators' clients send them: with a byte-order mark, in another charset, or broken,
each taken or refused with where and why in the API's language (they were Python's English)."""
import json

import pytest

from scoring.models import Application

URL = "/api/v1/applications/"


def body(answers, **changes) -> str:
    return json.dumps({"answers": {**answers, **changes}}, ensure_ascii=False)


def test_a_body_with_a_byte_order_mark_is_taken(api, configured, answers):
    """PowerShell 5 and .NET's StreamWriter put a byte-order mark before UTF-8 JSON; it was a
    parse_error "Unexpected UTF-8 BOM (decode using utf-8-sig)"."""
    response = api.post(URL, data=b"\xef\xbb\xbf" + body(answers, position="Бухгалтер").encode(),
                        content_type="application/json")
    assert response.status_code == 202, response.json()
    assert Application.objects.get(pk=response.json()["id"]).answers["position"] == "Бухгалтер"


def test_a_body_in_the_charset_its_content_type_names_is_taken(api, configured, answers):
    response = api.post(URL, data=body(answers, position="Инженер").encode("cp1251"),
                        content_type="application/json; charset=windows-1251")
    assert response.status_code == 202, response.json()
    assert Application.objects.get(pk=response.json()["id"]).answers["position"] == "Инженер"


def test_a_body_in_another_charset_than_it_says_is_refused_with_the_byte(api, configured, answers):
    raw = body(answers, position="Инженер").encode("cp1251")
    response = api.post(URL, data=raw, content_type="application/json")
    first_bad = next(i for i, byte in enumerate(raw) if byte >= 0x80) + 1
    assert response.status_code == 400
    assert response.json() == {
        "status": 400, "code": "parse_error",
        "detail": f"Тело запроса не в кодировке utf-8 (байт {first_bad}): пришлите его в UTF-8 или назовите "
                  "кодировку в Content-Type (charset=…)."}


def test_a_charset_that_is_not_a_text_encoding_is_refused(api, configured):
    """bz2_codec would expand a small body past every limit. (A charset Python does not know at all is
    left out by Django's request, which then reads the body as UTF-8.)"""
    response = api.post(URL, data=b"{}", content_type="application/json; charset=bz2_codec")
    assert response.status_code == 400
    assert response.json()["detail"] == ("Кодировка «bz2_codec» из Content-Type неизвестна или не текстовая; "
                                         "пришлите тело в UTF-8.")


@pytest.mark.parametrize("text, detail", [
    ('{"answers": ', "ожидалось значение (строка 1, столбец 13)"),
    ("{'answers': {}}", "ожидалось имя поля в двойных кавычках (строка 1, столбец 2)"),
    ('{"answers": {}}\n{"answers": {}}', "после JSON есть ещё символы (строка 2, столбец 1)"),
    ('{"answers": {"position": "a\nb"}}', "управляющий символ внутри строки (перевод строки пишут как \\n) "
                                          "(строка 1, столбец 28)"),
    ('{"answers": {"loan_amount": NaN}}', "NaN и Infinity в JSON не допускаются"),
])
def test_a_body_that_is_not_json_is_refused_with_where_and_why(api, configured, text, detail):
    response = api.post(URL, data=text, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"
    assert response.json()["detail"].removeprefix("Тело запроса — не JSON: ").rstrip(".") == detail
