"""The questionnaire form, built from the Feature table at request time."""
from django import forms
from django.utils.translation import gettext_lazy as _

from scoring.models import Feature
from scoring.questionnaire import validate_answers

CLIENT_FIELDS = ("full_name", "phone")


def _form_field(feature: Feature) -> forms.Field:
    field = _input_for(feature)
    field.show_required = feature.required
    return field


def _input_for(feature: Feature) -> forms.Field:
    """A plain input for each type; the questionnaire validator decides what is valid."""
    common = {"label": feature.label, "required": False, "help_text": feature.help_text}
    attrs = {"aria-required": "true"} if feature.required else {}
    if feature.type == "choice":
        choices = [("", "—")] + feature.choice_pairs()
        return forms.ChoiceField(choices=choices, widget=forms.Select(attrs=attrs), **common)
    if feature.type == "boolean":
        return forms.ChoiceField(choices=[("", "—"), ("true", _("Да")), ("false", _("Нет"))],
                                 widget=forms.Select(attrs=attrs), **common)
    if feature.type == "date":
        return forms.CharField(widget=forms.DateInput(attrs={**attrs, "type": "date"}), **common)
    if feature.type in ("number", "integer"):
        number_attrs = {**attrs, "inputmode": "numeric" if feature.type == "integer" else "decimal"}
        if feature.min_value is not None:
            number_attrs["min"] = f"{feature.min_value:g}"
        if feature.max_value is not None:
            number_attrs["max"] = f"{feature.max_value:g}"
        number_attrs["step"] = "1" if feature.type == "integer" else "any"
        return forms.CharField(widget=forms.NumberInput(attrs=number_attrs), **common)
    return forms.CharField(max_length=feature.max_length or 500, widget=forms.TextInput(attrs=attrs), **common)


class QuestionnaireForm(forms.Form):
    full_name = forms.CharField(label=_("ФИО клиента"), max_length=200, required=False)
    phone = forms.RegexField(label=_("Телефон клиента"), max_length=32, required=False,
                             regex=r"^\+?[\d\s()\-]{5,31}$",
                             error_messages={"invalid": _("Введите телефон: цифры, пробелы, скобки, дефис.")})

    def __init__(self, *args, features: list[Feature], **kwargs):
        super().__init__(*args, **kwargs)
        self.features = features
        for feature in features:
            self.fields[feature.key] = _form_field(feature)
        self.answers: dict = {}

    def feature_fields(self):
        return [self[f.key] for f in self.features]

    def client_fields(self):
        return [self[name] for name in CLIENT_FIELDS]

    def clean(self):
        cleaned = super().clean()
        raw = {f.key: cleaned.get(f.key) for f in self.features}
        self.answers, errors = validate_answers(raw, self.features)
        for key, messages in errors.items():
            for message in messages:
                self.add_error(key if key in self.fields else None, message)
        return cleaned

    @property
    def client(self) -> dict:
        return {name: self.cleaned_data.get(name, "") for name in CLIENT_FIELDS}
