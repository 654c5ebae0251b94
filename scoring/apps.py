from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ScoringConfig(AppConfig):
    """The domain: banks, questionnaire fields, applications and their scores, model versions; the
    services that change them, the selectors that read them, the scoring task and the engine."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "scoring"
    verbose_name = _("Прескоринг")  # the admin's section of the domain's models, in the reader's language

    def ready(self):
        from scoring.services import config_cache

        config_cache.connect()
