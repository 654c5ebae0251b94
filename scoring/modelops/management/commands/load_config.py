from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from scoring.modelops.configuration import load_config


class Command(BaseCommand):
    help = "Load banks and questionnaire fields from configs/*.yaml (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--config-dir", type=Path, default=None)
        parser.add_argument("--replace", action="store_true",
                            help="also deactivate the fields and banks the files leave out")

    def handle(self, *args, config_dir=None, replace=False, **options):
        try:
            result = load_config(config_dir, replace=replace)
        except (ValidationError, KeyError, FileNotFoundError, ValueError) as exc:
            raise CommandError(f"configuration not loaded: {exc}")
        for name, (created, updated) in result.items():
            self.stdout.write(f"{name}: {created} created, {updated} updated")
