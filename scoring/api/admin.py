"""The administrator's pages for the integration API: API clients (callback URLs) and the webhook
delivery log."""
from django import forms
from django.contrib import admin
from django.db import models

from scoring.admin import PersonalDataAdmin
from scoring.api.callbacks import CallbackRefused, check_url
from scoring.models import ApiClient, WebhookDelivery


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
                raise forms.ValidationError(f"Этот адрес нельзя использовать для уведомлений: {exc}.") from None
        return url


@admin.register(ApiClient)
class ApiClientAdmin(admin.ModelAdmin):
    form = ApiClientForm
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
