"""Admin forms for banks and questionnaire fields: friendly inputs and clear Russian messages.

Terms are typed as "6, 12, 18, 24", a choice field's variants one per line, knock-out rules one
per line in the same notation as configs/banks.yaml; the stored JSON stays what the engine reads.
"""
from __future__ import annotations

import yaml
from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from scoring import model_versions
from scoring.engine.config import load_yaml
from scoring.engine.rules import Rule
from scoring.models import Bank, Feature, ModelVersion

RULES_HELP = _("Одно правило в строке, например: "
               "{field: birth_date, operator: lt, value: 21, reason: \"Банк кредитует с 21 года\"}. "
               "field — ключ поля анкеты (дата — число лет с неё) или производный признак; "
               "operator — lt, le, gt, ge, eq, ne, in, not_in; reason — что увидит специалист.")


def derived_feature_keys() -> set[str]:
    """Keys of the derived features declared in the configuration (rules may name them)."""
    path = settings.PRESCORING["CONFIG_DIR"] / "features.yaml"
    try:
        return {d["key"] for d in load_yaml(path).get("derived", [])}
    except FileNotFoundError:
        return set()


def rules_to_text(rules: list[dict]) -> str:
    lines = []
    for rule in rules or []:
        lines.append(yaml.safe_dump(rule, allow_unicode=True, default_flow_style=True, sort_keys=False,
                                    width=10_000).strip())
    return "\n".join(lines)


def parse_rules_text(text: str, *, known_fields: set[str]) -> list[dict]:
    """The rules typed in the admin as a JSON-able list; ValidationError lists every bad line."""
    rules, errors = [], []
    for number, line in enumerate((text or "").splitlines(), start=1):
        line = line.strip().lstrip("-").strip()
        if not line:
            continue
        try:
            data = yaml.safe_load(line)
        except yaml.YAMLError:
            errors.append(_("Правило %(n)s: не разобрать запись; пишите как {field: ..., operator: ..., "
                            "value: ..., reason: ...}.") % {"n": number})
            continue
        if not isinstance(data, dict):
            errors.append(_("Правило %(n)s: ожидается запись {field: ..., operator: ..., value: ..., reason: ...}.")
                          % {"n": number})
            continue
        try:
            Rule.from_dict(data)
        except ValueError as exc:
            errors.append(_("Правило %(n)s: %(e)s.") % {"n": number, "e": exc})
            continue
        if str(data["field"]) not in known_fields:
            errors.append(_("Правило %(n)s: поля «%(f)s» нет ни в анкете, ни среди производных признаков.")
                          % {"n": number, "f": data["field"]})
            continue
        rules.append({k: data[k] for k in ("field", "operator", "value", "reason") if k in data})
    if errors:
        raise forms.ValidationError(errors)
    return rules


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


class BankAdminForm(forms.ModelForm):
    terms = TermsField(label=_("сроки, мес."), help_text=_("Через запятую, например: 6, 12, 18, 24."))
    rules_text = forms.CharField(label=_("стоп-правила"), required=False, help_text=RULES_HELP,
                                 widget=forms.Textarea(attrs={"rows": 5, "cols": 120}))
    active_model = forms.ModelChoiceField(
        label=_("активная модель"), queryset=ModelVersion.objects.none(), required=False,
        help_text=_("Новая версия становится активной, только если проходит проверку качества."))

    class Meta:
        model = Bank
        fields = ["code", "name", "active", "annual_rate", "min_amount", "max_amount", "terms",
                  "approval_threshold", "csv_decision_column"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["rules_text"].initial = rules_to_text(self.instance.rules if self.instance.pk else [])
        if self.instance.pk:
            self.fields["active_model"].queryset = self.instance.model_versions.order_by("-created_at")
            self.fields["active_model"].initial = self.instance.active_model
        else:
            del self.fields["active_model"]

    def clean_rules_text(self):
        known = set(Feature.objects.values_list("key", flat=True)) | derived_feature_keys()
        return parse_rules_text(self.cleaned_data.get("rules_text", ""), known_fields=known)

    def clean_approval_threshold(self):
        value = self.cleaned_data.get("approval_threshold")
        if value is not None and not 0 < value < 1:
            raise forms.ValidationError(_("Порог одобрения — вероятность строго между 0 и 1, например 0.5."))
        return value

    def clean_active_model(self):
        chosen = self.cleaned_data.get("active_model")
        if chosen is not None and not chosen.active:
            passed, reason = model_versions.gate_for_activation(chosen)
            if not passed:
                raise forms.ValidationError(_("Версия %(id)s не прошла проверку качества: %(reason)s.")
                                            % {"id": chosen.pk, "reason": reason})
        return chosen

    def _post_clean(self):
        # Bank.clean validates rules on the instance: give it the parsed rules first.
        if "rules_text" in self.cleaned_data:
            self.instance.rules = self.cleaned_data["rules_text"]
        super()._post_clean()


class ChoicesField(forms.CharField):
    """Variants one per line: "value" or "value | label"."""

    def prepare_value(self, value):
        if isinstance(value, list):
            lines = []
            for item in value:
                if isinstance(item, dict):
                    label = item.get("label", item["value"])
                    lines.append(str(item["value"]) if str(label) == str(item["value"])
                                 else f"{item['value']} | {label}")
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
            value_text, _sep, label = (part.strip() for part in line.partition("|"))
            if value_text in seen:
                raise forms.ValidationError(_("Вариант «%(v)s» указан дважды.") % {"v": value_text})
            seen.add(value_text)
            choices.append({"value": value_text, "label": label} if label else value_text)
        return choices


class FeatureAdminForm(forms.ModelForm):
    choices = ChoicesField(label=_("варианты"), required=False, widget=forms.Textarea(attrs={"rows": 6}),
                           help_text=_("Для поля с выбором: один вариант в строке; «значение | подпись», "
                                       "если подпись отличается от значения."))

    class Meta:
        model = Feature
        fields = ["key", "label", "label_en", "help_text", "type", "choices", "ordered", "min_value", "max_value",
                  "min_age", "max_age", "max_length", "required", "order", "used_by_model", "active", "csv_column"]

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
            users = model_versions.active_models_using(original.key)
            if users:
                raise forms.ValidationError(
                    _("Нельзя %(what)s «%(label)s»: его используют активные модели — %(models)s. "
                      "Сначала обучите и активируйте модели без этого поля.")
                    % {"what": ", ".join(str(c) for c in changes), "label": original.label,
                       "models": model_versions.describe_versions(users)})
        return cleaned


TRAIN_SOURCES = [("imported", _("загруженная история решений")), ("synthetic", _("синтетические данные"))]


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
