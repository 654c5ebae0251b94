"""Pages that list or name model versions never read a version's model (`artifact`, large binary) or
its feature encoding (`encoder`): the SQL they run selects neither column."""
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from scoring.models import Application, Bank, ModelVersion
from scoring.services import runtime, submission

BLOB_COLUMN = re.compile(r'\."(artifact|encoder)"')


def version_queries(client, url, **params) -> list[str]:
    """The SQL that reads model versions while the page at url is served (it must be served: 200)."""
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, params)
    assert response.status_code == 200, url
    queries = [q["sql"] for q in captured.captured_queries if "scoring_modelversion" in q["sql"]]
    assert queries, f"{url} read no model version: nothing was checked"
    return queries


def assert_no_blob(queries: list[str]):
    assert [q for q in queries if BLOB_COLUMN.search(q)] == []


@pytest.fixture
def versions(models_ready, copy_of):
    """Every bank's active version and an inactive one of bank_a."""
    copy_of(ModelVersion.objects.get(bank__code="bank_a", active=True), metrics={"auc": 0.7})
    return ModelVersion.objects.count()


def test_the_check_sees_a_blob_when_one_is_read(versions):
    with CaptureQueriesContext(connection) as captured:
        list(ModelVersion.objects.all())
    assert BLOB_COLUMN.search(captured.captured_queries[0]["sql"])


def test_the_admin_model_version_list_and_page(admin_client, versions):
    assert_no_blob(version_queries(admin_client, reverse("admin:scoring_modelversion_changelist")))
    version = ModelVersion.objects.filter(bank__code="bank_a").first()
    assert_no_blob(version_queries(admin_client, reverse("admin:scoring_modelversion_change", args=[version.pk])))


def test_the_admin_bank_list_names_each_active_model(admin_client, versions):
    queries = version_queries(admin_client, reverse("admin:scoring_bank_changelist"))
    assert_no_blob(queries)
    assert len(queries) == 1  # one query for every bank's active model
    text = admin_client.get(reverse("admin:scoring_bank_changelist")).content.decode()
    assert all(str(bank.active_model) in text for bank in Bank.objects.all())


def test_the_admin_application_page_names_the_scoring_versions(client_as, versions, officer, answers):
    admin_client = client_as("admin_user")  # a superuser: the page shows personal data
    application, _ = submission.submit_application(officer=officer, answers=answers,
                                                 client={"full_name": "Иванов Иван Петрович",
                                                         "phone": "+7 900 123-45-67"})
    runtime.score_application(application_id=application.pk)
    assert Application.objects.get(pk=application.pk).status == "done"
    url = reverse("admin:scoring_application_change", args=[application.pk])
    assert_no_blob(version_queries(admin_client, url))
    assert str(Bank.objects.get(code="bank_a").active_model) in admin_client.get(url).content.decode()


def test_the_api_model_version_list_and_detail(api, versions):
    body = api.get("/api/v1/model-versions/").json()
    assert body["count"] == versions
    assert_no_blob(version_queries(api, "/api/v1/model-versions/"))
    assert_no_blob(version_queries(api, "/api/v1/model-versions/", bank="bank_a", active="false"))
    assert_no_blob(version_queries(api, f"/api/v1/model-versions/{body['results'][0]['id']}/"))


def test_the_api_bank_list(api, versions):
    assert_no_blob(version_queries(api, "/api/v1/banks/"))
    banks = api.get("/api/v1/banks/").json()
    assert banks[0]["model_version"] == ModelVersion.objects.get(bank__code="bank_a", active=True).pk


def test_the_analytics_model_quality_page(analyst_client, versions):
    url = reverse("analytics:models")
    assert_no_blob(version_queries(analyst_client, url))
    inactive = ModelVersion.objects.get(bank__code="bank_a", active=False)
    assert_no_blob(version_queries(analyst_client, url, version=inactive.pk))
