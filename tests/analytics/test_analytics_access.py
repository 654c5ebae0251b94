"""Who may open the analytics pages: analysts and administrators; officers get 403."""
import pytest
from django.urls import reverse

PAGES = ["analytics:dashboard", "analytics:cohorts", "analytics:exploration", "analytics:models",
         "analytics:fairness", "analytics:drift"]


@pytest.mark.parametrize("name", PAGES)
def test_it_refuses_officers(officer_client, configured, name):
    assert officer_client.get(reverse(name)).status_code == 403


def test_it_refuses_officers_the_cohort_applications(officer_client, configured):
    assert officer_client.get(reverse("analytics:cohort_detail", args=["i0-p0-e0"])).status_code == 403


def test_it_refuses_officers_the_attribute_free_training(officer_client, configured):
    assert officer_client.post(reverse("analytics:fairness_train"), {"bank": "bank_a"}).status_code == 403


@pytest.mark.parametrize("name", PAGES)
def test_it_sends_anonymous_users_to_login(client, configured, name):
    response = client.get(reverse(name))
    assert response.status_code == 302 and "/login/" in response["Location"]


@pytest.mark.parametrize("name", PAGES)
def test_it_opens_for_analysts(analyst_client, known_applications, name):
    assert analyst_client.get(reverse(name)).status_code == 200


@pytest.mark.parametrize("name", PAGES)
def test_it_opens_for_administrators(admin_client, known_applications, name):
    assert admin_client.get(reverse(name)).status_code == 200


def test_it_shows_the_nav_link_to_analysts_only(client_as, analyst, officer, configured):
    page = client_as(analyst).get(reverse("scoring:application_list")).content.decode()
    assert reverse("analytics:dashboard") in page
    page = client_as(officer).get(reverse("scoring:application_list")).content.decode()
    assert reverse("analytics:dashboard") not in page


@pytest.mark.parametrize("name", ["analytics:dashboard", "analytics:cohorts", "analytics:fairness"])
def test_it_shows_no_personal_data(analyst_client, known_applications, name):
    page = analyst_client.get(reverse(name)).content.decode()
    assert "Секретов" not in page and "111-22-33" not in page


def test_cohort_applications_show_no_personal_data(analyst_client, known_applications):
    page = analyst_client.get(reverse("analytics:cohort_detail", args=["i1-p0-e0"])).content.decode()
    assert "Секретов" not in page and "111-22-33" not in page
