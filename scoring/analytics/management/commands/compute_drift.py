from django.core.management.base import BaseCommand, CommandError

from scoring.analytics.drift import DEFAULT_LAST, compute_drift
from scoring.analytics.models import PSI_ALERT


class Command(BaseCommand):
    help = ("Population stability index per questionnaire field of every active model: its training data "
            "against the last N applications. Stored for the analytics pages; run daily by Celery beat.")

    def add_arguments(self, parser):
        parser.add_argument("--last", type=int, default=DEFAULT_LAST,
                            help=f"how many of the latest applications to compare (default {DEFAULT_LAST})")

    def handle(self, *args, last, **options):
        if last < 1:
            raise CommandError("--last must be a positive number of applications")
        run = compute_drift(last=last)
        if not run.measurements and not run.skipped:
            self.stdout.write("no applications or no active models: nothing measured")
        for version_id, reason in run.skipped.items():
            self.stdout.write(f"model {version_id}: not measured: {reason}")
        for m in sorted(run.measurements, key=lambda m: (m.model_version.bank.code, -m.psi)):
            flag = "  DRIFT" if m.psi > PSI_ALERT else ""
            self.stdout.write(f"{m.model_version.bank.code} v{m.model_version_id} {m.feature:20s} PSI {m.psi:.4f}{flag}")
        alarming = sum(1 for m in run.measurements if m.psi > PSI_ALERT)
        self.stdout.write(f"{len(run.measurements)} measurements, {alarming} above {PSI_ALERT}")
