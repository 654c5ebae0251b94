from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from scoring.engine.csvformat import write_decisions_csv
from scoring.engine.synthetic import generate_applications
from scoring.models import Bank, Feature


class Command(BaseCommand):
    help = ("Write synthetic applications with every active bank's decisions as a historical-decisions "
            "CSV (docs/data-format.md, plus <bank>_p_true columns), ready for import_applications.")

    def add_arguments(self, parser):
        parser.add_argument("--rows", type=int, default=20_000)
        parser.add_argument("--seed", type=int, default=42)
        parser.add_argument("--out", type=Path, required=True, help="the CSV file to write")

    def handle(self, *args, rows=20_000, seed=42, out=None, **options):
        if rows < 1:
            raise CommandError("--rows must be positive")
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
        try:
            written = write_decisions_csv(frame, out, column_for_feature=column_for_feature,
                                          column_for_bank=column_for_bank)
        except OSError as exc:
            raise CommandError(f"cannot write {out}: {exc.strerror or exc}")
        self.stdout.write(f"{written} rows written to {out} (seed {seed}, banks {', '.join(column_for_bank)})")
