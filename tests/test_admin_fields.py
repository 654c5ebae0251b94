"""Questionnaire fields in the admin: the officer's form and validation follow at once; a field an
active model reads cannot be switched off, renamed, retyped or deleted."""
import pytest
from admin_post import form_post

from scoring.models import Feature, ModelVersion

ADD_URL = "/admin/scoring/feature/add/"
NEW_APPLICATION = "/applications/new/"


def field_form(**overrides):
    data = {"key": "car_owner", "label": "Есть автомобиль", "label_en": "", "help_text": "Личный автомобиль",
            "type": "boolean", "choices": "", "min_value": "", "max_value": "", "min_age": "", "max_age": "",
            "max_length": "", "order": "500", "used_by_model": "on", "active": "on", "csv_column": "Car"}
    data.update(overrides)
    return data


def change_data(client, feature, **overrides):
    """The field's change form as the admin would submit it unchanged, with overrides."""
    form = client.get(f"/admin/scoring/feature/{feature.pk}/change/").context["adminform"].form
    data = form_post(form, prepared=("choices",))
    for name, value in overrides.items():
        if value is None:
            data.pop(name, None)
        else:
            data[name] = value
    return data


def save_field(client, feature, **overrides):
    """The field's change page submitted with overrides (None: the field left out); the response."""
    return client.post(f"/admin/scoring/feature/{feature.pk}/change/", change_data(client, feature, **overrides))


def test_a_new_field_appears_in_the_officers_form_at_once(admin_client, administrator):
    assert admin_client.post(ADD_URL, field_form()).status_code == 302
    page = admin_client.get(NEW_APPLICATION).content.decode()
    assert 'name="car_owner"' in page and "Есть автомобиль" in page and "Личный автомобиль" in page


def test_a_new_choice_field_takes_its_variants_one_per_line(admin_client):
    response = admin_client.post(ADD_URL, field_form(key="housing", label="Жильё", type="choice",
                                                     choices="own | Собственное\nrent | Съёмное\nparents"))
    assert response.status_code == 302
    assert Feature.objects.get(key="housing").choice_pairs() == [("own", "Собственное"), ("rent", "Съёмное"),
                                                                ("parents", "parents")]
    page = admin_client.get(NEW_APPLICATION).content.decode()
    assert '<option value="rent">Съёмное</option>' in page


def test_it_refuses_a_choice_field_without_variants(admin_client):
    response = admin_client.post(ADD_URL, field_form(key="housing", type="choice", choices=""))
    assert response.status_code == 200
    assert "нужны варианты" in response.content.decode()
    assert not Feature.objects.filter(key="housing").exists()


def test_it_refuses_a_minimum_above_the_maximum(admin_client):
    response = admin_client.post(ADD_URL, field_form(key="rooms", type="integer", min_value="10", max_value="1"))
    assert "Максимум должен быть не меньше минимума" in response.content.decode()
    assert not Feature.objects.filter(key="rooms").exists()


def test_a_store_code_can_be_marked_as_a_category(admin_client):
    response = admin_client.post(ADD_URL, field_form(key="branch", type="integer", categorical="on",
                                                     min_value="1", max_value="400"))
    assert response.status_code == 302
    assert Feature.objects.get(key="branch").to_spec().categorical is True


@pytest.mark.parametrize("overrides", [
    {"type": "choice", "choices": "a\nb"},                          # not a number
    {"type": "integer", "min_value": "", "max_value": ""},           # no bounds
    {"type": "integer", "min_value": "-5", "max_value": "10"},       # negative codes
    {"type": "integer", "min_value": "0", "max_value": "1000000"},   # more codes than a split can hold
])
def test_only_a_bounded_whole_number_can_be_a_category(admin_client, overrides):
    response = admin_client.post(ADD_URL, field_form(key="branch", categorical="on", **overrides))
    assert response.status_code == 200
    assert "Кодом категории может быть только целое число" in response.content.decode()
    assert not Feature.objects.filter(key="branch").exists()


def test_a_new_required_field_is_validated_for_the_officer_at_once(admin_client, answers):
    admin_client.post(ADD_URL, field_form(key="rooms", label="Комнат", type="integer", min_value="1",
                                          max_value="10", required="on"))
    response = admin_client.post(NEW_APPLICATION, {**answers, "snils": "true"})
    assert response.status_code == 400
    assert response.context["form"].errors["rooms"] == ["Обязательное поле."]
    response = admin_client.post(NEW_APPLICATION, {**answers, "snils": "true", "rooms": "11"})
    assert response.context["form"].errors["rooms"] == ["Значение должно быть не больше 10."]


def test_changed_bounds_apply_to_the_next_submission(admin_client, answers):
    feature = Feature.objects.get(key="loan_amount")
    assert save_field(admin_client, feature, max_value="50000").status_code == 302
    response = admin_client.post(NEW_APPLICATION, {**answers, "snils": "true"})
    assert response.context["form"].errors["loan_amount"] == ["Значение должно быть не больше 50 000."]


def test_reordering_moves_the_field_in_the_form(admin_client):
    feature = Feature.objects.get(key="goods_category")
    save_field(admin_client, feature, order="1")
    page = admin_client.get(NEW_APPLICATION).content.decode()
    assert page.index('name="goods_category"') < page.index('name="birth_date"')


def test_a_deactivated_field_leaves_the_officers_form(admin_client, answers):
    feature = Feature.objects.get(key="merch_code")
    response = save_field(admin_client, feature, active=None)
    assert response.status_code == 302
    assert not Feature.objects.get(key="merch_code").active
    assert 'name="merch_code"' not in admin_client.get(NEW_APPLICATION).content.decode()


def test_it_refuses_to_deactivate_a_field_an_active_model_uses_naming_the_models(admin_client, models_ready):
    feature = Feature.objects.get(key="month_profit")
    response = save_field(admin_client, feature, active=None)
    text = response.content.decode()
    assert response.status_code == 200
    assert "Нельзя отключить поле" in text
    for version in ModelVersion.objects.filter(active=True).select_related("bank"):
        assert f"{version.bank.name} (версия {version.pk})" in text
    assert Feature.objects.get(key="month_profit").active


def test_it_refuses_to_rename_a_field_an_active_model_uses(admin_client, models_ready):
    feature = Feature.objects.get(key="month_profit")
    response = save_field(admin_client, feature, key="income")
    assert "сменить ключ" in response.content.decode()
    assert Feature.objects.filter(key="month_profit").exists()


def test_it_refuses_to_delete_a_field_an_active_model_uses(admin_client, models_ready):
    feature = Feature.objects.get(key="month_profit")
    response = admin_client.post(f"/admin/scoring/feature/{feature.pk}/delete/", {"post": "yes"})
    assert response.status_code == 200
    assert "используют активные модели" in response.content.decode()
    assert Feature.objects.filter(key="month_profit").exists()


def test_a_field_no_active_model_uses_can_be_deactivated_even_with_models(admin_client, models_ready):
    for version in ModelVersion.objects.all():
        encoder = version.encoder
        encoder["specs"] = [s for s in encoder["specs"] if s["key"] != "position"]
        ModelVersion.objects.filter(pk=version.pk).update(encoder=encoder)
    feature = Feature.objects.get(key="position")
    response = save_field(admin_client, feature, active=None)
    assert response.status_code == 302
    assert not Feature.objects.get(key="position").active


def test_an_analyst_cannot_change_fields(client_as, analyst, configured):
    client = client_as(analyst, staff=True)
    assert client.post(ADD_URL, field_form()).status_code == 403
    assert not Feature.objects.filter(key="car_owner").exists()


def test_it_refuses_a_csv_column_another_field_uses(admin_client):
    response = admin_client.post(ADD_URL, field_form(csv_column="MonthProfit"))
    assert "уже сопоставлена полю «Ежемесячный доход, ₽»" in response.content.decode()
    assert not Feature.objects.filter(key="car_owner").exists()


def test_it_refuses_to_deactivate_a_field_a_bank_rule_tests(admin_client):
    feature = Feature.objects.get(key="employment_status")  # Банк А refuses the unemployed by this field
    response = save_field(admin_client, feature, active=None)
    assert "стоп-правила банков — Банк А" in response.content.decode()
    assert Feature.objects.get(key="employment_status").active
