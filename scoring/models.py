"""The domain: banks, questionnaire fields, clients, applications, models and their scores."""
import uuid
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from scoring.engine.explanations import waterfall
from scoring.engine.features import FEATURE_TYPES, MAX_CATEGORY_CODE, FeatureSpec, categorical_problem
from scoring.engine.rules import parse_rules


class Bank(models.Model):
    code = models.SlugField(_("код"), max_length=32, unique=True)
    name = models.CharField(_("название"), max_length=100)
    active = models.BooleanField(_("активен"), default=True)
    annual_rate = models.DecimalField(
        _("ставка, % годовых"), max_digits=5, decimal_places=2,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    min_amount = models.DecimalField(_("мин. сумма, ₽"), max_digits=12, decimal_places=2)
    max_amount = models.DecimalField(_("макс. сумма, ₽"), max_digits=12, decimal_places=2)
    terms = models.JSONField(_("сроки, мес."), default=list, help_text=_("Например: [6, 12, 18, 24]"))
    approval_threshold = models.FloatField(
        _("порог одобрения"), default=0.5,
        validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
        help_text=_("Вероятность, начиная с которой банк скорее одобрит заявку."),
    )
    csv_decision_column = models.CharField(
        _("колонка решения в CSV"), max_length=100, blank=True,
        help_text=_("Колонка с решениями этого банка в файле исторических заявок."),
    )
    rules = models.JSONField(
        _("стоп-правила"), default=list, blank=True,
        help_text=_('Список правил: {"field": ..., "operator": ..., "value": ..., "reason": ...}'),
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("банк")
        verbose_name_plural = _("банки")

    def __str__(self):
        return self.name

    def clean(self):
        errors = {}
        if self.min_amount is not None and self.max_amount is not None and self.min_amount > self.max_amount:
            errors["max_amount"] = _("Максимальная сумма должна быть не меньше минимальной.")
        if self.approval_threshold is not None and not 0 < self.approval_threshold < 1:
            errors["approval_threshold"] = _("Порог должен быть строго между 0 и 1.")
        if not isinstance(self.rules, list) or not all(isinstance(r, dict) for r in self.rules):
            errors["rules"] = _("Стоп-правила: ожидается список объектов {field, operator, value, reason}.")
        else:
            try:
                parse_rules(self.rules)
            except ValueError as exc:
                errors["rules"] = _("Ошибка в стоп-правилах: %(e)s") % {"e": exc}
        terms = self.terms
        if not isinstance(terms, list) or not terms or not all(isinstance(t, int) and t > 0 for t in terms):
            errors["terms"] = _("Укажите хотя бы один срок: список целых чисел месяцев.")
        if errors:
            raise ValidationError(errors)

    @property
    def active_model(self):
        return self.model_versions.filter(active=True).first()


class Feature(models.Model):
    """One questionnaire field. The form, the API, validation and training follow this table."""

    TYPE_CHOICES = [(t, t) for t in FEATURE_TYPES]

    key = models.SlugField(_("ключ"), max_length=64, unique=True)
    label = models.CharField(_("название"), max_length=200)
    label_en = models.CharField(_("название (англ.)"), max_length=200, blank=True)
    help_text = models.CharField(_("подсказка"), max_length=300, blank=True)
    type = models.CharField(_("тип"), max_length=16, choices=TYPE_CHOICES)
    choices = models.JSONField(
        _("варианты"), default=list, blank=True,
        help_text=_('Для выбора: список значений или {"value": ..., "label": ...}.'),
    )
    ordered = models.BooleanField(_("варианты упорядочены"), default=False)
    categorical = models.BooleanField(
        _("код категории"), default=False,
        help_text=_("Для целого числа, которое обозначает, а не измеряет (код магазина, филиала): модели "
                    "различают значения как категории. Нужны минимум и максимум от 0 до 65535."))
    min_value = models.FloatField(_("минимум"), null=True, blank=True)
    max_value = models.FloatField(_("максимум"), null=True, blank=True)
    min_age = models.PositiveSmallIntegerField(_("мин. возраст, лет"), null=True, blank=True)
    max_age = models.PositiveSmallIntegerField(_("макс. возраст, лет"), null=True, blank=True)
    max_length = models.PositiveIntegerField(_("макс. длина"), null=True, blank=True)
    required = models.BooleanField(_("обязательное"), default=False)
    order = models.PositiveIntegerField(_("порядок"), default=0)
    used_by_model = models.BooleanField(_("используется моделью"), default=True)
    active = models.BooleanField(_("активно"), default=True)
    csv_column = models.CharField(_("колонка в CSV"), max_length=100, blank=True)

    class Meta:
        ordering = ["order", "id"]
        verbose_name = _("поле анкеты")
        verbose_name_plural = _("поля анкеты")

    def __str__(self):
        return self.label

    def choice_pairs(self) -> list[tuple[str, str]]:
        pairs = []
        for item in self.choices or []:
            if isinstance(item, dict):
                pairs.append((str(item["value"]), str(item.get("label", item["value"]))))
            else:
                pairs.append((str(item), str(item)))
        return pairs

    def clean(self):
        if self.type == "choice" and not self.choice_pairs():
            raise ValidationError({"choices": _("Для поля с выбором нужны варианты.")})
        if self.min_value is not None and self.max_value is not None and self.min_value > self.max_value:
            raise ValidationError({"max_value": _("Максимум должен быть не меньше минимума.")})
        if self.categorical and categorical_problem(self.type, self.min_value, self.max_value):
            raise ValidationError({"categorical": _(
                "Кодом категории может быть только целое число с минимумом и максимумом от 0 до %(max)s.")
                % {"max": MAX_CATEGORY_CODE}})

    def to_spec(self) -> FeatureSpec:
        pairs = self.choice_pairs()
        return FeatureSpec(
            key=self.key,
            type=self.type,
            label=self.label,
            choices=tuple(v for v, _label in pairs),
            choice_labels=tuple(label for _v, label in pairs),
            ordered=self.ordered,
            min_value=self.min_value,
            max_value=self.max_value,
            min_age=self.min_age,
            max_age=self.max_age,
            max_length=self.max_length,
            required=self.required,
            used_by_model=self.used_by_model,
            categorical=self.categorical,
        )


class Client(models.Model):
    """The person applying: personal data, kept apart from the questionnaire answers."""

    full_name = models.CharField(_("ФИО"), max_length=200, blank=True)
    phone = models.CharField(_("телефон"), max_length=32, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("клиент")
        verbose_name_plural = _("клиенты")

    def __str__(self):
        return self.full_name or f"#{self.pk}"

    @property
    def masked_name(self) -> str:
        parts = self.full_name.split()
        if not parts:
            return ""
        return " ".join([parts[0]] + [p[0] + "." for p in parts[1:]])

    @property
    def masked_phone(self) -> str:
        # The last four digits hidden, the formatting kept: "+7 912 345-67-89" -> "+7 912 345-**-**".
        chars, hidden = list(self.phone), 0
        for i in range(len(chars) - 1, -1, -1):
            if hidden == 4:
                break
            if chars[i].isdigit():
                chars[i], hidden = "*", hidden + 1
        return "".join(chars) if hidden == 4 else "**-**"


def ERASE_CLIENT(collector, field, sub_objs, using):
    """on_delete of Application.client: the application stays, without its client and without the
    copies of the client's name and phone (personal data goes with the client: deletion, retention)."""
    # The copies first: each update selects the applications by their client, which the last one clears.
    for name in ("search_name", "phone_digits"):
        collector.add_field_update(field.model._meta.get_field(name), "", sub_objs)
    collector.add_field_update(field, None, sub_objs)


ERASE_CLIENT.lazy_sub_objs = True


class Application(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("в очереди")
        SCORING = "scoring", _("оценивается")
        DONE = "done", _("готово")
        FAILED = "failed", _("ошибка")

    FINISHED = (Status.DONE, Status.FAILED)  # nothing more will happen to it on its own

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    client = models.ForeignKey(Client, null=True, blank=True, on_delete=ERASE_CLIENT,
                               related_name="applications", verbose_name=_("клиент"))
    officer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                related_name="applications", verbose_name=_("сотрудник"))
    answers = models.JSONField(_("ответы анкеты"))
    answers_hash = models.CharField(max_length=64, db_index=True)
    status = models.CharField(_("статус"), max_length=16, choices=Status.choices,
                              default=Status.QUEUED, db_index=True)
    error = models.TextField(_("ошибка"), blank=True)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="alternatives", verbose_name=_("исходная заявка"))
    created_at = models.DateTimeField(_("создана"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("обновлена"), auto_now=True)
    scored_at = models.DateTimeField(_("оценена"), null=True, blank=True)
    recommendation = models.JSONField(_("рекомендация"), default=dict, blank=True,
                                      help_text=_("Куда отправить заявку или почему не отправлять."))
    # Copies for indexed search and analytics (scoring/application_columns.py fills and refreshes them).
    search_name = models.CharField(_("ФИО для поиска"), max_length=200, blank=True, default="", editable=False)
    phone_digits = models.CharField(_("цифры телефона"), max_length=32, blank=True, default="", editable=False)
    store = models.IntegerField(_("магазин"), null=True, blank=True, editable=False)
    goods_category = models.CharField(_("категория товара"), max_length=200, null=True, blank=True, editable=False)
    cohort = models.CharField(_("когорта"), max_length=8, blank=True, default="", editable=False)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("заявка")
        verbose_name_plural = _("заявки")
        permissions = [
            ("view_all_applications", _("Может видеть заявки всех сотрудников")),
            ("view_personal_data", _("Может видеть персональные данные клиентов")),
            ("view_analytics", _("Может видеть аналитику")),
        ]
        indexes = [
            # The applications list: an officer's own, newest first; and the status filter, newest first.
            # The search columns and the id make the list's searches read these indexes alone: newest
            # first until a page is full, the whole index (not the table) to count the matches.
            models.Index(fields=["officer", "-created_at", "search_name", "phone_digits", "id"],
                         name="application_officer_search"),
            models.Index(fields=["-created_at", "search_name", "phone_digits", "id"], name="application_search"),
            models.Index(fields=["status", "-created_at"], name="application_status_recent"),
            # Analytics filters: one store, one goods category, one cohort (within dates).
            models.Index(fields=["store", "created_at"], name="application_store_day"),
            models.Index(fields=["goods_category", "created_at"], name="application_category_day"),
            models.Index(fields=["cohort", "-created_at"], name="application_cohort_recent"),
        ]
        constraints = [
            # The same questionnaire from the same officer is one application (idempotent submit).
            models.UniqueConstraint(fields=["officer", "answers_hash"], name="unique_answers_per_officer"),
        ]

    def __str__(self):
        return str(self.id)

    @property
    def is_finished(self) -> bool:
        return self.status in self.FINISHED


class ModelVersion(models.Model):
    """A trained model of one bank. The artifact is XGBoost's own UBJ format, never pickle."""

    bank = models.ForeignKey(Bank, on_delete=models.CASCADE, related_name="model_versions",
                             verbose_name=_("банк"))
    algorithm = models.CharField(_("алгоритм"), max_length=32, default="xgboost")
    encoder = models.JSONField(_("кодирование признаков"))
    feature_keys = models.JSONField(_("поля анкеты"), default=list)
    artifact = models.BinaryField(_("артефакт модели"))
    artifact_format = models.CharField(max_length=16, default="xgboost-ubj")
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


class BankScore(models.Model):
    class Verdict(models.TextChoices):
        LIKELY = "likely", _("скорее одобрит")
        UNCERTAIN = "uncertain", _("под вопросом")
        UNLIKELY = "unlikely", _("скорее откажет")

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="scores")
    bank = models.ForeignKey(Bank, on_delete=models.PROTECT, related_name="scores")
    model_version = models.ForeignKey(ModelVersion, null=True, blank=True, on_delete=models.SET_NULL,
                                      related_name="scores")
    probability = models.FloatField(validators=[MinValueValidator(0.0), MaxValueValidator(1.0)])
    verdict = models.CharField(max_length=16, choices=Verdict.choices)
    reasons = models.JSONField(default=list)
    suggestions = models.JSONField(default=list, blank=True)
    offer = models.JSONField(default=dict, blank=True)
    base_value = models.FloatField(null=True, blank=True,
                                   help_text=_("Средняя оценка модели, логарифм шансов: начало объяснения."))
    rank = models.PositiveSmallIntegerField(default=0, help_text=_("Место банка в рекомендации, с 0."))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["rank", "-probability"]
        verbose_name = _("оценка банка")
        verbose_name_plural = _("оценки банков")
        constraints = [
            models.UniqueConstraint(fields=["application", "bank"], name="one_score_per_bank"),
        ]

    def __str__(self):
        return f"{self.application_id} {self.bank.code}: {self.probability:.2f}"

    @property
    def refused_by_rule(self) -> bool:
        return any(r.get("kind") == "rule" for r in self.reasons)

    def waterfall(self) -> list[dict]:
        if self.base_value is None or self.refused_by_rule:
            return []
        return waterfall(self.base_value, self.reasons, self.probability)


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
    created_at = models.DateTimeField(_("создана"), auto_now_add=True)

    class Meta:
        ordering = ["batch", "row_number"]
        verbose_name = _("историческая заявка")
        verbose_name_plural = _("исторические заявки")
        indexes = [models.Index(fields=["batch", "row_number"], name="historical_batch_row")]

    def __str__(self):
        return f"{self.batch_id}:{self.row_number}"


class Outcome(models.Model):
    """What a bank really answered for an application that was sent to it."""

    class Result(models.TextChoices):
        APPROVED = "approved", _("одобрено")
        REFUSED = "refused", _("отказ")
        ERROR = "error", _("ошибка банка")

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="outcomes",
                                    verbose_name=_("заявка"))
    bank = models.ForeignKey(Bank, on_delete=models.PROTECT, related_name="outcomes", verbose_name=_("банк"))
    result = models.CharField(_("ответ банка"), max_length=16, choices=Result.choices, db_index=True)
    amount = models.DecimalField(_("сумма"), max_digits=12, decimal_places=2, null=True, blank=True)
    term = models.PositiveSmallIntegerField(_("срок, мес."), null=True, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+", verbose_name=_("записал"))
    recorded_at = models.DateTimeField(_("записан"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-recorded_at"]
        verbose_name = _("ответ банка")
        verbose_name_plural = _("ответы банков")
        constraints = [
            # One final answer per bank per application; a correction replaces it.
            models.UniqueConstraint(fields=["application", "bank"], name="one_outcome_per_bank"),
        ]

    def __str__(self):
        return f"{self.application_id} {self.bank.code}: {self.result}"


class AuditEntry(models.Model):
    """Who changed what, when, with the state before and after (or who viewed personal data)."""

    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+", verbose_name=_("кто"))
    action = models.CharField(_("действие"), max_length=32, db_index=True,
                              help_text=_("create, update, delete, activate, rollback, view_personal_data…"))
    object_type = models.CharField(_("тип объекта"), max_length=64, db_index=True)
    object_id = models.CharField(_("объект"), max_length=64, blank=True)
    object_repr = models.CharField(_("название"), max_length=200, blank=True)
    before = models.JSONField(_("до"), null=True, blank=True)
    after = models.JSONField(_("после"), null=True, blank=True)
    at = models.DateTimeField(_("когда"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-at"]
        verbose_name = _("запись журнала")
        verbose_name_plural = _("журнал изменений")

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor} {self.action} {self.object_type} {self.object_repr}"


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

    source = models.CharField(_("данные"), max_length=16, choices=Source.choices, default=Source.IMPORTED)
    bank_codes = models.JSONField(_("банки"), default=list, blank=True, help_text=_("Пусто: все активные банки."))
    rows = models.PositiveIntegerField(_("строк (синтетика)"), default=20_000)
    status = models.CharField(_("статус"), max_length=16, choices=Status.choices, default=Status.QUEUED,
                              db_index=True)
    progress = models.PositiveSmallIntegerField(_("готово, %"), default=0)
    message = models.TextField(_("сообщение"), blank=True)
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


# --- the integration API --------------------------------------------------------------------------

def new_webhook_secret() -> str:
    import secrets

    return secrets.token_hex(32)


class ApiClient(models.Model):
    """An integrator's settings: where to send scoring results and the secret that signs them."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_client",
                                verbose_name=_("пользователь"))
    callback_url = models.URLField(_("адрес для уведомлений"), max_length=500, blank=True,
                                   help_text=_("Сюда отправляется результат оценки (POST, JSON). Пусто — не отправлять."))
    secret = models.CharField(_("секрет подписи"), max_length=128, default=new_webhook_secret,
                              help_text=_("Ключ HMAC-SHA256 для заголовка X-Prescoring-Signature."))
    created_at = models.DateTimeField(_("создан"), auto_now_add=True)

    class Meta:
        verbose_name = _("клиент API")
        verbose_name_plural = _("клиенты API")

    def __str__(self):
        return str(self.user)


class WebhookDelivery(models.Model):
    """One notification about a scored application, with every attempt to deliver it."""

    class Status(models.TextChoices):
        PENDING = "pending", _("отправляется")
        DELIVERED = "delivered", _("доставлено")
        FAILED = "failed", _("не доставлено")

    api_client = models.ForeignKey(ApiClient, on_delete=models.CASCADE, related_name="deliveries",
                                   verbose_name=_("клиент API"))
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="webhook_deliveries",
                                    verbose_name=_("заявка"))
    url = models.URLField(_("адрес"), max_length=500)
    payload = models.JSONField(_("тело"))
    status = models.CharField(_("статус"), max_length=16, choices=Status.choices, default=Status.PENDING,
                              db_index=True)
    attempts = models.PositiveSmallIntegerField(_("попыток"), default=0)
    response_status = models.PositiveSmallIntegerField(_("код ответа"), null=True, blank=True)
    last_error = models.TextField(_("последняя ошибка"), blank=True)
    created_at = models.DateTimeField(_("создано"), auto_now_add=True, db_index=True)
    delivered_at = models.DateTimeField(_("доставлено"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("уведомление")
        verbose_name_plural = _("журнал уведомлений")

    def __str__(self):
        return f"{self.application_id} → {self.url}: {self.status}"


class IdempotencyKey(models.Model):
    """A POST made with an Idempotency-Key header, and the response it got, to repeat it on a retry."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    response_status = models.PositiveSmallIntegerField(default=0)
    response_body = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="one_idempotency_key_per_user")]

    def __str__(self):
        return self.key


class ScoringBatch(models.Model):
    """Applications sent together in one API request; scored one by one."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    officer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                verbose_name=_("сотрудник"))
    created_at = models.DateTimeField(_("создан"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("пакет заявок")
        verbose_name_plural = _("пакеты заявок")

    def __str__(self):
        return str(self.id)


class ScoringBatchItem(models.Model):
    batch = models.ForeignKey(ScoringBatch, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveIntegerField()
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="+")

    class Meta:
        ordering = ["batch", "position"]
        constraints = [models.UniqueConstraint(fields=["batch", "position"], name="one_item_per_batch_position")]
