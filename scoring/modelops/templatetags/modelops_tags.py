from django import template
from django.utils.html import format_html_join

register = template.Library()


@register.simple_tag
def rejected_rows(report):
    """The table rows of an import's refused rows (row, CSV column, field key, reason). Built here rather
    than in a template loop: a refused file may list tens of thousands of reasons."""
    return format_html_join("\n", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                            ((row, column or "—", key, message)
                             for row, key, column, message in report.rejection_lines()))
