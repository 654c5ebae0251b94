from django.core.management.base import BaseCommand, CommandError

from scoring.analytics.fairness import PROTECTED, run_attribute_free_training
from scoring.analytics.models import AttributeFreeTraining
from scoring.models import Bank


class Command(BaseCommand):
    help = ("Train a bank's model on its active model's data with and without gender and birth date, "
            "and store both held-out AUCs and the group metrics (shown on the fairness page).")

    def add_arguments(self, parser):
        parser.add_argument("--bank", action="append", dest="banks", help="bank code (repeatable); all active if absent")

    def handle(self, *args, banks, **options):
        queryset = Bank.objects.filter(active=True).order_by("code")
        if banks:
            queryset = queryset.filter(code__in=banks)
            unknown = sorted(set(banks) - set(queryset.values_list("code", flat=True)))
            if unknown:
                raise CommandError(f"no active bank with code {', '.join(unknown)}")
        for bank in queryset:
            run = AttributeFreeTraining.objects.create(bank=bank, excluded=list(PROTECTED))
            run = run_attribute_free_training(run_id=run.pk)
            if run.status == AttributeFreeTraining.Status.DONE:
                self.stdout.write(f"{bank.code}: AUC {run.auc_with:.4f} with all fields, {run.auc_without:.4f} "
                                  f"without {', '.join(run.excluded)} (cost {run.auc_cost:+.4f}) on {run.training_data}")
            else:
                self.stdout.write(f"{bank.code}: failed: {run.error}")
