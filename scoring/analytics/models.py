"""What analytics stores: drift measurements and attribute-free training comparisons."""
from django.db import models
from django.utils.translation import gettext_lazy as _

from scoring.models import Bank, ModelVersion

# Above this population stability index a feature's live distribution has moved materially.
PSI_ALERT = 0.25


class DriftMeasurement(models.Model):
    """PSI of one questionnaire field between a model's training data and the latest applications.

    bins: [{"label", "reference", "live"}] shares per bin (each column sums to 1), kept so the page
    can show why the index is high.
    """

    model_version = models.ForeignKey(ModelVersion, on_delete=models.CASCADE, related_name="drift_measurements",
                                      verbose_name=_("версия модели"))
    feature = models.CharField(_("поле анкеты"), max_length=64)
    psi = models.FloatField(_("PSI"))
    bins = models.JSONField(_("доли по интервалам"), default=list)
    reference_source = models.CharField(_("обучающие данные"), max_length=300)
    reference_rows = models.PositiveIntegerField(_("строк обучения"))
    live_rows = models.PositiveIntegerField(_("последних заявок"))
    computed_at = models.DateTimeField(_("рассчитан"), db_index=True)

    class Meta:
        ordering = ["-computed_at", "model_version_id", "feature"]
        verbose_name = _("сдвиг распределения")
        verbose_name_plural = _("сдвиги распределений")
        indexes = [models.Index(fields=["model_version", "-computed_at"], name="drift_version_time")]

    def __str__(self):
        return f"{self.model_version_id} {self.feature}: PSI {self.psi:.3f}"

    @property
    def alarming(self) -> bool:
        return self.psi > PSI_ALERT


class AttributeFreeTraining(models.Model):
    """One bank trained with and without the protected attributes (gender, birth date) on the same rows."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("в очереди")
        DONE = "done", _("готово")
        FAILED = "failed", _("ошибка")

    bank = models.ForeignKey(Bank, on_delete=models.CASCADE, related_name="attribute_free_trainings",
                             verbose_name=_("банк"))
    excluded = models.JSONField(_("исключённые поля"), default=list)
    training_data = models.CharField(_("данные обучения"), max_length=300, blank=True)
    status = models.CharField(_("статус"), max_length=16, choices=Status.choices, default=Status.QUEUED)
    auc_with = models.FloatField(_("AUC со всеми полями"), null=True, blank=True)
    auc_without = models.FloatField(_("AUC без защищённых полей"), null=True, blank=True)
    metrics = models.JSONField(_("метрики"), default=dict, blank=True)
    error = models.TextField(_("ошибка"), blank=True)
    created_at = models.DateTimeField(_("создан"), auto_now_add=True)
    finished_at = models.DateTimeField(_("завершён"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("обучение без защищённых полей")
        verbose_name_plural = _("обучения без защищённых полей")

    def __str__(self):
        return f"{self.bank.code} without {', '.join(self.excluded)}: {self.status}"

    @property
    def auc_cost(self) -> float | None:
        if self.auc_with is None or self.auc_without is None:
            return None
        return self.auc_with - self.auc_without


class DailyFigure(models.Model):
    """Pre-aggregated figures of one day, bank and value of one dimension, for fast analytics pages.

    Rebuilt from the applications by rollup.refresh (Celery beat, every few minutes); the pages read
    these rows when no store or category filter is set, and query the applications themselves
    otherwise. Score rows (bank set): n scores, probability_sum, likely (at or above the threshold),
    answered/approved/errors (the bank's recorded answers), answered_probability_sum, sent (marked sent
    to the bank or answered; "all" rows only). Application rows (bank empty): n applications, scored,
    recommended, sent (to any bank), approved (by any bank).
    """

    day = models.DateField(_("день"))
    bank = models.ForeignKey(Bank, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    dimension = models.CharField(_("разрез"), max_length=32)
    value = models.CharField(_("значение"), max_length=200, blank=True)
    n = models.PositiveIntegerField(default=0)
    probability_sum = models.FloatField(default=0.0)
    likely = models.PositiveIntegerField(default=0)
    answered = models.PositiveIntegerField(default=0)
    approved = models.PositiveIntegerField(default=0)
    errors = models.PositiveIntegerField(default=0)
    answered_probability_sum = models.FloatField(default=0.0)
    scored = models.PositiveIntegerField(default=0)
    recommended = models.PositiveIntegerField(default=0)
    sent = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("дневной итог")
        verbose_name_plural = _("дневные итоги")
        indexes = [
            models.Index(fields=["dimension", "day"], name="daily_figure_dimension_day"),
            # A table per value and bank (70 stores × 5 banks × 365 days for the per-store one) is summed
            # from this index alone, in its order: no sort, no table rows read.
            models.Index(fields=["dimension", "value", "bank", "day", "n", "probability_sum"],
                         name="daily_figure_value"),
        ]


class AnalyticsSnapshot(models.Model):
    """A computed result that cannot be summed by day (e.g. AUC per group), stored by the refresh."""

    key = models.CharField(max_length=64, unique=True)
    data = models.JSONField(default=dict)
    computed_at = models.DateTimeField()
