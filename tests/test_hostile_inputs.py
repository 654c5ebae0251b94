"""Inputs that once gave a 500 (issue 19, finding 4): each now gets a 400 in the API's error shape,
or, for a date at the end of the calendar, simply no bound."""
import json

import pytest

from scoring.api.parsers import MAX_DEPTH

URL = "/api/v1/applications/"


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 1000, 100_000])
def test_deeply_nested_json_is_a_parse_error(api, configured, depth):
    response = api.post(URL, data=f'{{"answers": {nested(depth)}}}', content_type="application/json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "parse_error" and str(MAX_DEPTH) in body["detail"]


def test_ordinary_nesting_still_parses(api, configured, answers):
    response = api.post(URL, data=json.dumps({"answers": answers}), content_type="application/json")
    assert response.status_code in (201, 202)


@pytest.mark.parametrize("bound", ["created_to=9999-12-31", "created_from=0001-01-01",
                                   "created_from=0001-01-01&created_to=9999-12-31"])
def test_calendar_end_dates_filter_nothing_out_in_the_api(api, configured, answers, bound):
    created = api.post(URL, {"answers": answers}, format="json")
    assert created.status_code in (201, 202)
    response = api.get(f"{URL}?{bound}")
    assert response.status_code == 200
    assert [item["id"] for item in response.json()["results"]] == [created.json()["id"]]


@pytest.mark.parametrize("bound", ["created_to=9999-12-31", "created_from=0001-01-01"])
def test_calendar_end_dates_on_the_list_page(officer_client, configured, bound):
    response = officer_client.get(f"/applications/?{bound}")
    assert response.status_code == 200
