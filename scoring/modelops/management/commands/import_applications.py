import datetime as dt
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from scoring.modelops.importing import ImportRefused, import_decisions_csv


class Command(BaseCommand):
    help = ("Import a lender's historical bank decisions (docs/data-format.md). All or nothing: if any row is "
            "refused, nothing is stored and every refused row is listed with its reasons.")

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="the CSV file (UTF-8, ';'-separated)")
        parser.add_argument("--dry-run", action="store_true", help="check the file without storing it")
        parser.add_argument("--decided-on", type=dt.date.fromisoformat, metavar="YYYY-MM-DD",
                            help="the day the banks made these decisions (default: today); ages and "
                                 "tenures are counted to it")

    def handle(self, *args, file=None, dry_run=False, decided_on=None, **options):
        try:
            report = import_decisions_csv(path=file, dry_run=dry_run, decided_on=decided_on)
        except ImportRefused as exc:
            raise CommandError(f"{file}: {exc}")
        self.stdout.write(
            f"{report.file_name}: строк всего {report.rows_total}, загружено {report.rows_imported}, "
            f"отклонено {report.rows_rejected}, пустых {report.rows_empty}"
        )
        if report.ignored_columns:
            self.stdout.write("пропущены неизвестные колонки: " + ", ".join(report.ignored_columns))
        for row_number, reasons in report.rejected:
            for key, messages in reasons.items():
                for message in messages:
                    self.stdout.write(f"строка {row_number}: {key}: {message}")
        if not report.accepted:
            raise CommandError(f"файл отклонён: {report.rows_rejected} строк с ошибками, ничего не загружено")
        if dry_run:
            self.stdout.write(f"проверка без записи: все {report.rows_valid} строк можно загрузить")
        elif report.batch is None:
            self.stdout.write("в файле нет строк с данными; ничего не загружено")
        else:
            self.stdout.write(self.style.SUCCESS(
                f"загружено {report.rows_imported} строк (загрузка №{report.batch.pk})"))
