"""Every admin page an administrator uses opens; the other roles are kept out."""
import pytest

PAGES = ["/admin/", "/admin/scoring/bank/", "/admin/scoring/bank/add/", "/admin/scoring/feature/",
         "/admin/scoring/feature/add/", "/admin/scoring/modelversion/", "/admin/scoring/modelversion/train/",
         "/admin/scoring/modelversion/compare/", "/admin/scoring/trainingrun/", "/admin/scoring/auditentry/"]


@pytest.mark.parametrize("url", PAGES)
def test_an_administrator_opens_it(admin_client, models_ready, url):
    assert admin_client.get(url).status_code == 200


def test_each_bank_and_version_page_opens(admin_client, models_ready):
    from scoring.models import Bank, ModelVersion

    for bank in Bank.objects.all():
        assert admin_client.get(f"/admin/scoring/bank/{bank.pk}/change/").status_code == 200
    for version in ModelVersion.objects.all():
        assert admin_client.get(f"/admin/scoring/modelversion/{version.pk}/change/").status_code == 200


@pytest.mark.parametrize("url", ["/admin/scoring/modelversion/train/", "/admin/scoring/auditentry/"])
def test_an_anonymous_visitor_is_sent_to_login(client, db, url):
    response = client.get(url)
    assert response.status_code == 302 and "/login/" in response["Location"]
