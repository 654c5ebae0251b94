"""Erase clients' personal data on request: manage.py erase_client 17 42."""
from django.core.management.base import BaseCommand, CommandError

from scoring.models import Client
from scoring.services import erasure


class Command(BaseCommand):
    help = ("Erase clients' names and phones everywhere the product keeps them (the client, the applications' "
            "search copies, webhook payloads, the admin and audit logs); their applications stay, anonymous. "
            "One audit entry names the clients by id. See docs/security.md.")

    def add_arguments(self, parser):
        parser.add_argument("client_ids", nargs="+", type=int, metavar="client_id",
                            help="Client ids (the admin's client list shows them)")

    def handle(self, *args, client_ids, **options):
        known = set(Client.objects.filter(pk__in=client_ids).values_list("pk", flat=True))
        missing = sorted(set(client_ids) - known)
        if missing:
            raise CommandError(f"no such clients: {', '.join(map(str, missing))}; nothing erased")
        after = erasure.erase_clients(client_ids, actor=None, reason="request")
        counts = ", ".join(f"{table} {count}" for table, count in after["erased"].items())
        self.stdout.write(f"erased clients {', '.join(map(str, sorted(after['clients'])))}: {counts}")
