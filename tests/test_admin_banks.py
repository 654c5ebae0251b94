"""Banks in the admin: product terms, threshold, rules one per line, active model through the gate."""
import pytest
from admin_post import change_page_post, choose_active_model, rules_post

from scoring.models import AuditEntry, Bank, ConfigDocument
from scoring.services import config_cache, product_config

ADD_URL = "/admin/scoring/bank/add/"


def bank_form(**overrides):
    data = {
        "code": "bank_f", "name": "Банк Е", "active": "on", "annual_rate": "18.50", "min_amount": "5000",
        "max_amount": "150000", "terms": "6, 12, 24", "approval_threshold": "50",
        "csv_decision_column": "BankF_decision",
    }
    data.update(rules_post(overrides.pop("rules", [])))
    data.update(overrides)
    return data


def test_it_adds_a_bank_with_terms_and_rules(admin_client):
    rules = [{"field": "birth_date", "operator": "lt", "value": "23", "reason": "Банк Е кредитует с 23 лет"},
             {"field": "employment_status", "operator": "in", "value": "Не работаю; Студент", "reason": ""},
             {"field": "", "operator": "", "value": "", "reason": ""}]  # a blank extra row is not a rule
    response = admin_client.post(ADD_URL, bank_form(rules=rules))
    assert response.status_code == 302, response.content.decode()[:3000]
    bank = Bank.objects.get(code="bank_f")
    assert bank.terms == [6, 12, 24]
    assert bank.rules == [{"field": "birth_date", "operator": "lt", "value": 23,
                           "reason": "Банк Е кредитует с 23 лет"},
                          {"field": "employment_status", "operator": "in", "value": ["Не работаю", "Студент"]}]


def test_it_refuses_min_amount_above_max(admin_client):
    response = admin_client.post(ADD_URL, bank_form(min_amount="200000", max_amount="1000"))
    assert response.status_code == 200
    assert "Максимальная сумма должна быть не меньше минимальной" in response.content.decode()
    assert not Bank.objects.filter(code="bank_f").exists()


@pytest.mark.parametrize("threshold", ["0", "100", "150", "-5"])
def test_it_refuses_a_threshold_outside_zero_to_a_hundred_percent(admin_client, threshold):
    response = admin_client.post(ADD_URL, bank_form(approval_threshold=threshold))
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "от 0 до 100 %" in str(errors["approval_threshold"])
    assert not Bank.objects.filter(code="bank_f").exists()


@pytest.mark.parametrize(("typed", "stored"), [("52,5", 0.525), ("45 %", 0.45), ("60.5", 0.605)])
def test_it_takes_the_threshold_as_a_percentage(admin_client, typed, stored):
    assert admin_client.post(ADD_URL, bank_form(approval_threshold=typed)).status_code == 302
    assert Bank.objects.get(code="bank_f").approval_threshold == stored


def test_it_refuses_empty_terms(admin_client):
    response = admin_client.post(ADD_URL, bank_form(terms=""))
    assert response.status_code == 200
    assert not Bank.objects.filter(code="bank_f").exists()


def test_it_refuses_terms_that_are_not_months(admin_client):
    response = admin_client.post(ADD_URL, bank_form(terms="6, двенадцать"))
    assert "целые числа месяцев" in response.content.decode()
    assert not Bank.objects.filter(code="bank_f").exists()


def test_it_refuses_a_numeric_rule_without_a_number_on_its_row(admin_client):
    rules = [{"field": "birth_date", "operator": "lt", "value": "21", "reason": "ok"},
             {"field": "birth_date", "operator": "gt", "value": "много", "reason": "bad"}]
    response = admin_client.post(ADD_URL, bank_form(rules=rules))
    formset = response.context["adminform"].form.rules_formset
    assert response.status_code == 200
    assert not formset.forms[0].errors
    assert "Для условия «больше (&gt;)» нужно число" in str(formset.forms[1].errors["value"])
    assert "Исправьте стоп-правила" in response.content.decode()
    assert not Bank.objects.filter(code="bank_f").exists()


def test_it_refuses_a_rule_on_a_field_the_questionnaire_lacks(admin_client):
    rules = [{"field": "salary", "operator": "lt", "value": "10000", "reason": "мало"}]
    response = admin_client.post(ADD_URL, bank_form(rules=rules))
    formset = response.context["adminform"].form.rules_formset
    assert "salary" in str(formset.forms[0].errors["field"])
    assert not Bank.objects.filter(code="bank_f").exists()


def test_it_accepts_a_rule_on_a_derived_feature(admin_client):
    rules = [{"field": "payment_to_income", "operator": "gt", "value": "0,5", "reason": "Платёж велик"}]
    response = admin_client.post(ADD_URL, bank_form(rules=rules))
    assert response.status_code == 302
    assert Bank.objects.get(code="bank_f").rules == [{"field": "payment_to_income", "operator": "gt",
                                                      "value": 0.5, "reason": "Платёж велик"}]


def test_it_shows_the_rules_as_rows_on_the_change_page(admin_client):
    bank = Bank.objects.get(code="bank_a")
    text = admin_client.get(f"/admin/scoring/bank/{bank.pk}/change/").content.decode()
    assert 'name="rules-0-value" value="Не работаю; Студент"' in text
    assert 'name="rules-TOTAL_FORMS" value="3"' in text  # the rule and two blank rows
    assert '<option value="birth_date">Дата рождения (birth_date)</option>' in text
    assert '<option value="payment_to_income">Платёж к доходу (payment_to_income)</option>' in text


def test_the_rules_fields_are_named_in_english_on_an_english_page(admin_client):
    admin_client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    bank = Bank.objects.get(code="bank_a")
    text = admin_client.get(f"/admin/scoring/bank/{bank.pk}/change/").content.decode()
    assert '<option value="birth_date">Date of birth (birth_date)</option>' in text
    assert '<option value="payment_to_income">Payment to income (payment_to_income)</option>' in text


def test_it_deletes_a_rule_marked_for_deletion(admin_client):
    bank = Bank.objects.get(code="bank_c")
    url = f"/admin/scoring/bank/{bank.pk}/change/"
    data = change_page_post(admin_client, url)
    data["rules-0-DELETE"] = "on"
    assert admin_client.post(url, data).status_code == 302
    bank.refresh_from_db()
    assert bank.rules == []


def test_an_unchanged_save_keeps_rules_and_writes_no_audit_entry(admin_client):
    bank = Bank.objects.get(code="bank_a")
    data = change_page_post(admin_client, f"/admin/scoring/bank/{bank.pk}/change/")
    response = admin_client.post(f"/admin/scoring/bank/{bank.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    bank.refresh_from_db()
    assert bank.rules == [{"field": "employment_status", "operator": "in", "value": ["Не работаю", "Студент"],
                           "reason": "Банк А не кредитует неработающих и студентов"}]
    assert not AuditEntry.objects.exclude(action="load_config").filter(object_type="scoring.bank").exists()


def test_it_activates_the_chosen_model_when_it_passes_the_gate(admin_client, models_ready, copy_of):
    bank = Bank.objects.get(code="bank_b")
    current = bank.active_model
    good = copy_of(current, metrics={"auc": 0.8, "auc_ci_low": 0.77, "auc_ci_high": 0.83})
    response = choose_active_model(admin_client, bank, good)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert bank.active_model == good
    assert AuditEntry.objects.filter(action="activate", object_id=str(good.pk)).exists()


def test_it_refuses_to_activate_a_model_no_better_than_chance(admin_client, models_ready, copy_of):
    bank = Bank.objects.get(code="bank_b")
    current = bank.active_model
    weak = copy_of(current, metrics={"auc": 0.51, "auc_ci_low": 0.48, "auc_ci_high": 0.54})
    response = choose_active_model(admin_client, bank, weak)
    assert response.status_code == 200
    assert "не прошла проверку качества" in response.content.decode()
    assert bank.active_model == current


def test_an_officer_cannot_open_the_bank_admin(client_as, officer, configured):
    client = client_as(officer, staff=True)
    assert client.get(ADD_URL).status_code == 403


def test_it_refuses_a_decision_column_another_bank_uses(admin_client):
    response = admin_client.post(ADD_URL, bank_form(csv_decision_column="BankA_decision"))
    assert "уже содержит решения банка «Банк А»" in response.content.decode()
    assert not Bank.objects.filter(code="bank_f").exists()


def test_the_bank_list_writes_amounts_in_the_configured_currency_and_the_threshold_as_typed(admin_client):
    assert admin_client.post(ADD_URL, bank_form(approval_threshold="52,5", min_amount="5000")).status_code == 302
    page = admin_client.get("/admin/scoring/bank/").content.decode()
    row = page.split("bank_f", 1)[1].split("</tr>", 1)[0]
    assert "52,5 %" in row and "150\u00a0000\u00a0₽" in row
    ConfigDocument.objects.update_or_create(name=product_config.PRODUCT, defaults={"data": {"currency": {"code": "EUR", "symbol": "€", "symbol_en": "EUR"}}})
    config_cache.clear()
    row = admin_client.get("/admin/scoring/bank/").content.decode().split("bank_f", 1)[1].split("</tr>", 1)[0]
    assert "150\u00a0000\u00a0€" in row and "₽" not in row
    admin_client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    row = admin_client.get("/admin/scoring/bank/").content.decode().split("bank_f", 1)[1].split("</tr>", 1)[0]
    assert "52.5%" in row and "EUR\u00a0150,000" in row and "₽" not in row
