"""The administrator's pages for the domain's records: applications with their scores, clients, and
the audit log; and the base classes the other rooms' admin pages share.

Every change made through an AuditedAdmin is written to the audit log with the state before and
after; the log itself is read-only. Banks, fields and models: scoring/modelops/admin.py; API clients
and webhook deliveries: scoring/api/admin.py.
"""
from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.utils import unquote
from django.db import transaction
from django.db.models import Count
from django.template.response import TemplateResponse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from scoring.accounts import roles
from scoring.models import Application, AuditEntry, BankScore, Client
from scoring.services import application_columns, audit, erasure


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
    whatever model permissions a user was given (an analyst made staff still gets 403).

    Every page of one object (change, history, delete confirmation) that these roles open is a read
    of that object's client: one audit entry `view_personal_data` names the client by id. The lists
    show no client or masked ones, and write nothing.
    """

    # How to reach the client from one of this model's objects (None: derived from its fields).
    client_lookup: str | None = None

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        response = super().changeform_view(request, object_id, form_url, extra_context)
        self.record_read(request, response, object_id, "change page")
        return response

    def history_view(self, request, object_id, extra_context=None):
        response = super().history_view(request, object_id, extra_context)
        self.record_read(request, response, object_id, "history")
        return response

    def delete_view(self, request, object_id, extra_context=None):
        response = super().delete_view(request, object_id, extra_context)
        self.record_read(request, response, object_id, "delete confirmation")
        return response

    def record_read(self, request, response, object_id, page: str) -> None:
        """The audit entry for a page of one object that was shown (200), if it has a client."""
        if object_id is None or response.status_code != 200:
            return
        lookup = self.client_lookup or self._derived_client_lookup()
        client_ids = list(self.model._default_manager.filter(pk=unquote(object_id)).values_list(lookup, flat=True))
        audit.record_personal_data_read(actor=request.user, client_ids=client_ids,
                                        where=f"admin {self.model._meta.model_name} {page}")

    def _derived_client_lookup(self) -> str:
        names = {field.name for field in self.model._meta.get_fields()}
        if "client" in names:
            return "client_id"
        if "application" in names:
            return "application__client_id"
        raise NotImplementedError(f"{type(self).__name__}: set client_lookup")

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
    """Clients, masked in the list; found by id, name or phone to be erased on the person's request.

    Edits and deletions are audited by id and changed field names, never the values: the audit log
    holds no name or phone (scoring/services/erasure.py would have to find them there). A deletion
    is an erasure: every copy of the name and phone goes too.
    """

    list_display = ("id", "masked_name", "masked_phone", "created_at")
    search_fields = ("=id", "full_name", "phone")
    actions = ("erase_personal_data",)
    client_lookup = "pk"

    def action_checkbox(self, obj):
        """The list's checkbox, labelled for screen readers with the masked name (Django puts str(obj),
        the full name, there: the list would carry it unmasked)."""
        checkbox = forms.CheckboxInput({"class": "action-select", "aria-label": format_html(
            _("Выбрать клиента #{} {}"), obj.pk, obj.masked_name)}, lambda value: False)
        return checkbox.render(ACTION_CHECKBOX_NAME, str(obj.pk))

    def save_model(self, request, obj, form, change):
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            # The applications list searches copies of the name and phone: correct them too.
            application_columns.refresh_client_columns(obj)
            if form.changed_data or not change:
                audit.record(actor=request.user, action="update" if change else "create", obj=obj,
                             object_repr=f"клиент #{obj.pk}", after={"changed": sorted(form.changed_data)})

    def delete_model(self, request, obj):
        erasure.erase_clients([obj.pk], actor=request.user, reason="request")

    def delete_queryset(self, request, queryset):
        erasure.erase_clients(list(queryset.values_list("pk", flat=True)), actor=request.user, reason="request")

    def has_erase_permission(self, request):
        return roles.sees_personal_data(request.user) and roles.can_erase_clients(request.user)

    @admin.action(description=gettext_lazy("Стереть персональные данные"), permissions=["erase"])
    def erase_personal_data(self, request, queryset):
        """Erase the selected clients (scoring/services/erasure.py) after a confirmation page."""
        if request.POST.get("confirm") == "yes":
            after = erasure.erase_clients(list(queryset.values_list("pk", flat=True)), actor=request.user,
                                          reason="request")
            self.message_user(request, _("Персональные данные стёрты, клиентов: %(count)s (№ %(ids)s).")
                              % {"count": len(after["clients"]), "ids": ", ".join(map(str, after["clients"]))},
                              messages.SUCCESS)
            return None
        clients = queryset.annotate(application_count=Count("applications")).order_by("pk")
        context = {**self.admin_site.each_context(request), "opts": self.model._meta, "clients": clients,
                   "title": _("Стереть персональные данные"), "action_checkbox_name": ACTION_CHECKBOX_NAME}
        return TemplateResponse(request, "admin/scoring/client/erase_confirmation.html", context)


