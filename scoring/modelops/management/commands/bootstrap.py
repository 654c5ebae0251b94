import secrets
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from scoring.accounts import roles


class Command(BaseCommand):
    help = ("Prepare a working service: migrate, load the configuration (PRESCORING_CONFIG_DIR or "
            "--config-dir), train models on synthetic data for banks without one, create the demo officer "
            "and administrator and print their logins.")

    def add_arguments(self, parser):
        parser.add_argument("--rows", type=int, default=20_000)
        parser.add_argument("--no-demo-users", action="store_true")
        parser.add_argument("--demo-users", action="store_true",
                            help="create the demo users outside the embedded default too (a staging stack); "
                                 "by default only the embedded default (SQLite, no broker) gets them")
        parser.add_argument("--config-dir", type=Path, default=None,
                            help="the configuration to load (default: PRESCORING_CONFIG_DIR)")
        parser.add_argument("--no-train", action="store_true",
                            help="train nothing: the synthetic generator writes the default questionnaire only, "
                                 "so another lender's one imports its history and trains with --source imported")

    def handle(self, *args, rows=20_000, no_demo_users=False, demo_users=False, config_dir=None, no_train=False,
               **options):
        call_command("migrate", interactive=False, verbosity=0)
        self.stdout.write("database migrated")
        call_command("load_config", config_dir=config_dir, stdout=self.stdout)
        if not no_train:
            call_command("train", if_missing=True, rows=rows, stdout=self.stdout)
        if no_demo_users:
            return
        if demo_users or settings.EMBEDDED_DEFAULT:
            self.create_demo_users()
        else:
            self.stdout.write("no demo users: this is a deployment (DATABASE_URL or CELERY_BROKER_URL is set); "
                              "create the first administrator with manage.py createsuperuser (docs/deploy.md)")

    def create_demo_users(self):
        """The demo officer, analyst and administrator, each only if no user has that name: an existing
        user is never changed (a re-run must not reset a real account's password)."""
        User = get_user_model()
        # A fresh random password unless PRESCORING_DEMO_PASSWORD is set: nothing secret in the repo,
        # and a set one must pass the same validators as any password.
        password = settings.PRESCORING.get("DEMO_PASSWORD") or secrets.token_urlsafe(12)
        try:
            validate_password(password)
        except ValidationError as exc:
            raise CommandError("PRESCORING_DEMO_PASSWORD is too weak: " + " ".join(exc.messages)) from None
        created, kept = [], []
        for username, role, is_staff in (("officer", roles.OFFICER, False), ("analyst", roles.ANALYST, False),
                                         ("admin", roles.ADMINISTRATOR, True)):
            if User.objects.filter(username=username).exists():
                kept.append(username)
                continue
            user = User.objects.create_user(username=username, password=password, is_staff=is_staff,
                                            is_superuser=is_staff)
            user.groups.set([Group.objects.get(name=role)])
            created.append((username, role))
        if created:
            lines = "".join(f"  {username:<9} / {password}   ({role})\n" for username, role in created)
            self.stdout.write(self.style.SUCCESS(
                f"\nDemo logins (http://127.0.0.1:8000/; admin site: /admin/):\n{lines}"))
        if kept:
            self.stdout.write(f"demo users already there, left unchanged: {', '.join(kept)} "
                              f"(manage.py changepassword <name> to set a password)")
