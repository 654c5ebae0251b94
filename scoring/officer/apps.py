from django.apps import AppConfig


class OfficerConfig(AppConfig):
    """The loan officer's pages: the questionnaire, the result, the list of applications."""

    name = "scoring.officer"
    label = "officer"
    verbose_name = "Кредитный специалист"
