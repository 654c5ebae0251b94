from django.apps import AppConfig


class ScoringConfig(AppConfig):
    """The domain: banks, questionnaire fields, applications and their scores, model versions; the
    services that change them, the selectors that read them, the scoring task and the engine."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "scoring"
    verbose_name = "Прескоринг"

    def ready(self):
        from scoring.services import config_cache

        config_cache.connect()
