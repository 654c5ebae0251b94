from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from scoring.modelops.configuration import DEACTIVATE_MODELS_OPTION, load_config


class Command(BaseCommand):
    help = ("Load a configuration directory (features.yaml, banks.yaml, import.yaml; PRESCORING_CONFIG_DIR, "
            "configs/ by default) into the database, all or nothing and idempotently (docs/configuration.md).")

    def add_arguments(self, parser):
        parser.add_argument("--config-dir", type=Path, default=None,
                            help="the directory to load (default: PRESCORING_CONFIG_DIR)")
        parser.add_argument("--replace", action="store_true",
                            help="also deactivate the fields and banks the files leave out")
        parser.add_argument(DEACTIVATE_MODELS_OPTION, action="store_true", dest="deactivate_models",
                            help="deactivate the active models that read a field this load switches off "
                                 "(their banks score nothing until trained on the new questionnaire)")

    def handle(self, *args, config_dir=None, replace=False, deactivate_models=False, **options):
        try:
            result = load_config(config_dir, replace=replace, deactivate_models=deactivate_models)
        except (ValidationError, KeyError, FileNotFoundError, ValueError, TypeError) as exc:
            message = "; ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
            raise CommandError(f"configuration not loaded: {message}")
        deactivated = result.pop("deactivated_models", [])
        for name, (created, updated) in result.items():
            self.stdout.write(f"{name}: {created} created, {updated} updated")
        if deactivated:
            self.stdout.write(f"models deactivated (versions {', '.join(map(str, deactivated))}): train the "
                              f"banks on the new questionnaire (manage.py train)")
