from pathlib import Path

from django.core.management.base import BaseCommand

from scoring.modelops.configuration import export_config


class Command(BaseCommand):
    help = "Write banks (with rules), questionnaire fields and the import mapping as YAML that load_config reads."

    def add_arguments(self, parser):
        parser.add_argument("config_dir", type=Path, help="directory for features.yaml, banks.yaml, import.yaml")

    def handle(self, *args, config_dir, **options):
        for path in export_config(config_dir):
            self.stdout.write(f"written {path}")
