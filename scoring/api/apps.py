from django.apps import AppConfig


class ApiConfig(AppConfig):
    """The REST API for integrators: its views, serializers, webhooks and their admin pages."""

    name = "scoring.api"
    label = "api"
    verbose_name = "API"

    def ready(self):
        from scoring.api import tasks
        from scoring.signals import scoring_finished

        scoring_finished.connect(tasks.notify_integrator, dispatch_uid="api-webhooks")
        tasks.connect()
