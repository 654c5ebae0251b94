"""Pages for loan officers. Each view reads top to bottom; the work is done by services."""
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from scoring import audit, roles, selectors, services
from scoring.forms import QuestionnaireForm
from scoring.questionnaire import active_features

# htmx stops polling an element when the response has this status.
HTMX_STOP_POLLING = 286


@require_GET
def home(request):
    return redirect("scoring:application_list")


@login_required
@require_GET
def application_list(request):
    applications = selectors.applications_for(request.user).prefetch_related("scores__bank")
    page = Paginator(applications, 25).get_page(request.GET.get("page"))
    return render(request, "scoring/application_list.html", {
        "page": page,
        "show_officer": roles.can_see_all_applications(request.user),
        "show_personal_data": roles.sees_personal_data(request.user),
    })


@login_required
@roles.permission_required(roles.can_submit)
@require_http_methods(["GET", "POST"])
def application_new(request):
    features = active_features()
    if request.method == "POST":
        form = QuestionnaireForm(request.POST, features=features)
        if form.is_valid():
            application, _created = services.submit_application(
                officer=request.user, answers=form.answers, client=form.client
            )
            return redirect("scoring:application_detail", application_id=application.pk)
    else:
        form = QuestionnaireForm(features=features)
    return render(request, "scoring/application_form.html", {"form": form}, status=400 if form.errors else 200)


def _application_or_404(request, application_id):
    application = selectors.application_with_scores(request.user, application_id)
    if application is None:
        raise Http404("Заявка не найдена")
    return application


@login_required
@require_GET
def application_detail(request, application_id):
    application = _application_or_404(request, application_id)
    show_personal_data = roles.sees_personal_data(request.user)
    if show_personal_data and application.client_id:
        audit.record(actor=request.user, action="view_personal_data", obj=application)
    return render(request, "scoring/application_detail.html", {
        "application": application,
        "scores": list(application.scores.all()),
        "answer_rows": _answer_rows(application),
        "show_personal_data": show_personal_data,
    })


@login_required
@require_GET
def application_result(request, application_id):
    """The result block: polled by htmx until the scoring is finished."""
    application = _application_or_404(request, application_id)
    status = HTMX_STOP_POLLING if application.is_finished and request.htmx else 200
    return render(request, "scoring/_result.html", {
        "application": application,
        "scores": list(application.scores.all()),
    }, status=status)


@login_required
@roles.permission_required(roles.can_submit)
@require_POST
def application_apply_suggestion(request, application_id):
    """One click on a suggested amount/term: a new scored application linked to this one."""
    application = _application_or_404(request, application_id)
    try:
        alternative, _created = services.apply_suggestion(
            officer=request.user, application=application,
            amount=request.POST.get("loan_amount"), term=request.POST.get("loan_term"),
        )
    except services.SuggestionError as exc:
        messages.error(request, f"Вариант не применён: {exc}")
        return redirect("scoring:application_detail", application_id=application.pk)
    return redirect("scoring:application_detail", application_id=alternative.pk)


def _answer_rows(application):
    features = {f.key: f for f in active_features()}
    rows = []
    for key, value in application.answers.items():
        feature = features.get(key)
        label = feature.label if feature else key
        if feature and feature.type == "choice":
            value = dict(feature.choice_pairs()).get(value, value)
        elif isinstance(value, bool):
            value = "да" if value else "нет"
        rows.append((label, "—" if value in (None, "") else value))
    return rows
