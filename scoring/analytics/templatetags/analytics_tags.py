from django import template

from scoring.accounts import roles
from scoring.analytics.drift import shown_label

register = template.Library()


@register.filter
def bin_label(label) -> str:
    """A drift bin's label; 'нет ответа', 'другое', 'все значения' in the active language."""
    return shown_label(label)


@register.inclusion_tag("analytics/_table.html")
def analytics_table(tables, key, charts=None, query="", caption=""):
    """One table (with its chart above it and a CSV link), or "нет данных" when it is absent."""
    return {"table": (tables or {}).get(key), "chart": (charts or {}).get(key), "query": query, "caption": caption}


@register.filter
def can_see_analytics(user) -> bool:
    """roles.can_see_analytics for templates (the nav link)."""
    return bool(user and user.is_authenticated and roles.can_see_analytics(user))
