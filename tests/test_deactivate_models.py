"""manage.py deactivate_models: banks left without an active model, one audit entry per version."""
import io

import pytest
from django.core.management import CommandError, call_command

from scoring.models import AuditEntry, ModelVersion


def run(*args) -> str:
    out = io.StringIO()
    call_command("deactivate_models", *args, stdout=out)
    return out.getvalue()


def active_banks() -> list[str]:
    return sorted(ModelVersion.objects.filter(active=True).values_list("bank__code", flat=True))


def test_it_deactivates_the_named_banks_only(models_ready):
    version = ModelVersion.objects.get(bank__code="bank_b", active=True)
    out = run("--bank", "bank_b", "--bank", "bank_d")
    assert f"bank_b: version {version.pk} deactivated" in out
    assert active_banks() == ["bank_a", "bank_c", "bank_e"]
    [entry] = AuditEntry.objects.filter(action="deactivate", object_id=str(version.pk))
    assert entry.object_type == "scoring.modelversion" and entry.actor is None
    assert entry.before["bank"] == "bank_b" and entry.before["version"] == version.pk and entry.after is None
    assert AuditEntry.objects.filter(action="deactivate").count() == 2


def test_all_deactivates_every_bank_with_an_entry_each(models_ready):
    versions = sorted(ModelVersion.objects.filter(active=True).values_list("pk", flat=True))
    run("--all")
    assert active_banks() == []
    entries = AuditEntry.objects.filter(action="deactivate").values_list("object_id", flat=True)
    assert sorted(int(pk) for pk in entries) == versions
    assert "no active models to deactivate" in run("--all")
    assert AuditEntry.objects.filter(action="deactivate").count() == len(versions)


def test_it_wants_banks_or_all(models_ready):
    with pytest.raises(CommandError, match="--bank CODE .* or pass --all"):
        run()
    with pytest.raises(CommandError, match="--bank CODE .* or pass --all"):
        run("--all", "--bank", "bank_a")
    assert len(active_banks()) == 5


def test_an_unknown_bank_deactivates_nothing(models_ready):
    with pytest.raises(CommandError, match="bank_x"):
        run("--bank", "bank_a", "--bank", "bank_x")
    assert len(active_banks()) == 5 and not AuditEntry.objects.filter(action="deactivate").exists()


def test_an_application_without_any_active_model_fails_with_the_reason(models_ready, api, answers,
                                                                         django_capture_on_commit_callbacks):
    run("--all")
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post("/api/v1/applications/", {"answers": answers}, format="json")
    assert response.status_code == 202, response.json()
    detail = api.get(response.json()["url"])
    assert detail.status_code == 200
    assert detail.json()["status"] == "failed" and "Нет активных моделей" in detail.json()["error"]


def test_the_remaining_banks_still_score(models_ready, api, answers, django_capture_on_commit_callbacks):
    run("--bank", "bank_a")
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post("/api/v1/applications/", {"answers": answers}, format="json")
    detail = api.get(response.json()["url"]).json()
    assert detail["status"] == "done"
    assert sorted(s["bank"] for s in detail["scores"]) == ["bank_b", "bank_c", "bank_d", "bank_e"]
