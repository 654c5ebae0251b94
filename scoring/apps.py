from django.apps import AppConfig


class ScoringConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "scoring"
    verbose_name = "Прескоринг"

    def ready(self):
        from scoring import config_cache
        from scoring import lockout  # noqa: F401 - connects the login failure/success receivers

        config_cache.connect()
