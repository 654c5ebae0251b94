"""Analytics pages for analysts and administrators (officers get 403). No personal data on them.

Every page takes ?csv=<table key> to download that table; the filter form re-renders the page
body through htmx (hx-select), so the page and its partial come from one template.
"""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from scoring.accounts import roles
from scoring.modelops.activation import gate_in_words
from scoring.models import Bank, Feature, HistoricalApplication

from . import exploration, fairness, jobs, quality, reports, rollup, selectors, tasks, wording
from .forms import FilterForm
from .models import PSI_ALERT, AttributeFreeTraining
from .tables import Column, Table, csv_response


def _page(request, template: str, context: dict):
    """Render the page, or the table named by ?csv= as a CSV file."""
    wanted = request.GET.get("csv")
    if wanted:
        table = context.get("tables", {}).get(wanted)
        if table is None:
            raise Http404("Нет такой таблицы")
        return csv_response(table)
    return render(request, template, context)


def _filters(request):
    form = FilterForm(request.GET or None)
    if form.is_bound:
        form.is_valid()
    return form, form.filters() if form.is_bound else selectors.Filters()


@login_required
@roles.permission_required(roles.can_see_analytics)
@require_GET
def dashboard(request):
    form, filters = _filters(request)
    section = request.GET.get("section")
    if section == "by_store" or request.GET.get("csv") == "by_store":
        data = reports.store_section(filters)  # loaded on demand: the rest of the dashboard is not computed
    else:
        data = reports.dashboard(filters, stores=False)
    query = request.GET.copy()
    query.pop("section", None)
    context = {**data, "form": form, "psi_alert": PSI_ALERT, "query": query.urlencode()}
    if section == "by_store":
        return _page(request, "analytics/_section.html", {**context, "key": "by_store"})
    return _page(request, "analytics/dashboard.html", context)


@login_required
@roles.permission_required(roles.can_see_analytics)
@require_GET
def cohorts(request):
    form, filters = _filters(request)
    data = reports.cohorts(filters, query=reports.filter_query(filters))
    return _page(request, "analytics/cohorts.html", {**data, "form": form, "query": request.GET.urlencode()})


@login_required
@roles.permission_required(roles.can_see_analytics)
@require_GET
def cohort_detail(request, code):
    traits = reports.parse_cohort_code(code)
    if traits is None:
        raise Http404("Нет такой когорты")
    form, filters = _filters(request)
    banks = list(Bank.objects.order_by("code").values_list("code", "name"))
    paginator = Paginator(selectors.cohort_applications(filters, **traits), 50)
    known = rollup.cohort_size(filters, code)
    if known is not None:
        # Counting a cohort means evaluating its traits on every application; the daily figures know it.
        paginator.count = known
    page = paginator.get_page(request.GET.get("page"))
    table = reports.cohort_applications_table(page, banks)
    return _page(request, "analytics/cohort_detail.html", {
        "name": reports.cohort_name(*code.split("-")), "code": code, "page": page, "tables": {table.key: table},
        "table": table, "form": form, "query": reports.filter_query(filters),
    })


def _source(value) -> str:
    return value if value in exploration.SOURCES else "imported"


@login_required
@roles.permission_required(roles.can_see_analytics)
@require_GET
def data_exploration(request):
    source = _source(request.GET.get("source"))
    result = exploration.cached_profile(source)
    tables, charts = exploration.exploration_tables(result) if result else ({}, {})
    return _page(request, "analytics/exploration.html", {
        "source": source, "sources": exploration.SOURCES, "result": result, "rows": result["rows"] if result else 0,
        "tables": tables, "charts": charts, "fields": result["fields"] if result else [],
        "computing": result is None and jobs.running(tasks.profile_job(source)),
        "no_history": source == "imported" and not HistoricalApplication.objects.exists(),
        "can_import": roles.can_import_history(request.user), "query": request.GET.urlencode(),
    })


@login_required
@roles.permission_required(roles.can_see_analytics)
@require_POST
def exploration_compute(request):
    source = _source(request.POST.get("source"))
    if not tasks.request_profile(source):
        messages.info(request, _("Этот набор данных уже обрабатывается; результат появится на этой странице."))
    return redirect(f"{reverse('analytics:exploration')}?{urlencode({'source': source})}")


@login_required
@roles.permission_required(roles.can_see_analytics)
@require_GET
def model_quality(request):
    versions = list(selectors.model_versions())
    chosen = None
    if request.GET.get("version"):
        chosen = next((v for v in versions if str(v.pk) == request.GET["version"]), None)
        if chosen is None:
            raise Http404("Нет такой версии модели")
    elif versions:
        chosen = next((v for v in versions if v.active), versions[0])
    data = quality.model_quality(chosen) if chosen else {"tables": {}, "charts": {}}
    return _page(request, "analytics/models.html", {
        **data, "versions": versions, "chosen": chosen, "query": request.GET.urlencode(),
        "source_text": wording.data_source(chosen.training_data) if chosen else "",
        "gate": gate_in_words(chosen.metrics["quality_gate"]) if chosen and (chosen.metrics or {}).get("quality_gate")
        else ""})


@login_required
@roles.permission_required(roles.can_see_analytics)
@require_GET
def fairness_page(request):
    form, filters = _filters(request)
    tables = fairness.live_fairness(filters)
    runs = latest_runs()
    since = timezone.now() - tasks.STALE_RUN
    for run in runs:  # a queued run older than STALE_RUN is lost: no progress to wait for
        run.running = run.status == AttributeFreeTraining.Status.QUEUED and run.created_at >= since
    tables.update(fairness.attribute_free_tables([r for r in runs if r.status == AttributeFreeTraining.Status.DONE]))
    return _page(request, "analytics/fairness.html", {
        "tables": tables, "form": form, "runs": runs, "banks": Bank.objects.filter(active=True).order_by("code"),
        "floor": fairness.DISPARATE_IMPACT_FLOOR, "min_group": fairness.min_group(),
        "training": any(r.running for r in runs),
        "query": request.GET.urlencode(),
    })


def latest_runs() -> list[AttributeFreeTraining]:
    """The newest attribute-free run of every bank (queued, done or failed)."""
    newest = {}
    for run in AttributeFreeTraining.objects.select_related("bank").order_by("-created_at", "-pk")[:200]:
        newest.setdefault(run.bank_id, run)
    return sorted(newest.values(), key=lambda r: r.bank.code)


@login_required
@roles.permission_required(roles.can_see_analytics)
@require_POST
def fairness_train(request):
    bank = get_object_or_404(Bank, code=request.POST.get("bank", ""), active=True)
    _run, started = tasks.request_attribute_free_training(bank=bank)
    if started:
        messages.success(request, _("Обучение без пола и даты рождения для «%(bank)s» запущено; результат появится "
                                    "на этой странице.") % {"bank": bank.name})
    else:
        messages.info(request, _("Обучение без пола и даты рождения для «%(bank)s» уже идёт; новое не запущено.")
                      % {"bank": bank.name})
    return redirect("analytics:fairness")


@login_required
@roles.permission_required(roles.can_see_analytics)
@require_GET
def drift(request):
    measurements = selectors.latest_drift()
    labels = wording.field_labels()
    features = {f.key: f for f in Feature.objects.filter(key__in={m.feature for m in measurements})}
    for m in measurements:
        m.label = labels.get(m.feature, m.feature)
        values = wording.value_labels(features.get(m.feature))  # a choice's bins by their labels, not codes
        m.bins = [{**b, "label": values.get(b["label"], b["label"])} for b in m.bins]
    table = Table("drift", _("Сдвиг распределений (PSI): обучающие данные против последних заявок"),
                  [Column(_("Банк")), Column(_("Модель")), Column(_("Поле")), Column(_("PSI"), "ratio"),
                   Column(_("Последних заявок"), "count"), Column(_("Строк обучения"), "count"),
                   Column(_("Рассчитан"), "datetime")],
                  [[m.model_version.bank.name, f"v{m.model_version_id}", m.label, m.psi, m.live_rows,
                    m.reference_rows, m.computed_at] for m in measurements],
                  flags=[m.psi > PSI_ALERT for m in measurements],
                  flag_text=_("выше %(limit)s") % {"limit": wording.decimal(PSI_ALERT, 2)})
    return _page(request, "analytics/drift.html", {
        "tables": {"drift": table}, "table": table, "measurements": measurements, "psi_alert": PSI_ALERT,
        "computing": jobs.running(tasks.DRIFT_JOB), "computed_before": jobs.finished_once(tasks.DRIFT_JOB),
        "query": request.GET.urlencode()})


@login_required
@roles.permission_required(roles.can_see_analytics)
@require_POST
def drift_compute(request):
    if not tasks.request_drift():
        messages.info(request, _("Сдвиг уже считается; результат появится на этой странице."))
    return redirect("analytics:drift")
