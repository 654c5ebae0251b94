from django.core.management import call_command

from scoring.models import Bank, Feature


def test_it_loads_five_banks_and_sixteen_fields(db):
    call_command("load_config")
    assert list(Bank.objects.values_list("code", flat=True)) == ["bank_a", "bank_b", "bank_c", "bank_d", "bank_e"]
    assert Feature.objects.count() == 16
    term = Feature.objects.get(key="loan_term")
    assert term.type == "choice" and [v for v, _ in term.choice_pairs()] == ["6", "12", "18", "24"]
    bank = Bank.objects.get(code="bank_a")
    assert bank.terms == [6, 12, 18, 24] and bank.min_amount == 4000 and bank.max_amount == 200000


def test_it_is_idempotent_and_restores_edited_values(db):
    call_command("load_config")
    Bank.objects.filter(code="bank_a").update(name="Изменён")
    call_command("load_config")
    assert Bank.objects.count() == 5 and Feature.objects.count() == 16
    assert Bank.objects.get(code="bank_a").name == "Банк А"


def test_fields_keep_the_configured_order(db):
    call_command("load_config")
    keys = list(Feature.objects.values_list("key", flat=True))
    assert keys[0] == "birth_date" and keys[-1] == "goods_category"
