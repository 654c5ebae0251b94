from django.core.management.base import BaseCommand, CommandError

from scoring.modelops.activation import ModelVersionError, deactivate_active


class Command(BaseCommand):
    help = ("Deactivate the active model of the given banks (or of every bank with --all), one audit entry "
            "per version; those banks score nothing until a model is trained or activated again. Used "
            "before a new questionnaire replaces the one the models were trained on.")

    def add_arguments(self, parser):
        parser.add_argument("--bank", action="append", dest="banks", default=[], metavar="CODE",
                            help="a bank's code; repeat for several")
        parser.add_argument("--all", action="store_true", dest="all_banks", help="every bank")

    def handle(self, *args, banks=(), all_banks=False, **options):
        if bool(banks) == all_banks:
            raise CommandError("name the banks with --bank CODE (repeatable) or pass --all")
        try:
            versions = deactivate_active(bank_codes=None if all_banks else list(banks))
        except ModelVersionError as exc:
            raise CommandError(str(exc))
        if not versions:
            self.stdout.write("no active models to deactivate")
        for version in versions:
            self.stdout.write(f"{version.bank.code}: version {version.pk} deactivated")
