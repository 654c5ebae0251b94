"""The questionnaire form, built from the Feature table at request time; the forms that mark an
application sent and record a bank's answer."""
from decimal import Decimal

from django import forms
from django.utils.formats import get_format
from django.utils.translation import gettext, gettext_lazy as _

from scoring.models import Application, Bank, Feature, Outcome
from scoring.services import phrases
from scoring.services.questionnaire import validate_answers

CLIENT_FIELDS = ("full_name", "phone")

# What most clients answer, so the officer changes a field only when the client differs.
SENSIBLE_DEFAULTS = {"child_count": 0, "loan_term": "12", "snils": "true"}


def _form_field(feature: Feature) -> forms.Field:
    field = _input_for(feature)
    field.show_required = feature.required
    return field


def _input_for(feature: Feature) -> forms.Field:
    """A plain input for each type; the questionnaire validator decides what is valid."""
    common = {"label": feature.display_label(), "required": False,
              "help_text": gettext(feature.help_text) if feature.help_text else ""}
    attrs = {"aria-required": "true"} if feature.required else {}
    if feature.type == "choice":
        choices = [("", "—")] + feature.display_choice_pairs()
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
    full_name = forms.CharField(label=_("ФИО клиента"), max_length=200, required=False,
                                help_text=_("Как в паспорте: фамилия, имя, отчество."))
    phone = forms.RegexField(label=_("Телефон клиента"), max_length=32, required=False,
                             help_text=_("Например: +7 900 123-45-67."),
                             widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
                             regex=r"^\+?[\d\s()\-]{5,31}$",
                             error_messages={"invalid": _("Введите телефон: цифры, пробелы, скобки, дефис.")})

    def __init__(self, *args, features: list[Feature], **kwargs):
        super().__init__(*args, **kwargs)
        self.features = features
        for feature in features:
            self.fields[feature.key] = _form_field(feature)
            if feature.key in SENSIBLE_DEFAULTS:
                self.fields[feature.key].initial = SENSIBLE_DEFAULTS[feature.key]
        self.answers: dict = {}

    def progress(self) -> tuple[int, int]:
        """(required fields answered validly, required fields): the officer's progress bar."""
        required = [f.key for f in self.features if f.required]
        if not self.is_bound:
            done = sum(1 for key in required if self.fields[key].initial not in (None, ""))
            return done, len(required)
        self.is_valid()
        done = sum(1 for key in required if key not in self.errors and self.answers.get(key) is not None)
        return done, len(required)

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


class ApplicationFilterForm(forms.Form):
    """The search and filters above the applications list (GET, so a filtered list has a URL)."""

    VERDICTS = [("", _("Все")), ("send", _("Отправлять")), ("do_not_send", _("Не отправлять"))]

    q = forms.CharField(label=_("Клиент"), required=False, max_length=100,
                        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}))
    status = forms.ChoiceField(label=_("Статус"), required=False)
    verdict = forms.ChoiceField(label=_("Рекомендация"), required=False, choices=VERDICTS)
    created_from = forms.DateField(label=_("Создана с"), required=False,
                                   widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    created_to = forms.DateField(label=_("по"), required=False,
                                 widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))

    def __init__(self, *args, searches_phone: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [("", _("Все"))] + list(Application.Status.choices)
        self.fields["q"].help_text = (_("Фамилия, имя или телефон") if searches_phone
                                      else _("Фамилия и инициалы"))

    def filters(self) -> dict:
        """Only the valid filters: a mistyped date is reported and ignored, the list still shows."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {name: data.get(name) for name in self.fields if name not in self.errors and data.get(name)}


class SendForm(forms.Form):
    """The banks the officer has sent the application to: those it may go to and has not gone to yet."""

    banks = forms.MultipleChoiceField(label=_("Отправлена в банки"), widget=forms.CheckboxSelectMultiple,
                                      error_messages={"required": _("Отметьте хотя бы один банк.")})

    def __init__(self, *args, scores: list, recommended: list[str], **kwargs):
        """scores: the bank scores the application may still be sent to (with their banks);
        recommended: the bank codes the recommendation sends it to (checked at first)."""
        super().__init__(*args, **kwargs)
        self.banks_by_code = {score.bank.code: score.bank for score in scores}
        self.fields["banks"].choices = [(score.bank.code, score.bank.name) for score in scores]
        self.fields["banks"].initial = [code for code in recommended if code in self.banks_by_code]

    @property
    def chosen_banks(self) -> list:
        return [self.banks_by_code[code] for code in self.cleaned_data["banks"]]


class AmountField(forms.DecimalField):
    """An amount as officers type it: "150 000", "68 000,50" or "68000.50" (a comma is the decimal
    separator where the language writes it so, a thousands separator otherwise)."""

    def to_python(self, value):
        if isinstance(value, str):
            value = value.replace(" ", "").replace("\u00a0", "").replace("\u202f", "")
            value = value.replace(",", "." if get_format("DECIMAL_SEPARATOR") == "," else "")
        return super().to_python(value)


class AnswerForm(forms.Form):
    """A bank's answer to an application sent to it: approved (with the amount and term, if the bank
    said), refused, or an error on the bank's side."""

    bank = forms.ChoiceField(label=_("Банк"))
    result = forms.ChoiceField(label=_("Ответ банка"), choices=[("", "—")] + list(Outcome.Result.choices))
    amount = AmountField(label=_("Одобренная сумма"), required=False, max_digits=12, decimal_places=2,
                         help_text=_("Если банк её назвал."),
                         widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}))
    term = forms.IntegerField(label=_("Срок, мес."), required=False, min_value=1, max_value=600,
                              widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}))

    def __init__(self, *args, banks: list[tuple[str, str]], requested_amount, **kwargs):
        """banks: (code, name) of the banks the application was sent to; requested_amount: the loan asked for."""
        super().__init__(*args, **kwargs)
        self.fields["bank"].choices = [("", "—")] + list(banks)
        self.requested_amount = requested_amount

    def clean_amount(self):
        amount = self.cleaned_data.get("amount")
        if amount is None:
            return None
        if amount <= 0:
            raise forms.ValidationError(_("Сумма должна быть больше нуля."))
        if self.requested_amount is not None and amount > Decimal(str(self.requested_amount)):
            raise forms.ValidationError(_("Не больше запрошенной суммы: %(amount)s.")
                                        % {"amount": phrases.money(float(self.requested_amount))})
        return amount

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("result") and cleaned["result"] != Outcome.Result.APPROVED:
            for name in ("amount", "term"):
                if cleaned.get(name) is not None:
                    self.add_error(name, _("Сумму и срок указывают только для одобрения."))
        return cleaned

    @property
    def chosen_bank(self) -> Bank:
        return Bank.objects.get(code=self.cleaned_data["bank"])
