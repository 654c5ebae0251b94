from django import template

from scoring.accounts import roles
from scoring.services import phrases

register = template.Library()


@register.filter
def can_submit(user) -> bool:
    """Whether the user fills questionnaires: the link to a new one and the alternatives' buttons."""
    return bool(user and user.is_authenticated and roles.can_submit(user))


@register.filter
def percent(probability, decimals=0) -> str:
    """0.734 → '73 %' ('73%' in English); `|percent:1` → '73,4 %'."""
    try:
        return phrases.percent(float(probability), int(decimals))
    except (TypeError, ValueError):
        return "—"


@register.filter
def per_cent(figure, decimals=0) -> str:
    """A figure already in per cent (a rate, the ПСК) written as percent writes a share: 12.5 → '12,5 %'
    ('12.5%' in English)."""
    try:
        return phrases.percent(float(figure) / 100, int(decimals))
    except (TypeError, ValueError):
        return "—"


@register.filter
def chance(score) -> str:
    """A bank score's probability beside its stored threshold, never rounded onto the threshold from
    the other side: '49,7 %' under 50 % (phrases.chance)."""
    try:
        return phrases.chance(score.probability, score.threshold_used)
    except (AttributeError, TypeError, ValueError):
        return "—"


@register.filter
def money(amount, words=None) -> str:
    """8884.88 → '8 885 ₽' in the configured currency (no-break spaces as thousands separators; 'RUB 8,885'
    in English); words: phrases.words() of the view, so that a page reads the currency once."""
    try:
        return phrases.money(float(amount), words or None)
    except (TypeError, ValueError):
        return "—"


rub = register.filter("rub", money)  # the name templates used before the currency was configurable


@register.simple_tag(takes_context=True)
def amount(context, value) -> str:
    """`value|money` for pages whose view gives no `words`: the words are made once per rendering,
    not once per row of a list."""
    words = context.get("words")
    if words is None:
        words = context.render_context.get("phrase_words")
        if words is None:
            words = context.render_context["phrase_words"] = phrases.words()
    return money(value, words)


@register.filter
def phrase(item, words=None) -> str:
    """A stored reason's or waterfall step's text in the active language; words: phrases.words() of the view."""
    return phrases.text_of(item, words or None)


@register.filter
def advice_reasons(advice, words=None) -> list[str]:
    """The recommendation's reasons (do not send) in the active language."""
    return phrases.recommendation_texts(advice or {}, words or None).get("reasons") or []


@register.filter
def sent_to(scores, recommendation) -> list:
    """The bank scores whose bank the recommendation sends the application to, in the given order."""
    codes = set((recommendation or {}).get("banks") or ())
    return [score for score in scores if score.bank.code in codes]


@register.filter
def waterfall_style(step) -> str:
    """Inline geometry of one waterfall bar: left edge and width, in per cent of the track."""
    start, end = float(step["start"]), float(step["end"])
    left, width = min(start, end) * 100, max(abs(end - start) * 100, 0.5)
    return f"left:{left:.1f}%;width:{width:.1f}%"
