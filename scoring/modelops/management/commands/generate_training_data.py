from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from scoring.engine.csvformat import write_decisions_csv
from scoring.engine.messy import MESS, messy_history
from scoring.engine.synthetic import generate_applications
from scoring.modelops.configuration import import_mapping
from scoring.models import Bank, Feature

# The decision-date column of a --messy file when import.yaml configures none.
DEFAULT_DATE_COLUMN = "DecisionDate"


class Command(BaseCommand):
    help = ("Write synthetic applications with every active bank's decisions as a historical-decisions "
            "CSV (docs/data-format.md, plus <bank>_p_true columns), ready for import_applications. --messy "
            "writes a legacy export instead (scoring/engine/messy.py): NULL markers, a decision-date column in "
            "mixed formats, implausible rows, unknown categories and decision words, no probabilities.")

    def add_arguments(self, parser):
        parser.add_argument("--rows", type=int, default=20_000)
        parser.add_argument("--seed", type=int, default=42)
        parser.add_argument("--out", type=Path, required=True, help="the CSV file to write")
        parser.add_argument("--messy", action="store_true",
                            help="write a legacy export with the old system's quirks and odd rows")
        parser.add_argument("--messy-share", type=float, default=0.08,
                            help="with --messy: the share of rows given an odd value or decision (default 0.08)")

    def handle(self, *args, rows=20_000, seed=42, out=None, messy=False, messy_share=0.08, **options):
        if rows < 1:
            raise CommandError("--rows must be positive")
        if not 0.0 <= messy_share <= 1.0:
            raise CommandError("--messy-share must be between 0 and 1")
        column_for_bank = dict(Bank.objects.filter(active=True).exclude(csv_decision_column="")
                               .order_by("code").values_list("code", "csv_decision_column"))
        column_for_feature = dict(Feature.objects.filter(active=True).exclude(csv_column="")
                                  .order_by("order", "id").values_list("key", "csv_column"))
        if not column_for_bank or not column_for_feature:
            raise CommandError("no active banks or questionnaire fields with CSV columns: "
                               "run manage.py load_config first")
        # Dated today, so that the ages and dates in the file pass validation when it is imported.
        frame = generate_applications(rows, seed=seed, bank_codes=list(column_for_bank),
                                      as_of=timezone.localdate())
        unknown = [key for key in column_for_feature if key not in frame.columns]
        if unknown:
            raise CommandError(f"the synthetic generator has no values for the fields {', '.join(unknown)}")
        options = {}
        if messy:
            mapping = import_mapping()
            date_column = mapping["decision_date_column"] or DEFAULT_DATE_COLUMN
            birth = Feature.objects.filter(key="birth_date").first()
            frame = messy_history(frame, seed=seed, as_of=timezone.localdate(), share=messy_share,
                                  max_age=(birth.max_age if birth and birth.max_age else 83),
                                  decision_date_column=date_column, bank_codes=list(column_for_bank))
            options = {"extra_p_true": False, "extra_columns": [date_column], "delimiter": mapping["delimiter"]}
        try:
            written = write_decisions_csv(frame, out, column_for_feature=column_for_feature,
                                          column_for_bank=column_for_bank, **options)
        except OSError as exc:
            raise CommandError(f"cannot write {out}: {exc.strerror or exc}")
        self.stdout.write(f"{written} rows written to {out} (seed {seed}, banks {', '.join(column_for_bank)})")
        if messy:
            odd = int((frame[MESS] != "").sum())
            self.stdout.write(f"legacy quirks: {odd} rows ({odd / written:.1%}) with an odd value or decision, "
                              f"decision days in column {options['extra_columns'][0]}")
