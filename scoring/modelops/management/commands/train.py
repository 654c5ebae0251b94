import logging
import time

from django.core.management.base import BaseCommand, CommandError

from scoring.models import Bank, ModelVersion
from scoring.modelops.training import (SOURCES, TrainingRefused, describe_choice, train_imported, train_outcomes,
                                       train_synthetic)

DEFAULT_SYNTHETIC_ROWS = 20_000


class Command(BaseCommand):
    help = ("Train one model per active bank, on synthetic data, the imported history or the banks' recorded "
            "answers, and activate "
            "those that beat chance and are not worse than the bank's active model on the same held-out rows.")

    def add_arguments(self, parser):
        parser.add_argument("--bank", action="append", dest="banks", metavar="CODE", help="bank code (repeatable)")
        parser.add_argument("--source", choices=SOURCES, default="synthetic",
                            help="synthetic: the built-in generator (default); imported: the applications "
                                 "stored by import_applications; outcomes: the banks' answers recorded for "
                                 "applications scored here (approved 1, refused 0, errors left out)")
        parser.add_argument("--rows", type=int, default=None,
                            help=f"synthetic applications to generate (default {DEFAULT_SYNTHETIC_ROWS})")
        parser.add_argument("--seed", type=int, default=42, help="seed of the generator, the split and the model")
        parser.add_argument("--if-missing", action="store_true",
                            help="only train banks that have no active model")

    def handle(self, *args, banks=None, source="synthetic", rows=None, seed=42, if_missing=False, **options):
        if source != "synthetic" and rows is not None:
            raise CommandError(f"--rows applies to --source synthetic; --source {source} uses every row it has")
        rows = DEFAULT_SYNTHETIC_ROWS if rows is None else rows
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
        if options["verbosity"] < 2:  # the lines below say it all; the log would say it twice
            logging.getLogger("scoring.modelops.training").setLevel(logging.WARNING)
        started = time.perf_counter()
        try:
            if source == "imported":
                outcomes = train_imported(seed=seed, bank_codes=banks)
            elif source == "outcomes":
                outcomes = train_outcomes(seed=seed, bank_codes=banks)
            else:
                outcomes = train_synthetic(rows=rows, seed=seed, bank_codes=banks)
        except TrainingRefused as exc:
            raise CommandError(str(exc))
        for outcome in outcomes:
            version = f" (version {outcome.version.pk})" if outcome.version else ""
            algorithm = f"{describe_choice(outcome.version.metrics)}; " if outcome.version else ""
            line = f"{outcome.bank.code}: {algorithm}{outcome.reason}{version}"
            self.stdout.write(self.style.SUCCESS(line) if outcome.activated else line)
        versions = [o.version for o in outcomes if o.version]
        data = versions[0].training_data if versions else source
        self.stdout.write(f"trained {len(versions)} bank(s) on {data}, activated {sum(o.activated for o in outcomes)}, "
                          f"in {time.perf_counter() - started:.1f} s")
