from django import template
from django.utils.html import format_html_join

from scoring.engine.offers import format_rub

register = template.Library()


@register.filter
def percent(probability) -> str:
    """0.734 → '73 %'."""
    try:
        return f"{float(probability) * 100:.0f} %"
    except (TypeError, ValueError):
        return "—"


@register.filter
def rub(amount) -> str:
    """8884.88 → '8 885 ₽' (no-break spaces as thousands separators)."""
    try:
        return format_rub(amount)
    except (TypeError, ValueError):
        return "—"


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


@register.simple_tag
def rejected_rows(report):
    """The table rows of an import's refused rows (row, CSV column, field key, reason). Built here rather
    than in a template loop: a refused file may list tens of thousands of reasons."""
    return format_html_join("\n", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                            ((row, column or "—", key, message)
                             for row, key, column, message in report.rejection_lines()))
