"""The administrator's pages for the domain's records: applications with their scores, clients, and
the audit log; and the base classes the other rooms' admin pages share.

Every change made through an AuditedAdmin is written to the audit log with the state before and
after; the log itself is read-only. Banks, fields and models: scoring/modelops/admin.py; API clients
and webhook deliveries: scoring/api/admin.py.
"""
from dataclasses import dataclass

from django import forms
from django.apps import apps
from django.contrib import admin, messages
from django.contrib.admin.actions import delete_selected
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.utils import unquote
from django.contrib.auth import admin as auth_admin
from django.contrib.auth.models import Group, User
from django.db import transaction
from django.db.models import Count
from django.template.response import TemplateResponse
from django.utils import formats
from django.utils.html import format_html
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext_lazy, pgettext_lazy

from scoring.accounts import roles
from scoring.models import Application, AuditEntry, BankScore, Client
from scoring.services import application_columns, audit, erasure

admin.site.site_header = admin.site.site_title = gettext_lazy("Прескоринг")
admin.site.index_title = gettext_lazy("Настройки и журналы")


def count_of(count: int, forms) -> str:
    """«1 банк», «3 банка», «12 034 банка». forms: ngettext_lazy("%(count)s банк", "%(count)s банков", "n");
    the catalogue of each language holds its plural forms (locale/ru: the three Russian ones)."""
    return str(forms % {"n": count, "count": formats.number_format(count, force_grouping=True)})


@dataclass(frozen=True)
class Noun:
    """A model's name in the forms the admin's Russian sentences need. Django's admin puts the nominative
    verbose_name everywhere («Выберите версия модели», «Группа … был успешно добавлен», «5 банки»)."""

    gender: str  # "m", "f" or "n": «добавлен», «добавлена», «добавлено»
    accusative: str  # выберите, добавить, изменить, удалить …: «версию модели», «клиента»
    genitive: str  # просмотр, удаление …: «версии модели»
    counted: object  # ngettext_lazy("%(count)s банк", "%(count)s банков", "n"): see count_of

    def count(self, count: int) -> str:
        return count_of(count, self.counted)


ADDED = {"m": gettext_lazy("%(name)s «%(obj)s» добавлен."), "f": gettext_lazy("%(name)s «%(obj)s» добавлена."),
         "n": gettext_lazy("%(name)s «%(obj)s» добавлено.")}
CHANGED = {"m": gettext_lazy("%(name)s «%(obj)s» изменён."), "f": gettext_lazy("%(name)s «%(obj)s» изменена."),
           "n": gettext_lazy("%(name)s «%(obj)s» изменено.")}
DELETED = {"m": gettext_lazy("%(name)s «%(obj)s» удалён."), "f": gettext_lazy("%(name)s «%(obj)s» удалена."),
           "n": gettext_lazy("%(name)s «%(obj)s» удалено.")}


class PhrasedAdmin(admin.ModelAdmin):
    """The admin's titles, counts and messages in grammatical Russian, from the model's Noun: every
    registered model's admin derives from this class."""

    noun: Noun

    # --- titles and counts ---

    def get_changelist_instance(self, request):
        changelist = super().get_changelist_instance(request)
        name = self.noun.accusative
        if changelist.is_popup:
            changelist.title = _("Выберите %(name)s") % {"name": name}
        elif self.has_change_permission(request):
            changelist.title = _("Выберите %(name)s для изменения") % {"name": name}
        else:
            changelist.title = _("Выберите %(name)s для просмотра") % {"name": name}
        changelist.count_text = self.noun.count(changelist.result_count)  # pagination.html, actions.html
        return changelist

    def changelist_view(self, request, extra_context=None):
        if request.method == "POST" and "_save" in request.POST:  # the list's editable columns
            request.admin_changed = 0
            request.admin_phrase = lambda: _("Изменено: %(things)s.") % {
                "things": self.noun.count(request.admin_changed)}
        extra_context = {"add_title": _("Добавить %(name)s") % {"name": self.noun.accusative},
                         **(extra_context or {})}
        return super().changelist_view(request, extra_context)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        extra_context = {**(extra_context or {}), "title": self._form_title(request, object_id)}
        return super().changeform_view(request, object_id, form_url, extra_context)

    def _form_title(self, request, object_id) -> str:
        if object_id is None or "_saveasnew" in request.POST:
            return _("Добавить %(name)s") % {"name": self.noun.accusative}
        obj = self.get_object(request, unquote(object_id))
        if self.has_change_permission(request, obj):
            return _("Изменить %(name)s") % {"name": self.noun.accusative}
        return _("Просмотр %(name)s") % {"name": self.noun.genitive}

    def delete_view(self, request, object_id, extra_context=None):
        # templates/admin/delete_confirmation.html: «удалить клиента …», «удаление версии модели …».
        extra_context = {**(extra_context or {}), "object_name": self.noun.accusative,
                         "object_name_genitive": self.noun.genitive}
        return super().delete_view(request, object_id, extra_context)

    # --- messages ---

    def message_user(self, request, message, level=messages.INFO, extra_tags="", fail_silently=False):
        """Django's success message for an add, change or deletion replaced with this model's sentence."""
        phrase = getattr(request, "admin_phrase", None)
        if phrase is not None and level == messages.SUCCESS:
            request.admin_phrase = None
            message = phrase()
        super().message_user(request, message, level, extra_tags, fail_silently)

    def _saved(self, request, obj, sentences) -> str:
        text = sentences[self.noun.gender] % {"name": capfirst(self.opts.verbose_name), "obj": obj}
        if "_continue" in request.POST:
            text += " " + _("Ниже можно продолжить правку.")
        elif "_addanother" in request.POST:
            text += " " + _("Ниже можно добавить ещё %(name)s.") % {"name": self.noun.accusative}
        return format_html("{}", text)

    def response_add(self, request, obj, post_url_continue=None):
        request.admin_phrase = lambda: self._saved(request, obj, ADDED)
        return super().response_add(request, obj, post_url_continue)

    def response_change(self, request, obj):
        saved_as_new = "_saveasnew" in request.POST
        request.admin_phrase = lambda: self._saved(request, obj, ADDED if saved_as_new else CHANGED)
        return super().response_change(request, obj)

    def response_delete(self, request, obj_display, obj_id):
        request.admin_phrase = lambda: DELETED[self.noun.gender] % {"name": capfirst(self.opts.verbose_name),
                                                                    "obj": obj_display}
        return super().response_delete(request, obj_display, obj_id)

    def log_change(self, request, obj, message):
        if hasattr(request, "admin_changed"):
            request.admin_changed += 1
        return super().log_change(request, obj, message)

    # --- deleting the selected ---

    def get_actions(self, request):
        actions = super().get_actions(request)
        if "delete_selected" in actions:
            actions["delete_selected"] = (PhrasedAdmin.delete_selected_counted, "delete_selected",
                                          _("Удалить выбранное"))
        return actions

    def delete_selected_counted(self, request, queryset):
        """Django's action, with the count in words on its confirmation page and in its message."""
        count = queryset.count()
        request.admin_phrase = lambda: _("Удалено: %(things)s.") % {"things": self.noun.count(count)}
        response = delete_selected(self, request, queryset)
        if isinstance(response, TemplateResponse):
            response.context_data["objects_name"] = self.noun.count(count)
        return response


class AuditedAdmin(PhrasedAdmin):
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


class PersonalDataAdmin(PhrasedAdmin):
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


# What the audit log's action codes mean (scoring/services/audit.py and its callers).
AUDIT_ACTIONS = {
    "create": gettext_lazy("создание"), "update": gettext_lazy("изменение"), "delete": gettext_lazy("удаление"),
    "activate": gettext_lazy("активация модели"), "deactivate": gettext_lazy("отключение модели"),
    "rollback": gettext_lazy("откат модели"), "load_config": gettext_lazy("загрузка настроек"),
    "import_history": gettext_lazy("загрузка истории решений"), "issue_token": gettext_lazy("выпуск токена API"),
    "revoke_token": gettext_lazy("отзыв токена API"),
    "view_personal_data": gettext_lazy("просмотр персональных данных"),
    "erase_personal_data": gettext_lazy("стирание персональных данных"),
}


def audit_action_label(code: str) -> str:
    return str(AUDIT_ACTIONS.get(code, code))


def object_type_label(label: str) -> str:
    """«Банк» for "scoring.bank": the model's name; the code itself for a model that no longer exists."""
    try:
        return capfirst(apps.get_model(label)._meta.verbose_name)
    except (LookupError, ValueError):
        return label


class AuditActionFilter(admin.SimpleListFilter):
    title = gettext_lazy("действие")
    parameter_name = "action"

    def lookups(self, request, model_admin):
        codes = AuditEntry.objects.order_by().values_list("action", flat=True).distinct()
        return sorted(((code, audit_action_label(code)) for code in codes), key=lambda pair: pair[1])

    def queryset(self, request, queryset):
        return queryset.filter(action=self.value()) if self.value() else queryset


class AuditObjectTypeFilter(admin.SimpleListFilter):
    title = gettext_lazy("тип объекта")
    parameter_name = "object_type"

    def lookups(self, request, model_admin):
        labels = AuditEntry.objects.order_by().values_list("object_type", flat=True).distinct()
        return sorted(((label, object_type_label(label)) for label in labels if label), key=lambda pair: pair[1])

    def queryset(self, request, queryset):
        return queryset.filter(object_type=self.value()) if self.value() else queryset


@admin.register(AuditEntry)
class AuditEntryAdmin(PhrasedAdmin):
    """Read-only for everyone: the log is evidence, so it is never edited or deleted here."""

    noun = Noun("f", gettext_lazy("запись журнала"), pgettext_lazy("родительный падеж", "записи журнала"),
                ngettext_lazy("%(count)s запись журнала", "%(count)s записей журнала", "n"))

    list_display = ("at", "actor", "action_display", "object_type_display", "object_repr")
    list_filter = (AuditActionFilter, AuditObjectTypeFilter)
    search_fields = ("object_repr", "object_id", "actor__username")
    date_hierarchy = "at"
    fields = ("at", "actor", "action_display", "object_type_display", "object_id", "object_repr", "before", "after")
    readonly_fields = fields

    @admin.display(description=gettext_lazy("действие"), ordering="action")
    def action_display(self, entry):
        return audit_action_label(entry.action)

    @admin.display(description=gettext_lazy("тип объекта"), ordering="object_type")
    def object_type_display(self, entry):
        return object_type_label(entry.object_type)

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
    fields = ("bank", "probability_display", "verdict", "model_version")
    readonly_fields = fields

    @admin.display(description=gettext_lazy("вероятность одобрения"))
    def probability_display(self, score):
        return "—" if score.probability is None else f"{formats.number_format(score.probability * 100, 1)} %"

    def get_queryset(self, request):
        # The model version is shown by name ("bank_a v3 (xgboost)"): not with its model and encoding.
        return super().get_queryset(request).select_related("bank", "model_version__bank").defer(
            "model_version__artifact", "model_version__encoder", "model_version__metrics")


@admin.register(Application)
class ApplicationAdmin(PersonalDataAdmin):
    noun = Noun("f", gettext_lazy("заявку"), pgettext_lazy("родительный падеж", "заявки"),
                ngettext_lazy("%(count)s заявка", "%(count)s заявок", "n"))
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

    noun = Noun("m", gettext_lazy("клиента"), pgettext_lazy("родительный падеж", "клиента"),
                ngettext_lazy("%(count)s клиент", "%(count)s клиентов", "n"))
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




# django.contrib.auth's pages (registered before this module is read), with the same wording.
admin.site.unregister(User)
admin.site.unregister(Group)


@admin.register(User)
class UserAdmin(PhrasedAdmin, auth_admin.UserAdmin):
    noun = Noun("m", gettext_lazy("пользователя"), pgettext_lazy("родительный падеж", "пользователя"),
                ngettext_lazy("%(count)s пользователь", "%(count)s пользователей", "n"))


@admin.register(Group)
class GroupAdmin(PhrasedAdmin, auth_admin.GroupAdmin):
    noun = Noun("f", gettext_lazy("группу"), pgettext_lazy("родительный падеж", "группы"),
                ngettext_lazy("%(count)s группа", "%(count)s групп", "n"))
