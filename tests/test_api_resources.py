import datetime as dt

import pytest
from django.utils import timezone

from scoring.services import runtime, submission
from scoring.models import Application, AuditEntry, BankScore, Feature, ModelVersion, Outcome

APPLICATIONS = "/api/v1/applications/"


def scored(officer, answers, **changes):
    application, _ = submission.submit_application(officer=officer, answers={**answers, **changes},
                                                 client={"full_name": "Иванов Иван Петрович",
                                                         "phone": "+7 900 123-45-67"})
    return runtime.score_application(application_id=application.pk)


# --- applications: list, filters, pagination, personal data ------------------------------------------

def test_the_list_shows_own_applications_newest_first(api, models_ready, answers, officer, other_officer):
    first = scored(officer, answers, loan_amount=50000)
    second = scored(officer, answers, loan_amount=60000)
    scored(other_officer, answers)
    body = api.get(APPLICATIONS).json()
    assert body["count"] == 2
    assert [r["id"] for r in body["results"]] == [str(second.pk), str(first.pk)]
    item = body["results"][0]
    assert item["status"] == "done" and item["action"] in {"send", "do_not_send"}
    assert len(item["scores"]) == 5 and item["url"].endswith(f"/api/v1/applications/{second.pk}/")


def test_the_list_filters_by_status(api, models_ready, answers, officer):
    scored(officer, answers, loan_amount=50000)
    queued, _ = submission.submit_application(officer=officer, answers={**answers, "loan_amount": 70000})
    body = api.get(APPLICATIONS, {"status": "queued"}).json()
    assert [r["id"] for r in body["results"]] == [str(queued.pk)]


def test_the_list_filters_by_date(api, models_ready, answers, officer):
    old = scored(officer, answers, loan_amount=50000)
    Application.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(days=10))
    new = scored(officer, answers, loan_amount=60000)
    today = timezone.localdate()
    recent = api.get(APPLICATIONS, {"created_from": (today - dt.timedelta(days=1)).isoformat()}).json()
    assert [r["id"] for r in recent["results"]] == [str(new.pk)]
    earlier = api.get(APPLICATIONS, {"created_to": (today - dt.timedelta(days=5)).isoformat()}).json()
    assert [r["id"] for r in earlier["results"]] == [str(old.pk)]


def test_the_list_filters_by_a_banks_verdict(api, models_ready, answers, officer):
    application = scored(officer, answers)
    BankScore.objects.filter(application=application, bank__code="bank_a").update(verdict="unlikely")
    BankScore.objects.filter(application=application).exclude(bank__code="bank_a").update(verdict="likely")
    assert api.get(APPLICATIONS, {"bank": "bank_a", "verdict": "unlikely"}).json()["count"] == 1
    assert api.get(APPLICATIONS, {"bank": "bank_b", "verdict": "unlikely"}).json()["count"] == 0
    assert api.get(APPLICATIONS, {"verdict": "uncertain"}).json()["count"] == 0
    assert api.get(APPLICATIONS, {"verdict": "likely"}).json()["count"] == 1


def test_the_list_is_paginated(api, models_ready, answers, officer):
    for amount in (40000, 50000, 60000):
        submission.submit_application(officer=officer, answers={**answers, "loan_amount": amount})
    first = api.get(APPLICATIONS, {"page_size": 2}).json()
    assert first["count"] == 3 and len(first["results"]) == 2 and first["previous"] is None
    second = api.get(first["next"]).json()
    assert len(second["results"]) == 1 and second["next"] is None
    assert not {r["id"] for r in first["results"]} & {r["id"] for r in second["results"]}


@pytest.mark.parametrize("query", [{"status": "lost"}, {"created_from": "yesterday"}, {"verdict": "maybe"},
                                   {"page": 0}, {"page_size": 1000},
                                   {"created_from": "2026-02-01", "created_to": "2026-01-01"}])
def test_bad_filters_get_field_errors(api, configured, query):
    response = api.get(APPLICATIONS, query)
    assert response.status_code == 400
    assert set(response.json()["errors"]) == ({"created_to"} if "created_to" in query else set(query))


def test_a_page_past_the_end_is_404(api, configured):
    response = api.get(APPLICATIONS, {"page": 5})
    assert response.status_code == 404 and response.json()["code"] == "not_found"


def test_officers_see_their_clients_in_full(api, models_ready, answers, officer):
    application = scored(officer, answers)
    client = api.get(f"{APPLICATIONS}{application.pk}/").json()["client"]
    assert client == {"full_name": "Иванов Иван Петрович", "phone": "+7 900 123-45-67", "masked": False}


def test_analysts_see_every_application_with_masked_personal_data(token_client, models_ready, answers, officer,
                                                                   analyst):
    application = scored(officer, answers)
    analyst_api = token_client(analyst)
    listed = analyst_api.get(APPLICATIONS).json()["results"][0]["client"]
    detail = analyst_api.get(f"{APPLICATIONS}{application.pk}/").json()["client"]
    for client in (listed, detail):
        assert client == {"full_name": "Иванов И. П.", "phone": application.client.masked_phone, "masked": True}
        assert "45-67" not in client["phone"]


# --- banks, features ---------------------------------------------------------------------------------

def test_banks_lists_active_banks_with_terms(api, models_ready):
    from scoring.models import Bank

    Bank.objects.filter(code="bank_e").update(active=False)
    banks = api.get("/api/v1/banks/").json()
    assert [b["code"] for b in banks] == ["bank_a", "bank_b", "bank_c", "bank_d"]
    bank = banks[0]
    assert bank["annual_rate"] > 0 and bank["min_amount"] < bank["max_amount"] and bank["terms"]
    assert bank["model_version"] == ModelVersion.objects.get(bank__code="bank_a", active=True).pk


def test_features_describe_the_questionnaire(api, configured):
    body = api.get("/api/v1/features/").json()
    keys = [f["key"] for f in body["features"]]
    assert keys[0] == "birth_date" and len(keys) == 16
    loan_term = next(f for f in body["features"] if f["key"] == "loan_term")
    assert [c["value"] for c in loan_term["choices"]] == ["6", "12", "18", "24"]
    assert body["answers_schema"]["properties"]["loan_term"]["enum"] == ["6", "12", "18", "24"]


def test_a_new_field_shows_in_features_schema_and_validation_at_once(api, models_ready, answers):
    Feature.objects.create(key="region", label="Регион", type="choice", choices=["Москва", "Другой"],
                           required=True, order=99, used_by_model=False)
    assert "region" in [f["key"] for f in api.get("/api/v1/features/").json()["features"]]
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    assert schema["components"]["schemas"]["Answers"]["properties"]["region"]["enum"] == ["Москва", "Другой"]
    assert "region" in schema["components"]["schemas"]["Answers"]["required"]
    refused = api.post(APPLICATIONS, {"answers": answers}, format="json")
    assert refused.status_code == 400 and "region" in refused.json()["errors"]["answers"]
    assert api.post(APPLICATIONS, {"answers": {**answers, "region": "Москва"}}, format="json").status_code == 202


def test_a_deactivated_field_leaves_features_and_schema_at_once(api, configured):
    Feature.objects.filter(key="position").update(active=False)
    assert "position" not in [f["key"] for f in api.get("/api/v1/features/").json()["features"]]
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    assert "position" not in schema["components"]["schemas"]["Answers"]["properties"]


# --- outcomes ----------------------------------------------------------------------------------------

OUTCOMES = "/api/v1/outcomes/"


def test_an_outcome_is_recorded_then_corrected(api, models_ready, answers, officer):
    application = scored(officer, answers)
    body = {"application": str(application.pk), "bank": "bank_a", "result": "refused"}
    created = api.post(OUTCOMES, body, format="json")
    assert created.status_code == 201 and created.json()["result"] == "refused"
    corrected = api.post(OUTCOMES, {**body, "result": "approved", "amount": "60000", "term": 12}, format="json")
    assert corrected.status_code == 200
    outcome = Outcome.objects.get()
    assert outcome.result == "approved" and outcome.amount == 60000 and outcome.term == 12
    assert corrected.json()["id"] == created.json()["id"] == outcome.pk
    assert list(AuditEntry.objects.filter(object_type="scoring.outcome").order_by("at", "id")
                .values_list("action", flat=True)) == ["create", "update"]
    detail = api.get(f"{APPLICATIONS}{application.pk}/").json()
    assert detail["outcomes"] == [{"bank": "bank_a", "result": "approved", "amount": "60000.00", "term": 12,
                                   "recorded_at": detail["outcomes"][0]["recorded_at"]}]


def test_outcomes_are_listed_by_application(api, models_ready, answers, officer):
    first, second = scored(officer, answers, loan_amount=50000), scored(officer, answers, loan_amount=60000)
    for application, result in ((first, "approved"), (second, "error")):
        api.post(OUTCOMES, {"application": str(application.pk), "bank": "bank_b", "result": result}, format="json")
    listed = api.get(OUTCOMES, {"application": str(first.pk)}).json()
    assert listed["count"] == 1 and listed["results"][0]["result"] == "approved"
    assert api.get(OUTCOMES, {"result": "error"}).json()["count"] == 1


def test_an_outcome_for_an_unknown_bank_or_application_is_refused(api, models_ready, answers, officer,
                                                                   other_officer):
    others = scored(other_officer, answers)
    response = api.post(OUTCOMES, {"application": str(others.pk), "bank": "bank_z", "result": "approved"},
                        format="json")
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"application", "bank"}
    assert not Outcome.objects.exists()


def test_analysts_read_outcomes_but_cannot_record_them(token_client, models_ready, answers, officer, analyst):
    application = scored(officer, answers)
    analyst_api = token_client(analyst)
    response = analyst_api.post(OUTCOMES, {"application": str(application.pk), "bank": "bank_a",
                                           "result": "approved"}, format="json")
    assert response.status_code == 403
    assert analyst_api.get(OUTCOMES).status_code == 200


# --- model versions ------------------------------------------------------------------------------------

def test_model_versions_are_listed_with_metrics(api, models_ready):
    body = api.get("/api/v1/model-versions/", {"bank": "bank_a"}).json()
    assert body["count"] == 1
    version = body["results"][0]
    assert version["bank"] == "bank_a" and version["active"] is True and "auc" in version["metrics"]
    assert "artifact" not in version
    detail = api.get(f"/api/v1/model-versions/{version['id']}/").json()
    assert detail == version
    assert api.get("/api/v1/model-versions/", {"active": "false"}).json()["count"] == 0


def test_the_model_versions_active_filter_takes_yes_or_no_and_nothing_else(api, models_ready):
    """Absent: every version; true/false: those; an empty or other value: 400 with the field's reason,
    as the other filters answer (`?active=` used to list every version, which the schema did not allow)."""
    old = ModelVersion.objects.filter(bank__code="bank_a").first()
    ModelVersion.objects.filter(pk=old.pk).update(active=False)
    total = ModelVersion.objects.count()
    assert api.get("/api/v1/model-versions/").json()["count"] == total
    assert api.get("/api/v1/model-versions/", {"active": "true"}).json()["count"] == total - 1
    assert [v["id"] for v in api.get("/api/v1/model-versions/", {"active": "false"}).json()["results"]] == [old.pk]
    for value in ("", "maybe", "null"):
        response = api.get("/api/v1/model-versions/", {"active": value})
        assert response.status_code == 400, value
        assert response.json()["errors"] == {"active": ["Требуется логическое значение: true или false."]}
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    active = next(p for p in schema["paths"]["/api/v1/model-versions/"]["get"]["parameters"] if p["name"] == "active")
    assert active["schema"] == {"type": "boolean"}


def test_model_versions_are_read_only(api, models_ready):
    version = ModelVersion.objects.first()
    assert api.post("/api/v1/model-versions/", {}, format="json").status_code == 405
    assert api.delete(f"/api/v1/model-versions/{version.pk}/").status_code == 405
    assert api.get("/api/v1/model-versions/999999/").status_code == 404


@pytest.mark.parametrize("path, query", [
    ("/api/v1/applications/", "page_size=10&page_size=50"),
    ("/api/v1/applications/", "status=done&status=failed"),
    ("/api/v1/model-versions/", "active=true&active=false"),
    ("/api/v1/outcomes/", "bank=bank_a&bank=bank_b"),
])
def test_a_query_parameter_given_twice_is_refused_not_read_as_its_last_value(api, models_ready, path, query):
    name = query.split("=")[0]
    response = api.get(f"{path}?{query}")
    assert response.status_code == 400
    assert response.json()["errors"] == {name: ["Параметр указан больше одного раза."]}
    assert api.get(f"{path}?{query.split('&')[0]}").status_code == 200  # once is fine
