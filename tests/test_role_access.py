"""Who may GET what: every URL pattern of the project, for each of the three roles, against one table.

The walk is test_security's (walk_urls in tests/helpers.py, over the resolver's patterns), so a new
URL without an entry in ACCESS fails test_every_url_has_a_decision: whoever adds a page or endpoint
decides here who may open it. URLs take real objects (the officer's own application, a model
version, ...), so "allowed" means the page really opens (200) rather than an empty 404.

An entry gives, per role, the status a GET must answer, or REFUSED: 403, or a redirect to a login
page (the admin sends signed-in users who are not staff, officers and analysts, to its login).
"""
import datetime as dt
import re

import pytest
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.urls import get_resolver

from scoring.services import submission
from scoring.models import (ApiClient, ApiToken, AuditEntry, Bank, Feature, HistoricalApplication, ImportBatch, ModelVersion,
                            ScoringBatch, ScoringBatchItem, TrainingRun, WebhookDelivery)
from tests.helpers import walk_urls

ROLES = ("officer", "analyst", "administrator")
REFUSED = "refused"


def everyone(status=200):
    return {role: status for role in ROLES}


def only(*roles, status=200):
    return {role: status if role in roles else REFUSED for role in ROLES}


def administrator_only(status=200):
    return only("administrator", status=status)


# The admin, model by model: the pages (GET) the administrator may open. Officers and analysts are not
# staff and are refused every admin page. The object's bare URL (admin/<model>/<id>/) redirects (302) to
# its change page, which then applies these permissions.
ADMIN_MODEL_PAGES = {
    "auth_group": set(),
    "auth_user": set(),
    "scoring_apitoken": {"changelist", "add", "change", "delete", "history"},
    "scoring_bank": {"changelist", "add", "change", "delete", "history"},
    "scoring_feature": {"changelist", "add", "change", "delete", "history"},
    "scoring_modelversion": {"changelist", "change", "delete", "history"},  # versions come from training
    "scoring_trainingrun": {"changelist", "change", "history"},  # started from "train now"
    "scoring_auditentry": {"changelist", "change", "history"},  # the log is read-only
    "scoring_application": set(),  # superusers only: officers' work is in the pages and the API
    "scoring_client": {"changelist", "change", "history"},  # to find a client and erase them (read-only)
    "scoring_importbatch": {"changelist", "change", "delete", "history"},  # added by the upload page
    "scoring_historicalapplication": {"changelist", "change", "delete", "history"},
    "scoring_apiclient": {"changelist", "add", "change", "delete", "history"},
    "scoring_webhookdelivery": {"changelist", "change", "delete", "history"},
}
ADMIN_ACTIONS = ("changelist", "add", "change", "delete", "history")

ACCESS = {
    # Public: signing in and out, language, health probes. Signing out is a POST.
    "login": everyone(200),
    "logout": everyone(405),
    # Whether this browser is signed in (public: it says only that), and where signing in again from
    # a page whose session ended lands.
    "session": everyone(200),
    "session_resumed": everyone(200),
    "set_language": everyone(302),
    "health": everyone(200),
    "health-live": everyone(200),
    "health-ready": everyone(200),
    "admin:login": only("officer", "analyst", status=200) | {"administrator": 302},  # staff: on to the index
    # Signing out of the admin is a POST (405 to a GET); those who are not staff are sent to its index.
    "admin:logout": {"officer": 302, "analyst": 302, "administrator": 405},

    # The officer's pages.
    "scoring:home": everyone(302),
    "scoring:application_list": everyone(200),
    "scoring:application_new": only("officer", "administrator"),
    "scoring:application_check_field": only("officer", "administrator", status=405),  # POST only
    "scoring:application_detail": everyone(200),
    "scoring:application_result": everyone(200),
    "scoring:application_apply_suggestion": only("officer", "administrator", status=405),  # POST only
    "scoring:application_case": everyone(200),
    "scoring:application_send": only("officer", "administrator", status=405),  # POST only
    "scoring:application_answer": only("officer", "administrator", status=405),  # POST only

    # Analytics: analysts and administrators.
    "analytics:dashboard": only("analyst", "administrator"),
    "analytics:cohorts": only("analyst", "administrator"),
    "analytics:cohort_detail": only("analyst", "administrator"),
    "analytics:exploration": only("analyst", "administrator"),
    "analytics:models": only("analyst", "administrator"),
    "analytics:fairness": only("analyst", "administrator"),
    "analytics:fairness_train": only("analyst", "administrator", status=405),  # POST only
    "analytics:drift": only("analyst", "administrator"),
    "analytics:drift_compute": only("analyst", "administrator", status=405),  # POST only
    "analytics:exploration_compute": only("analyst", "administrator", status=405),  # POST only

    # The API (session-authenticated here, as the browser is): reading is for every role, each sees
    # what applications_for lets it; submitting is POST (405 to a GET, the role is checked on POST).
    "api:application-list": everyone(200),
    "api:batch-create": everyone(405),
    "api:batch-detail": everyone(200),
    "api:application-detail": everyone(200),
    "api:application-alternative": everyone(405),
    "api:bank-list": everyone(200),
    "api:feature-list": everyone(200),
    "api:outcome-list": everyone(200),
    "api:model-version-list": everyone(200),
    "api:model-version-detail": everyone(200),
    "schema": everyone(200),
    "api-docs": everyone(200),
    "legacy-upload-features": everyone(405),
    # The old paths with a trailing slash: redirected (307, method and body kept) to those without.
    **{f"{name}/": everyone(307) for name in ("upload_features", "check_task", "check_state", "get_result")},
    "legacy-check-task": everyone(200),
    "legacy-check-state": everyone(200),
    "legacy-get-result": everyone(200),

    # The admin's own pages.
    "admin:index": administrator_only(),
    "admin:app_list": administrator_only(),
    "admin:password_change": administrator_only(),
    "admin:password_change_done": administrator_only(),
    "admin:autocomplete": everyone(REFUSED),  # without a field to complete: refused to anyone
    "admin:jsi18n": administrator_only(),
    "admin:view_on_site": administrator_only(404),  # banks have no page outside the admin
    "admin/(?P<url>.*)$": administrator_only(404),  # the admin's catch-all: an unknown admin page
    "admin:auth_user_password_change": everyone(REFUSED),
    # The model pages administrators work in, besides those of ADMIN_MODEL_PAGES.
    "admin:scoring_modelversion_train": administrator_only(),
    "admin:scoring_trainingrun_progress": administrator_only(),
    "admin:scoring_modelversion_compare": administrator_only(),
    "admin:scoring_importbatch_upload": administrator_only(),
    "admin:scoring_importbatch_report": administrator_only(),
}
for _model, _allowed in ADMIN_MODEL_PAGES.items():
    for _action in ADMIN_ACTIONS:
        ACCESS[f"admin:{_model}_{_action}"] = administrator_only() if _action in _allowed else everyone(REFUSED)
    ACCESS[f"admin/{_model.replace('_', '/', 1)}/<path:object_id>/"] = administrator_only(302)


def url_key(name, pattern_text):
    return name or pattern_text


WALK = [(url_key(name, text), text) for text, name, _callback in walk_urls(get_resolver().url_patterns)]


def test_every_url_has_a_decision():
    keys = [key for key, _text in WALK]
    assert sorted(set(keys) - set(ACCESS)) == [], "add these URLs to ACCESS: who may GET them?"
    assert sorted(set(ACCESS) - set(keys)) == [], "these entries name no URL any more"


@pytest.fixture
def world(officer, analyst, administrator, models_ready, answers, django_capture_on_commit_callbacks):
    """One real object of each kind a URL names: the officer's application, batch, a version, ..."""
    with django_capture_on_commit_callbacks(execute=True):
        application, _ = submission.submit_application(officer=officer, answers=answers,
                                                     client={"full_name": "Петров Пётр", "phone": "+7 900 1"})
    batch = ScoringBatch.objects.create(officer=officer)
    ScoringBatchItem.objects.create(batch=batch, position=0, application=application)
    bank = Bank.objects.order_by("code").first()
    version = ModelVersion.objects.filter(bank=bank).first()
    run = TrainingRun.objects.create(source="synthetic", bank_codes=[bank.code], rows=1000, started_by=administrator)
    import_batch = ImportBatch.objects.create(file_name="history.csv", sha256="0" * 64, user=administrator,
                                              rows_total=1, rows_imported=1, decided_on=dt.date(2025, 1, 1))
    historical = HistoricalApplication.objects.create(batch=import_batch, row_number=2, answers=answers,
                                                      decisions={bank.code: "success"})
    api_client = ApiClient.objects.create(user=officer, callback_url="https://bank.example.ru/hook")
    delivery = WebhookDelivery.objects.create(api_client=api_client, application=application,
                                              url=api_client.callback_url, payload={})
    entry = AuditEntry.objects.create(actor=administrator, action="update", object_type="scoring.bank")
    token, _key = ApiToken.issue(officer)
    objects = {
        "auth_group": Group.objects.first(), "auth_user": officer, "scoring_apitoken": token,
        "scoring_bank": bank, "scoring_feature": Feature.objects.first(), "scoring_modelversion": version,
        "scoring_trainingrun": run, "scoring_auditentry": entry, "scoring_application": application,
        "scoring_client": application.client, "scoring_importbatch": import_batch,
        "scoring_historicalapplication": historical, "scoring_apiclient": api_client,
        "scoring_webhookdelivery": delivery,
    }
    values = {
        "application_id": str(application.pk), "batch_id": str(batch.pk), "import_id": str(import_batch.pk),
        "version_id": str(version.pk),
        "run_id": str(run.pk), "field_name": "month_profit", "code": "i0-p0-e0", "app_label": "scoring",
        "id": str(officer.pk), "content_type_id": str(ContentType.objects.get_for_model(Bank).pk),
        "object_id": str(bank.pk), "url": "no-such-page/",
    }
    return {"objects": objects, "values": values, "task_id": str(application.pk)}


def concrete_url(pattern_text: str, world) -> str:
    """The pattern's path with real values: the object of its admin model, or the named kwarg's value."""
    text = pattern_text.replace("^", "").replace("$", "")
    model_page = re.match(r"admin/(\w+)/(\w+)/<path:object_id>/", text)
    if model_page:
        text = text.replace("<path:object_id>", str(world["objects"]["_".join(model_page.groups())].pk))
    text = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: world["values"][m.group(1)], text)
    text = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: world["values"][m.group(1)], text)
    url = "/" + text
    if url in ("/check_task", "/check_state", "/get_result"):  # the legacy API names its task in the query
        url += f"?task_id={world['task_id']}"
    return url


def outcome(response) -> int | str:
    if response.status_code == 403:
        return REFUSED
    if response.status_code == 302 and response["Location"].split("?")[0] in ("/login/", "/admin/login/"):
        return REFUSED
    return response.status_code


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_what_the_table_says(client_as, world, role):
    client = client_as(role)
    client.raise_request_exception = True
    wrong = []
    for key, pattern_text in WALK:
        url = concrete_url(pattern_text, world)
        response = client.get(url)
        got = outcome(response)
        expected = ACCESS[key][role]
        if got != expected:
            wrong.append(f"{key} {url}: expected {expected}, got {got} {response.get('Location', '')}")
    assert wrong == []
