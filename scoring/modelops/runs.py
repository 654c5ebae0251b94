"""Training runs: what the admin's "train now" task does, bank by bank, with progress on the run."""
from __future__ import annotations

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from scoring.modelops import training
from scoring.models import TrainingRun


def run_training(*, run_id: int) -> TrainingRun:
    """Train the run's banks one after another, writing progress and each bank's outcome on the run,
    in the language of whoever started it (TrainingRun.language).

    A model that passes the gate is activated by training itself; the activation is written to the
    audit log in the name of whoever started the run.
    """
    run = TrainingRun.objects.get(pk=run_id)
    if run.is_finished:
        return run
    with in_starters_language(run):
        return _train(run)


def in_starters_language(run: TrainingRun):
    """The language the run writes its texts in: its starter's (TrainingRun.language), or the default."""
    return translation.override(run.language or settings.LANGUAGE_CODE)


def _train(run: TrainingRun) -> TrainingRun:
    TrainingRun.objects.filter(pk=run.pk).update(status=TrainingRun.Status.RUNNING, progress=0, outcomes=[])
    try:
        banks = training.banks_for_training(run.bank_codes or None)
    except training.TrainingRefused as exc:
        return finish_run(run, TrainingRun.Status.FAILED, exc.words)
    outcomes = []
    for done, bank in enumerate(banks):
        TrainingRun.objects.filter(pk=run.pk).update(
            message=_("Обучается %(bank)s (%(i)s из %(n)s)") % {"bank": bank.name, "i": done + 1, "n": len(banks)})
        try:
            if run.source == TrainingRun.Source.SYNTHETIC:
                result = training.train_synthetic(rows=run.rows, bank_codes=[bank.code], actor=run.started_by)
            elif run.source == TrainingRun.Source.OUTCOMES:
                result = training.train_outcomes(bank_codes=[bank.code], actor=run.started_by)
            else:
                result = training.train_imported(bank_codes=[bank.code], actor=run.started_by)
        except training.TrainingRefused as exc:
            return finish_run(run, TrainingRun.Status.FAILED, exc.words, outcomes)
        for outcome in result:
            outcomes.append({"bank": outcome.bank.code, "bank_name": outcome.bank.name,
                             "version": outcome.version.pk if outcome.version else None,
                             "activated": outcome.activated, "reason": outcome.reason})
        TrainingRun.objects.filter(pk=run.pk).update(progress=round(100 * (done + 1) / len(banks)),
                                                     outcomes=outcomes)
    return finish_run(run, TrainingRun.Status.DONE, _("Готово: обучено банков — %(n)s.") % {"n": len(banks)}, outcomes)


def finish_run(run: TrainingRun, status: str, message: str, outcomes: list | None = None) -> TrainingRun:
    values = {"status": status, "message": message[:2000], "finished_at": timezone.now()}
    if status == TrainingRun.Status.DONE:
        values["progress"] = 100
    if outcomes is not None:
        values["outcomes"] = outcomes
    TrainingRun.objects.filter(pk=run.pk).update(**values)
    run.refresh_from_db()
    return run
