import csv
import datetime as dt
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from scoring.modelops.importing import ImportReport, ImportRefused, import_decisions_csv

# Lines of skipped and of flagged rows printed each; --report FILE writes them all.
SHOWN_LINES = 1000


class Command(BaseCommand):
    help = ("Import a lender's historical bank decisions (docs/data-format.md). Every row with a usable bank "
            "decision is kept; unreadable values become missing, implausible ones and unknown categories are "
            "kept; all of them are flagged. Rows without a usable decision are skipped. Prints the counts, the "
            "unknown categories and every flagged or skipped row with its reason. Fails only when the file "
            "cannot be read or mapped.")

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="the CSV file (UTF-8, ';'-separated by default)")
        parser.add_argument("--dry-run", action="store_true", help="print the report without storing anything")
        parser.add_argument("--decided-on", type=dt.date.fromisoformat, metavar="YYYY-MM-DD",
                            help="the day the banks made these decisions, for rows without a decision-date "
                                 "column value (default: today); ages and tenures are counted to it")
        parser.add_argument("--report", type=Path, metavar="FILE",
                            help="also write every flagged and skipped row's reasons to FILE as CSV "
                                 "(row;status;key;column;message, ';'-separated, UTF-8)")

    def handle(self, *args, file=None, dry_run=False, decided_on=None, report=None, **options):
        try:
            result = import_decisions_csv(path=file, dry_run=dry_run, decided_on=decided_on)
        except ImportRefused as exc:
            raise CommandError(f"{file}: {exc}")
        self.write_report(result)
        if report is not None:
            try:
                write_report_csv(result, report)
            except OSError as exc:
                raise CommandError(f"cannot write {report}: {exc.strerror or exc}")
            self.stdout.write(f"отчёт по строкам записан в {report}")
        if dry_run:
            self.stdout.write(f"проверка без записи: можно загрузить {result.rows_valid} строк, "
                              f"ничего не сохранено")
        elif result.batch is None:
            self.stdout.write("в файле нет строк с пригодными решениями; ничего не загружено")
        else:
            self.stdout.write(self.style.SUCCESS(
                f"загружено {result.rows_imported} строк (загрузка №{result.batch.pk})"))

    def write_report(self, report: ImportReport) -> None:
        imported = report.rows_valid if report.dry_run else report.rows_imported
        self.stdout.write(
            f"{report.file_name}: строк всего {report.rows_total}, загружено {imported}, "
            f"с пометками {report.rows_flagged}, пропущено {report.rows_skipped}, пустых {report.rows_empty}"
        )
        if report.ignored_columns:
            self.stdout.write("пропущены неизвестные колонки: " + ", ".join(report.ignored_columns))
        for reason, count in report.skip_counts.most_common():
            self.stdout.write(f"пропущено строк: {count}: {reason}")
        for (key, reason), count in report.flag_counts.most_common():
            self.stdout.write(f"пометка: {key}: {reason}: строк {count}")
        for key, column, value, count in report.unseen_lines():
            self.stdout.write(f"новая категория: {key} ({column}) «{value}»: строк {count}")
        for lines, status in ((report.rejection_lines(), "пропущена: "), (report.flag_lines(), "")):
            for row_number, key, _column, message in lines[:SHOWN_LINES]:
                self.stdout.write(f"строка {row_number}: {status}{key}: {message}")
            if len(lines) > SHOWN_LINES:
                self.stdout.write(f"… и ещё {len(lines) - SHOWN_LINES} строк отчёта: все — с --report FILE")


def write_report_csv(report: ImportReport, path: Path) -> None:
    """Every skipped and flagged row's reasons, one line each, in file order within each status."""
    with open(path, "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, delimiter=";", lineterminator="\n")
        writer.writerow(["row", "status", "key", "column", "message"])
        for status, lines in (("skipped", report.rejection_lines()), ("flagged", report.flag_lines())):
            for row_number, key, column, message in lines:
                writer.writerow([row_number, status, key, column, message])
