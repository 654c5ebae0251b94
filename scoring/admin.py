"""The administrator's pages: banks, questionnaire fields, model versions, training runs, audit log.

Every change to a bank (its rules included), a field or the active model is written to the audit
log with the state before and after; the log itself is read-only.
"""
from functools import wraps

from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from scoring import audit, importing, model_versions, roles
from scoring.admin_forms import BankAdminForm, CompareForm, FeatureAdminForm, ImportHistoryForm, TrainNowForm
from scoring.models import (Application, AuditEntry, Bank, BankScore, Client, Feature, HistoricalApplication,
                            ImportBatch, ModelVersion, TrainingRun)

# htmx stops polling an element when the response has this status.
HTMX_STOP_POLLING = 286


class AuditedAdmin(admin.ModelAdmin):
    """Writes an audit entry (who, before, after) for every add, change and delete made in the admin."""

    def save_model(self, request, obj, form, change):
        before = None
        if change:
            original = type(obj).objects.filter(pk=obj.pk).first()
            before = audit.snapshot(original) if original is not None else None
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            after = audit.snapshot(obj)
            if before != after:
                audit.record(actor=request.user, action="update" if change else "create", obj=obj,
                             before=before, after=after)

    def delete_model(self, request, obj):
        before = audit.snapshot(obj)
        with transaction.atomic():
            audit.record(actor=request.user, action="delete", obj=obj, before=before, after=None)
            super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            for obj in queryset:
                audit.record(actor=request.user, action="delete", obj=obj, before=audit.snapshot(obj), after=None)
            super().delete_queryset(request, queryset)


class PersonalDataAdmin(admin.ModelAdmin):
    """Pages that show clients' names and phones unmasked: only for roles that see personal data,
    whatever model permissions a user was given (an analyst made staff still gets 403)."""

    def has_view_permission(self, request, obj=None):
        return roles.sees_personal_data(request.user) and super().has_view_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return roles.sees_personal_data(request.user) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return roles.sees_personal_data(request.user) and super().has_delete_permission(request, obj)

    def has_add_permission(self, request):
        return roles.sees_personal_data(request.user) and super().has_add_permission(request)


@admin.register(Bank)
class BankAdmin(AuditedAdmin):
    form = BankAdminForm
    change_form_template = "admin/scoring/bank/change_form.html"
    list_display = ("code", "name", "active", "annual_rate", "min_amount", "max_amount", "terms_display",
                    "approval_threshold", "rule_count", "active_model_display")
    list_filter = ("active",)
    search_fields = ("code", "name")
    fieldsets = (
        (None, {"fields": ("code", "name", "active")}),
        (_("Условия продукта"), {"fields": ("annual_rate", "min_amount", "max_amount", "terms")}),
        (_("Решение"), {"fields": ("approval_threshold", "active_model")}),
        (_("Загрузка истории"), {"fields": ("csv_decision_column",)}),
    )

    def get_fieldsets(self, request, obj=None):
        if obj is None:  # a new bank has no models yet
            return [(name, {"fields": [f for f in opts["fields"] if f != "active_model"]})
                    for name, opts in self.fieldsets]
        return self.fieldsets

    @admin.display(description=_("сроки, мес."))
    def terms_display(self, obj):
        return ", ".join(str(t) for t in obj.terms)

    @admin.display(description=_("стоп-правил"))
    def rule_count(self, obj):
        return len(obj.rules or [])

    @admin.display(description=_("активная модель"))
    def active_model_display(self, obj):
        version = obj.active_model
        if version is None:
            return "—"
        url = reverse("admin:scoring_modelversion_change", args=[version.pk])
        return format_html('<a href="{}">{}</a>', url, version)

    def save_model(self, request, obj, form, change):
        chosen = form.cleaned_data.get("active_model")
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            if chosen is not None and not chosen.active:
                model_versions.activate(version=chosen, actor=request.user)
                messages.success(request, _("Версия %(id)s стала активной моделью банка.") % {"id": chosen.pk})


@admin.register(Feature)
class FeatureAdmin(AuditedAdmin):
    form = FeatureAdminForm
    list_display = ("order", "key", "label", "type", "required", "used_by_model", "active", "csv_column")
    list_display_links = ("key",)
    list_editable = ("order",)
    list_filter = ("type", "active", "used_by_model")
    search_fields = ("key", "label")
    fieldsets = (
        (None, {"fields": ("key", "label", "label_en", "help_text", "type", "order")}),
        (_("Значения"), {"fields": ("choices", "ordered", "categorical", "min_value", "max_value", "min_age",
                                    "max_age", "max_length")}),
        (_("Использование"), {"fields": ("required", "used_by_model", "active", "csv_column")}),
    )

    def get_deleted_objects(self, objs, request):
        deleted, model_count, perms_needed, protected = super().get_deleted_objects(objs, request)
        for feature in objs:
            users = model_versions.active_models_using(feature.key)
            if users:
                protected = list(protected) + [
                    _("«%(label)s» используют активные модели: %(models)s")
                    % {"label": feature.label, "models": model_versions.describe_versions(users)}]
        return deleted, model_count, perms_needed, protected


@admin.register(ModelVersion)
class ModelVersionAdmin(admin.ModelAdmin):
    list_display = ("id", "bank", "algorithm", "auc", "auc_interval", "gate", "active", "activated_at", "created_at",
                    "training_data")
    list_filter = ("bank", "active", "algorithm")
    exclude = ("artifact", "encoder")
    readonly_fields = ("bank", "algorithm", "feature_keys", "artifact_format", "training_data", "metrics", "active",
                       "activated_at", "created_at")
    actions = ["activate_selected", "roll_back_selected", "compare_selected"]
    change_list_template = "admin/scoring/modelversion/change_list.html"

    def has_add_permission(self, request):
        return False  # versions come from training ("train now" or manage.py train)

    @admin.display(description="AUC")
    def auc(self, obj):
        value = (obj.metrics or {}).get("auc")
        return f"{value:.3f}" if value is not None else "—"

    @admin.display(description=_("95 % интервал AUC"))
    def auc_interval(self, obj):
        metrics = obj.metrics or {}
        low, high = metrics.get("auc_ci_low"), metrics.get("auc_ci_high")
        return f"{low:.3f}–{high:.3f}" if low is not None and high is not None else "—"

    @admin.display(description=_("проверка качества"))
    def gate(self, obj):
        return (obj.metrics or {}).get("quality_gate", "—")

    @admin.action(description=_("Сделать активной (через проверку качества)"))
    def activate_selected(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, _("Выберите одну версию."), messages.ERROR)
            return
        try:
            version = model_versions.activate(version=queryset.get(), actor=request.user)
        except model_versions.ModelVersionError as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return
        self.message_user(request, _("Версия %(id)s стала активной моделью банка «%(bank)s».")
                          % {"id": version.pk, "bank": version.bank.name}, messages.SUCCESS)

    @admin.action(description=_("Откатить банк выбранной версии к предыдущей модели"))
    def roll_back_selected(self, request, queryset):
        for bank in Bank.objects.filter(pk__in=queryset.values("bank")).order_by("code"):
            try:
                version = model_versions.roll_back(bank=bank, actor=request.user)
            except model_versions.ModelVersionError as exc:
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
        view = self.admin_site.admin_view
        return [
            path("train/", view(self.train_view), name="scoring_modelversion_train"),
            path("train/<int:run_id>/", view(self.training_run_view), name="scoring_trainingrun_progress"),
            path("compare/", view(self.compare_view), name="scoring_modelversion_compare"),
        ] + super().get_urls()

    def _require_manager(self, request):
        if not roles.can_manage_models(request.user):
            raise PermissionDenied

    def train_view(self, request):
        self._require_manager(request)
        form = TrainNowForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            run = model_versions.start_training(
                actor=request.user, source=form.cleaned_data["source"],
                bank_codes=[b.code for b in form.cleaned_data["banks"]], rows=form.cleaned_data["rows"])
            return redirect("admin:scoring_trainingrun_progress", run_id=run.pk)
        context = {**self.admin_site.each_context(request), "opts": self.model._meta, "form": form,
                   "title": _("Обучить модели сейчас"), "runs": TrainingRun.objects.all()[:10]}
        return TemplateResponse(request, "admin/scoring/train.html", context, status=400 if form.errors else 200)

    def training_run_view(self, request, run_id):
        self._require_manager(request)
        run = get_object_or_404(TrainingRun, pk=run_id)
        context = {**self.admin_site.each_context(request), "opts": self.model._meta, "run": run,
                   "title": _("Обучение №%(id)s") % {"id": run.pk}}
        if request.headers.get("HX-Request"):
            response = TemplateResponse(request, "admin/scoring/_training_progress.html", context)
            if run.is_finished:
                response.status_code = HTMX_STOP_POLLING
            return response
        return TemplateResponse(request, "admin/scoring/training_run.html", context)

    def compare_view(self, request):
        self._require_manager(request)
        form = CompareForm(request.GET or None)
        comparison = error = None
        if form.is_bound and form.is_valid():
            try:
                comparison = model_versions.compare(champion=form.cleaned_data["champion"],
                                                    challenger=form.cleaned_data["challenger"])
            except model_versions.ModelVersionError as exc:
                error = str(exc)
        context = {**self.admin_site.each_context(request), "opts": self.model._meta, "form": form,
                   "comparison": comparison, "error": error, "title": _("Чемпион и претендент")}
        status = 400 if (form.is_bound and form.errors) or error else 200
        return TemplateResponse(request, "admin/scoring/compare.html", context, status=status)


@admin.register(TrainingRun)
class TrainingRunAdmin(admin.ModelAdmin):
    list_display = ("id", "source", "bank_codes", "status", "progress", "started_by", "created_at", "finished_at")
    list_filter = ("status", "source")
    readonly_fields = ("source", "bank_codes", "rows", "status", "progress", "message", "outcomes", "started_by",
                       "created_at", "finished_at")

    def has_add_permission(self, request):
        return False  # a run is started from the model versions' "train now" page

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Read-only for everyone: the log is evidence, so it is never edited or deleted here."""

    list_display = ("at", "actor", "action", "object_type", "object_repr")
    list_filter = ("action", "object_type")
    search_fields = ("object_repr", "object_id", "actor__username")
    date_hierarchy = "at"
    readonly_fields = ("at", "actor", "action", "object_type", "object_id", "object_repr", "before", "after")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class BankScoreInline(admin.TabularInline):
    model = BankScore
    extra = 0
    can_delete = False
    fields = ("bank", "probability", "verdict", "model_version")
    readonly_fields = fields


@admin.register(Application)
class ApplicationAdmin(PersonalDataAdmin):
    list_display = ("id", "officer", "status", "created_at", "scored_at")
    list_filter = ("status",)
    readonly_fields = ("id", "officer", "client", "answers", "answers_hash", "status", "error", "parent",
                       "created_at", "updated_at", "scored_at")
    inlines = [BankScoreInline]

    def has_add_permission(self, request):
        # Applications come from the questionnaire or the API, which validate and score them; the
        # administrators' right to submit (add_application) is not a right to type one in here.
        return False


@admin.register(Client)
class ClientAdmin(PersonalDataAdmin):
    list_display = ("id", "masked_name", "masked_phone", "created_at")


@admin.register(ImportBatch)
class ImportBatchAdmin(admin.ModelAdmin):
    list_display = ("id", "file_name", "rows_total", "rows_imported", "rows_empty", "decided_on", "user", "created_at")
    readonly_fields = ("file_name", "sha256", "user", "rows_total", "rows_imported", "rows_rejected",
                       "rows_empty", "decided_on", "created_at")
    change_list_template = "admin/scoring/importbatch/change_list.html"

    def has_add_permission(self, request):
        # A batch is made by the upload page or manage.py import_applications, which validate the file.
        return False

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "can_import_history": roles.can_import_history(request.user)}
        return super().changelist_view(request, extra_context)

    def get_urls(self):
        upload = _importers_only(self.admin_site.admin_view(self.upload_view))
        return [path("upload/", upload, name="scoring_importbatch_upload")] + super().get_urls()

    def upload_view(self, request):
        """The command's import from the browser: all or nothing, every refused row listed with its reason."""
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
                   "max_upload_bytes": settings.PRESCORING["MAX_UPLOAD_BYTES"]}
        refused = form.errors or refusal or (report is not None and not report.accepted)
        return TemplateResponse(request, "admin/scoring/importbatch/upload.html", context,
                                status=400 if refused else 200)


def _importers_only(view):
    """403 for a signed-in user who may not import history (officers, analysts, staff or not); the
    admin's own check then sends anonymous visitors to its login page."""
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if request.user.is_authenticated and not roles.can_import_history(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)
    return wrapped


@admin.register(HistoricalApplication)
class HistoricalApplicationAdmin(admin.ModelAdmin):
    """Read-only: imported history is evidence for training, so it is replaced by a new import, not edited."""

    list_display = ("id", "batch", "row_number", "external_id", "decisions", "created_at")
    list_filter = ("batch",)
    search_fields = ("external_id",)
    readonly_fields = ("batch", "row_number", "external_id", "answers", "decisions", "p_true", "created_at")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


# --- the integration API (scoring/webhooks.py) ---------------------------------------------------------

from django.db import models  # noqa: E402

from scoring.models import ApiClient, WebhookDelivery  # noqa: E402


@admin.register(ApiClient)
class ApiClientAdmin(admin.ModelAdmin):
    list_display = ("user", "callback_url", "created_at")
    search_fields = ("user__username", "callback_url")
    readonly_fields = ("created_at",)
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(PersonalDataAdmin):
    """Read-only: the log of what was sent where and what the receiver answered (payloads carry the
    client's name and phone as the submitter saw them)."""

    list_display = ("id", "application", "api_client", "url", "status", "attempts", "response_status",
                    "created_at", "delivered_at")
    list_filter = ("status",)
    search_fields = ("url", "application__id")
    readonly_fields = ("api_client", "application", "url", "payload", "status", "attempts", "response_status",
                       "last_error", "created_at", "delivered_at")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
