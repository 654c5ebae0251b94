"""Model operations' records: trained model versions, training runs, and the imported history of
the banks' decisions they learn from."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from scoring.models.catalogue import Bank


class ModelVersion(models.Model):
    """A trained model of one bank. The artifact is the engine's "prescoring-psm1" format
    (scoring.engine.estimators: a JSON header, then XGBoost's UBJ or JSON numbers), never pickle."""

    bank = models.ForeignKey(Bank, on_delete=models.CASCADE, related_name="model_versions",
                             verbose_name=_("банк"))
    algorithm = models.CharField(_("алгоритм"), max_length=32, default="xgboost")
    encoder = models.JSONField(_("кодирование признаков"))
    feature_keys = models.JSONField(_("поля анкеты"), default=list)
    artifact = models.BinaryField(_("артефакт модели"))
    # What scoring.engine.training.ARTIFACT_FORMAT says every artifact is (estimators.to_bytes).
    artifact_format = models.CharField(_("формат артефакта"), max_length=16, default="prescoring-psm1")
    training_data = models.CharField(_("данные обучения"), max_length=300, blank=True)
    metrics = models.JSONField(_("метрики"), default=dict, blank=True)
    active = models.BooleanField(_("активна"), default=False)
    activated_at = models.DateTimeField(_("активирована"), null=True, blank=True,
                                        help_text=_("Когда версия последний раз стала активной: по ней находится "
                                                    "предыдущая версия для отката."))
    created_at = models.DateTimeField(_("создана"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("версия модели")
        verbose_name_plural = _("версии моделей")
        constraints = [
            models.UniqueConstraint(fields=["bank"], condition=models.Q(active=True),
                                    name="one_active_model_per_bank"),
        ]

    def __str__(self):
        return f"{self.bank.code} v{self.pk} ({self.algorithm})"


class ImportBatch(models.Model):
    """One imported historical-decisions CSV file. Stored only when every row of it was accepted."""

    file_name = models.CharField(_("файл"), max_length=255)
    sha256 = models.CharField(
        _("SHA-256 содержимого"), max_length=64, unique=True,
        help_text=_("Один и тот же файл дважды не загружается."),
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="import_batches", verbose_name=_("загрузил"))
    rows_total = models.PositiveIntegerField(_("строк всего"), default=0)
    rows_imported = models.PositiveIntegerField(_("загружено"), default=0)
    rows_rejected = models.PositiveIntegerField(_("отклонено"), default=0)
    rows_empty = models.PositiveIntegerField(_("пустых строк"), default=0)
    rows_flagged = models.PositiveIntegerField(
        _("с пометками"), default=0,
        help_text=_("Загруженные строки с неправдоподобными или неизвестными значениями (см. отчёт)."))
    report = models.JSONField(
        _("отчёт"), default=dict, blank=True,
        help_text=_("Что загрузка заметила: пропущенные строки с причинами, пометки, неизвестные значения."))
    decided_on = models.DateField(
        _("дата решений"), null=True, blank=True,
        help_text=_("День, когда банки приняли эти решения: возраст и стаж считаются к нему. "
                    "Пусто — день загрузки (загрузки до этого поля)."))
    created_at = models.DateTimeField(_("загружен"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("загрузка истории")
        verbose_name_plural = _("загрузки истории")

    def __str__(self):
        return f"{self.file_name} ({self.rows_imported})"


class HistoricalApplication(models.Model):
    """One application from a lender's history, with the banks' decisions: training data.

    answers: validated answers as validate_answers stores them (feature key -> value or None);
    decisions: bank code -> 'success', 'denied' or 'error' (banks with an empty field are left out);
    p_true: bank code -> true approval probability, only for synthetic files that carry it.
    """

    batch = models.ForeignKey(ImportBatch, on_delete=models.CASCADE, related_name="applications",
                              verbose_name=_("загрузка"))
    row_number = models.PositiveIntegerField(_("строка файла"))
    external_id = models.CharField(_("id отправителя"), max_length=100, blank=True)
    answers = models.JSONField(_("ответы анкеты"))
    decisions = models.JSONField(_("решения банков"), default=dict)
    p_true = models.JSONField(_("истинные вероятности одобрения"), null=True, blank=True)
    decided_on = models.DateField(
        _("дата решения"), null=True, blank=True,
        help_text=_("Из колонки даты решения файла; пусто — дата решений всей загрузки."))
    flags = models.JSONField(
        _("пометки"), default=dict, blank=True,
        help_text=_("Поле -> что в нём неправдоподобно или неизвестно; значение сохранено как было."))
    created_at = models.DateTimeField(_("создана"), auto_now_add=True)

    class Meta:
        ordering = ["batch", "row_number"]
        verbose_name = _("историческая заявка")
        verbose_name_plural = _("исторические заявки")
        indexes = [models.Index(fields=["batch", "row_number"], name="historical_batch_row")]

    def __str__(self):
        return f"{self.batch_id}:{self.row_number}"


class TrainingRun(models.Model):
    """One "train now" request from the admin: the Celery task writes its progress here, the page polls it."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("в очереди")
        RUNNING = "running", _("обучается")
        DONE = "done", _("готово")
        FAILED = "failed", _("ошибка")

    class Source(models.TextChoices):
        SYNTHETIC = "synthetic", _("синтетические данные")
        IMPORTED = "imported", _("загруженная история")
        OUTCOMES = "outcomes", _("записанные ответы банков")

    source = models.CharField(_("данные"), max_length=16, choices=Source.choices, default=Source.IMPORTED)
    bank_codes = models.JSONField(_("банки"), default=list, blank=True, help_text=_("Пусто: все активные банки."))
    rows = models.PositiveIntegerField(_("строк (синтетика)"), default=20_000)
    status = models.CharField(_("статус"), max_length=16, choices=Status.choices, default=Status.QUEUED,
                              db_index=True)
    progress = models.PositiveSmallIntegerField(_("готово, %"), default=0)
    message = models.TextField(_("сообщение"), blank=True)
    language = models.CharField(
        _("язык"), max_length=16, blank=True,
        help_text=_("На каком языке запустивший читал страницу: на нём обучение пишет сообщения. Пусто — язык по умолчанию."))
    outcomes = models.JSONField(_("итоги по банкам"), default=list, blank=True)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name=_("запустил"))
    created_at = models.DateTimeField(_("запущено"), auto_now_add=True)
    finished_at = models.DateTimeField(_("завершено"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("обучение моделей")
        verbose_name_plural = _("обучения моделей")

    def __str__(self):
        return f"#{self.pk} {self.get_source_display()} ({self.get_status_display()})"

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)
