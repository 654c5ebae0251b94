import secrets
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.base import BaseCommand

from scoring.accounts import roles


class Command(BaseCommand):
    help = ("Prepare a working service: migrate, load the configuration (PRESCORING_CONFIG_DIR or "
            "--config-dir), train models on synthetic data for banks without one, create the demo officer "
            "and administrator and print their logins.")

    def add_arguments(self, parser):
        parser.add_argument("--rows", type=int, default=20_000)
        parser.add_argument("--no-demo-users", action="store_true")
        parser.add_argument("--config-dir", type=Path, default=None,
                            help="the configuration to load (default: PRESCORING_CONFIG_DIR)")
        parser.add_argument("--no-train", action="store_true",
                            help="train nothing: the synthetic generator writes the default questionnaire only, "
                                 "so another lender's one imports its history and trains with --source imported")

    def handle(self, *args, rows=20_000, no_demo_users=False, config_dir=None, no_train=False, **options):
        call_command("migrate", interactive=False, verbosity=0)
        self.stdout.write("database migrated")
        call_command("load_config", config_dir=config_dir, stdout=self.stdout)
        if not no_train:
            call_command("train", if_missing=True, rows=rows, stdout=self.stdout)
        if not no_demo_users:
            self.create_demo_users()

    def create_demo_users(self):
        User = get_user_model()
        # A fresh random password on every run unless PRESCORING_DEMO_PASSWORD is set: nothing secret in the repo.
        password = settings.PRESCORING.get("DEMO_PASSWORD") or secrets.token_urlsafe(9)
        for username, role, is_staff in (("officer", roles.OFFICER, False), ("analyst", roles.ANALYST, False),
                                         ("admin", roles.ADMINISTRATOR, True)):
            user, _created = User.objects.get_or_create(username=username)
            user.is_staff = user.is_superuser = is_staff
            user.set_password(password)
            user.save()
            user.groups.set([Group.objects.get(name=role)])
        self.stdout.write(self.style.SUCCESS(
            "\nDemo logins (http://127.0.0.1:8000/):\n"
            f"  loan officer:  officer / {password}\n"
            f"  analyst:       analyst / {password}\n"
            f"  administrator: admin / {password}   (admin site: /admin/)\n"
        ))
