import time

from django.core.management.base import BaseCommand, CommandError

from scoring.models import Bank, ModelVersion
from scoring.training import train_synthetic


class Command(BaseCommand):
    help = "Train one model per active bank on synthetic data and activate those that pass the quality gate."

    def add_arguments(self, parser):
        parser.add_argument("--bank", action="append", dest="banks", help="bank code (repeatable)")
        parser.add_argument("--rows", type=int, default=20_000)
        parser.add_argument("--seed", type=int, default=42)
        parser.add_argument("--if-missing", action="store_true",
                            help="only train banks that have no active model")

    def handle(self, *args, banks=None, rows=20_000, seed=42, if_missing=False, **options):
        if rows < 500:
            raise CommandError("--rows must be at least 500")
        if if_missing:
            candidates = Bank.objects.filter(active=True)
            if banks:
                candidates = candidates.filter(code__in=banks)
            with_model = set(ModelVersion.objects.filter(active=True).values_list("bank__code", flat=True))
            banks = [b.code for b in candidates if b.code not in with_model]
            if not banks:
                self.stdout.write("every active bank has an active model; nothing to train")
                return
        started = time.perf_counter()
        try:
            outcomes = train_synthetic(rows=rows, seed=seed, bank_codes=banks)
        except ValueError as exc:
            raise CommandError(str(exc))
        for outcome in outcomes:
            self.stdout.write(f"{outcome.version.bank.code}: {outcome.reason} (version {outcome.version.pk})")
        self.stdout.write(f"trained {len(outcomes)} bank(s) in {time.perf_counter() - started:.1f} s")
