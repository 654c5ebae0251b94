"""Reads for the analytics pages: every figure is aggregated by the database, not in Python loops.

Answers are JSON; the fields analysts group by are read with JSON key transforms (`->>` on
PostgreSQL, JSON_EXTRACT on SQLite) and banded with CASE expressions, so one query per table.
No function here returns a client's name or phone.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import (Avg, Case, Count, Exists, F, FloatField, IntegerField, Max, Min, OuterRef, Prefetch, Q,
                              QuerySet, Subquery, TextField, Value, When)
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast, ExtractYear, Floor, NullIf, Power, Substr, TruncDay, TruncMonth, TruncWeek
from django.utils.translation import gettext_lazy as _

from scoring.engine.preprocessing import REFERENCE_RATE
from scoring.models import Application, Bank, BankScore, ModelVersion, Outcome

from .models import DriftMeasurement

# Age bands (years at submission, by calendar year: at most a year off, enough for a band).
AGE_BANDS = [(None, 25, "18–24"), (25, 35, "25–34"), (35, 45, "35–44"), (45, 55, "45–54"), (55, 65, "55–64"),
             (65, None, "65+")]
# Cohort traits: monthly income, payment-to-income (annuity at the reference rate, as the model's
# derived feature) and employment. Codes are stable (they go into URLs); names are for people.
INCOME_BANDS = [(None, 100_000, "i0", _("доход до 100 тыс. ₽")), (100_000, 190_000, "i1", _("доход 100–190 тыс. ₽")),
                (190_000, None, "i2", _("доход от 190 тыс. ₽"))]
PTI_BANDS = [(None, 0.10, "p0", _("платёж до 10 % дохода")), (0.10, 0.25, "p1", _("платёж 10–25 % дохода")),
             (0.25, None, "p2", _("платёж от 25 % дохода"))]
EMPLOYED = ["Работаю по найму полный рабочий день/служу", "Работаю по найму неполный рабочий день"]
OWN_BUSINESS = ["Собственное дело"]
EMPLOYMENT_GROUPS = [("e0", _("по найму")), ("e1", _("собственное дело")), ("e2", _("не работает, учится, на пенсии"))]
UNKNOWN = "x"


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


def _answer_number(key: str, prefix: str = ""):
    return Cast(KeyTextTransform(key, f"{prefix}answers"), FloatField())


def application_q(filters: Filters, prefix: str = "") -> Q:
    """The filters (except bank) as a condition on applications reached through prefix."""
    q = Q()
    if filters.date_from:
        q &= Q(**{f"{prefix}created_at__date__gte": filters.date_from})
    if filters.date_to:
        q &= Q(**{f"{prefix}created_at__date__lte": filters.date_to})
    if filters.store is not None:
        q &= Q(**{f"{prefix}answers__merch_code": filters.store})
    if filters.category:
        q &= Q(**{f"{prefix}answers__goods_category": filters.category})
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


def annotate_cohort(queryset, prefix: str = ""):
    """income_band, pti_band and employment_group codes (UNKNOWN where an answer is missing)."""
    monthly_rate = REFERENCE_RATE / 100 / 12
    income = _answer_number("month_profit", prefix)
    amount = _answer_number("loan_amount", prefix)
    term = _answer_number("loan_term", prefix)
    payment = amount * Value(monthly_rate) / (Value(1.0) - Power(Value(1 + monthly_rate), -term))
    # As text: lookups on a bare JSON key transform would compare JSON values, not strings.
    employment = Cast(_answer("employment_status", prefix), TextField())
    return queryset.annotate(
        income=income, pti=payment / NullIf(income, Value(0.0)), employment=employment,
    ).annotate(
        income_band=band_case("income", INCOME_BANDS),
        pti_band=band_case("pti", PTI_BANDS),
        employment_group=Case(When(employment__in=EMPLOYED, then=Value("e0")),
                              When(employment__in=OWN_BUSINESS, then=Value("e1")),
                              When(employment__isnull=False, then=Value("e2")), default=Value(UNKNOWN)),
    )


DIMENSIONS = {
    "category": _("Категория товара"),
    "store": _("Магазин"),
    "employment": _("Род занятости"),
    "age_band": _("Возраст"),
}


def _annotate_dimension(queryset, dimension: str, prefix: str):
    if dimension == "category":
        return queryset.annotate(value=_answer("goods_category", prefix))
    if dimension == "store":
        return queryset.annotate(value=_answer("merch_code", prefix))
    if dimension == "employment":
        return queryset.annotate(value=_answer("employment_status", prefix))
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
    """Submitted → scored → advised to send → sent (a bank's answer recorded) → approved by at least one."""
    outcomes = Outcome.objects.filter(application=OuterRef("pk"))
    if filters.bank:
        outcomes = outcomes.filter(bank__code=filters.bank)
    approved = outcomes.filter(result=Outcome.Result.APPROVED)
    return applications(filters).aggregate(
        submitted=Count("pk"),
        scored=Count("pk", filter=Q(status=Application.Status.DONE)),
        recommended=Count("pk", filter=Q(recommendation__action="send")),
        sent=Count("pk", filter=Q(Exists(outcomes))),
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


def filter_choices() -> dict:
    """What the filter form offers: banks, stores and categories seen in the applications."""
    return {"banks": list(Bank.objects.order_by("code").values_list("code", "name"))}


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

COHORT_KEYS = ("income_band", "pti_band", "employment_group")


def cohort_sizes(filters: Filters) -> list[dict]:
    """Per cohort: the number of applications."""
    return list(annotate_cohort(applications(filters)).values(*COHORT_KEYS).annotate(n=Count("pk"))
                .order_by(*COHORT_KEYS))


def cohort_predictions(filters: Filters) -> list[dict]:
    """Per cohort and bank: mean predicted probability."""
    return list(annotate_cohort(scores(filters), "application__").values(*COHORT_KEYS, "bank__code")
                .annotate(mean_probability=Avg("probability")).order_by(*COHORT_KEYS, "bank__code"))


def cohort_outcomes(filters: Filters) -> list[dict]:
    """Per cohort: answers recorded (approved or refused, errors left out) and approvals."""
    queryset = Outcome.objects.filter(application_q(filters, "application__"),
                                      result__in=[Outcome.Result.APPROVED, Outcome.Result.REFUSED])
    if filters.bank:
        queryset = queryset.filter(bank__code=filters.bank)
    return list(annotate_cohort(queryset, "application__").values(*COHORT_KEYS)
                .annotate(answered=Count("pk"), approved=Count("pk", filter=Q(result=Outcome.Result.APPROVED)))
                .order_by(*COHORT_KEYS))


def cohort_applications(filters: Filters, *, income_band: str, pti_band: str, employment_group: str):
    """The cohort's applications, newest first, with their scores (no client attached)."""
    scores_qs = BankScore.objects.select_related("bank").order_by("bank__code")
    return (annotate_cohort(applications(filters))
            .filter(income_band=income_band, pti_band=pti_band, employment_group=employment_group)
            .only("id", "created_at", "answers", "status", "recommendation")
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
