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


# --- NUL, lone surrogates, objects in a text answer: 400 naming the field, on every write endpoint ---------

HOSTILE_POSITIONS = {
    "nul": "Менеджер\u0000",
    "surrogate": "Менеджер\ud800",
    "object": {"a": 1},
    "list": ["Менеджер"],
}


def raw_json(data) -> bytes:
    """JSON as a hostile client writes it: a lone surrogate as the escape \\ud800 (valid JSON text)."""
    return json.dumps(data, ensure_ascii=True).encode()


@pytest.mark.parametrize("kind", sorted(HOSTILE_POSITIONS))
def test_a_hostile_text_answer_is_refused_by_name_on_the_single_endpoint(api, configured, answers, kind):
    answers["position"] = HOSTILE_POSITIONS[kind]
    response = api.post(URL, data=raw_json({"answers": answers}), content_type="application/json")
    assert response.status_code == 400
    assert "position" in response.json()["errors"]["answers"]


@pytest.mark.parametrize("kind", sorted(HOSTILE_POSITIONS))
def test_a_hostile_text_answer_is_refused_by_name_in_a_batch(api, configured, answers, kind):
    answers["position"] = HOSTILE_POSITIONS[kind]
    response = api.post(f"{URL}batch/", data=raw_json({"applications": [{"answers": answers}]}),
                        content_type="application/json")
    assert response.status_code == 400
    assert "position" in json.dumps(response.json()["errors"])


@pytest.mark.parametrize("kind", ["nul", "surrogate", "object"])
def test_a_hostile_text_answer_is_refused_by_the_legacy_endpoint(api, configured, kind):
    from tests.test_api_legacy import OLD_BODY

    body = {**OLD_BODY, "position": HOSTILE_POSITIONS[kind]}
    response = api.post("/upload_features", data=raw_json(body), content_type="application/json")
    assert response.status_code == 400
    assert "position" in json.dumps(response.json())


def test_a_surrogate_with_an_idempotency_key_is_a_400_not_a_500(api, configured, answers):
    answers["position"] = "\ud800"
    response = api.post(URL, data=raw_json({"answers": answers}), content_type="application/json",
                        HTTP_IDEMPOTENCY_KEY="key-1")
    assert response.status_code == 400


def test_an_unknown_top_level_key_is_refused_as_in_a_batch(api, configured, answers):
    single = api.post(URL, {"answers": answers, "clients": {"full_name": "x"}}, format="json")
    batch = api.post(f"{URL}batch/", {"applications": [{"answers": answers, "clients": {}}]}, format="json")
    assert single.status_code == 400 and batch.status_code == 400
    assert single.json()["errors"]["non_field_errors"] == ["Неизвестные поля: clients."]
    assert batch.json()["errors"]["applications"]["0"]["non_field_errors"] == ["Неизвестные поля: clients."]


@pytest.mark.parametrize("query", ["verdict=", "bank=", "status=", "created_to="])
def test_an_empty_filter_is_refused_as_the_schema_says(api, configured, query):
    response = api.get(f"{URL}?{query}")
    assert response.status_code == 400 and query.rstrip("=") in response.json()["errors"]


def test_an_empty_outcome_filter_is_refused(api, configured):
    response = api.get("/api/v1/outcomes/?result=")
    assert response.status_code == 400 and "result" in response.json()["errors"]


def test_the_schema_says_what_an_idempotency_key_may_be(api, configured):
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    parameters = [p for path in schema["paths"].values() for op in path.values() if isinstance(op, dict)
                  for p in op.get("parameters", []) if p.get("name") == "Idempotency-Key"]
    assert parameters and all(p["schema"] == {"type": "string", "minLength": 1, "maxLength": 255}
                              for p in parameters)


@pytest.mark.parametrize("income", [1e-45, 1e-300, 5e-324])
def test_a_vanishing_income_is_scored_not_failed(models_ready, officer, answers, income):
    """The schema allows any positive income; a ratio over 1e-45 ₽ passed float32's range and XGBoost
    refused the infinity, failing the application (found by schemathesis)."""
    from scoring.services import runtime, submission

    application, _ = submission.submit_application(officer=officer, answers={**answers, "month_profit": income})
    runtime.score_application(application_id=application.pk)
    application.refresh_from_db()
    assert application.status == "done", application.error
    probabilities = [score.probability for score in application.scores.all()]
    assert probabilities and all(0.0 <= p <= 1.0 for p in probabilities)
