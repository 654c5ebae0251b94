"""The audit log: changes to banks, fields, rules and model activation, who and when, before and after;
read-only and visible to administrators only."""
import pytest
from admin_post import change_page_post

from scoring.models import AuditEntry, Bank, Feature

LOG_URL = "/admin/scoring/auditentry/"


def test_a_bank_change_is_logged_with_before_and_after(admin_client, administrator):
    bank = Bank.objects.get(code="bank_d")
    data = change_page_post(admin_client, f"/admin/scoring/bank/{bank.pk}/change/")
    data.update({"terms": "6, 12", "approval_threshold": "60", "rules-0-value": "0.5"})
    assert admin_client.post(f"/admin/scoring/bank/{bank.pk}/change/", data).status_code == 302
    entry = AuditEntry.objects.exclude(action="load_config").get(object_type="scoring.bank", object_id=str(bank.pk))
    assert entry.action == "update" and entry.actor == administrator and entry.at is not None
    assert entry.before["approval_threshold"] == 0.45 and entry.after["approval_threshold"] == 0.6
    assert entry.before["terms"] == [6, 12, 18, 24] and entry.after["terms"] == [6, 12]
    assert entry.before["rules"][0]["value"] == 0.6 and entry.after["rules"][0]["value"] == 0.5


def test_adding_and_deleting_a_field_are_logged(admin_client):
    admin_client.post("/admin/scoring/feature/add/", {"key": "car_owner", "label": "Есть автомобиль",
                                                      "type": "boolean", "order": "500", "active": "on"})
    feature = Feature.objects.get(key="car_owner")
    admin_client.post(f"/admin/scoring/feature/{feature.pk}/delete/", {"post": "yes"})
    actions = list(AuditEntry.objects.exclude(action="load_config").filter(object_type="scoring.feature").order_by("at", "id")
                   .values_list("action", "before", "after"))
    assert [a for a, _b, _a in actions] == ["create", "delete"]
    assert actions[0][1] is None and actions[0][2]["key"] == "car_owner"
    assert actions[1][1]["key"] == "car_owner" and actions[1][2] is None


def test_reordering_in_the_list_is_logged(admin_client):
    feature = Feature.objects.get(key="gender")
    features = list(Feature.objects.order_by("order", "id"))
    data = {"form-TOTAL_FORMS": str(len(features)), "form-INITIAL_FORMS": str(len(features)),
            "form-MIN_NUM_FORMS": "0", "form-MAX_NUM_FORMS": "1000", "_save": "Сохранить"}
    for i, f in enumerate(features):
        data[f"form-{i}-id"] = str(f.pk)
        data[f"form-{i}-order"] = "1" if f.pk == feature.pk else str(f.order)
    assert admin_client.post("/admin/scoring/feature/", data).status_code == 302
    entry = AuditEntry.objects.exclude(action="load_config").get(object_type="scoring.feature")
    assert entry.object_id == str(feature.pk) and entry.after["order"] == 1


def test_administrators_see_the_log(admin_client):
    admin_client.post("/admin/scoring/feature/add/", {"key": "car_owner", "label": "Есть автомобиль",
                                                      "type": "boolean", "order": "500", "active": "on"})
    response = admin_client.get(LOG_URL)
    assert response.status_code == 200 and "Есть автомобиль" in response.content.decode()


def test_the_log_cannot_be_edited_or_deleted(admin_client, administrator):
    entry = AuditEntry.objects.create(actor=administrator, action="update", object_type="scoring.bank")
    assert admin_client.get(f"{LOG_URL}add/").status_code == 403
    admin_client.post(f"{LOG_URL}{entry.pk}/change/", {"action": "forged"})
    assert admin_client.post(f"{LOG_URL}{entry.pk}/delete/", {"post": "yes"}).status_code == 403
    entry.refresh_from_db()
    assert entry.action == "update"


@pytest.mark.parametrize("role", ["officer", "analyst"])
def test_other_roles_do_not_see_the_log(client_as, role, configured):
    client = client_as(role, staff=True)
    assert client.get(LOG_URL).status_code == 403


def test_a_configuration_load_is_logged_only_when_it_changes_something(configured):
    from scoring.modelops.configuration import load_config

    entries = AuditEntry.objects.filter(action="load_config")
    created = entries.count()
    # 16 fields, 5 banks and the 3 configuration documents (derived, import, product), each created
    # with no one's name on it.
    assert created == 24
    assert entries.filter(object_type="scoring.configdocument").count() == 3
    load_config()
    assert AuditEntry.objects.filter(action="load_config").count() == created
    Bank.objects.filter(code="bank_a").update(name="Изменён")
    load_config()
    entry = AuditEntry.objects.filter(action="load_config").order_by("-at", "-id").first()
    assert entry.actor is None and entry.before["name"] == "Изменён" and entry.after["name"] == "Банк А"
