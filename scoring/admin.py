from django.contrib import admin

from scoring.models import (Application, Bank, BankScore, Client, Feature, HistoricalApplication, ImportBatch,
                            ModelVersion)


@admin.register(Bank)
class BankAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "active", "annual_rate", "min_amount", "max_amount", "approval_threshold")
    list_filter = ("active",)
    search_fields = ("code", "name")


@admin.register(Feature)
class FeatureAdmin(admin.ModelAdmin):
    list_display = ("order", "key", "label", "type", "required", "used_by_model", "active")
    list_display_links = ("key",)
    list_editable = ("order",)
    list_filter = ("type", "active", "used_by_model")
    search_fields = ("key", "label")


@admin.register(ModelVersion)
class ModelVersionAdmin(admin.ModelAdmin):
    list_display = ("id", "bank", "algorithm", "auc", "active", "created_at", "training_data")
    list_filter = ("bank", "active", "algorithm")
    exclude = ("artifact",)
    readonly_fields = ("bank", "algorithm", "encoder", "feature_keys", "artifact_format", "training_data",
                       "metrics", "created_at")

    @admin.display(description="AUC")
    def auc(self, obj):
        value = (obj.metrics or {}).get("auc")
        return f"{value:.3f}" if value is not None else "—"


class BankScoreInline(admin.TabularInline):
    model = BankScore
    extra = 0
    can_delete = False
    fields = ("bank", "probability", "verdict", "model_version")
    readonly_fields = fields


@admin.register(Application)
class ApplicationAdmin(admin.ModelAdmin):
    list_display = ("id", "officer", "status", "created_at", "scored_at")
    list_filter = ("status",)
    readonly_fields = ("id", "officer", "client", "answers", "answers_hash", "status", "error", "parent",
                       "created_at", "updated_at", "scored_at")
    inlines = [BankScoreInline]


@admin.register(Client)
class ClientAdmin(admin.ModelAdmin):
    list_display = ("id", "masked_name", "masked_phone", "created_at")


@admin.register(ImportBatch)
class ImportBatchAdmin(admin.ModelAdmin):
    list_display = ("id", "file_name", "rows_total", "rows_imported", "rows_empty", "user", "created_at")
    readonly_fields = ("file_name", "sha256", "user", "rows_total", "rows_imported", "rows_rejected",
                       "rows_empty", "created_at")

    def has_add_permission(self, request):
        # A batch is made by manage.py import_applications, which validates the file; not by hand.
        return False


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
class WebhookDeliveryAdmin(admin.ModelAdmin):
    """Read-only: the log of what was sent where and what the receiver answered."""

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
