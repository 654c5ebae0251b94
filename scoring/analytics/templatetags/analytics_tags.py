from django import template

from scoring.accounts import roles
from scoring.analytics.drift import shown_label
from scoring.analytics.wording import decimal as decimal_text
from scoring.services import phrases

register = template.Library()


@register.filter
def bin_label(label) -> str:
    """A drift bin's label; «не указано», 'другое', 'все значения' in the active language."""
    return shown_label(label)


@register.filter
def decimal(value, places=3) -> str:
    """A plain number in the active language's format: 0.25 -> '0,25' in Russian."""
    return "—" if value is None else decimal_text(value, int(places))


@register.filter
def share(value, places=1) -> str:
    """A share 0..1 in per cent, one decimal unless told, in the active language: 0.125 -> '12,5 %'."""
    return "—" if value is None else phrases.percent(value, int(places))


@register.inclusion_tag("analytics/_table.html")
def analytics_table(tables, key, charts=None, query="", caption=""):
    """One table (with its chart above it and a CSV link), or "нет данных" when it is absent."""
    return {"table": (tables or {}).get(key), "chart": (charts or {}).get(key), "query": query, "caption": caption}


@register.filter
def can_see_analytics(user) -> bool:
    """roles.can_see_analytics for templates (the nav link)."""
    return bool(user and user.is_authenticated and roles.can_see_analytics(user))
