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
