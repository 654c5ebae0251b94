"""A client's applications: the person, the questionnaire as submitted, each bank's score, the
banks' real answers, and batches of applications submitted together."""
import math
import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from scoring.engine.advice import offer_cost
from scoring.engine.explanations import other_factors_pp, sequential_effects, waterfall
from scoring.models.catalogue import Bank
from scoring.models.modelops import ModelVersion


class Client(models.Model):
    """The person applying: personal data, kept apart from the questionnaire answers."""

    full_name = models.CharField(_("ФИО"), max_length=200, blank=True)
    phone = models.CharField(_("телефон"), max_length=32, blank=True)
    created_at = models.DateTimeField(_("создан"), auto_now_add=True)

    class Meta:
        verbose_name = _("клиент")
        verbose_name_plural = _("клиенты")
        permissions = [("erase_client", _("Может стирать персональные данные клиентов"))]

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
    # Copies for indexed search and analytics (scoring/services/application_columns.py fills and refreshes them).
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


class BankScore(models.Model):
    class Verdict(models.TextChoices):
        LIKELY = "likely", _("скорее одобрит")
        UNCERTAIN = "uncertain", _("под вопросом")
        UNLIKELY = "unlikely", _("скорее откажет")

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="scores",
                                    verbose_name=_("заявка"))
    bank = models.ForeignKey(Bank, on_delete=models.PROTECT, related_name="scores", verbose_name=_("банк"))
    model_version = models.ForeignKey(ModelVersion, null=True, blank=True, on_delete=models.SET_NULL,
                                      related_name="scores", verbose_name=_("версия модели"))
    probability = models.FloatField(_("вероятность одобрения"),
                                    validators=[MinValueValidator(0.0), MaxValueValidator(1.0)])
    verdict = models.CharField(_("вывод"), max_length=16, choices=Verdict.choices)
    reasons = models.JSONField(default=list)
    suggestions = models.JSONField(default=list, blank=True)
    offer = models.JSONField(default=dict, blank=True)
    base_value = models.FloatField(null=True, blank=True,
                                   help_text=_("Средняя оценка модели, логарифм шансов: начало объяснения."))
    rank = models.PositiveSmallIntegerField(default=0, help_text=_("Место банка в рекомендации, с 0."))
    # What produced the verdict, kept as decided: a later change of the bank changes neither.
    threshold = models.FloatField(null=True, blank=True, validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
                                  help_text=_("Порог банка, с которым заявка оценена."))
    decision = models.JSONField(default=dict, blank=True,
                                help_text=_("С чем заявка оценена: ставка, порог, лимиты, правила банка и сработавшие."))
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
    def threshold_used(self) -> float:
        """The threshold the verdict was decided with; the bank's current one only for scores stored
        before thresholds were kept (the migration that added them filled them in)."""
        return self.threshold if self.threshold is not None else self.bank.approval_threshold

    @property
    def full_offer(self) -> dict:
        """The offer with its full cost (payment, total repayment, overpayment, ПСК), computed from the
        stored amount, rate and term for offers stored before the cost was ({} without an offer)."""
        offer = self.offer or {}
        if offer and "full_cost_percent" not in offer:
            offer = {**offer, **offer_cost(offer["amount"], offer["annual_rate"], offer["term"])}
        return offer

    @property
    def refused_by_rule(self) -> bool:
        return any(r.get("kind") == "rule" for r in self.reasons)

    def waterfall(self) -> list[dict]:
        if self.base_value is None or self.refused_by_rule:
            return []
        return waterfall(self.base_value, self.reasons, self.probability)

    @property
    def explained_reasons(self) -> list[dict]:
        """The stored reasons with effect_pp as the waterfall's steps (explanations.sequential_effects):
        scores stored before that rule carry another measure, so it is recomputed from the stored
        contributions whenever they are shown, on the page and in the API alike."""
        reasons = [dict(reason) for reason in self.reasons]
        if self.base_value is not None:
            sequential_effects(self.base_value, reasons, self.probability)
        return reasons

    @property
    def average_probability(self) -> float | None:
        """The model's average estimate for this bank (where the waterfall starts)."""
        return None if self.base_value is None else float(1 / (1 + math.exp(-self.base_value)))

    @property
    def other_factors_pp(self) -> float | None:
        """Percentage points the factors outside the listed reasons add (None when refused by rule)."""
        if self.base_value is None:
            return None
        return other_factors_pp(self.base_value, self.reasons, self.probability)


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


class Dispatch(models.Model):
    """An application sent to one bank: who sent it and when. The bank's answer (Outcome) comes later."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="dispatches",
                                    verbose_name=_("заявка"))
    bank = models.ForeignKey(Bank, on_delete=models.PROTECT, related_name="dispatches", verbose_name=_("банк"))
    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+", verbose_name=_("отправил"))
    sent_at = models.DateTimeField(_("отправлена"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["sent_at", "bank__code"]
        verbose_name = _("отправка в банк")
        verbose_name_plural = _("отправки в банки")
        constraints = [
            # Sent to a bank once: marking it sent again keeps the first time.
            models.UniqueConstraint(fields=["application", "bank"], name="one_dispatch_per_bank"),
        ]

    def __str__(self):
        return f"{self.application_id} → {self.bank.code}"


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
