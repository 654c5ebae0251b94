"""Daily figures: the aggregates behind the dashboard, cohorts and fairness pages, summed by day.

With 100 000 applications (500 000 bank scores) a GROUP BY over JSON answers joined to the scores
takes seconds; summing a few thousand pre-aggregated rows takes milliseconds. refresh() rebuilds
the rows from the applications (Celery beat runs it every PRESCORING_ANALYTICS_REFRESH_SECONDS;
the command is `manage.py refresh_analytics`). Readers return the same shapes as the selectors' live queries,
which the pages still use when a store or category filter is set (rows are not split by those)
or before the first refresh.
"""
from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import (Case, CharField, Count, Exists, F, FloatField, Max, Min, OuterRef, Q, Subquery, Sum,
                              Value, When)
from django.db.models.functions import Coalesce, Concat, Floor, TruncDate, TruncMonth, TruncWeek
from django.utils import timezone

from scoring.models import Application, Bank, BankScore, Dispatch, Outcome

from . import selectors
from scoring.services import traits
from .groups import live_group_quality
from .models import AnalyticsSnapshot, DailyFigure

SCORE_DIMENSIONS = ("all", "category", "store", "employment", "age_band", "gender", "cohort", "calibration")
# Also summed per goods category (dimension "<name>@category", value "<category>|<value>"), so the
# dashboard's category filter reads daily figures too; the 70 stores and the cohorts are not.
CATEGORY_CROSSED = ("all", "applications", "employment", "age_band", "gender")
CHUNK = 5000


def is_ready() -> bool:
    return AnalyticsSnapshot.objects.filter(key="refreshed").exists()


def refreshed_at() -> dt.datetime | None:
    return AnalyticsSnapshot.objects.filter(key="refreshed").values_list("computed_at", flat=True).first()


def usable(filters: selectors.Filters, dimension: str = "cohort") -> bool:
    """Whether daily figures of dimension answer the filters: never with a store filter, with a goods
    category filter only for the dimensions also summed per category, and only once computed."""
    if filters.store is not None:
        return False
    if filters.category and dimension not in CATEGORY_CROSSED + ("category",):
        return False
    return is_ready()


def _score_value(queryset, dimension: str):
    prefix = "application__"
    if dimension == "all":
        return queryset.annotate(value=Value(""))
    if dimension == "gender":
        return queryset.annotate(value=selectors._answer("gender", prefix))
    if dimension == "cohort":
        return queryset.annotate(value=F(f"{prefix}cohort"))
    if dimension == "calibration":
        band = Case(When(probability__gte=1.0, then=Value(9.0)), default=Floor(F("probability") * 10),
                    output_field=FloatField())
        return queryset.annotate(band=band).annotate(
            value=Concat(Value("v"), "model_version_id", Value(":"), "band", output_field=CharField()))
    return selectors._annotate_dimension(queryset, dimension, prefix)


def _text(value) -> str:
    """A grouped JSON value as text: SQLite returns numbers where PostgreSQL returns their text."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)[:200]


def build_rows() -> list[DailyFigure]:
    """Every daily figure, from the applications as they are now."""
    rows = []
    outcome = Outcome.objects.filter(application=OuterRef("application"), bank=OuterRef("bank"))
    dispatch = Dispatch.objects.filter(application=OuterRef("application"), bank=OuterRef("bank"))
    base = (BankScore.objects.filter(application__status=Application.Status.DONE)
            .annotate(day=TruncDate("application__created_at"), result=Subquery(outcome.values("result")[:1])))
    answered = Q(result__in=[Outcome.Result.APPROVED, Outcome.Result.REFUSED])
    sent_to_bank = Q(Exists(dispatch)) | Q(result__isnull=False)  # marked sent, or answered (as the funnel)
    category = Coalesce("application__goods_category", Value(""), output_field=CharField())
    plans = [(d, _score_value(base, d)) for d in SCORE_DIMENSIONS]
    plans += [(f"{d}@category", _score_value(base, d).annotate(
        crossed=Concat(category, Value("|"), "value", output_field=CharField())).annotate(value=F("crossed")))
              for d in CATEGORY_CROSSED if d != "applications"]
    for dimension, queryset in plans:
        # Only the funnel reads "sent to this bank", from the "all" rows: the other plans skip its subquery.
        sent_count = {"sent": Count("pk", filter=sent_to_bank)} if dimension in ("all", "all@category") else {}
        for row in (queryset.values("day", "bank_id", "value")
                    .annotate(n=Count("pk"), probability_sum=Sum("probability"),
                              likely=Count("pk", filter=Q(verdict=BankScore.Verdict.LIKELY)),
                              answered=Count("pk", filter=answered),
                              approved=Count("pk", filter=Q(result=Outcome.Result.APPROVED)),
                              errors=Count("pk", filter=Q(result=Outcome.Result.ERROR)),
                              **sent_count, answered_probability_sum=Sum("probability", filter=answered))
                    .order_by()):
            rows.append(DailyFigure(
                day=row["day"], bank_id=row["bank_id"], dimension=dimension, value=_text(row["value"]), n=row["n"],
                probability_sum=row["probability_sum"] or 0.0, likely=row["likely"], answered=row["answered"],
                approved=row["approved"], errors=row["errors"], sent=row.get("sent", 0),
                answered_probability_sum=row["answered_probability_sum"] or 0.0))
    any_outcome = Outcome.objects.filter(application=OuterRef("pk"))
    sent = Q(Exists(Dispatch.objects.filter(application=OuterRef("pk")))) | Q(Exists(any_outcome))
    applications = Application.objects.annotate(day=TruncDate("created_at"))
    for row in (applications.values("day")
                .annotate(n=Count("pk"), scored=Count("pk", filter=Q(status=Application.Status.DONE)),
                          recommended=Count("pk", filter=Q(recommendation__action="send")),
                          sent=Count("pk", filter=sent),
                          approved=Count("pk", filter=Q(Exists(any_outcome.filter(result=Outcome.Result.APPROVED)))))
                .order_by()):
        rows.append(DailyFigure(day=row["day"], dimension="applications", value="", n=row["n"], scored=row["scored"],
                                recommended=row["recommended"], sent=row["sent"], approved=row["approved"]))
    app_category = Coalesce("goods_category", Value(""), output_field=CharField())
    for row in (applications.annotate(value=app_category).values("day", "value")
                .annotate(n=Count("pk"), scored=Count("pk", filter=Q(status=Application.Status.DONE)),
                          recommended=Count("pk", filter=Q(recommendation__action="send")),
                          sent=Count("pk", filter=sent),
                          approved=Count("pk", filter=Q(Exists(any_outcome.filter(result=Outcome.Result.APPROVED)))))
                .order_by()):
        rows.append(DailyFigure(day=row["day"], dimension="applications@category", value=f"{row['value']}|",
                                n=row["n"], scored=row["scored"], recommended=row["recommended"], sent=row["sent"],
                                approved=row["approved"]))
    for row in applications.values("day", value=F("cohort")).annotate(n=Count("pk")).order_by():
        rows.append(DailyFigure(day=row["day"], dimension="cohort", value=row["value"], n=row["n"]))
    return rows


def refresh(*, now: dt.datetime | None = None) -> int:
    """Rebuild every daily figure (and the live group quality) in one transaction; returns the row count."""
    now = now or timezone.now()
    rows = build_rows()
    quality = live_group_quality(selectors.Filters())
    with transaction.atomic():
        DailyFigure.objects.all().delete()
        DailyFigure.objects.bulk_create(rows, batch_size=CHUNK)
        AnalyticsSnapshot.objects.update_or_create(
            key="live_group_quality", defaults={"data": {"groups": "codes", "rows": quality}, "computed_at": now})
        AnalyticsSnapshot.objects.update_or_create(key="refreshed", defaults={"data": {"rows": len(rows)},
                                                                              "computed_at": now})
    return len(rows)


# --- readers: the selectors' shapes -------------------------------------------------------------

def _figures(filters: selectors.Filters, dimension: str):
    if filters.category and dimension == "category":
        queryset = DailyFigure.objects.filter(dimension=dimension, value=filters.category)
    elif filters.category:
        queryset = DailyFigure.objects.filter(dimension=f"{dimension}@category",
                                              value__startswith=f"{filters.category}|")
    else:
        queryset = DailyFigure.objects.filter(dimension=dimension)
    if filters.date_from:
        queryset = queryset.filter(day__gte=filters.date_from)
    if filters.date_to:
        queryset = queryset.filter(day__lte=filters.date_to)
    if filters.bank and dimension != "applications":
        queryset = queryset.filter(bank__code=filters.bank)
    return queryset


def _mean(total, count):
    return total / count if count else None


def applications_over_time(filters: selectors.Filters) -> tuple[str, list[dict]]:
    queryset = _figures(filters, "applications")
    start, end = filters.date_from, filters.date_to
    if start is None or end is None:
        bounds = queryset.aggregate(low=Min("day"), high=Max("day"))
        start, end = start or bounds["low"], end or bounds["high"]
    span = (end - start).days if start and end else 0
    if span <= 92:
        period, rows = "day", queryset.values(period=F("day"))
    else:
        period, trunc = ("week", TruncWeek) if span <= 731 else ("month", TruncMonth)
        rows = queryset.annotate(period=trunc("day")).values("period")
    rows = rows.annotate(submitted=Sum("n"), recommended=Sum("recommended")).order_by("period")
    return period, [{**row, "period": selectors._as_date(row["period"])} for row in rows]


def approval_by_bank(filters: selectors.Filters) -> list[dict]:
    rows = (_figures(filters, "all").values("bank__code", "bank__name")
            .annotate(n=Sum("n"), total=Sum("probability_sum"), likely=Sum("likely")).order_by("bank__code"))
    return [{**row, "mean_probability": _mean(row["total"], row["n"])} for row in rows]


def approval_by(filters: selectors.Filters, dimension: str) -> list[dict]:
    # Grouped by bank id, in the order of the daily_figure_value index (no join, no sort of the rows).
    codes = dict(Bank.objects.values_list("pk", "code"))
    rows = (_figures(filters, dimension).values("value", "bank_id")
            .annotate(n=Sum("n"), total=Sum("probability_sum")).order_by("value", "bank_id"))
    return [{"value": _uncrossed(row["value"], filters, dimension), "bank__code": codes.get(row["bank_id"]),
             "n": row["n"], "mean_probability": _mean(row["total"], row["n"])} for row in rows]


def _uncrossed(value: str, filters: selectors.Filters, dimension: str) -> str:
    """The value without its "<category>|" prefix in a per-category dimension."""
    if filters.category and dimension != "category":
        return value.split("|", 1)[1]
    return value


def funnel(filters: selectors.Filters) -> dict:
    totals = _figures(filters, "applications").aggregate(
        submitted=Sum("n"), scored=Sum("scored"), recommended=Sum("recommended"), sent=Sum("sent"),
        approved=Sum("approved"))
    totals = {k: v or 0 for k, v in totals.items()}
    if filters.bank:
        # Sent to and approved by this bank: each application has at most one score per bank.
        bank = _figures(filters, "all").aggregate(sent=Sum("sent"), approved=Sum("approved"))
        totals.update({k: v or 0 for k, v in bank.items()})
    return totals


def outcomes_by_bank(filters: selectors.Filters) -> list[dict]:
    rows = (_figures(filters, "all").values("bank__code", "bank__name")
            .annotate(answered=Sum("answered"), approved=Sum("approved"), errors=Sum("errors"),
                      predicted=Sum("answered_probability_sum"))
            .filter(Q(answered__gt=0) | Q(errors__gt=0)).order_by("bank__code"))
    return [{"bank__code": r["bank__code"], "bank__name": r["bank__name"], "sent": r["answered"] + r["errors"],
             "approved": r["approved"], "refused": r["answered"] - r["approved"], "errors": r["errors"],
             "mean_predicted": _mean(r["predicted"], r["answered"])} for r in rows]


def _cohort_keys(value: str) -> dict:
    return traits.split_cohort(value)


def cohort_sizes(filters: selectors.Filters) -> list[dict]:
    rows = _figures(filters, "cohort").filter(bank__isnull=True).values("value").annotate(n=Sum("n"))
    return [{**_cohort_keys(r["value"]), "n": r["n"]} for r in rows]


def cohort_predictions(filters: selectors.Filters) -> list[dict]:
    rows = (_figures(filters, "cohort").filter(bank__isnull=False).values("value", "bank__code")
            .annotate(n=Sum("n"), total=Sum("probability_sum")))
    return [{**_cohort_keys(r["value"]), "bank__code": r["bank__code"], "mean_probability": _mean(r["total"], r["n"])}
            for r in rows]


def cohort_outcomes(filters: selectors.Filters) -> list[dict]:
    rows = (_figures(filters, "cohort").filter(bank__isnull=False).values("value")
            .annotate(answered=Sum("answered"), approved=Sum("approved")).filter(answered__gt=0))
    return [{**_cohort_keys(r["value"]), "answered": r["answered"], "approved": r["approved"]} for r in rows]


def predicted_approval_by_group(filters: selectors.Filters, attribute: str) -> list[dict]:
    rows = (_figures(filters, attribute).values("bank__code", group=F("value"))
            .annotate(n=Sum("n"), likely=Sum("likely")).order_by("bank__code", "group"))
    return [{**row, "group": _uncrossed(row["group"], filters, attribute)} for row in rows]


def live_calibration(version) -> list[dict]:
    prefix = f"v{version.pk}:"
    rows = (DailyFigure.objects.filter(dimension="calibration", bank_id=version.bank_id, value__startswith=prefix)
            .values("value").annotate(n=Sum("answered"), total=Sum("answered_probability_sum"),
                                      approved=Sum("approved")).filter(n__gt=0))
    out = [{"band": float(r["value"][len(prefix):]), "n": r["n"], "mean_predicted": r["total"] / r["n"],
            "approved": r["approved"]} for r in rows]
    return sorted(out, key=lambda r: r["band"])


def live_group_quality_snapshot() -> list | None:
    """The rows the last refresh stored, or None: computed afresh until the next refresh when there are
    none, or when they are a refresh's from before the groups were stored as codes (a bare list, its
    genders named in Russian)."""
    snapshot = AnalyticsSnapshot.objects.filter(key="live_group_quality").first()
    data = snapshot.data if snapshot else None
    return data["rows"] if isinstance(data, dict) and data.get("groups") == "codes" else None


def cohort_size(filters: selectors.Filters, code: str) -> int | None:
    """Applications in one cohort from the daily figures, or None when they cannot answer the filters."""
    if not usable(filters):
        return None
    return _figures(filters, "cohort").filter(bank__isnull=True, value=code).aggregate(n=Sum("n"))["n"] or 0
