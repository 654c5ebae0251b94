from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalyticsConfig(AppConfig):
    """Analytics for the people who run the lending: its own pages and two small models."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "scoring.analytics"
    label = "analytics"
    verbose_name = _("Аналитика")
