import time

from django.core.management.base import BaseCommand

from scoring.analytics.rollup import refresh


class Command(BaseCommand):
    help = ("Rebuild the daily figures the analytics pages read (run every few minutes by Celery beat; "
            "until the first run the pages query the applications directly).")

    def handle(self, *args, **options):
        started = time.perf_counter()
        rows = refresh()
        self.stdout.write(f"{rows} daily figures in {time.perf_counter() - started:.1f} s")
