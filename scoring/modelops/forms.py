"""Admin forms for banks and questionnaire fields: friendly inputs and clear Russian messages.

Terms are typed as "6, 12, 18, 24", a choice field's variants one per line, knock-out rules in a
table (an inline over the bank's rules list); the stored JSON stays what the engine reads.
"""
from __future__ import annotations

from django import forms
from django.utils import formats
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from scoring.engine.rules import Rule
from scoring.modelops.activation import gate_for_activation, gate_in_words
from scoring.modelops.selectors import active_models_using, describe_versions
from scoring.modelops.uploads import validate_csv_upload
from scoring.models import Bank, Feature, ModelVersion
from scoring.services import product_config

OPERATOR_CHOICES = [("lt", _("меньше (<)")), ("le", _("не больше (≤)")), ("gt", _("больше (>)")),
                    ("ge", _("не меньше (≥)")), ("eq", _("равно (=)")), ("ne", _("не равно (≠)")),
                    ("in", _("одно из (∈)")), ("not_in", _("ни одно из (∉)"))]
SET_OPERATORS = ("in", "not_in")


def rule_field_choices() -> list[tuple[str, str]]:
    """What a rule may test: the questionnaire's fields (a date as years since it) and derived features."""
    fields = [(f.key, f"{f.display_label()} ({f.key})")
              for f in Feature.objects.filter(active=True).order_by("order", "id")]
    derived = [(key, f"{label} ({key})") for key, label in product_config.derived_labels().items()]
    return [("", "—")] + fields + derived


def _rule_value(text: str, operator: str):
    """'21' -> 21, '0.6' -> 0.6, 'Не работаю; Студент' -> a list for in / not_in, other text as is."""
    if operator in SET_OPERATORS:
        return [part.strip() for part in text.split(";") if part.strip()]
    try:
        number = float(text.replace(",", ".").replace(" ", ""))
    except ValueError:
        return text.strip()
    return int(number) if number.is_integer() else number


class RuleForm(forms.Form):
    """One knock-out rule: a row of the bank's rules inline."""

    field = forms.ChoiceField(label=_("поле"), choices=())
    operator = forms.ChoiceField(label=_("условие"), choices=[("", "—")] + OPERATOR_CHOICES)
    value = forms.CharField(label=_("значение"), max_length=500,
                            help_text=_("Число (для даты — лет с неё) или, для «одно из», варианты через «;»."))
    reason = forms.CharField(label=_("причина отказа для специалиста"), max_length=300, required=False,
                             widget=forms.TextInput(attrs={"size": 60}))

    def __init__(self, *args, field_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["field"].choices = field_choices
        for field in self.fields.values():  # a row of the table: its column heading names each input
            field.widget.attrs["aria-label"] = capfirst(field.label)

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        operator = cleaned["operator"]
        rule = {"field": cleaned["field"], "operator": operator, "value": _rule_value(cleaned["value"], operator)}
        # The engine's own messages name the operator by its code ("gt"): say it in the table's words.
        condition = dict(OPERATOR_CHOICES)[operator]
        if operator in SET_OPERATORS and not rule["value"]:
            self.add_error("value", _("Для условия «%(c)s» перечислите варианты через «;».") % {"c": condition})
            return cleaned
        if operator not in SET_OPERATORS + ("eq", "ne") and not isinstance(rule["value"], (int, float)):
            self.add_error("value", _("Для условия «%(c)s» нужно число.") % {"c": condition})
            return cleaned
        if cleaned.get("reason"):
            rule["reason"] = cleaned["reason"]
        try:
            Rule.from_dict(rule)
        except ValueError as exc:
            raise forms.ValidationError(_("Правило не подходит: %(e)s.") % {"e": exc})
        cleaned["rule"] = rule
        return cleaned

    @staticmethod
    def initial_for(rule: dict) -> dict:
        value = rule.get("value")
        if isinstance(value, (list, tuple)):
            value = "; ".join(str(v) for v in value)
        return {"field": rule.get("field"), "operator": rule.get("operator"), "value": value,
                "reason": rule.get("reason", "")}


class BaseRuleFormSet(forms.BaseFormSet):
    def add_fields(self, form, index):
        super().add_fields(form, index)
        if "DELETE" in form.fields:
            form.fields["DELETE"].widget.attrs["aria-label"] = _("Удалить правило")

    def rules(self) -> list[dict]:
        """The rules in the order typed, without the rows marked for deletion or left empty."""
        rules = []
        for index, form in enumerate(self.forms):
            if index >= self.initial_form_count() and not form.has_changed():
                continue  # an extra row left blank
            if self._should_delete_form(form) or "rule" not in form.cleaned_data:
                continue
            rules.append(form.cleaned_data["rule"])
        return rules


RuleFormSet = forms.formset_factory(RuleForm, formset=BaseRuleFormSet, extra=2, can_delete=True)


class TermsField(forms.CharField):
    def prepare_value(self, value):
        if isinstance(value, (list, tuple)):
            return ", ".join(str(v) for v in value)
        return value

    def to_python(self, value):
        text = super().to_python(value)
        parts = [p for p in text.replace(";", ",").replace(" ", ",").split(",") if p]
        if not parts:
            raise forms.ValidationError(_("Укажите хотя бы один срок в месяцах, например: 6, 12, 18, 24."))
        try:
            terms = [int(p) for p in parts]
        except ValueError:
            raise forms.ValidationError(_("Сроки — целые числа месяцев через запятую, например: 6, 12, 18, 24."))
        if any(t <= 0 for t in terms):
            raise forms.ValidationError(_("Срок должен быть больше нуля месяцев."))
        return sorted(set(terms))


class PercentField(forms.Field):
    """A probability (0.5) typed and shown as a percentage: «50», «52,5» (a comma or a point, «%» allowed)."""

    widget = forms.TextInput(attrs={"inputmode": "decimal", "size": 8})

    def prepare_value(self, value):
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            percent = round(value * 100, 4)
            return formats.localize(int(percent) if percent.is_integer() else percent)  # 0.525 -> "52,5" in Russian
        return value

    def to_python(self, value):
        text = str(value or "").replace("%", "").replace(" ", "").replace("\xa0", "").replace(",", ".")
        if not text:
            return None
        try:
            percent = float(text)
        except ValueError:
            raise forms.ValidationError(_("Введите число процентов, например 50 или 52,5.")) from None
        if not 0 < percent < 100:
            raise forms.ValidationError(_("Порог одобрения — от 0 до 100 %, не включая границы, например 50 %."))
        return round(percent / 100, 6)


class BankAdminForm(forms.ModelForm):
    terms = TermsField(label=_("Сроки, мес."), help_text=_("Через запятую, например: 6, 12, 18, 24."))
    approval_threshold = PercentField(
        label=_("Порог одобрения, %"),
        help_text=_("Вероятность одобрения в процентах, начиная с которой банк скорее одобрит заявку, например 50."))
    active_model = forms.ModelChoiceField(
        label=_("Активная модель"), queryset=ModelVersion.objects.none(), required=False,
        help_text=_("Новая версия становится активной, только если проходит проверку качества."))

    class Meta:
        model = Bank
        fields = ["code", "name", "active", "annual_rate", "min_amount", "max_amount", "terms",
                  "approval_threshold", "csv_decision_column"]
        localized_fields = ["annual_rate", "min_amount", "max_amount"]  # «19,9» in Russian

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The rules inline: a formset over the bank's JSON list, one row per rule.
        self.rules_formset = RuleFormSet(
            self.data if self.is_bound else None, prefix="rules",
            initial=[RuleForm.initial_for(r) for r in (self.instance.rules or [])] if self.instance.pk else [],
            form_kwargs={"field_choices": rule_field_choices()})
        if self.instance.pk:
            self.fields["active_model"].queryset = self.instance.model_versions.order_by("-created_at")
            self.fields["active_model"].initial = self.instance.active_model
        else:
            del self.fields["active_model"]

    def clean_csv_decision_column(self):
        column = (self.cleaned_data.get("csv_decision_column") or "").strip()
        if column:
            other = Bank.objects.filter(csv_decision_column=column).exclude(pk=self.instance.pk).first()
            if other is not None:
                raise forms.ValidationError(_("Колонка «%(c)s» уже содержит решения банка «%(b)s».")
                                            % {"c": column, "b": other.name})
            if Feature.objects.filter(csv_column=column).exists():
                raise forms.ValidationError(_("Колонка «%(c)s» уже сопоставлена полю анкеты.") % {"c": column})
        return column

    def clean_active_model(self):
        chosen = self.cleaned_data.get("active_model")
        if chosen is not None and not chosen.active:
            passed, reason = gate_for_activation(chosen)
            if not passed:
                raise forms.ValidationError(_("Версия %(id)s не прошла проверку качества: %(reason)s.")
                                            % {"id": chosen.pk, "reason": gate_in_words(reason)})
        return chosen

    def full_clean(self):
        super().full_clean()
        if self.is_bound and not self.rules_formset.is_valid():
            self.add_error(None, _("Исправьте стоп-правила: ошибки отмечены в таблице правил."))

    def _post_clean(self):
        # Bank.clean validates the rules on the instance: give it the rules from the inline first.
        if self.rules_formset.is_bound and self.rules_formset.is_valid():
            self.instance.rules = self.rules_formset.rules()
        super()._post_clean()


class ChoicesField(forms.CharField):
    """Variants one per line: "value", "value | label" or "value | label | English label"."""

    def prepare_value(self, value):
        if isinstance(value, list):
            lines = []
            for item in value:
                if isinstance(item, dict):
                    label = str(item.get("label", item["value"]))
                    parts = [str(item["value"])]
                    if item.get("label_en"):
                        parts += [label, str(item["label_en"])]
                    elif label != parts[0]:
                        parts.append(label)
                    lines.append(" | ".join(parts))
                else:
                    lines.append(str(item))
            return "\n".join(lines)
        return value

    def to_python(self, value):
        text = super().to_python(value)
        choices, seen = [], set()
        for line in text.splitlines():
            if not line.strip():
                continue
            value_text, label, label_en = ([part.strip() for part in line.split("|", 2)] + ["", ""])[:3]
            if value_text in seen:
                raise forms.ValidationError(_("Вариант «%(v)s» указан дважды.") % {"v": value_text})
            seen.add(value_text)
            if label_en:
                choices.append({"value": value_text, "label": label or value_text, "label_en": label_en})
            else:
                choices.append({"value": value_text, "label": label} if label else value_text)
        return choices


class FeatureAdminForm(forms.ModelForm):
    choices = ChoicesField(label=_("варианты"), required=False, widget=forms.Textarea(attrs={"rows": 6}),
                           help_text=_("Для поля с выбором: один вариант в строке; «значение | подпись», "
                                       "если подпись отличается от значения; «значение | подпись | "
                                       "подпись по-английски» для английских страниц."))

    class Meta:
        model = Feature
        fields = ["key", "label", "label_en", "help_text", "type", "choices", "ordered", "categorical", "min_value",
                  "max_value",
                  "min_age", "max_age", "max_length", "unit", "unit_en", "required", "order", "used_by_model",
                  "active", "csv_column"]

    def clean_csv_column(self):
        column = (self.cleaned_data.get("csv_column") or "").strip()
        if column:
            other = Feature.objects.filter(csv_column=column).exclude(pk=self.instance.pk).first()
            if other is not None:
                raise forms.ValidationError(_("Колонка «%(c)s» уже сопоставлена полю «%(f)s».")
                                            % {"c": column, "f": other.label})
        return column

    def clean(self):
        cleaned = super().clean()
        if not self.instance.pk:
            return cleaned
        original = Feature.objects.get(pk=self.instance.pk)
        changes = []
        if original.active and cleaned.get("active") is False:
            changes.append(_("отключить поле"))
        if "key" in cleaned and cleaned["key"] != original.key:
            changes.append(_("сменить ключ"))
        if "type" in cleaned and cleaned["type"] != original.type:
            changes.append(_("сменить тип"))
        if changes:
            banks = [b.name for b in Bank.objects.order_by("code") if any(r.get("field") == original.key
                                                                          for r in b.rules or [])]
            if banks:
                raise forms.ValidationError(
                    _("Нельзя %(what)s «%(label)s»: на него ссылаются стоп-правила банков — %(banks)s. "
                      "Сначала измените эти правила.")
                    % {"what": ", ".join(str(c) for c in changes), "label": original.label,
                       "banks": ", ".join(banks)})
            users = active_models_using(original.key)
            if users:
                raise forms.ValidationError(
                    _("Нельзя %(what)s «%(label)s»: его используют активные модели — %(models)s. "
                      "Сначала обучите и активируйте модели без этого поля.")
                    % {"what": ", ".join(str(c) for c in changes), "label": original.label,
                       "models": describe_versions(users)})
        return cleaned


TRAIN_SOURCES = [("imported", _("загруженная история решений")),
                 ("outcomes", _("ответы банков, записанные по заявкам")),
                 ("synthetic", _("синтетические данные"))]


class TrainNowForm(forms.Form):
    source = forms.ChoiceField(label=_("данные"), choices=TRAIN_SOURCES, initial="imported")
    banks = forms.ModelMultipleChoiceField(
        label=_("банки"), queryset=Bank.objects.filter(active=True).order_by("code"), required=False,
        widget=forms.CheckboxSelectMultiple, help_text=_("Ничего не выбрано — все активные банки."))
    rows = forms.IntegerField(label=_("строк синтетики"), min_value=500, max_value=200_000, initial=20_000,
                              help_text=_("Только для синтетических данных."))


class CompareForm(forms.Form):
    champion = forms.ModelChoiceField(label=_("чемпион"), queryset=ModelVersion.objects.select_related("bank"))
    challenger = forms.ModelChoiceField(label=_("претендент"), queryset=ModelVersion.objects.select_related("bank"))

    def clean(self):
        cleaned = super().clean()
        champion, challenger = cleaned.get("champion"), cleaned.get("challenger")
        if champion and challenger:
            if champion.bank_id != challenger.bank_id:
                raise forms.ValidationError(_("Сравнивать можно только версии одного банка."))
            if champion.pk == challenger.pk:
                raise forms.ValidationError(_("Выберите две разные версии."))
        return cleaned


class ImportHistoryForm(forms.Form):
    """A lender's historical-decisions CSV (docs/data-format.md), as manage.py import_applications takes it."""

    file = forms.FileField(label=_("файл CSV"), allow_empty_file=True,  # validate_csv_upload says "empty"
                           help_text=_("UTF-8, разделитель «;», одна строка заголовка; колонки — как в настройках "
                                       "полей анкеты и банков."))
    decided_on = forms.DateField(
        label=_("дата решений"), required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("День, когда банки приняли эти решения: возраст и стаж считаются к нему. Пусто — сегодня."))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        validate_csv_upload(upload)
        return upload
