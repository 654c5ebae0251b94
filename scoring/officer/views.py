"""Pages for loan officers. Each view reads top to bottom; the work is done by services."""
from django.contrib.auth.decorators import login_required
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.template.loader import render_to_string
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseStopPolling

from scoring.services import audit, case_history, outcomes, phrases, runtime
from scoring.accounts import roles
from scoring import selectors
from scoring.services import submission
from scoring.officer.forms import AnswerForm, ApplicationFilterForm, QuestionnaireForm, SendForm
from scoring.engine.explanations import wording
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
    if roles.sees_personal_data(request.user) and application.client_id:
        audit.record(actor=request.user, action="view_personal_data", obj=application,
                     after={"where": "officer detail", "clients": [application.client_id]})
    return _detail_page(request, application)


def _detail_page(request, application, *, status=200, **case):
    sort = _sort(request)
    return render(request, "officer/application_detail.html", {
        "application": application,
        "scores": _sorted_scores(list(application.scores.all()), sort),  # selectors.bank_scores_in_order()
        "sort": sort,
        "answer_rows": _answer_rows(application),
        "show_personal_data": roles.sees_personal_data(request.user),
        "words": phrases.words(),
        **_case_context(request, application, **case),
    }, status=status)


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
        response = HttpResponseStopPolling(render_to_string("officer/_result.html", context, request=request))
        response["HX-Trigger"] = "application-scored"  # the case history below reloads itself
        return response
    return render(request, "officer/_result.html", context)


# --- after the result: the case history, sent to banks, the banks' answers ----------------------------

def _case_context(request, application, *, send_form=None, answer_form=None, notice="", history=None) -> dict:
    """The case history and, for an officer who may act on a scored application, the forms to mark it
    sent and to record a bank's answer (unbound unless given, bound with errors after a refused POST).
    history: the case history as the caller has just read it, when nothing changed since."""
    if history is None:
        history = case_history.case_history(application)
    sent = {event["bank"]: event["bank_name"] for event in history if event["event"] == case_history.SENT}
    answered = {event["bank"]: event["bank_name"] for event in history if event["event"] == case_history.ANSWERED}
    can_act = roles.can_submit(request.user) and application.status == application.Status.DONE
    context = {"application": application, "history": history, "notice": notice, "words": phrases.words(),
               "can_act": can_act, "send_form": None, "answer_form": None}
    if not can_act:
        return context
    if send_form is None:
        send_form = _send_form(application, set(sent))
    if answer_form is None and (sent or answered):
        answer_form = _answer_form(application, history)
    return {**context, "send_form": send_form, "answer_form": answer_form}


def _send_form(application, sent: set[str], data=None) -> SendForm | None:
    """The form over the banks the application may still be sent to (None when there are none); the
    recommended banks are checked for the first marking only."""
    unsent = [score for score in outcomes.sendable_scores(application) if score.bank.code not in sent]
    if not unsent:
        return None
    recommendation = application.recommendation or {}
    first_marking = recommendation.get("action") == "send" and not sent
    recommended = (recommendation.get("banks") or []) if first_marking else []
    return SendForm(data, prefix="send", scores=unsent, recommended=recommended)


def _answer_form(application, history, data=None) -> AnswerForm:
    """The answer form over the banks the application was sent to (or already has an answer from)."""
    banks = {}
    for event in history:
        if event["event"] in (case_history.SENT, case_history.ANSWERED):
            banks.setdefault(event["bank"], event["bank_name"])
    return AnswerForm(data, prefix="answer", banks=list(banks.items()),
                      requested_amount=application.answers.get(runtime.current_loan_keys()[0]))


def _case_response(request, application, *, done: bool, **case):
    """After a POST: the case section for htmx (errors in place, 200 so that htmx swaps it); without
    htmx, back to the page after a change, or the page with the errors (400)."""
    if request.htmx:
        return render(request, "officer/_case_history.html", _case_context(request, application, **case))
    if done:
        return redirect(reverse("scoring:application_detail", args=[application.pk]) + "#case")
    return _detail_page(request, application, status=400, **case)


@login_required
@require_GET
def application_case(request, application_id):
    """The case section alone: reloaded by htmx when the scoring finishes."""
    application = _application_or_404(request, application_id)
    return render(request, "officer/_case_history.html", _case_context(request, application))


@login_required
@roles.permission_required(roles.can_submit)
@require_POST
def application_send(request, application_id):
    """Mark the application sent to the chosen banks (each bank once; all or none)."""
    application = _application_or_404(request, application_id)
    form = _send_form(application, set(application.dispatches.values_list("bank__code", flat=True)), request.POST)
    if form is None:  # a page from before the last marking or the scoring: nothing left to send to
        return _case_response(request, application, done=False,
                              notice=gettext("Заявку больше некуда отправить: она отмечена во всех банках, куда можно."))
    if not form.is_valid():
        return _case_response(request, application, done=False, send_form=form)
    banks = form.chosen_banks
    outcomes.mark_sent(actor=request.user, application=application, banks=banks)
    notice = gettext("Отмечено: заявка отправлена в %(banks)s.") % {"banks": ", ".join(b.name for b in banks)}
    return _case_response(request, application, done=True, notice=notice)


@login_required
@roles.permission_required(roles.can_submit)
@require_POST
def application_answer(request, application_id):
    """Record a bank's answer to the application sent to it; a second answer replaces the first."""
    application = _application_or_404(request, application_id)
    history = case_history.case_history(application)
    form = _answer_form(application, history, request.POST)
    if not form.is_valid():  # nothing recorded: the history just read is still the case's
        return _case_response(request, application, done=False, answer_form=form, history=history)
    bank, data = form.chosen_bank, form.cleaned_data
    outcomes.record_outcome(actor=request.user, application=application, bank=bank, result=data["result"],
                            amount=data["amount"], term=data["term"])
    notice = gettext("Записан ответ банка %(bank)s.") % {"bank": bank.name}
    return _case_response(request, application, done=True, notice=notice)


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
    # Numbers with their unit and dates as the page's language writes them, as the reasons write them.
    formats = wording([feature.to_spec() for feature in features.values()])["formats"]
    words = phrases.words()
    rows = []
    for key, value in application.answers.items():
        feature = features.get(key)
        label = feature.display_label() if feature else key
        if feature and feature.type == "choice" and value is not None:
            value = dict(feature.display_choice_pairs()).get(value, str(value))
        elif isinstance(value, bool):
            value = gettext("да") if value else gettext("нет")
        elif key in formats and value not in (None, ""):
            value = words.value(value, formats[key])
        rows.append((label, "—" if value in (None, "") else value))
    return rows
