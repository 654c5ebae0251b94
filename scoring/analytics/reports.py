"""The dashboard and the cohorts page: selectors' aggregates turned into tables and charts."""
from __future__ import annotations

from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from scoring.models import Bank, Feature

from . import charts, rollup, selectors
from scoring.services import traits
from .groups import age_band_label
from .models import PSI_ALERT
from .tables import Column, Table, format_value
from .wording import field_labels

STAGES = [
    ("submitted", _("Подано")),
    ("scored", _("Оценено")),
    ("recommended", _("Рекомендовано отправить")),
    ("sent", _("Отправлено в банки")),
    ("approved", _("Одобрено хотя бы одним банком")),
]


def _banks() -> list[tuple[str, str]]:
    return list(Bank.objects.order_by("code").values_list("code", "name"))


def _choice_labels(key: str) -> dict:
    feature = Feature.objects.filter(key=key).first()
    return dict(feature.display_choice_pairs()) if feature else {}


def _rate(numerator, denominator):
    return numerator / denominator if denominator else None


def _value_text(value) -> str:
    """A grouped JSON value as text: SQLite returns numbers where PostgreSQL returns their text."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def dashboard(filters: selectors.Filters, *, stores: bool = True) -> dict:
    """Tables (in page order) and charts (by table key) of the dashboard, and the drift warning.

    stores=False leaves out the per-store table (70 stores × banks × days: the costliest one), which
    the page loads on demand."""
    banks = _banks()
    if filters.bank:
        banks = [(code, name) for code, name in banks if code == filters.bank]
    tables, chart = {}, {}
    def source(dimension):
        return rollup if rollup.usable(filters, dimension) else selectors

    period, over_time = source("applications").applications_over_time(filters)
    period_name = {"day": _("по дням"), "week": _("по неделям"), "month": _("по месяцам")}[period]
    tables["over_time"] = Table(
        "over_time", _("Заявки по времени, %(period)s") % {"period": period_name},
        [Column(_("Период"), "date"), Column(_("Подано"), "count"), Column(_("Рекомендовано отправить"), "count")],
        [[row["period"], row["submitted"], row["recommended"]] for row in over_time],
    )
    if over_time:
        chart["over_time"] = charts.line_chart(
            [format_value(r[0], "date") for r in tables["over_time"].rows],
            [(str(_("Подано")), [r[1] for r in tables["over_time"].rows]),
             (str(_("Рекомендовано")), [r[2] for r in tables["over_time"].rows])],
            title=str(tables["over_time"].title))

    by_bank = source("all").approval_by_bank(filters)
    tables["by_bank"] = Table(
        "by_bank", _("Прогноз одобрения по банкам"),
        [Column(_("Банк")), Column(_("Оценено заявок"), "count"), Column(_("Средняя вероятность"), "share"),
         Column(_("Доля «скорее одобрит»"), "share")],
        [[r["bank__name"], r["n"], r["mean_probability"], _rate(r["likely"], r["n"])] for r in by_bank],
    )
    if by_bank:
        chart["by_bank"] = charts.bar_chart([(r[0], r[2]) for r in tables["by_bank"].rows], maximum=1.0,
                                            title=str(tables["by_bank"].title))

    for dimension in selectors.DIMENSIONS:
        if dimension == "store" and not stores:
            continue
        table = approval_table(filters, dimension, banks)
        tables[table.key] = table
        if dimension != "store" and table.rows:
            chart[table.key] = charts.bar_chart([(row[0], row[-1]) for row in table.rows], maximum=1.0,
                                                title=str(table.title) + " — " + str(_("в среднем по банкам")))

    stages = source("applications").funnel(filters)
    tables["funnel"] = Table(
        "funnel", _("Воронка"), [Column(_("Этап")), Column(_("Заявок"), "count"), Column(_("Доля от поданных"), "share")],
        [[label, stages[key], _rate(stages[key], stages["submitted"])] for key, label in STAGES],
    )
    chart["funnel"] = charts.bar_chart([(str(label), stages[key]) for key, label in STAGES], percent=False,
                                       title=str(_("Воронка")))

    outcomes = source("all").outcomes_by_bank(filters)
    tables["outcomes"] = Table(
        "outcomes", _("Ответы банков: прогноз и факт"),
        [Column(_("Банк")), Column(_("Отправлено"), "count"), Column(_("Одобрено"), "count"),
         Column(_("Отказ"), "count"), Column(_("Ошибка банка"), "count"),
         Column(_("Фактическая доля одобрений"), "share"), Column(_("Средний прогноз"), "share")],
        [[r["bank__name"], r["sent"], r["approved"], r["refused"], r["errors"],
          _rate(r["approved"], r["approved"] + r["refused"]), r["mean_predicted"]] for r in outcomes],
    )
    drift = [m for m in selectors.latest_drift() if m.psi > PSI_ALERT]
    names = field_labels() if drift else {}
    for m in drift:
        m.label = names.get(m.feature, m.feature)
    return {"tables": tables, "charts": chart, "drift_alerts": drift,
            "refreshed_at": rollup.refreshed_at() if source("all") is rollup else None}


def approval_table(filters: selectors.Filters, dimension: str, banks: list[tuple[str, str]]) -> Table:
    """The predicted approval per value of one dimension (selectors.DIMENSIONS), a column per bank."""
    title = selectors.DIMENSIONS[dimension]
    label_keys = {"employment": traits.EMPLOYMENT_KEY, "category": traits.CATEGORY_KEY}
    source = rollup if rollup.usable(filters, dimension) else selectors
    labels = _choice_labels(label_keys[dimension]) if dimension in label_keys else {}
    if dimension == "age_band":
        labels = {band: age_band_label(band) for *_bounds, band in selectors.AGE_BANDS}
    return pivot_by_bank(f"by_{dimension}", _("Прогноз одобрения: %(what)s") % {"what": title},
                         source.approval_by(filters, dimension), banks, value_label=title,
                         labels=labels,
                         numeric=dimension == "store")


def store_section(filters: selectors.Filters) -> dict:
    """The per-store table alone, as the dashboard loads it on demand (and as its CSV)."""
    banks = _banks()
    if filters.bank:
        banks = [(code, name) for code, name in banks if code == filters.bank]
    table = approval_table(filters, "store", banks)
    return {"tables": {table.key: table}, "charts": {}}


def pivot_by_bank(key: str, title, rows: list[dict], banks: list[tuple[str, str]], *, value_label,
                  labels: dict | None = None, numeric: bool = False) -> Table:
    """Rows {"value", "bank__code", "n", "mean_probability"} as one row per value, a column per bank,
    then the applications count and the mean over banks."""
    labels = labels or {}
    by_value: dict[str, dict] = {}
    for row in rows:
        value = _value_text(row["value"])
        entry = by_value.setdefault(value, {"n": 0, "banks": {}})
        entry["n"] = max(entry["n"], row["n"])
        entry["banks"][row["bank__code"]] = row["mean_probability"]
    order = sorted(by_value, key=lambda v: (v == "", v == selectors.UNKNOWN,
                                            int(v) if numeric and v.lstrip("-").isdigit() else 0, v))
    table_rows = []
    for value in order:
        entry = by_value[value]
        means = [entry["banks"].get(code) for code, _name in banks]
        present = [m for m in means if m is not None]
        shown = labels.get(value, value) if value not in ("", selectors.UNKNOWN) else str(_("не указано"))
        table_rows.append([shown, entry["n"], *means, sum(present) / len(present) if present else None])
    columns = [Column(value_label), Column(_("Заявок"), "count"),
               *[Column(name, "share") for _code, name in banks], Column(_("В среднем"), "share")]
    return Table(key, title, columns, table_rows)


# --- cohorts ------------------------------------------------------------------------------------

def cohort_name(income_band: str, pti_band: str, employment_group: str) -> str:
    """'доход 100–190 тыс. ₽, платёж 10–25 % дохода, по найму': the cohort's defining traits."""
    names = {code: name for *_bounds, code, name in selectors.INCOME_BANDS}
    names.update({code: name for *_bounds, code, name in selectors.PTI_BANDS})
    names.update(dict(selectors.EMPLOYMENT_GROUPS))
    unknown = {"income_band": _("доход не указан"), "pti_band": _("платёж не рассчитан"),
               "employment_group": _("занятость не указана")}
    parts = []
    for field, code in zip(selectors.COHORT_KEYS, (income_band, pti_band, employment_group)):
        parts.append(str(names.get(code, unknown[field])))
    return ", ".join(parts)


def cohort_code(row: dict) -> str:
    return "-".join(row[k] for k in selectors.COHORT_KEYS)


def parse_cohort_code(code: str) -> dict | None:
    parts = code.split("-")
    valid = [{c for *_b, c, _n in selectors.INCOME_BANDS}, {c for *_b, c, _n in selectors.PTI_BANDS},
             {c for c, _n in selectors.EMPLOYMENT_GROUPS}]
    if len(parts) != 3 or any(p not in ok | {selectors.UNKNOWN} for p, ok in zip(parts, valid)):
        return None
    return dict(zip(selectors.COHORT_KEYS, parts))


def cohorts(filters: selectors.Filters, *, query: str = "") -> dict:
    """Cohorts by income, payment-to-income and employment: size, mean prediction per bank, realised approval."""
    banks = _banks()
    if filters.bank:
        banks = [(code, name) for code, name in banks if code == filters.bank]
    source = rollup if rollup.usable(filters) else selectors
    predictions: dict[str, dict] = {}
    for row in source.cohort_predictions(filters):
        predictions.setdefault(cohort_code(row), {})[row["bank__code"]] = row["mean_probability"]
    outcomes = {cohort_code(row): row for row in source.cohort_outcomes(filters)}
    rows, links = [], []
    sizes = sorted(source.cohort_sizes(filters), key=lambda r: (-r["n"], cohort_code(r)))
    total = sum(r["n"] for r in sizes)
    for row in sizes:
        code = cohort_code(row)
        outcome = outcomes.get(code, {"answered": 0, "approved": 0})
        rows.append([cohort_name(*code.split("-")), row["n"], _rate(row["n"], total),
                     *[predictions.get(code, {}).get(bank) for bank, _name in banks],
                     outcome["answered"], _rate(outcome["approved"], outcome["answered"])])
        links.append(reverse("analytics:cohort_detail", args=[code]) + (f"?{query}" if query else ""))
    table = Table("cohorts", _("Когорты клиентов"),
                  [Column(_("Когорта")), Column(_("Заявок"), "count"), Column(_("Доля"), "share"),
                   *[Column(_("Прогноз: %(bank)s") % {"bank": name}, "share") for _c, name in banks],
                   Column(_("Ответов банков"), "count"), Column(_("Фактическая доля одобрений"), "share")],
                  rows, links=links)
    chart = charts.bar_chart([(r[0], r[2]) for r in rows[:15]], maximum=None,
                             title=str(_("Крупнейшие когорты: доля заявок")))
    return {"tables": {"cohorts": table}, "charts": {"cohorts": chart} if rows else {},
            "refreshed_at": rollup.refreshed_at() if source is rollup else None}


def cohort_applications_table(page, banks: list[tuple[str, str]]) -> Table:
    """The cohort's applications on one page: when, what, where, and each bank's estimate (no personal data)."""
    categories = _choice_labels(traits.CATEGORY_KEY)
    rows, links = [], []
    for application in page.object_list:
        answers = application.answers
        by_bank = {s.bank.code: s.probability for s in application.scores.all()}
        rows.append([application.created_at, answers.get(traits.AMOUNT_KEY), answers.get(traits.TERM_KEY), answers.get(traits.INCOME_KEY),
                     categories.get(application.goods_category, application.goods_category),
                     application.store, *[by_bank.get(code) for code, _n in banks]])
        links.append(reverse("scoring:application_detail", args=[application.pk]))
    return Table("cohort_applications", _("Заявки когорты"),
                 [Column(_("Создана"), "datetime"), Column(_("Сумма"), "money"), Column(_("Срок"), "months"),
                  Column(_("Доход"), "money"), Column(_("Категория")), Column(_("Магазин")),
                  *[Column(name, "share") for _c, name in banks]], rows, links=links)


def filter_query(filters: selectors.Filters) -> str:
    """The filters as a query string, to carry them into click-through links."""
    params = {"date_from": filters.date_from, "date_to": filters.date_to, "bank": filters.bank,
              "store": filters.store, "category": filters.category}
    return urlencode({k: v for k, v in params.items() if v not in (None, "")})
