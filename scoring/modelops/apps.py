from django.apps import AppConfig


class ModelOpsConfig(AppConfig):
    """Model operations: the banks and questionnaire the models read, the history they learn from,
    training, versions and evaluation; the administrator's pages and commands for them."""

    name = "scoring.modelops"
    label = "modelops"
    verbose_name = "Модели"
