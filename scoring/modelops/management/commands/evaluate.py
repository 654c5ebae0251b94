import argparse
import datetime as dt
import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from scoring.modelops.evaluation import EvaluationRefused, FileEvaluation, evaluate_file

# Enough skipped rows to see what is wrong with a file without flooding the terminal.
SHOWN_SKIPPED = 10


def iso_date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date as YYYY-MM-DD, not {text!r}") from None


class Command(BaseCommand):
    help = ("Score a labelled historical-decisions CSV (docs/data-format.md) with the active models and print "
            "per bank the ROC AUC, Brier score and number of answered rows (and the oracle AUC when the "
            "file carries <bank>_p_true columns). The file is read as import reads it (configured columns, "
            "decision words, missing-value markers, decision-date column, history rules for the answers); "
            "rows without a usable bank decision are skipped and counted.")

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="the CSV file (UTF-8, ';'-separated)")
        parser.add_argument("--json", action="store_true",
                            help='print {"<bank code>": {"auc", "brier", "n", "version", "oracle_auc"?}} only')
        parser.add_argument("--as-of", type=iso_date, default=None,
                            help="the day the applications were made, YYYY-MM-DD (default: today), for rows "
                                 "without a decision-date column value")

    def handle(self, *args, file=None, as_of=None, **options):
        as_of = as_of or timezone.localdate()
        try:
            evaluation = evaluate_file(path=file, as_of=as_of)
        except EvaluationRefused as exc:
            raise CommandError(f"{file}: {exc}")
        if options["json"]:
            self.write_json(evaluation)
        else:
            self.write_table(evaluation)

    def write_json(self, evaluation: FileEvaluation) -> None:
        # stdout stays pure JSON for scripts; what was left out goes to stderr.
        self.stdout.write(json.dumps(evaluation.as_dict(), ensure_ascii=False, indent=2))
        if evaluation.skipped:
            self.stderr.write(f"{len(evaluation.skipped)} row(s) skipped: no usable bank decision")

    def write_table(self, evaluation: FileEvaluation) -> None:
        self.stdout.write(
            f"{evaluation.file_name}: {evaluation.rows_total} rows, {evaluation.rows_scored} scored, "
            f"{len(evaluation.skipped)} skipped (no usable bank decision), {evaluation.rows_empty} empty, "
            f"{evaluation.rows_flagged} scored with odd values (read as missing, or kept as they were); "
            f"as of {evaluation.as_of.isoformat()}")
        self.stdout.write(f"{'bank':<10} {'model':>7} {'n':>7} {'AUC':>7} {'Brier':>7} {'oracle AUC':>11}")
        for bank in evaluation.banks:
            self.stdout.write(f"{bank.code:<10} {'v' + str(bank.version):>7} {bank.n:>7} {_figure(bank.auc):>7} "
                              f"{_figure(bank.brier):>7} {_figure(bank.oracle_auc):>11}")
        if evaluation.banks_without_model:
            self.stdout.write("no active model: " + ", ".join(evaluation.banks_without_model))
        for row_number, reasons in evaluation.skipped[:SHOWN_SKIPPED]:
            text = "; ".join(f"{key}: {' '.join(messages)}" for key, messages in reasons.items())
            self.stdout.write(f"skipped line {row_number}: {text}")
        if len(evaluation.skipped) > SHOWN_SKIPPED:
            self.stdout.write(f"… and {len(evaluation.skipped) - SHOWN_SKIPPED} more skipped rows")


def _figure(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"
