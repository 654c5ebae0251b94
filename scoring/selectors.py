"""Selectors: functions that read. Views and the API ask these what a user may see."""
import datetime as dt
import functools
import re
import time

from django.core.paginator import Page, Paginator
from django.db.models import CharField, F, Prefetch, Q, QuerySet, Value
from django.db.models.functions import Concat, Left, StrIndex
from django.utils import timezone

from scoring.accounts.roles import can_see_all_applications
from scoring.models import (
    ApiClient,
    Application,
    Bank,
    BankScore,
    ScoringBatch,
    ScoringBatchItem,
)
from scoring.services import application_columns, config_cache, events


def applications_for(user) -> QuerySet[Application]:
    queryset = Application.objects.select_related("client", "officer")
    if can_see_all_applications(user):
        return queryset
    return queryset.filter(officer=user)


def bank_scores_in_order() -> QuerySet[BankScore]:
    """Bank scores (with their banks) in the one order pages, the API, batches and webhooks show them:
    as the recommendation ranks them, best first (the stored rank), then by probability and bank code
    (ties: scores stored before the rank existed all have rank 0)."""
    return BankScore.objects.select_related("bank").order_by("rank", "-probability", "bank__code")


def bank_score_order(score: BankScore) -> tuple:
    """bank_scores_in_order's order as a sort key, for scores read without an ORDER BY: keep the two alike."""
    return score.rank, -score.probability, score.bank.code


def application_with_scores(user, application_id) -> Application | None:
    """The application with its scores (and their banks), its officer and client: all that its page,
    its API answer and its case history show of it, in two queries."""
    return (
        applications_for(user)
        .select_related("officer", "client")
        .prefetch_related(Prefetch("scores", queryset=bank_scores_in_order()))
        .filter(pk=application_id)
        .first()
    )


def own_application_with_scores(user, application_id) -> Application | None:
    """application_with_scores for an application the user submitted, in one query when it is scored:
    its scores with their bank and, joined, the application with its officer and client (the answer
    to a waited submission). One that has no scores (failed, or not finished yet) is read as usual."""
    scores = list(bank_scores_in_order().select_related("application__officer", "application__client")
                  .filter(application_id=application_id, application__officer=user))
    if not scores:
        return application_with_scores(user, application_id)
    application = scores[0].application
    for score in scores:
        score.application = application
    application._prefetched_objects_cache = {"scores": scores}
    return application


# The columns of an application that its scoring writes (runtime.score_applications, mark_failed).
SCORING_WRITES = ("status", "error", "scored_at", "updated_at", "recommendation")


def submitted_application_with_scores(application: Application) -> Application | None:
    """The answer to a waited submission, for the application this request has just stored and still
    holds (with its officer and client): its scores with their banks, and what the scoring wrote of
    the application, in one narrow query. None while it has no scores (failed, or not finished yet):
    the caller reads it as usual then.

    Narrower than own_application_with_scores: the application's answers, officer and client are not
    read back five times with the scores (a profile of the waited submission found that read the
    largest part of the request)."""
    scores = list(_scores_with_what_scoring_wrote().filter(application_id=application.pk))
    if not scores:
        return None
    # The banks as this process keeps them for the configuration's moment (config_cache), not joined
    # to every score; a bank newer than what is kept is read at once.
    banks = config_cache.cached("banks_by_id", _banks_by_id)
    if any(score.bank_id not in banks for score in scores):
        banks = _banks_by_id()
    for name in SCORING_WRITES:
        setattr(application, name, getattr(scores[0], f"scoring_wrote_{name}"))
    for score in scores:
        score.application, score.bank = application, banks[score.bank_id]
    scores.sort(key=bank_score_order)
    application._prefetched_objects_cache = {"scores": scores}
    return application


@functools.cache
def _scores_with_what_scoring_wrote():
    """Scores, each with the columns of its application that the scoring wrote (scoring_wrote_<name>),
    built once per process: resolving the five joined columns cost more than the rest of the query,
    and a filter on the template (a copy) resolves only itself. Never evaluated itself. Unordered:
    the caller sorts them once their banks are attached (an ORDER BY cost more to compile)."""
    return BankScore.objects.order_by().annotate(
        **{f"scoring_wrote_{name}": F(f"application__{name}") for name in SCORING_WRITES})


def _banks_by_id() -> dict:
    return {bank.pk: bank for bank in Bank.objects.all()}


def application_status(user, application_id) -> str | None:
    """The status of an application the user may see; None if there is none."""
    return applications_for(user).filter(pk=application_id).values_list("status", flat=True).first()


def wait_until_finished(user, application_id, *, seconds: float) -> None:
    """Return once the application is done or failed, or after `seconds` (whichever comes first).

    Nothing is polled in a loop: the request sleeps until the worker announces the application
    (scoring/services/events.py), re-reading the status only if no announcement came within a few seconds.
    It returns at once for an application the user may not see, and when the process already has
    its maximum of waiting requests (the caller then answers with the status as it is).
    """
    deadline = time.monotonic() + seconds
    with events.waiting_for(application_id) as waiter:
        if waiter is None:
            return
        status = application_status(user, application_id)  # read after subscribing: nothing is missed
        if status is None or status in Application.FINISHED:
            return
        wait_for_announcement(user, application_id, waiter, deadline=deadline)


def wait_for_announcement(user, application_id, waiter, *, deadline: float) -> None:
    """Sleep until the application is announced finished or `deadline` (time.monotonic()) passes.

    For a waiter subscribed before the application could have finished (before it was queued, or
    after a status read that found it unfinished): no announcement can have been missed. The status
    is re-read only when no announcement came for a few seconds or the channel was lost.
    """
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0 or waiter.wait(remaining):
            return  # out of time, or announced: the caller reads the application
        status = application_status(user, application_id)
        if status is None or status in Application.FINISHED:
            return


# "П." or "П": an initial, as officers type them and masked names show the first name and patronymic.
_INITIAL = re.compile(r"^(\w)\.?$")


def _name_condition(query: str, *, personal_data: bool) -> Q:
    """Every word of the query in the client's name; for masked roles only in what they see of it.

    Names are matched on the application's folded copy (application_columns.search_name: lowercase,
    ё as е), with the query folded the same way, so case and ё do not matter on any database.
    """
    condition = Q()
    for word in application_columns.search_name(query).split()[:5]:
        initial = _INITIAL.match(word)
        if initial:
            # " п": a word of the name after the first starts with п (what a masked name shows, too).
            condition &= Q(search_name__contains=" " + initial[1])
        elif personal_data:
            condition &= Q(search_name__contains=word)
        else:
            # In the surname; the condition on the whole name says the same and lets PostgreSQL's
            # trigram index find the candidates (an expression's value has no index).
            # (The whole name's condition first: SQLite then computes the surname only where it holds.)
            condition &= Q(search_name__contains=word) & Q(client_surname__contains=word)
    return condition


def search_applications(queryset: QuerySet[Application], *, query: str = "", status: str = "",
                        verdict: str = "", created_from: dt.date | None = None,
                        created_to: dt.date | None = None, personal_data: bool = True) -> QuerySet[Application]:
    """Filter the applications list: client name or phone, status, recommendation, creation dates.

    Names and phones are matched on the application's indexed copies (application_columns), not
    through the client: every word of the query in the name, in any order ('петр петров' finds
    'Петров Пётр'), or the query's digits within the phone's ('900 123' finds '+7 (900) 123-45-67'),
    a Russian number's +7 or 8 in front left out ('8 900 123' finds it too).
    personal_data is False for roles that see names and phones masked: they find a client only by
    what they see (the surname and the initials), never by number, so that a search cannot tell
    them a first name or a phone digit by digit.
    """
    if query:
        digits = application_columns.searched_phone_digits(query)
        if re.search(r"[^\d\s()+\-]", query):  # letters: a name
            if not personal_data:
                # The first word of the folded name: the surname, the part masked roles see in full.
                queryset = queryset.alias(client_surname=Left(
                    "search_name", StrIndex(Concat("search_name", Value(" "), output_field=CharField()), Value(" "))
                    - 1))
            queryset = queryset.filter(_name_condition(query, personal_data=personal_data))
        elif personal_data and len(digits) >= 3:
            queryset = queryset.filter(phone_digits__contains=digits)
        else:
            queryset = queryset.none()  # digits too few to search by, or phones this role may not search
    if status:
        queryset = queryset.filter(status=status)
    if verdict:
        queryset = queryset.filter(recommendation__action=verdict)
    return created_between(queryset, created_from, created_to)


def created_between(queryset: QuerySet[Application], created_from: dt.date | None,
                    created_to: dt.date | None) -> QuerySet[Application]:
    """Applications created on or after created_from and on or before created_to (local days).

    A bound at the ends of the calendar (0001-01-01, 9999-12-31) excludes nothing and is left out:
    the day after 9999-12-31, or midnight of 0001-01-01 in UTC, does not exist.
    """
    zone = timezone.get_current_timezone()
    if created_from and created_from > dt.date.min + dt.timedelta(days=1):
        queryset = queryset.filter(created_at__gte=dt.datetime.combine(created_from, dt.time.min, zone))
    if created_to and created_to < dt.date.max - dt.timedelta(days=1):
        queryset = queryset.filter(created_at__lt=dt.datetime.combine(created_to + dt.timedelta(days=1),
                                                                      dt.time.min, zone))
    return queryset


def list_page(applications: QuerySet[Application], *, page_number, per_page: int = 25) -> Page:
    """One page of the applications list, with the names of the banks likely to approve.

    It pages through the ids alone (no joins for the rows skipped: page 2 000 of 100 000 costs
    what page 1 does), then loads the rows shown; of the scores only the likely banks' names.
    """
    page = Paginator(applications.values_list("pk", flat=True), per_page).get_page(page_number)
    likely = bank_scores_in_order().filter(verdict=BankScore.Verdict.LIKELY).only("application_id", "bank__name")
    shown = applications.filter(pk__in=list(page.object_list)).prefetch_related(
        Prefetch("scores", queryset=likely, to_attr="likely_scores"))
    by_id = {application.pk: application for application in shown}
    page.object_list = [by_id[pk] for pk in page.object_list if pk in by_id]
    return page

def filtered_applications(user, *, status=None, created_from=None, created_to=None, bank=None,
                          verdict=None) -> QuerySet[Application]:
    """The user's visible applications, newest first, narrowed by the API list filters."""
    queryset = applications_for(user)
    if status:
        queryset = queryset.filter(status=status)
    queryset = created_between(queryset, created_from, created_to)
    if bank or verdict:
        scores = BankScore.objects.all()
        if bank:
            scores = scores.filter(bank__code=bank)
        if verdict:
            scores = scores.filter(verdict=verdict)
        queryset = queryset.filter(pk__in=scores.values("application_id"))
    return queryset.prefetch_related(Prefetch("scores", queryset=bank_scores_in_order())).order_by("-created_at", "id")


def batch_for(user, batch_id):
    """A batch the user may see (its submitter, or anyone who sees all applications), with its items."""
    batches = ScoringBatch.objects.all()
    if not can_see_all_applications(user):
        batches = batches.filter(officer=user)
    batch = batches.filter(pk=batch_id).first()
    if batch is None:
        return None, []
    items = list(ScoringBatchItem.objects.filter(batch=batch).select_related("application")
                 .prefetch_related(Prefetch("application__scores", queryset=bank_scores_in_order()))
                 .order_by("position"))
    return batch, items


def stale_application_ids(*, queued_before: dt.datetime, scoring_before: dt.datetime, limit: int = 1000) -> list:
    """Applications queued since before `queued_before` or scoring since before `scoring_before`:
    what the broker lost or a worker died with."""
    return list(Application.objects.filter(
        Q(status=Application.Status.QUEUED, updated_at__lt=queued_before)
        | Q(status=Application.Status.SCORING, updated_at__lt=scoring_before)
    ).values_list("pk", flat=True)[:limit])


def users_with_callback() -> frozenset:
    """The ids of the users who have a callback URL, as this process keeps them for the configuration's
    moment (config_cache; saving an API client clears it): scoring marks its applications with it, so
    that most need no query of their own for webhooks."""
    return config_cache.cached("users_with_callback", lambda: frozenset(
        ApiClient.objects.exclude(callback_url="").values_list("user_id", flat=True)))
