"""The engine's phrases in the active language, rendered when a page or the API shows them.

Scores store each phrase as its Russian text and its message (engine.phrases: an id and its
parameters). Russian is the templates' own language, so it is rendered by the engine's RUSSIAN
words and reads exactly as stored; any other language gets the template from the catalogue
(locale/<lang>/LC_MESSAGES/django.po) and its own numbers. Rows stored before messages existed,
and the administrators' rule reasons, have no message and show their stored text. Amounts are in
the configured currency (product_config.currency) in every language.
"""
from __future__ import annotations

from functools import cached_property

from django.utils.formats import date_format, get_format, number_format
from django.utils.translation import get_language, gettext, gettext_noop, ngettext

from scoring.engine.formatting import quantity_decimals
from scoring.engine.phrases import DEFAULT_CURRENCY, PHRASES, Words, render
from scoring.models import Feature
from scoring.services import product_config

MONEY = gettext_noop("{amount} ₽")  # roubles; a no-break space, typed as such (see engine.phrases)
MONEY_IN = gettext_noop("{amount} {symbol}")  # any other currency: its sign where the language puts it
PERCENT = gettext_noop("{share} %")  # a figure on the page: '73 %'; phrases carry their own '%'


class ConfiguredWords(Words):
    """Russian words in the configured currency, read when an amount is first written (a page or a
    response that writes none reads no configuration)."""

    @cached_property
    def currency(self) -> dict:
        return product_config.currency()


class CatalogueWords(ConfiguredWords):
    """The active language's words: translated templates, its number formats, its field labels,
    the English labels and units configured for fields and choices."""

    def template(self, text: str) -> str:
        return gettext(text)

    def percent(self, share: float) -> str:
        return number_format(round(float(share) * 100), decimal_pos=0, use_l10n=True)

    def percentage(self, share: float) -> str:
        return gettext(PERCENT).format(share=self.percent(share))

    def money(self, amount: float) -> str:
        whole = number_format(round(float(amount)), decimal_pos=0, use_l10n=True, force_grouping=True)
        if self.currency["code"] == DEFAULT_CURRENCY["code"] and self.currency["symbol_en"] == "RUB":
            return gettext(MONEY).format(amount=whole)
        symbol = self.currency["symbol_en"] or self.currency["code"]
        return gettext(MONEY_IN).format(amount=whole, symbol=symbol)

    def number(self, number: float) -> str:
        decimals = quantity_decimals(float(number))
        text = number_format(round(float(number), decimals), decimal_pos=decimals, use_l10n=True,
                             force_grouping=True)
        if decimals:
            text = text.rstrip("0").rstrip(get_format("DECIMAL_SEPARATOR"))
        return text

    def date(self, value) -> str:
        return date_format(value, "DATE_FORMAT")

    def unit(self, params: dict) -> str:
        """The English unit when one is configured, else the catalogue's translation of the Russian one."""
        unit = params.get("unit") or ""
        return params.get("unit_en") or (gettext(unit) if unit else "")

    def duration(self, years: float) -> str:
        # Russian plurals are the engine's (RUSSIAN.duration); these entries serve the other languages.
        if int(years) < 1:
            months = max(int(years * 12), 0)
            return ngettext("%(count)d мес.", "%(count)d мес.", months) % {"count": months}
        return ngettext("%(count)d год", "%(count)d лет", int(years)) % {"count": int(years)}

    def label(self, text: str, params: dict | None = None) -> str:
        """The English label the message carries (label_en), else the Feature row's, else the catalogue's."""
        english = (params or {}).get("label_en")
        return english or self._labels.get(text) or (gettext(text) if text else text)

    def value(self, value, params: dict | None = None) -> str:
        if isinstance(value, bool):
            return gettext("да") if value else gettext("нет")
        return super().value(value, params)

    def choice(self, value: str, params: dict) -> str:
        """The choice's English label the message carries (value_en), else the catalogue's."""
        return params.get("value_en") or (gettext(value) if value else value)

    @cached_property
    def _labels(self) -> dict:
        if not (get_language() or "").startswith("en"):
            return {}
        return dict(Feature.objects.exclude(label_en="").values_list("label", "label_en"))


def words() -> Words:
    """The words of the active language, in the configured currency; build once per page or response
    (the currency is one read of the configuration, the English labels one query, each when needed)."""
    return ConfiguredWords() if (get_language() or "ru").startswith("ru") else CatalogueWords()


def text_of(item: dict, language_words: Words | None = None) -> str:
    """The text of a stored reason or waterfall step, in the active language."""
    message = item.get("message")
    if not message or message.get("id") not in PHRASES:
        return item.get("text", "")
    return render(message, language_words or words())


def label_of(reason: dict, language_words: Words | None = None) -> str:
    """A stored reason's field label in the active language (as the administrator wrote it if untranslated)."""
    english = {"label_en": reason["label_en"]} if reason.get("label_en") else None
    return (language_words or words()).label(reason.get("label", reason.get("feature", "")), english)


def recommendation_texts(advice: dict, language_words: Words | None = None) -> dict:
    """The recommendation with its text and reasons in the active language (the rest as stored)."""
    if not advice:
        return advice
    language_words = language_words or words()
    messages = advice.get("reason_messages") or []
    shown = {**advice, "text": text_of(advice, language_words)}
    if "reasons" in advice:
        shown["reasons"] = [text_of({"text": text, "message": messages[i] if i < len(messages) else None},
                                    language_words) for i, text in enumerate(advice["reasons"] or [])]
    return shown


def money(amount, language_words: Words | None = None) -> str:
    """An amount in the configured currency as the active language writes it: 8884.88 → '8 885 ₽',
    'RUB 8,885'; with euros configured '8 885 €', '€ 8,885'. language_words: the page's words()."""
    return (language_words or words()).money(amount)


def percent(probability, decimals: int = 0) -> str:
    """0.734 → '73 %' in Russian, '73%' in English (no currency involved: nothing to read);
    decimals > 0: 0.4973 → '49,7 %' ('49.7%')."""
    if decimals:
        share = number_format(round(float(probability) * 100, decimals), decimal_pos=decimals, use_l10n=True)
        return gettext(PERCENT).format(share=share)
    return gettext(PERCENT).format(share=words().percent(probability))


def chance(probability, threshold) -> str:
    """A probability shown beside its threshold: whole per cent, or with as many decimals (up to two)
    as it takes not to read as the threshold itself when it is on the other side of it (49,7 % under
    a 50 % threshold, never "50 %" with «под вопросом»)."""
    probability, threshold = float(probability), float(threshold)
    decimals = 0
    while decimals < 2 and probability != threshold and \
            round(probability * 100, decimals) == round(threshold * 100, decimals):
        decimals += 1
    return percent(probability, decimals)
