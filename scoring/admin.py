"""The administrator's pages for the domain's records: applications with their scores, clients, and
the audit log; and the base classes the other rooms' admin pages share.

Every change made through an AuditedAdmin is written to the audit log with the state before and
after; the log itself is read-only. Banks, fields and models: scoring/modelops/admin.py; API clients
and webhook deliveries: scoring/api/admin.py.
"""
from django.contrib import admin
from django.db import transaction

from scoring.accounts import roles
from scoring.models import Application, AuditEntry, BankScore, Client
from scoring.services import application_columns, audit


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

    def get_queryset(self, request):
        # The model version is shown by name ("bank_a v3 (xgboost)"): not with its model and encoding.
        return super().get_queryset(request).select_related("bank", "model_version__bank").defer(
            "model_version__artifact", "model_version__encoder", "model_version__metrics")


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

    def save_model(self, request, obj, form, change):
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            # The applications list searches copies of the name and phone: correct them too.
            application_columns.refresh_client_columns(obj)


