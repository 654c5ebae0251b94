from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from scoring.models import ApiToken
from scoring.services import audit


class Command(BaseCommand):
    help = ("Issue an API token for a user and print it once (only its SHA-256 is stored). "
            "The user's earlier tokens keep working unless --replace is given.")

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--days", type=int, default=None,
                            help="valid for this many days (default PRESCORING_API_TOKEN_DAYS; 0: no expiry)")
        parser.add_argument("--name", default="", help="what the token is for (shown in the admin)")
        parser.add_argument("--replace", action="store_true", help="revoke the user's other tokens")

    def handle(self, *args, username, days=None, name="", replace=False, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"no user {username!r}")
        if days is not None and days < 0:
            raise CommandError("--days must be 0 or more")
        if replace:
            for old in ApiToken.objects.filter(user=user):
                audit.record(actor=None, action="revoke_token", obj=old, before=audit.snapshot(old), after=None)
                old.delete()
        token, key = ApiToken.issue(user, days=days, name=name)
        audit.record(actor=None, action="issue_token", obj=token, after=audit.snapshot(token))
        expires = f"until {token.expires_at:%Y-%m-%d}" if token.expires_at else "without expiry"
        self.stdout.write(f"Generated token {key} for user {username} ({expires}); it is not stored, copy it now")
