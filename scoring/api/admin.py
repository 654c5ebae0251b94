"""The administrator's pages for the integration API: API clients (callback URLs) and the webhook
delivery log."""
from django import forms
from django.contrib import admin, messages
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy, pgettext_lazy
from rest_framework.authtoken.admin import TokenProxy

from scoring.admin import AuditedAdmin, Noun, PersonalDataAdmin
from scoring.api.callbacks import CallbackRefused, check_url
from scoring.models import ApiClient, ApiToken, WebhookDelivery, new_token_key

# DRF's own token admin would show (and create) plain tokens; the product's are hashed (ApiToken).
if admin.site.is_registered(TokenProxy):
    admin.site.unregister(TokenProxy)


class ApiClientForm(forms.ModelForm):
    class Meta:
        model = ApiClient
        fields = "__all__"

    def clean_callback_url(self):
        """Refuse a URL the product may not call (scoring/api/callbacks.py): checked again at every delivery."""
        url = self.cleaned_data.get("callback_url", "")
        if url:
            try:
                check_url(url)
            except CallbackRefused as exc:
                raise forms.ValidationError(_("Этот адрес нельзя использовать для уведомлений: %(why)s.")
                                            % {"why": exc}) from None
        return url


@admin.register(ApiClient)
class ApiClientAdmin(AuditedAdmin):
    """Callback URLs and signing secrets: every change is in the product's audit log (the secret masked)."""

    noun = Noun("m", _("клиента API"), pgettext_lazy("родительный падеж", "клиента API"),
                ngettext_lazy("%(count)s клиент API", "%(count)s клиентов API", "n"))
    form = ApiClientForm
    list_display = ("user", "callback_url", "created_at")
    search_fields = ("user__username", "callback_url")
    readonly_fields = ("created_at",)
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


class ApiTokenForm(forms.ModelForm):
    days = forms.IntegerField(label=_("действует, дней"), min_value=0, required=False,
                              help_text=_("Пусто — срок по умолчанию из настроек; 0 — бессрочно."))

    class Meta:
        model = ApiToken
        fields = ("user", "name")


@admin.register(ApiToken)
class ApiTokenAdmin(AuditedAdmin):
    """Issuing and revoking API tokens. The key is shown once, on issue; only its SHA-256 is kept."""

    noun = Noun("m", _("токен API"), pgettext_lazy("родительный падеж", "токена API"),
                ngettext_lazy("%(count)s токен API", "%(count)s токенов API", "n"))
    list_display = ("user", "name", "prefix", "created_at", "expires_at")
    search_fields = ("user__username", "name", "prefix")
    readonly_fields = ("prefix", "created_at", "expires_at")

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = ApiTokenForm
        return super().get_form(request, obj, **kwargs)

    def get_fields(self, request, obj=None):
        return ("user", "name", "days") if obj is None else ("user", "name", "prefix", "created_at", "expires_at")

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else ("user", "prefix", "created_at", "expires_at")

    def save_model(self, request, obj, form, change):
        key = None
        if not change:
            key = new_token_key()
            obj.set_key(key, days=form.cleaned_data.get("days"))
        super().save_model(request, obj, form, change)
        if key:
            messages.warning(request, _("Токен для %(user)s: %(key)s — скопируйте его сейчас, "
                                        "он больше не будет показан.")
                             % {"user": obj.user, "key": key})


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(PersonalDataAdmin):
    """Read-only: the log of what was sent where and what the receiver answered (payloads carry the
    client's name and phone as the submitter saw them)."""

    noun = Noun("n", _("уведомление"), pgettext_lazy("родительный падеж", "уведомления"),
                ngettext_lazy("%(count)s уведомление", "%(count)s уведомлений", "n"))
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
