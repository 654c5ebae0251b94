"""Pages for loan officers. Each view reads top to bottom; the work is done by services."""
from django.contrib.auth.decorators import login_required
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseStopPolling

from scoring.services import audit, phrases
from scoring.accounts import roles
from scoring import selectors
from scoring.services import submission
from scoring.officer.forms import ApplicationFilterForm, QuestionnaireForm
from scoring.services.questionnaire import active_features


@require_GET
def home(request):
    return redirect("scoring:application_list")


@login_required
@require_GET
def application_list(request):
    show_personal_data = roles.sees_personal_data(request.user)
    filter_form = ApplicationFilterForm(request.GET, searches_phone=show_personal_data)
    filters = filter_form.filters()
    applications = selectors.search_applications(
        selectors.applications_for(request.user), personal_data=show_personal_data,
        query=filters.get("q", ""), status=filters.get("status", ""), verdict=filters.get("verdict", ""),
        created_from=filters.get("created_from"), created_to=filters.get("created_to"),
    )
    page = selectors.list_page(applications, page_number=request.GET.get("page"))
    if show_personal_data:  # the rows carry names and phones unmasked: one audit entry for the page
        audit.record_personal_data_read(
            actor=request.user, client_ids=[application.client_id for application in page.object_list],
            where="officer list", query=_list_query(filters, page.number))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "page": page,
        "filter_form": filter_form,
        "filtered": bool(filters),
        "query": query.urlencode(),
        "show_officer": roles.can_see_all_applications(request.user),
        "show_personal_data": show_personal_data,
    }
    # htmx (search as you type, filters, pages) swaps only the results; the page is the same template.
    partial = request.htmx and not request.htmx.history_restore_request
    template = "officer/_application_results.html" if partial else "officer/application_list.html"
    return render(request, template, context)


@login_required
@roles.permission_required(roles.can_submit)
@require_http_methods(["GET", "POST"])
def application_new(request):
    features = active_features()
    if request.method == "POST":
        form = QuestionnaireForm(request.POST, features=features)
        if form.is_valid():
            application, _created = submission.submit_application(
                officer=request.user, answers=form.answers, client=form.client
            )
            return redirect("scoring:application_detail", application_id=application.pk)
    else:
        form = QuestionnaireForm(features=features)
    return render(request, "officer/application_form.html", {"form": form, "progress": form.progress()},
                  status=400 if form.errors else 200)


@login_required
@roles.permission_required(roles.can_submit)
@require_POST
def application_check_field(request, field_name):
    """Blur validation: the whole questionnaire is validated, one field and the progress come back.

    The other fields are validated too (job start needs the birth date) but their errors are
    not shown until the officer reaches them or submits.
    """
    form = QuestionnaireForm(request.POST, features=active_features())
    if field_name not in form.fields:
        raise Http404(gettext("Нет такого поля анкеты"))
    return render(request, "officer/_field_checked.html", {
        "field": form[field_name], "progress": form.progress(),
    })


def _list_query(filters: dict, page_number: int) -> dict:
    """The list's filters for the audit log, the search summarised ('2 words'), never its text."""
    query = {name: str(value) for name, value in filters.items() if name != "q" and value not in (None, "")}
    if filters.get("q"):
        query["search"] = audit.search_summary(filters["q"])
    return {**query, "page": page_number}


def _application_or_404(request, application_id):
    application = selectors.application_with_scores(request.user, application_id)
    if application is None:
        raise Http404(gettext("Заявка не найдена"))
    return application


def _sort(request) -> str:
    """How the officer orders the banks: "chance" (the recommendation's order) or "payment"."""
    return "payment" if request.GET.get("sort") == "payment" else "chance"


def _sorted_scores(scores: list, sort: str) -> list:
    """The banks by the lower monthly payment (banks without an offer, or refusing, last; then the
    recommendation's order), or as the recommendation ranks them."""
    if sort != "payment":
        return scores
    def payment(score):
        offer = score.offer or {}
        missing = score.refused_by_rule or offer.get("monthly_payment") is None
        return (missing, offer.get("monthly_payment") or 0, score.rank)
    return sorted(scores, key=payment)


@login_required
@require_GET
def application_detail(request, application_id):
    application = _application_or_404(request, application_id)
    show_personal_data = roles.sees_personal_data(request.user)
    if show_personal_data and application.client_id:
        audit.record(actor=request.user, action="view_personal_data", obj=application,
                     after={"where": "officer detail", "clients": [application.client_id]})
    sort = _sort(request)
    return render(request, "officer/application_detail.html", {
        "application": application,
        "scores": _sorted_scores(list(application.scores.all()), sort),  # selectors.bank_scores_in_order()
        "sort": sort,
        "answer_rows": _answer_rows(application),
        "show_personal_data": show_personal_data,
        "words": phrases.words(),
    })


@login_required
@require_GET
def application_result(request, application_id):
    """The result block: polled by htmx until the scoring is finished."""
    application = _application_or_404(request, application_id)
    sort = _sort(request)
    context = {
        "application": application,
        "scores": _sorted_scores(list(application.scores.all()), sort),  # selectors.bank_scores_in_order()
        "sort": sort,
        "words": phrases.words(),
    }
    if application.is_finished and request.htmx:
        return HttpResponseStopPolling(render_to_string("officer/_result.html", context, request=request))
    return render(request, "officer/_result.html", context)


@login_required
@roles.permission_required(roles.can_submit)
@require_POST
def application_apply_suggestion(request, application_id):
    """One click on a suggested amount/term: a new scored application linked to this one."""
    application = _application_or_404(request, application_id)
    try:
        alternative, _created = submission.apply_suggestion(
            officer=request.user, application=application,
            amount=request.POST.get("loan_amount"), term=request.POST.get("loan_term"),
        )
    except submission.SuggestionError as exc:
        messages.error(request, gettext("Вариант не применён: %(reason)s") % {"reason": exc})
        return redirect("scoring:application_detail", application_id=application.pk)
    return redirect("scoring:application_detail", application_id=alternative.pk)


def _answer_rows(application):
    features = {f.key: f for f in active_features()}
    rows = []
    for key, value in application.answers.items():
        feature = features.get(key)
        label = feature.display_label() if feature else key
        if feature and feature.type == "choice" and value is not None:
            value = dict(feature.display_choice_pairs()).get(value, str(value))
        elif isinstance(value, bool):
            value = gettext("да") if value else gettext("нет")
        rows.append((label, "—" if value in (None, "") else value))
    return rows
