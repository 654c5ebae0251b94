"""Every write endpoint, in the API and in the pages, refuses hostile values with a clear error and
stores nothing, never a 500 (issue 19, acceptance): a NUL, a lone surrogate (JSON escape, or bytes
that are not UTF-8 in a form), an object or a list where a string is expected, a very long value."""
import json

import pytest

from scoring.models import Application, Dispatch, Outcome

JSON_VALUES = {
    "nul": "bank_a\u0000",
    "surrogate": "bank_a\ud800",
    "object": {"a": 1},
    "list": ["bank_a"],
    "long": "9" * 100_000,
}
# Form bodies are bytes: a NUL, a lone surrogate as UTF-8 would write it (invalid), a long value.
FORM_VALUES = {"nul": "%00", "surrogate": "%ED%A0%80", "long": "9" * 100_000}


def raw_json(data) -> str:
    return json.dumps(data, ensure_ascii=True)  # a surrogate travels as the escape \ud800 (valid JSON text)


def api_bodies(application_id) -> dict:
    """(path, body with the hostile value at `value`) for each API write endpoint and field."""
    return {
        "alternative amount": (f"/api/v1/applications/{application_id}/alternatives/",
                               {"loan_amount": "VALUE", "loan_term": 12}),
        "alternative term": (f"/api/v1/applications/{application_id}/alternatives/",
                             {"loan_amount": 50_000, "loan_term": "VALUE"}),
        "outcome bank": ("/api/v1/outcomes/", {"application": str(application_id), "bank": "VALUE",
                                               "result": "approved"}),
        "outcome application": ("/api/v1/outcomes/", {"application": "VALUE", "bank": "bank_a",
                                                      "result": "approved"}),
        "outcome amount": ("/api/v1/outcomes/", {"application": str(application_id), "bank": "bank_a",
                                                 "result": "approved", "amount": "VALUE"}),
        "batch item": ("/api/v1/applications/batch/", {"applications": ["VALUE"]}),
        "legacy upload": ("/upload_features", {"education": "VALUE"}),
    }


@pytest.mark.parametrize("kind", sorted(JSON_VALUES))
@pytest.mark.parametrize("endpoint", sorted(api_bodies("x")))
def test_every_api_write_endpoint_refuses_a_hostile_value(api, scored, kind, endpoint):
    path, body = api_bodies(scored.pk)[endpoint]
    body = {key: (JSON_VALUES[kind] if value == "VALUE" else value) for key, value in body.items()}
    if endpoint == "batch item":
        body = {"applications": [JSON_VALUES[kind]]}
    applications, outcomes = Application.objects.count(), Outcome.objects.count()
    response = api.post(path, data=raw_json(body), content_type="application/json")
    assert response.status_code in (400, 404, 413), (response.status_code, response.content[:300])
    error = response.json()
    assert {"status", "code", "detail"} <= set(error) or "detail" in error, error
    assert (Application.objects.count(), Outcome.objects.count()) == (applications, outcomes)


def page_posts(application) -> dict:
    """(path, form fields with VALUE where the hostile value goes) for each page that writes."""
    return {
        "questionnaire": ("/applications/new/", {"position": "VALUE"}),
        "field check": ("/applications/new/check/position/", {"position": "VALUE"}),
        "apply variant": (f"/applications/{application.pk}/apply/", {"loan_amount": "VALUE", "loan_term": "12"}),
        "mark sent": (f"/applications/{application.pk}/send/", {"banks": "VALUE"}),
        "answer bank": (f"/applications/{application.pk}/answer/", {"bank": "VALUE", "result": "approved"}),
        "answer amount": (f"/applications/{application.pk}/answer/", {"bank": "bank_a", "result": "approved",
                                                                       "amount": "VALUE"}),
    }


@pytest.mark.parametrize("kind", sorted(FORM_VALUES))
@pytest.mark.parametrize("page", ["answer amount", "answer bank", "apply variant", "field check", "mark sent",
                                  "questionnaire"])
def test_every_page_that_writes_refuses_a_hostile_value(officer_client, scored, answers, kind, page):
    path, fields = page_posts(scored)[page]
    if page == "questionnaire":
        fields = {**{key: str(value) for key, value in answers.items()}, **fields}
    if page == "answer amount":
        Dispatch.objects.create(application=scored, bank_id=scored.scores.get(bank__code="bank_a").bank_id)
    body = "&".join(f"{key}={FORM_VALUES[kind] if value == 'VALUE' else value}" for key, value in fields.items())
    counts = (Application.objects.count(), Outcome.objects.count(), Dispatch.objects.count())
    response = officer_client.post(path, data=body, content_type="application/x-www-form-urlencoded")
    assert response.status_code in (200, 302, 400, 404), (response.status_code, response.content[:300])
    if response.status_code == 302:  # a one-click variant goes back to its application with the reason
        assert response["Location"] == f"/applications/{scored.pk}/"
        assert "Вариант не применён" in officer_client.get(response["Location"]).content.decode()
    elif response.status_code == 200 and kind != "surrogate":
        # The form is shown again with the field's message. Bytes that are not UTF-8 are read as U+FFFD,
        # which is text like any other: a field check may accept it, and nothing is stored by a check.
        assert "error" in response.content.decode()
    assert (Application.objects.count(), Outcome.objects.count(), Dispatch.objects.count()) == counts
