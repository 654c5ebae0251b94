from django import forms
from django.utils.translation import gettext_lazy as _

from scoring.models import Bank, Feature


from scoring.services import traits
from .selectors import Filters


class FilterForm(forms.Form):
    """Date range, bank, store and goods category: the analyst's narrowing of every page."""

    date_from = forms.DateField(label=_("С"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("По"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    bank = forms.ChoiceField(label=_("Банк"), required=False)
    store = forms.IntegerField(label=_("Магазин"), required=False, min_value=0)
    category = forms.ChoiceField(label=_("Категория"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["bank"].choices = [("", _("все"))] + list(Bank.objects.order_by("code").values_list("code", "name"))
        category = Feature.objects.filter(key=traits.CATEGORY_KEY).first()
        self.fields["category"].choices = [("", _("все"))] + (category.display_choice_pairs() if category else [])

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", _("Конец периода раньше начала."))
        return data

    def filters(self) -> Filters:
        """The valid filters (fields with errors are ignored, so the page still shows something)."""
        data = self.cleaned_data if hasattr(self, "cleaned_data") else {}
        return Filters(date_from=data.get("date_from"), date_to=data.get("date_to"), bank=data.get("bank") or None,
                       store=data.get("store"), category=data.get("category") or None)
