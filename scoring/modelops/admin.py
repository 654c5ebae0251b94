"""The administrator's pages for model operations: banks (terms, rules, active model), questionnaire
fields, model versions (activate, roll back, compare, train now), training runs, imported history.

The custom pages are the admin's (admin_view: staff only) inside roles.permission_required: a signed-in
user without the role's permission, staff or not, gets 403; anonymous visitors are sent to sign in."""
import csv
import io

from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Prefetch
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import formats
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy, pgettext_lazy
from django_htmx.http import HttpResponseStopPolling

from scoring.accounts import roles
from scoring.admin import AuditedAdmin, Noun, PhrasedAdmin, count_of
from scoring.engine.formatting import csv_text_cell
from scoring.modelops import activation, importing, versions
from scoring.modelops.forms import (
    BankAdminForm,
    CompareForm,
    FeatureAdminForm,
    ImportHistoryForm,
    TrainNowForm,
)
from scoring.modelops.selectors import active_models_using, describe_versions
from scoring.modelops.templatetags.modelops_tags import SHOWN_REPORT_ROWS
from scoring.modelops.training import read_training_data
from scoring.services import phrases
from scoring.models import (
    Bank,
    Feature,
    HistoricalApplication,
    ImportBatch,
    ModelVersion,
    TrainingRun,
)


def percent(share: float) -> str:
    """«50 %», «52,5 %» for a threshold of 0.5 or 0.525: as many decimals as it has, up to two."""
    value = round(float(share) * 100, 2)
    return phrases.percent(share, next(d for d in (0, 1, 2) if round(value, d) == value))


ROWS = ngettext_lazy("%(count)s строка", "%(count)s строк", "n")
APPLICATIONS = ngettext_lazy("%(count)s заявка", "%(count)s заявок", "n")


def training_data_in_words(text: str) -> str:
    """What a version was trained on (scoring/modelops/training.py writes it in English) in the reader's words."""
    read = read_training_data(text)
    if read is None:
        return text or "—"
    source, rows, detail = read
    if source == "synthetic":
        return _("синтетические данные: %(rows)s, зерно %(seed)s") % {"rows": count_of(rows, ROWS), "seed": detail}
    if source == "imported":
        return _("загруженная история: %(rows)s, загрузки № %(batches)s") % {
            "rows": count_of(rows, ROWS), "batches": detail}
    return _("ответы банков: %(applications)s") % {"applications": count_of(rows, APPLICATIONS)}


# The banks' answers in imported history (docs/data-format.md).
DECISIONS = {"success": _("одобрил"), "denied": _("отказал"), "error": _("ошибка банка")}


def bank_names(codes: list[str]) -> str:
    """The banks' names for their codes, in the order given (a code no bank has any longer as is)."""
    names = dict(Bank.objects.filter(code__in=codes).values_list("code", "name"))
    return ", ".join(names.get(code, code) for code in codes)


@admin.register(Bank)
class BankAdmin(AuditedAdmin):
    noun = Noun("m", _("банк"), pgettext_lazy("родительный падеж", "банка"),
                ngettext_lazy("%(count)s банк", "%(count)s банков", "n"))
    form = BankAdminForm
    change_form_template = "admin/scoring/bank/change_form.html"
    list_display = ("code", "name", "active", "annual_rate", "min_amount_display", "max_amount_display",
                    "terms_display", "threshold_display", "rule_count", "active_model_display")
    list_filter = ("active",)
    search_fields = ("code", "name")
    fieldsets = (
        (None, {"fields": ("code", "name", "active")}),
        (_("Условия продукта"), {"fields": ("annual_rate", "min_amount", "max_amount", "terms")}),
        (_("Решение"), {"fields": ("approval_threshold", "active_model")}),
        (_("Загрузка истории"), {"fields": ("csv_decision_column",)}),
    )

    def get_queryset(self, request):
        # The list's "active model" column: every bank's active version in one query, without its blobs
        # (str(version) reads the bank, the id and the algorithm).
        active = ModelVersion.objects.filter(active=True).only("id", "bank", "algorithm")
        return super().get_queryset(request).prefetch_related(
            Prefetch("model_versions", queryset=active, to_attr="active_versions"))

    def get_fieldsets(self, request, obj=None):
        if obj is None:  # a new bank has no models yet
            return [(name, {"fields": [f for f in opts["fields"] if f != "active_model"]})
                    for name, opts in self.fieldsets]
        return self.fieldsets

    @admin.display(description=_("мин. сумма"), ordering="min_amount")
    def min_amount_display(self, obj):
        return phrases.money(obj.min_amount)

    @admin.display(description=_("макс. сумма"), ordering="max_amount")
    def max_amount_display(self, obj):
        return phrases.money(obj.max_amount)

    @admin.display(description=_("порог одобрения"), ordering="approval_threshold")
    def threshold_display(self, obj):
        return percent(obj.approval_threshold)

    @admin.display(description=_("сроки, мес."))
    def terms_display(self, obj):
        return ", ".join(str(t) for t in obj.terms)

    @admin.display(description=_("стоп-правил"))
    def rule_count(self, obj):
        return len(obj.rules or [])

    @admin.display(description=_("активная модель"))
    def active_model_display(self, obj):
        prefetched = getattr(obj, "active_versions", None)
        version = obj.active_model if prefetched is None else next(iter(prefetched), None)
        if version is None:
            return "—"
        url = reverse("admin:scoring_modelversion_change", args=[version.pk])
        return format_html('<a href="{}">{}</a>', url, version)

    def save_model(self, request, obj, form, change):
        chosen = form.cleaned_data.get("active_model")
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            if chosen is not None and not chosen.active:
                activation.activate(version=chosen, actor=request.user)
                messages.success(request, _("Версия %(id)s стала активной моделью банка.") % {"id": chosen.pk})


@admin.register(Feature)
class FeatureAdmin(AuditedAdmin):
    noun = Noun("n", _("поле анкеты"), pgettext_lazy("родительный падеж", "поля анкеты"),
                ngettext_lazy("%(count)s поле анкеты", "%(count)s полей анкеты", "n"))
    form = FeatureAdminForm
    # The CSV column is on each field's page: the list fits a 1366 px screen beside the navigation.
    list_display = ("order", "key_display", "label", "type", "required", "used_by_model", "active")
    list_display_links = ("key_display",)
    list_editable = ("order",)
    list_filter = ("type", "active", "used_by_model")
    search_fields = ("key", "label")
    fieldsets = (
        (None, {"fields": ("key", "label", "label_en", "help_text", "type", "order")}),
        (_("Значения"), {"fields": ("choices", "ordered", "categorical", "min_value", "max_value", "min_age",
                                    "max_age", "max_length", "unit", "unit_en")}),
        (_("Использование"), {"fields": ("required", "used_by_model", "active", "csv_column")}),
    )

    def get_changelist_form(self, request, **kwargs):
        """The list's order boxes, each named for a screen reader by its field (Django's have no label)."""
        base = super().get_changelist_form(request, **kwargs)

        class NamedOrderForm(base):
            def __init__(self, *args, **form_kwargs):
                super().__init__(*args, **form_kwargs)
                self.fields["order"].widget.attrs["aria-label"] = (
                    _("Порядок поля «%(label)s»") % {"label": self.instance.display_label()})

        return NamedOrderForm

    @admin.display(description=_("ключ"), ordering="key")
    def key_display(self, feature):
        """The key, free to wrap after its underscores in a narrow column."""
        parts = feature.key.split("_")
        return format_html_join(mark_safe("_<wbr>"), "{}", ((part,) for part in parts))

    def get_deleted_objects(self, objs, request):
        deleted, model_count, perms_needed, protected = super().get_deleted_objects(objs, request)
        for feature in objs:
            users = active_models_using(feature.key)
            if users:
                protected = list(protected) + [
                    _("«%(label)s» используют активные модели: %(models)s")
                    % {"label": feature.label, "models": describe_versions(users)}]
        return deleted, model_count, perms_needed, protected


@admin.register(ModelVersion)
class ModelVersionAdmin(PhrasedAdmin):
    noun = Noun("f", _("версию модели"), pgettext_lazy("родительный падеж", "версии модели"),
                ngettext_lazy("%(count)s версия модели", "%(count)s версий модели", "n"))
    list_display = ("id", "bank", "algorithm", "auc", "auc_interval", "gate", "active", "activated_at", "created_at",
                    "training_data_display")
    list_filter = ("bank", "active", "algorithm")
    fields = ("bank", "algorithm", "feature_keys", "artifact_format", "training_data_display", "gate", "metrics",
              "active", "activated_at", "created_at")
    readonly_fields = fields
    actions = ["activate_selected", "roll_back_selected", "compare_selected"]
    change_list_template = "admin/scoring/modelversion/change_list.html"

    def get_queryset(self, request):
        # The model itself and its encoding are large and no page here shows them (see exclude): the
        # change list, the actions and the change page read the rest.
        return super().get_queryset(request).select_related("bank").defer("artifact", "encoder")

    def has_add_permission(self, request):
        return False  # versions come from training ("train now" or manage.py train)

    @admin.display(description="AUC")
    def auc(self, obj):
        value = (obj.metrics or {}).get("auc")
        return formats.number_format(value, 3) if value is not None else "—"

    @admin.display(description=_("95 % интервал AUC"))
    def auc_interval(self, obj):
        metrics = obj.metrics or {}
        low, high = metrics.get("auc_ci_low"), metrics.get("auc_ci_high")
        if low is None or high is None:
            return "—"
        return f"{formats.number_format(low, 3)}–{formats.number_format(high, 3)}"

    @admin.display(description=_("данные обучения"), ordering="training_data")
    def training_data_display(self, obj):
        return training_data_in_words(obj.training_data)

    @admin.display(description=_("проверка качества"))
    def gate(self, obj):
        reason = (obj.metrics or {}).get("quality_gate")
        return activation.gate_in_words(reason) if reason else "—"

    @admin.action(description=_("Сделать активной (через проверку качества)"))
    def activate_selected(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, _("Выберите одну версию."), messages.ERROR)
            return
        try:
            version = activation.activate(version=queryset.get(), actor=request.user)
        except activation.ModelVersionError as exc:
            self.message_user(request, activation.gate_in_words(str(exc)), messages.ERROR)
            return
        self.message_user(request, _("Версия %(id)s стала активной моделью банка «%(bank)s».")
                          % {"id": version.pk, "bank": version.bank.name}, messages.SUCCESS)

    @admin.action(description=_("Откатить банк выбранной версии к предыдущей модели"))
    def roll_back_selected(self, request, queryset):
        for bank in Bank.objects.filter(pk__in=queryset.values("bank")).order_by("code"):
            try:
                version = activation.roll_back(bank=bank, actor=request.user)
            except activation.ModelVersionError as exc:
                self.message_user(request, str(exc), messages.ERROR)
                continue
            self.message_user(request, _("Банк «%(bank)s»: активна снова версия %(id)s.")
                              % {"bank": bank.name, "id": version.pk}, messages.SUCCESS)

    @admin.action(description=_("Сравнить две выбранные версии (чемпион и претендент)"))
    def compare_selected(self, request, queryset):
        versions = list(queryset.order_by("-active", "created_at"))
        if len(versions) != 2:
            self.message_user(request, _("Для сравнения выберите ровно две версии одного банка."), messages.ERROR)
            return None
        url = reverse("admin:scoring_modelversion_compare")
        return redirect(f"{url}?champion={versions[0].pk}&challenger={versions[1].pk}")

    def get_urls(self):
        managers_only = roles.permission_required(roles.can_manage_models)

        def view(page):
            return managers_only(self.admin_site.admin_view(page))

        return [
            path("train/", view(self.train_view), name="scoring_modelversion_train"),
            path("train/<int:run_id>/", view(self.training_run_view), name="scoring_trainingrun_progress"),
            path("compare/", view(self.compare_view), name="scoring_modelversion_compare"),
        ] + super().get_urls()

    def train_view(self, request):
        form = TrainNowForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            run = versions.start_training(
                actor=request.user, source=form.cleaned_data["source"],
                bank_codes=[b.code for b in form.cleaned_data["banks"]], rows=form.cleaned_data["rows"])
            return redirect("admin:scoring_trainingrun_progress", run_id=run.pk)
        context = {**self.admin_site.each_context(request), "opts": self.model._meta, "form": form,
                   "title": _("Обучить модели сейчас"), "runs": TrainingRun.objects.all()[:10]}
        return TemplateResponse(request, "admin/scoring/train.html", context, status=400 if form.errors else 200)

    def training_run_view(self, request, run_id):
        run = get_object_or_404(TrainingRun, pk=run_id)
        outcomes = [{**outcome, "reason": activation.gate_in_words(outcome.get("reason", ""))}
                    for outcome in run.outcomes or []]
        context = {**self.admin_site.each_context(request), "opts": self.model._meta, "run": run,
                   "outcomes": outcomes, "banks": bank_names(run.bank_codes),
                   "title": _("Обучение №%(id)s") % {"id": run.pk}}
        if request.htmx:
            if run.is_finished:
                return HttpResponseStopPolling(render_to_string("admin/scoring/_training_progress.html", context,
                                                                request=request))
            return TemplateResponse(request, "admin/scoring/_training_progress.html", context)
        return TemplateResponse(request, "admin/scoring/training_run.html", context)

    def compare_view(self, request):
        form = CompareForm(request.GET or None)
        comparison = error = None
        if form.is_bound and form.is_valid():
            try:
                comparison = versions.compare(champion=form.cleaned_data["champion"],
                                                    challenger=form.cleaned_data["challenger"])
            except activation.ModelVersionError as exc:
                error = str(exc)
        context = {**self.admin_site.each_context(request), "opts": self.model._meta, "form": form,
                   "comparison": comparison, "error": error, "title": _("Чемпион и претендент")}
        status = 400 if (form.is_bound and form.errors) or error else 200
        return TemplateResponse(request, "admin/scoring/compare.html", context, status=status)


@admin.register(TrainingRun)
class TrainingRunAdmin(PhrasedAdmin):
    noun = Noun("n", _("обучение моделей"), pgettext_lazy("родительный падеж", "обучения моделей"),
                ngettext_lazy("%(count)s обучение моделей", "%(count)s обучений моделей", "n"))
    list_display = ("id", "source", "banks", "status", "progress_display", "started_by", "created_at", "finished_at")
    list_filter = ("status", "source")
    fields = ("source", "banks", "rows", "status", "progress_display", "message", "started_by", "created_at",
              "finished_at")
    readonly_fields = fields

    @admin.display(description=_("банки"))
    def banks(self, run):
        return bank_names(run.bank_codes) or _("все активные")

    @admin.display(description=_("готово"), ordering="progress")
    def progress_display(self, run):
        return f"{run.progress} %"

    def has_add_permission(self, request):
        return False  # a run is started from the model versions' "train now" page

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ImportBatch)
class ImportBatchAdmin(PhrasedAdmin):
    noun = Noun("f", _("загрузку истории"), pgettext_lazy("родительный падеж", "загрузки истории"),
                ngettext_lazy("%(count)s загрузка истории", "%(count)s загрузок истории", "n"))
    list_display = ("id", "file_name", "rows_total", "rows_imported", "rows_flagged", "rows_rejected", "rows_empty",
                    "decided_on", "user", "created_at")
    readonly_fields = ("file_name", "sha256", "user", "rows_total", "rows_imported", "rows_flagged", "rows_rejected",
                       "rows_empty", "decided_on", "report", "created_at")
    change_list_template = "admin/scoring/importbatch/change_list.html"

    def has_add_permission(self, request):
        # A batch is made by the upload page or manage.py import_applications, which validate the file.
        return False

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "can_import_history": roles.can_import_history(request.user)}
        return super().changelist_view(request, extra_context)

    def get_urls(self):
        importers_only = roles.permission_required(roles.can_import_history)
        upload = importers_only(self.admin_site.admin_view(self.upload_view))
        report = self.admin_site.admin_view(self.report_view)
        return [path("upload/", upload, name="scoring_importbatch_upload"),
                path("<int:import_id>/report.csv", report, name="scoring_importbatch_report")] + super().get_urls()

    def report_view(self, request, import_id: int):
        """The whole report of a stored import as a CSV download (the pages show the first rows only)."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        batch = get_object_or_404(ImportBatch, pk=import_id)
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter=";", lineterminator="\n")
        for row in importing.report_csv_rows(batch):
            # A message quotes the file's values: one starting like a formula stays text in a spreadsheet.
            writer.writerow([csv_text_cell(cell) for cell in row])
        response = HttpResponse("\ufeff" + buffer.getvalue(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="import-{batch.pk}-report.csv"'
        return response

    def upload_view(self, request):
        """The command's import from the browser: the report's counts, unseen categories and the first
        rows skipped and flagged (modelops_tags.SHOWN_REPORT_ROWS each) with their reasons."""
        form = ImportHistoryForm(request.POST or None, request.FILES or None)
        report = refusal = None
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                report = importing.import_decisions(content=upload.read(), file_name=upload.name, user=request.user,
                                                    decided_on=form.cleaned_data["decided_on"])
            except importing.ImportRefused as exc:
                refusal = str(exc)
        context = {**self.admin_site.each_context(request), "opts": self.model._meta, "form": form,
                   "report": report, "refusal": refusal, "title": _("Загрузить историю (CSV)"),
                   "max_upload_bytes": settings.PRESCORING["MAX_UPLOAD_BYTES"], "shown_rows": SHOWN_REPORT_ROWS}
        refused = form.errors or refusal
        return TemplateResponse(request, "admin/scoring/importbatch/upload.html", context,
                                status=400 if refused else 200)


@admin.register(HistoricalApplication)
class HistoricalApplicationAdmin(PhrasedAdmin):
    """Read-only: imported history is evidence for training, so it is replaced by a new import, not edited."""

    noun = Noun("f", _("историческую заявку"), pgettext_lazy("родительный падеж", "исторической заявки"),
                ngettext_lazy("%(count)s историческая заявка", "%(count)s исторических заявок", "n"))

    list_display = ("id", "batch", "row_number", "external_id", "decisions_display", "created_at")
    list_filter = ("batch",)
    search_fields = ("external_id",)
    fields = ("batch", "row_number", "external_id", "answers", "decisions_display", "p_true", "decided_on", "flags",
              "created_at")
    readonly_fields = fields

    @admin.display(description=_("решения банков"))
    def decisions_display(self, row):
        names = dict(Bank.objects.values_list("code", "name"))
        return "; ".join(f"{names.get(code, code)}: {DECISIONS.get(decision, decision)}"
                         for code, decision in sorted((row.decisions or {}).items())) or "—"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


