"""The catalogue: partner banks with their product terms and rules, and the questionnaire's fields."""
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _

from scoring.engine.features import (FEATURE_TYPES, MAX_CATEGORY_CODE, FeatureSpec, categorical_problem,
                                     parse_choice_labels_en)
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


FEATURE_TYPE_LABELS = {"number": _("число"), "integer": _("целое число"), "choice": _("выбор из списка"),
                       "boolean": _("да или нет"), "date": _("дата"), "text": _("текст")}


class Feature(models.Model):
    """One questionnaire field. The form, the API, validation and training follow this table."""

    TYPE_CHOICES = [(t, FEATURE_TYPE_LABELS[t]) for t in FEATURE_TYPES]

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
    unit = models.CharField(
        _("единица"), max_length=32, blank=True,
        help_text=_("Как подписывать значение в объяснениях: «₽», «мес.», «лет». Пусто — без единицы."))
    unit_en = models.CharField(_("единица (англ.)"), max_length=32, blank=True)

    class Meta:
        ordering = ["order", "id"]
        verbose_name = _("поле анкеты")
        verbose_name_plural = _("поля анкеты")

    def display_label(self) -> str:
        """The label in the active language: the English one from the row (label_en), the rest from the catalogue."""
        if self.label_en and (get_language() or "").startswith("en"):
            return self.label_en
        return self.label

    def __str__(self):
        return self.label

    def display_choice_pairs(self) -> list[tuple[str, str]]:
        """(value, label in the active language): on English pages a choice's configured label_en,
        otherwise the catalogue's translation of its label (the default questionnaire's values)."""
        english = (get_language() or "").startswith("en")
        pairs = []
        for item in self.choices or []:
            value, label = (str(item["value"]), str(item.get("label", item["value"]))) if isinstance(item, dict) \
                else (str(item), str(item))
            label_en = item.get("label_en") if isinstance(item, dict) else None
            pairs.append((value, str(label_en) if english and label_en else gettext(label)))
        return pairs

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
            label_en=self.label_en,
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
            unit=self.unit,
            unit_en=self.unit_en,
            choice_labels_en=parse_choice_labels_en(self.choices) if self.type == "choice" else (),
        )


class ConfigDocument(models.Model):
    """A part of the loaded configuration that is not a bank or a field: the derived features
    ("derived"), the import mapping ("import") and the product settings such as the currency
    ("product"). load_config writes them from the same directory as the fields and banks, so every
    later command (import, train, evaluate, export) reads one configuration, whichever directory it
    came from."""

    name = models.SlugField(_("раздел"), max_length=32, unique=True)
    data = models.JSONField(_("содержимое"), default=dict)
    updated_at = models.DateTimeField(_("изменён"), auto_now=True)

    class Meta:
        verbose_name = _("раздел настроек")
        verbose_name_plural = _("разделы настроек")

    def __str__(self):
        return self.name
