"""The engine's phrases in the active language, rendered when a page or the API shows them.

Scores store each phrase as its Russian text and its message (engine.phrases: an id and its
parameters). Russian is the templates' own language, so it is rendered by the engine's RUSSIAN
words and reads exactly as stored; any other language gets the template from the catalogue
(locale/<lang>/LC_MESSAGES/django.po) and its own numbers. Rows stored before messages existed,
and the administrators' rule reasons, have no message and show their stored text.
"""
from __future__ import annotations

from functools import cached_property

from django.utils.formats import number_format
from django.utils.translation import get_language, gettext, gettext_noop, ngettext

from scoring.engine.phrases import PHRASES, RUSSIAN, Words, render
from scoring.models import Feature

MONEY = gettext_noop("{amount} ₽")  # a no-break space, typed as such (see engine.phrases)
PERCENT = gettext_noop("{share} %")  # a figure on the page: '73 %'; phrases carry their own '%'


class CatalogueWords(Words):
    """The active language's words: translated templates, its number formats, its field labels."""

    def template(self, text: str) -> str:
        return gettext(text)

    def percent(self, share: float) -> str:
        return number_format(round(float(share) * 100), decimal_pos=0, use_l10n=True)

    def money(self, amount: float) -> str:
        whole = number_format(round(float(amount)), decimal_pos=0, use_l10n=True, force_grouping=True)
        return gettext(MONEY).format(amount=whole)

    def duration(self, years: float) -> str:
        # Russian plurals are the engine's (RUSSIAN.duration); these entries serve the other languages.
        if int(years) < 1:
            months = max(int(years * 12), 0)
            return ngettext("%(count)d мес.", "%(count)d мес.", months) % {"count": months}
        return ngettext("%(count)d год", "%(count)d лет", int(years)) % {"count": int(years)}

    def label(self, text: str) -> str:
        """The field's English label from the Feature row when there is one, else the catalogue's."""
        return self._labels.get(text) or (gettext(text) if text else text)

    def value(self, value) -> str:
        if isinstance(value, bool):
            return gettext("да") if value else gettext("нет")
        return gettext(value) if isinstance(value, str) and value else str(value)  # choice labels are in the catalogue

    @cached_property
    def _labels(self) -> dict:
        if not (get_language() or "").startswith("en"):
            return {}
        return dict(Feature.objects.exclude(label_en="").values_list("label", "label_en"))


def words() -> Words:
    """The words of the active language; build once per page or response (labels are one query)."""
    return RUSSIAN if (get_language() or "ru").startswith("ru") else CatalogueWords()


def text_of(item: dict, language_words: Words | None = None) -> str:
    """The text of a stored reason or waterfall step, in the active language."""
    message = item.get("message")
    if not message or message.get("id") not in PHRASES:
        return item.get("text", "")
    return render(message, language_words or words())


def label_of(reason: dict, language_words: Words | None = None) -> str:
    """A stored reason's field label in the active language (as the administrator wrote it if untranslated)."""
    return (language_words or words()).label(reason.get("label", reason.get("feature", "")))


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


def money(amount) -> str:
    """Roubles as the active language writes them: 8884.88 → '8 885 ₽', 'RUB 8,885'."""
    return words().money(amount)


def percent(probability) -> str:
    """0.734 → '73 %' in Russian, '73%' in English."""
    return gettext(PERCENT).format(share=words().percent(probability))
