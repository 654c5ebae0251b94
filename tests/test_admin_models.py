"""Model versions in the admin: list with metrics, train now with progress, activate through the gate,
roll back, champion against challenger on the same rows."""
import threading
import time

import pytest
from admin_post import list_action

from scoring.modelops import runs
from scoring.models import AuditEntry, Bank, ModelVersion, TrainingRun

LIST_URL = "/admin/scoring/modelversion/"
TRAIN_URL = "/admin/scoring/modelversion/train/"
COMPARE_URL = "/admin/scoring/modelversion/compare/"


PASSING = {"auc": 0.8, "auc_ci_low": 0.77, "auc_ci_high": 0.83}
FAILING = {"auc": 0.51, "auc_ci_low": 0.47, "auc_ci_high": 0.55}


def action(client, name, versions):
    return list_action(client, LIST_URL, name, versions)


def test_the_list_shows_each_versions_auc_and_gate(admin_client, models_ready):
    version = ModelVersion.objects.filter(bank__code="bank_a").first()
    ModelVersion.objects.filter(pk=version.pk).update(metrics={**PASSING, "quality_gate": "AUC 0.800 — activated"})
    text = admin_client.get(LIST_URL).content.decode()
    assert "0,800" in text and "0,770–0,830" in text and "AUC 0,800 — активирована" in text


def test_it_activates_a_version_that_passes_the_gate_and_logs_it(admin_client, models_ready, copy_of):
    current = Bank.objects.get(code="bank_a").active_model
    challenger = copy_of(current, metrics=PASSING)
    response = action(admin_client, "activate_selected", [challenger])
    assert "стала активной" in response.content.decode()
    challenger.refresh_from_db()
    current.refresh_from_db()
    assert challenger.active and not current.active and challenger.activated_at is not None
    entry = AuditEntry.objects.get(action="activate")
    assert entry.before["version"] == current.pk and entry.after["version"] == challenger.pk
    assert entry.actor.username == "admin1"


def test_it_refuses_to_activate_a_version_no_better_than_chance(admin_client, models_ready, copy_of):
    current = Bank.objects.get(code="bank_a").active_model
    weak = copy_of(current, metrics=FAILING)
    response = action(admin_client, "activate_selected", [weak])
    assert "не прошла проверку качества" in response.content.decode()
    assert Bank.objects.get(code="bank_a").active_model == current
    assert not AuditEntry.objects.filter(action="activate").exists()


def test_it_refuses_a_version_worse_than_the_active_one_on_the_same_rows(admin_client, models_ready, copy_of):
    current = Bank.objects.get(code="bank_a").active_model
    worse = copy_of(current, metrics={**PASSING, "champion_version": current.pk, "champion_auc_same_rows": 0.9})
    response = action(admin_client, "activate_selected", [worse])
    assert "хуже активной модели" in response.content.decode()
    assert Bank.objects.get(code="bank_a").active_model == current


def test_it_rolls_back_to_the_previous_version(admin_client, models_ready, copy_of):
    first = Bank.objects.get(code="bank_a").active_model
    second = copy_of(first, metrics=PASSING)
    action(admin_client, "activate_selected", [second])
    response = action(admin_client, "roll_back_selected", [second])
    assert "активна снова версия" in response.content.decode()
    first.refresh_from_db()
    assert first.active and not ModelVersion.objects.get(pk=second.pk).active
    entry = AuditEntry.objects.get(action="rollback")
    assert entry.before["version"] == second.pk and entry.after["version"] == first.pk


def test_it_says_when_there_is_nothing_to_roll_back_to(admin_client, models_ready):
    only = Bank.objects.get(code="bank_b").active_model
    response = action(admin_client, "roll_back_selected", [only])
    assert "нет предыдущей версии" in response.content.decode()
    assert ModelVersion.objects.get(pk=only.pk).active


def test_train_now_runs_in_celery_and_records_progress(admin_client, configured, django_capture_on_commit_callbacks):
    bank = Bank.objects.get(code="bank_a")
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(TRAIN_URL, {"source": "synthetic", "banks": [bank.pk], "rows": "1500"})
    run = TrainingRun.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/train/{run.pk}/")
    assert run.status == TrainingRun.Status.DONE and run.progress == 100
    assert run.started_by.username == "admin1"
    [outcome] = run.outcomes
    version = ModelVersion.objects.get(pk=outcome["version"])
    assert version.bank == bank and version.training_data.startswith("synthetic rows=1500")
    assert outcome["activated"] == version.active
    if version.active:
        assert AuditEntry.objects.filter(action="activate", object_id=str(version.pk)).exists()


def test_train_now_from_an_empty_history_fails_with_the_reason(admin_client, configured,
                                                              django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(TRAIN_URL, {"source": "imported", "rows": "20000"})
    run = TrainingRun.objects.get()
    assert run.status == TrainingRun.Status.FAILED
    # The admin's page says it in Russian and points to the admin's upload, not the command line.
    assert run.message == ("Загруженной истории решений нет: сначала загрузите её (раздел «Загрузки истории», "
                           "кнопка «Загрузить историю (CSV)»).")
    assert run.message in admin_client.get(f"{TRAIN_URL}{run.pk}/").content.decode()


def test_a_run_writes_in_the_language_its_starter_reads(admin_client, configured, django_capture_on_commit_callbacks):
    """The worker's language is the default one: an English administrator's run said «Обучается Банк А
    (1 из 5)» and «Готово: обучено банков — 1.», and its refusals in Russian."""
    bank = Bank.objects.get(code="bank_a")
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(TRAIN_URL, {"source": "imported", "rows": "20000"}, HTTP_ACCEPT_LANGUAGE="en")
        admin_client.post(TRAIN_URL, {"source": "synthetic", "banks": [bank.pk], "rows": "1500"},
                          HTTP_ACCEPT_LANGUAGE="en")
    refused, done = TrainingRun.objects.order_by("pk")
    assert refused.language == "en" and refused.status == TrainingRun.Status.FAILED
    assert refused.message == ("No history of decisions has been imported: import one first (“History imports”, "
                               "the “Upload history (CSV)” button).")
    assert done.message == "Done: 1 bank(s) trained." and done.status == TrainingRun.Status.DONE
    assert "Done: 1 bank(s) trained." in admin_client.get(f"{TRAIN_URL}{done.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()


def test_a_bank_not_trained_is_explained_in_russian_on_the_run_page(admin_client, configured, administrator):
    """training_problem's English reasons, with their counts, in the reader's words (a run on a real
    export left three banks untrained with English reasons on a Russian page). The reasons are the
    engine's own, as train_frame stores them."""
    import numpy as np

    from scoring.engine.training import training_problem

    run = TrainingRun.objects.create(source="imported", started_by=administrator, status=TrainingRun.Status.DONE,
                                     outcomes=[
        {"bank": "bank_c", "bank_name": "Банк В", "version": None, "activated": False,
         "reason": f"not trained: {training_problem(np.full(5, np.nan))}"},
        {"bank": "bank_d", "bank_name": "Банк Г", "version": None, "activated": False,
         "reason": f"not trained: {training_problem(np.ones(389))}"}])
    page = admin_client.get(f"{TRAIN_URL}{run.pk}/").content.decode()
    assert "не обучена: строк с ответом банка: 0 (нужно не меньше 100)" in page
    assert "не обучена: одобрений: 389, отказов: 0 (нужно не меньше 10 тех и других)" in page
    assert "answered rows" not in page and "approvals" not in page
    admin_client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    english = admin_client.get(f"{TRAIN_URL}{run.pk}/").content.decode()
    assert "approvals: 389, refusals: 0 (at least 10 of each needed)" in english


def test_the_run_page_polls_until_the_run_finishes(admin_client, configured, administrator):
    run = TrainingRun.objects.create(source="synthetic", started_by=administrator)
    page = admin_client.get(f"{TRAIN_URL}{run.pk}/")
    assert 'hx-trigger="every 2s"' in page.content.decode() and "htmx" in page.content.decode()
    partial = admin_client.get(f"{TRAIN_URL}{run.pk}/", HTTP_HX_REQUEST="true")
    assert partial.status_code == 200 and "<html" not in partial.content.decode()
    TrainingRun.objects.filter(pk=run.pk).update(status=TrainingRun.Status.DONE, progress=100)
    finished = admin_client.get(f"{TRAIN_URL}{run.pk}/", HTTP_HX_REQUEST="true")
    assert finished.status_code == 286  # htmx stops polling
    assert "hx-trigger" not in finished.content.decode()


def test_it_compares_champion_and_challenger_on_the_same_rows(admin_client, models_ready):
    champion = Bank.objects.get(code="bank_a").active_model
    ModelVersion.objects.filter(pk=champion.pk).update(training_data="synthetic rows=3000 seed=7")
    other = Bank.objects.get(code="bank_b").active_model
    challenger = ModelVersion.objects.create(bank=champion.bank, encoder=other.encoder,
                                             artifact=bytes(other.artifact), training_data="synthetic rows=3000")
    response = admin_client.get(COMPARE_URL, {"champion": champion.pk, "challenger": challenger.pk})
    assert response.status_code == 200
    comparison = response.context["comparison"]
    assert comparison.rows == 3000 and comparison.labelled > 2000
    # Bank A's own model knows bank A's policy better than bank B's model does.
    assert comparison.champion.auc > comparison.challenger.auc
    assert 0 < comparison.agreement <= 1
    text = response.content.decode()
    for figures in (comparison.champion, comparison.challenger):
        assert f"{figures.auc:.3f}".replace(".", ",") in text  # Russian decimal comma


def test_it_refuses_to_compare_versions_of_two_banks(admin_client, models_ready):
    a = Bank.objects.get(code="bank_a").active_model
    b = Bank.objects.get(code="bank_b").active_model
    response = admin_client.get(COMPARE_URL, {"champion": a.pk, "challenger": b.pk})
    assert response.status_code == 400
    assert "только версии одного банка" in response.content.decode()


def test_an_officer_cannot_train_or_compare(client_as, officer, configured):
    client = client_as(officer, staff=True)
    assert client.post(TRAIN_URL, {"source": "synthetic", "rows": "1500"}).status_code == 403
    assert client.get(COMPARE_URL).status_code == 403
    assert not TrainingRun.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_train_now_answers_at_once_on_the_embedded_default_and_the_run_finishes(admin_client, configured, settings,
                                                                                monkeypatch):
    # The embedded default: no broker, so Celery is eager and the run goes to a thread (conftest turns it off).
    settings.CELERY_TASK_ALWAYS_EAGER = settings.PRESCORING_BACKGROUND_THREADS = True
    release, real_run_training = threading.Event(), runs.run_training

    def held_until_released(*, run_id):
        assert release.wait(timeout=60), "the test never released the run"
        return real_run_training(run_id=run_id)

    monkeypatch.setattr(runs, "run_training", held_until_released)
    bank = Bank.objects.get(code="bank_a")
    response = admin_client.post(TRAIN_URL, {"source": "synthetic", "banks": [bank.pk], "rows": "1500"})
    run = TrainingRun.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/train/{run.pk}/")
    assert run.status == TrainingRun.Status.QUEUED  # answered while the run waits in its thread
    polling = admin_client.get(f"{TRAIN_URL}{run.pk}/", HTTP_HX_REQUEST="true")
    assert polling.status_code == 200 and 'hx-trigger="every 2s"' in polling.content.decode()

    release.set()
    deadline = time.monotonic() + 120
    while not TrainingRun.objects.get(pk=run.pk).is_finished:
        assert time.monotonic() < deadline, "the training run did not finish"
        time.sleep(0.2)
    run.refresh_from_db()
    assert run.status == TrainingRun.Status.DONE and run.progress == 100
    assert ModelVersion.objects.filter(pk=run.outcomes[0]["version"], bank=bank).exists()
