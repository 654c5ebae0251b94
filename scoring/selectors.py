"""Selectors: functions that read. Views and the API ask these what a user may see."""
from django.db.models import Prefetch, QuerySet

from scoring.models import Application, BankScore
from scoring.roles import can_see_all_applications


def applications_for(user) -> QuerySet[Application]:
    queryset = Application.objects.select_related("client", "officer")
    if can_see_all_applications(user):
        return queryset
    return queryset.filter(officer=user)


def application_with_scores(user, application_id) -> Application | None:
    scores = BankScore.objects.select_related("bank").order_by("-probability", "bank__code")
    return (
        applications_for(user)
        .prefetch_related(Prefetch("scores", queryset=scores))
        .filter(pk=application_id)
        .first()
    )


def filtered_applications(user, *, status=None, created_from=None, created_to=None, bank=None,
                          verdict=None) -> QuerySet[Application]:
    """The user's visible applications, newest first, narrowed by the API list filters."""
    import datetime as dt

    from django.utils import timezone

    queryset = applications_for(user)
    if status:
        queryset = queryset.filter(status=status)
    zone = timezone.get_current_timezone()
    if created_from:
        queryset = queryset.filter(created_at__gte=dt.datetime.combine(created_from, dt.time.min, tzinfo=zone))
    if created_to:
        queryset = queryset.filter(created_at__lt=dt.datetime.combine(created_to + dt.timedelta(days=1),
                                                                      dt.time.min, tzinfo=zone))
    if bank or verdict:
        scores = BankScore.objects.all()
        if bank:
            scores = scores.filter(bank__code=bank)
        if verdict:
            scores = scores.filter(verdict=verdict)
        queryset = queryset.filter(pk__in=scores.values("application_id"))
    summaries = BankScore.objects.select_related("bank").order_by("-probability", "bank__code")
    return queryset.prefetch_related(Prefetch("scores", queryset=summaries)).order_by("-created_at", "id")


def batch_for(user, batch_id):
    """A batch the user may see (its submitter, or anyone who sees all applications), with its items."""
    from scoring.models import ScoringBatch, ScoringBatchItem

    batches = ScoringBatch.objects.all()
    if not can_see_all_applications(user):
        batches = batches.filter(officer=user)
    batch = batches.filter(pk=batch_id).first()
    if batch is None:
        return None, []
    summaries = BankScore.objects.select_related("bank").order_by("-probability", "bank__code")
    items = list(ScoringBatchItem.objects.filter(batch=batch).select_related("application")
                 .prefetch_related(Prefetch("application__scores", queryset=summaries)).order_by("position"))
    return batch, items
