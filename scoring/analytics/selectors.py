"""Reads for the analytics pages: every figure is aggregated by the database, not in Python loops.

The store, goods category and cohort are indexed columns of Application, computed from the
answers when it is created (traits.py); the other fields analysts group by are read from the JSON
answers with key transforms (`->>` on PostgreSQL, JSON_EXTRACT on SQLite) and banded with CASE
expressions, so one query per table. No function here returns a client's name or phone.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import (Avg, Case, Count, Exists, F, FloatField, IntegerField, Max, Min, OuterRef, Prefetch, Q,
                              QuerySet, Subquery, Value, When)
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast, ExtractYear, Floor, Substr, TruncDay, TruncMonth, TruncWeek
from django.utils.translation import gettext_lazy as _

from scoring.models import Application, Bank, BankScore, Dispatch, ModelVersion, Outcome


from scoring.services import traits
from .models import DriftMeasurement

# Age bands (years at submission, by calendar year: at most a year off, enough for a band).
AGE_BANDS = [(None, 25, "18–24"), (25, 35, "25–34"), (35, 45, "35–44"), (45, 55, "45–54"), (55, 65, "55–64"),
             (65, None, "65+")]
# The cohort traits (income, payment-to-income, employment) are defined in traits.py.
INCOME_BANDS, PTI_BANDS, EMPLOYMENT_GROUPS = traits.INCOME_BANDS, traits.PTI_BANDS, traits.EMPLOYMENT_GROUPS
UNKNOWN, COHORT_KEYS = traits.UNKNOWN, traits.COHORT_KEYS


@dataclass(frozen=True)
class Filters:
    """What the analyst narrowed the pages to; None means no restriction."""

    date_from: dt.date | None = None
    date_to: dt.date | None = None
    bank: str | None = None
    store: int | None = None
    category: str | None = None


def _answer(key: str, prefix: str = ""):
    return KeyTextTransform(key, f"{prefix}answers")


def application_q(filters: Filters, prefix: str = "") -> Q:
    """The filters (except bank) as a condition on applications reached through prefix."""
    q = Q()
    if filters.date_from:
        q &= Q(**{f"{prefix}created_at__date__gte": filters.date_from})
    if filters.date_to:
        q &= Q(**{f"{prefix}created_at__date__lte": filters.date_to})
    if filters.store is not None:
        q &= Q(**{f"{prefix}store": filters.store})
    if filters.category:
        q &= Q(**{f"{prefix}goods_category": filters.category})
    return q


def applications(filters: Filters) -> QuerySet[Application]:
    return Application.objects.filter(application_q(filters))


def scores(filters: Filters) -> QuerySet[BankScore]:
    """Scores of finished applications within the filters (and of the filtered bank)."""
    queryset = BankScore.objects.filter(application_q(filters, "application__"),
                                        application__status=Application.Status.DONE)
    if filters.bank:
        queryset = queryset.filter(bank__code=filters.bank)
    return queryset


# --- expressions for grouping -------------------------------------------------------------------

def age_expression(prefix: str = ""):
    return ExtractYear(f"{prefix}created_at") - Cast(Substr(_answer("birth_date", prefix), 1, 4), IntegerField())


def band_case(expression_name: str, bands, *, default=UNKNOWN):
    """CASE over an annotated value: bands are (low, high, code, ...) with low inclusive, high exclusive."""
    whens = []
    for low, high, code, *_rest in bands:
        condition = Q()
        if low is not None:
            condition &= Q(**{f"{expression_name}__gte": low})
        if high is not None:
            condition &= Q(**{f"{expression_name}__lt": high})
        whens.append(When(condition, then=Value(code)))
    return Case(*whens, default=Value(default))


def annotate_age_band(queryset, prefix: str = ""):
    bands = [(low, high, label) for low, high, label in AGE_BANDS]
    return queryset.annotate(age=age_expression(prefix)).annotate(
        age_band=band_case("age", bands))


DIMENSIONS = {
    "category": _("Категория товара"),
    "store": _("Магазин"),
    "employment": _("Род занятости"),
    "age_band": _("Возраст"),
}


def _annotate_dimension(queryset, dimension: str, prefix: str):
    if dimension == "category":
        return queryset.annotate(value=F(f"{prefix}goods_category"))
    if dimension == "store":
        return queryset.annotate(value=F(f"{prefix}store"))
    if dimension == "employment":
        return queryset.annotate(value=_answer(traits.EMPLOYMENT_KEY, prefix))
    if dimension == "age_band":
        return annotate_age_band(queryset, prefix).annotate(value=F("age_band"))
    raise ValueError(f"unknown dimension {dimension!r}")


# --- dashboard ----------------------------------------------------------------------------------

def applications_over_time(filters: Filters) -> tuple[str, list[dict]]:
    """(period, rows): applications per day, week or month (by the range), oldest first.

    rows: {"period": date, "submitted", "recommended" (advised to send)}.
    """
    queryset = applications(filters)
    start, end = filters.date_from, filters.date_to
    if start is None or end is None:
        bounds = queryset.aggregate(first=Min("created_at"), last=Max("created_at"))
        start, end = start or _as_date(bounds["first"]), end or _as_date(bounds["last"])
    span = (end - start).days if start and end else 0
    period, trunc = ("day", TruncDay) if span <= 92 else (("week", TruncWeek) if span <= 731 else ("month", TruncMonth))
    rows = (queryset.annotate(period=trunc("created_at")).values("period")
            .annotate(submitted=Count("pk"), recommended=Count("pk", filter=Q(recommendation__action="send")))
            .order_by("period"))
    return period, [{**row, "period": _as_date(row["period"])} for row in rows]


def _as_date(value):
    return value.date() if isinstance(value, dt.datetime) else value


def approval_by_bank(filters: Filters) -> list[dict]:
    """Per bank: scored applications, mean predicted probability, share at or above the threshold."""
    return list(scores(filters).values("bank__code", "bank__name")
                .annotate(n=Count("pk"), mean_probability=Avg("probability"),
                          likely=Count("pk", filter=Q(verdict=BankScore.Verdict.LIKELY)))
                .order_by("bank__code"))


def approval_by(filters: Filters, dimension: str) -> list[dict]:
    """Per value of dimension and bank: {"value", "bank", "n", "mean_probability"}, ordered by value."""
    queryset = _annotate_dimension(scores(filters), dimension, "application__")
    return list(queryset.values("value", "bank__code")
                .annotate(n=Count("pk"), mean_probability=Avg("probability"))
                .order_by("value", "bank__code"))


def funnel(filters: Filters) -> dict:
    """Submitted → scored → advised to send → sent (marked sent to a bank, or a bank's answer recorded)
    → approved by at least one."""
    dispatches = Dispatch.objects.filter(application=OuterRef("pk"))
    outcomes = Outcome.objects.filter(application=OuterRef("pk"))
    if filters.bank:
        dispatches = dispatches.filter(bank__code=filters.bank)
        outcomes = outcomes.filter(bank__code=filters.bank)
    approved = outcomes.filter(result=Outcome.Result.APPROVED)
    return applications(filters).aggregate(
        submitted=Count("pk"),
        scored=Count("pk", filter=Q(status=Application.Status.DONE)),
        recommended=Count("pk", filter=Q(recommendation__action="send")),
        sent=Count("pk", filter=Q(Exists(dispatches)) | Q(Exists(outcomes))),
        approved=Count("pk", filter=Q(Exists(approved))),
    )


def outcomes_by_bank(filters: Filters) -> list[dict]:
    """Per bank, over applications with a recorded answer: sent, approved, refused, errors and the mean
    predicted probability of those same applications (predicted against realised approval)."""
    queryset = Outcome.objects.filter(application_q(filters, "application__"))
    if filters.bank:
        queryset = queryset.filter(bank__code=filters.bank)
    predicted = BankScore.objects.filter(application=OuterRef("application"), bank=OuterRef("bank"))
    return list(queryset.annotate(predicted=Subquery(predicted.values("probability")[:1]))
                .values("bank__code", "bank__name")
                .annotate(sent=Count("pk"),
                          approved=Count("pk", filter=Q(result=Outcome.Result.APPROVED)),
                          refused=Count("pk", filter=Q(result=Outcome.Result.REFUSED)),
                          errors=Count("pk", filter=Q(result=Outcome.Result.ERROR)),
                          mean_predicted=Avg("predicted", filter=~Q(result=Outcome.Result.ERROR)))
                .order_by("bank__code"))


def latest_drift() -> list[DriftMeasurement]:
    """The most recent measurement of every feature of every active model."""
    latest = (DriftMeasurement.objects.filter(model_version=OuterRef("model_version"))
              .order_by("-computed_at").values("computed_at")[:1])
    return list(DriftMeasurement.objects.filter(model_version__active=True)
                .annotate(last=Subquery(latest)).filter(computed_at=F("last"))
                .select_related("model_version__bank")
                .defer("model_version__artifact", "model_version__encoder", "model_version__metrics")
                .order_by("model_version__bank__code", "-psi"))


# --- cohorts ------------------------------------------------------------------------------------

def _with_traits(rows) -> list[dict]:
    """Rows grouped by the stored cohort code, with its three trait codes as keys (COHORT_KEYS)."""
    return [{**traits.split_cohort(row.pop("cohort")), **row} for row in rows]


def cohort_sizes(filters: Filters) -> list[dict]:
    """Per cohort: the number of applications."""
    return _with_traits(applications(filters).values("cohort").annotate(n=Count("pk")).order_by("cohort"))


def cohort_predictions(filters: Filters) -> list[dict]:
    """Per cohort and bank: mean predicted probability."""
    return _with_traits(scores(filters).values("bank__code", cohort=F("application__cohort"))
                        .annotate(mean_probability=Avg("probability")).order_by("cohort", "bank__code"))


def cohort_outcomes(filters: Filters) -> list[dict]:
    """Per cohort: answers recorded (approved or refused, errors left out) and approvals."""
    queryset = Outcome.objects.filter(application_q(filters, "application__"),
                                      result__in=[Outcome.Result.APPROVED, Outcome.Result.REFUSED])
    if filters.bank:
        queryset = queryset.filter(bank__code=filters.bank)
    return _with_traits(queryset.values(cohort=F("application__cohort"))
                        .annotate(answered=Count("pk"), approved=Count("pk", filter=Q(result=Outcome.Result.APPROVED)))
                        .order_by("cohort"))


def cohort_applications(filters: Filters, *, income_band: str, pti_band: str, employment_group: str):
    """The cohort's applications, newest first, with their scores (no client attached)."""
    scores_qs = BankScore.objects.select_related("bank").order_by("bank__code")
    code = traits.cohort_code({"income_band": income_band, "pti_band": pti_band,
                               "employment_group": employment_group})
    return (applications(filters).filter(cohort=code)
            .only("id", "created_at", "answers", "store", "goods_category", "status", "recommendation")
            .prefetch_related(Prefetch("scores", queryset=scores_qs))
            .order_by("-created_at", "pk"))


# --- model quality ------------------------------------------------------------------------------

def model_versions() -> QuerySet[ModelVersion]:
    return ModelVersion.objects.select_related("bank").defer("artifact", "encoder").order_by("bank__code", "-created_at")


def live_calibration(version: ModelVersion) -> list[dict]:
    """Predicted against realised approval per tenth of probability, over this version's scores
    whose application has the bank's recorded answer (errors left out).

    rows: {"band": 0..9, "n", "mean_predicted", "approved"}.
    """
    queryset = Outcome.objects.filter(
        bank=version.bank_id, result__in=[Outcome.Result.APPROVED, Outcome.Result.REFUSED],
        application__scores__bank=F("bank"), application__scores__model_version=version,
    )
    band = Floor(F("application__scores__probability") * 10)
    return list(queryset.annotate(band=Case(When(application__scores__probability__gte=1.0, then=Value(9.0)),
                                            default=band, output_field=FloatField()))
                .values("band")
                .annotate(n=Count("pk"), mean_predicted=Avg("application__scores__probability"),
                          approved=Count("pk", filter=Q(result=Outcome.Result.APPROVED)))
                .order_by("band"))


# --- fairness -----------------------------------------------------------------------------------

def predicted_approval_by_group(filters: Filters, attribute: str) -> list[dict]:
    """Per bank and group (gender value or age band): scored applications and those at or above the
    bank's threshold. attribute: "gender" or "age_band"."""
    queryset = scores(filters)
    if attribute == "gender":
        queryset = queryset.annotate(group=_answer("gender", "application__"))
    elif attribute == "age_band":
        queryset = annotate_age_band(queryset, "application__").annotate(group=F("age_band"))
    else:
        raise ValueError(f"unknown attribute {attribute!r}")
    return list(queryset.values("bank__code", "group")
                .annotate(n=Count("pk"), likely=Count("pk", filter=Q(verdict=BankScore.Verdict.LIKELY)))
                .order_by("bank__code", "group"))


def live_labelled_scores(bank: Bank, *, limit: int = 20_000) -> list[tuple]:
    """(probability, approved 1/0, gender, birth_date, created_at) of this bank's scores with a recorded
    answer, newest first: the rows live AUC by group is computed from."""
    outcome = Outcome.objects.filter(application=OuterRef("application"), bank=bank,
                                     result__in=[Outcome.Result.APPROVED, Outcome.Result.REFUSED])
    rows = (BankScore.objects.filter(bank=bank).annotate(result=Subquery(outcome.values("result")[:1]))
            .filter(result__isnull=False)
            .annotate(gender=_answer("gender", "application__"), age=age_expression("application__"))
            .order_by("-application__created_at", "pk")
            .values_list("probability", "result", "gender", "age")[:limit])
    return [(p, 1 if r == Outcome.Result.APPROVED else 0, g, a) for p, r, g, a in rows]
