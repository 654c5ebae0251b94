"""Forget Idempotency-Keys older than N days (default 30): a retry after that is a new request."""
import datetime as dt

from django.core.management.base import BaseCommand
from django.utils import timezone

from scoring.models import IdempotencyKey


class Command(BaseCommand):
    help = "Delete stored Idempotency-Key responses older than --days (default 30)."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=30)

    def handle(self, *args, days, **options):
        cutoff = timezone.now() - dt.timedelta(days=days)
        deleted, _ = IdempotencyKey.objects.filter(created_at__lt=cutoff).delete()
        self.stdout.write(f"deleted {deleted} idempotency keys older than {days} days")
