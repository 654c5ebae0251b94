"""Roles: officers submit and see their own; analysts see all, masked, and cannot submit."""
import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from scoring.accounts import roles
from scoring.services import submission
from scoring.models import Client


@pytest.fixture
def officers_application(officer, answers, models_ready):
    application, _ = submission.submit_application(
        officer=officer, answers=answers, client={"full_name": "Иванов Пётр Сергеевич", "phone": "+7 912 345-67-89"})
    return application


def test_the_three_groups_exist_with_their_permissions(db):
    officer = set(Group.objects.get(name=roles.OFFICER).permissions.values_list("codename", flat=True))
    analyst = set(Group.objects.get(name=roles.ANALYST).permissions.values_list("codename", flat=True))
    admin = set(Group.objects.get(name=roles.ADMINISTRATOR).permissions.values_list("codename", flat=True))
    assert officer == {"add_application", "view_personal_data"}
    assert analyst == {"view_all_applications", "view_analytics"}
    assert {"change_bank", "change_feature", "change_modelversion", "view_personal_data"} <= admin


def test_analyst_cannot_open_the_questionnaire(analyst_client, configured):
    assert analyst_client.get(reverse("scoring:application_new")).status_code == 403


def test_analyst_cannot_submit_through_the_api(analyst_client, answers, configured):
    response = analyst_client.post("/api/v1/applications/", {"answers": answers}, content_type="application/json")
    assert response.status_code == 403


def test_user_without_a_role_cannot_submit(client_as, django_user_model, configured):
    client = client_as(django_user_model.objects.create_user(username="nobody", password="x"))
    assert client.get(reverse("scoring:application_new")).status_code == 403


def test_analyst_sees_every_application_with_the_client_masked(analyst_client, officers_application):
    page = analyst_client.get(reverse("scoring:application_list")).content.decode()
    assert "Иванов П. С." in page and "Иванов Пётр Сергеевич" not in page
    detail = analyst_client.get(reverse("scoring:application_detail", args=[officers_application.pk])).content.decode()
    assert "Иванов П. С." in detail and "+7 912 345" in detail and "67-89" not in detail


def test_officer_sees_own_client_in_full(officer_client, officers_application):
    page = officer_client.get(reverse("scoring:application_detail", args=[officers_application.pk]))
    assert "Иванов Пётр Сергеевич" in page.content.decode()


def test_other_officer_cannot_see_the_application(client_as, other_officer, officers_application):
    url = reverse("scoring:application_detail", args=[officers_application.pk])
    assert client_as(other_officer).get(url).status_code == 404


def test_masking_keeps_the_surname_and_hides_the_phone_tail():
    client = Client(full_name="Иванов Пётр Сергеевич", phone="+7 912 345-67-89")
    assert client.masked_name == "Иванов П. С."
    assert client.masked_phone.endswith("**-**") and "67-89" not in client.masked_phone


def test_masking_hides_the_last_four_digits_whatever_the_format():
    assert Client(phone="+7 912 345-67-89").masked_phone == "+7 912 345-**-**"
    assert Client(phone="89123456789").masked_phone == "8912345****"
    assert Client(phone="123").masked_phone == "**-**"


def test_a_users_own_and_group_permissions_are_read_in_one_query(analyst, django_assert_num_queries):
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Permission

    analyst.user_permissions.add(Permission.objects.get(codename="add_application"))
    user = get_user_model().objects.get(pk=analyst.pk)  # no permissions cached yet
    with django_assert_num_queries(1):
        assert roles.can_submit(user)  # given to the user
        assert roles.can_see_all_applications(user)  # from the analyst group
        assert not roles.sees_personal_data(user)  # neither
    user.is_active = False
    assert not roles.can_submit(user)
