from pathlib import Path

from django.core.management.base import BaseCommand

from scoring.modelops.configuration import export_config


class Command(BaseCommand):
    help = ("Write the loaded configuration (fields, derived features, banks with rules, currency, import "
            "mapping) as the YAML files load_config reads.")

    def add_arguments(self, parser):
        parser.add_argument("config_dir", type=Path, nargs="?", default=None,
                            help="directory for features.yaml, banks.yaml, import.yaml "
                                 "(default: PRESCORING_CONFIG_DIR; its files are overwritten)")

    def handle(self, *args, config_dir=None, **options):
        for path in export_config(config_dir):
            self.stdout.write(f"written {path}")
