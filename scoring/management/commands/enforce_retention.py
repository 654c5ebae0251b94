from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from scoring.services import retention


class Command(BaseCommand):
    help = ("Erase clients' names and phones whose latest application is older than the retention "
            "period (PRESCORING_RETENTION_DAYS), everywhere the product keeps them (docs/security.md). "
            "Run it daily, e.g. from cron.")

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=None,
                            help="retention in days (default: the PRESCORING_RETENTION_DAYS setting)")
        parser.add_argument("--dry-run", action="store_true", help="only count what would be erased")

    def handle(self, *args, days=None, dry_run=False, **options):
        days = settings.PRESCORING["PERSONAL_DATA_RETENTION_DAYS"] if days is None else days
        if days < 1:
            raise CommandError("--days must be at least 1")
        count = retention.erase_expired_clients(days=days, dry_run=dry_run)
        verb = "would be erased" if dry_run else "erased"
        self.stdout.write(f"{count} clients older than {days} days {verb}")
