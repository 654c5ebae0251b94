"""Analytics pages for analysts and administrators (officers get 403). No personal data on them.

Every page takes ?csv=<table key> to download that table; the filter form re-renders the page
body through htmx (hx-select), so the page and its partial come from one template.
"""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from scoring.accounts import roles
from scoring.models import Bank

from . import exploration, fairness, quality, reports, rollup, selectors, tasks
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


@login_required
@roles.permission_required(roles.can_see_analytics)
@require_GET
def data_exploration(request):
    source = request.GET.get("source", "imported")
    if source not in exploration.SOURCES:
        source = "imported"
    result = exploration.profile(source)
    tables, charts = exploration.exploration_tables(result)
    return _page(request, "analytics/exploration.html", {
        "source": source, "sources": exploration.SOURCES, "rows": result["rows"], "tables": tables, "charts": charts,
        "fields": result["fields"], "query": request.GET.urlencode(),
    })


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
    return _page(request, "analytics/models.html", {**data, "versions": versions, "chosen": chosen,
                                                    "query": request.GET.urlencode()})


@login_required
@roles.permission_required(roles.can_see_analytics)
@require_GET
def fairness_page(request):
    form, filters = _filters(request)
    tables = fairness.live_fairness(filters)
    runs = latest_runs()
    tables.update(fairness.attribute_free_tables([r for r in runs if r.status == AttributeFreeTraining.Status.DONE]))
    return _page(request, "analytics/fairness.html", {
        "tables": tables, "form": form, "runs": runs, "banks": Bank.objects.filter(active=True).order_by("code"),
        "floor": fairness.DISPARATE_IMPACT_FLOOR, "query": request.GET.urlencode(),
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
    table = Table("drift", _("Сдвиг распределений (PSI): обучающие данные против последних заявок"),
                  [Column(_("Банк")), Column(_("Модель")), Column(_("Поле")), Column(_("PSI"), "ratio"),
                   Column(_("Последних заявок"), "count"), Column(_("Строк обучения"), "count"), Column(_("Рассчитан"))],
                  [[m.model_version.bank.name, m.model_version_id, m.feature, m.psi, m.live_rows, m.reference_rows,
                    m.computed_at.strftime("%Y-%m-%d %H:%M")] for m in measurements],
                  flags=[m.psi > PSI_ALERT for m in measurements])
    return _page(request, "analytics/drift.html", {"tables": {"drift": table}, "table": table,
                                                   "measurements": measurements, "psi_alert": PSI_ALERT,
                                                   "query": request.GET.urlencode()})
