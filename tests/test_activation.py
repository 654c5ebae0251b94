"""The one activation path (scoring/modelops/activation.py): `manage.py train`, the admin's action and
the bank form all switch the active model the same way, keeping when (rollback reads it) and who
(the audit log; None for a command)."""
from admin_post import choose_active_model, list_action

from scoring.modelops.activation import roll_back
from scoring.models import AuditEntry, Bank, ModelVersion
from tests.helpers import run_command

VERSIONS_URL = "/admin/scoring/modelversion/"
PASSING = {"auc": 0.8, "auc_ci_low": 0.77, "auc_ci_high": 0.83}


def train_bank_a() -> ModelVersion:
    """`manage.py train` for bank_a on a few synthetic rows; the version it made, which it activated."""
    before = set(ModelVersion.objects.values_list("pk", flat=True))
    output = run_command("train", rows=1500, seed=5, banks=["bank_a"])
    version = ModelVersion.objects.exclude(pk__in=before).get()
    assert version.active and "activated 1" in output, output
    return version


def entry(action: str, version: ModelVersion) -> AuditEntry:
    return AuditEntry.objects.get(action=action, object_type="scoring.modelversion", object_id=str(version.pk))


def test_the_train_command_activates_with_a_time_and_an_audit_entry(configured):
    version = train_bank_a()

    assert version.activated_at is not None
    activated = entry("activate", version)
    assert activated.actor is None and activated.before is None
    assert activated.after["version"] == version.pk and activated.after["bank"] == "bank_a"


def test_rollback_after_a_second_training_brings_back_the_first_version(configured, administrator):
    bank = Bank.objects.get(code="bank_a")
    first = train_bank_a()
    second = train_bank_a()  # the same rows and seed: as good as the first, so it replaces it

    first.refresh_from_db()
    assert not first.active and second.activated_at > first.activated_at
    assert entry("activate", second).before["version"] == first.pk

    assert roll_back(bank=bank, actor=administrator) == first
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.active and not second.active and first.activated_at > second.activated_at
    rolled_back = entry("rollback", first)
    assert rolled_back.actor == administrator
    assert rolled_back.before["version"] == second.pk and rolled_back.after["version"] == first.pk

    # By activation time, not by id: what was active before the rollback is the one to go back to.
    assert roll_back(bank=bank, actor=administrator) == second


def test_the_admin_action_and_the_bank_form_keep_the_time_and_log_the_administrator(
        admin_client, administrator, copy_of):
    bank = Bank.objects.get(code="bank_a")
    original = train_bank_a()
    lower_id, higher_id = copy_of(original, metrics=PASSING), copy_of(original, metrics=PASSING)

    list_action(admin_client, VERSIONS_URL, "activate_selected", [higher_id])
    higher_id.refresh_from_db()
    assert higher_id.active and higher_id.activated_at is not None
    assert entry("activate", higher_id).actor == administrator
    assert entry("activate", higher_id).before["version"] == original.pk

    assert choose_active_model(admin_client, bank, lower_id).status_code == 302
    lower_id.refresh_from_db()
    assert lower_id.active and lower_id.activated_at > higher_id.activated_at
    assert entry("activate", lower_id).actor == administrator
    assert entry("activate", lower_id).before["version"] == higher_id.pk

    # Back to the version active before it, not to the one with the next lower id (the original).
    list_action(admin_client, VERSIONS_URL, "roll_back_selected", [lower_id])
    higher_id.refresh_from_db()
    assert higher_id.active and entry("rollback", higher_id).actor == administrator
