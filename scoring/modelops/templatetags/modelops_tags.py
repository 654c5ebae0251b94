from django import template
from django.utils.html import format_html_join

register = template.Library()


# The upload page lists this many skipped and this many flagged rows; the command's --report has them all.
SHOWN_REPORT_ROWS = 100


@register.simple_tag
def report_rows(report, status: str):
    """The table rows (row, CSV column, field key, reason) of an import's first SHOWN_REPORT_ROWS skipped
    (status "skipped") or flagged rows. Built here rather than in a template loop: one line per reason."""
    rows = (report.skipped if status == "skipped" else report.flagged)[:SHOWN_REPORT_ROWS]
    return format_html_join("\n", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                            ((row, column or "—", key, message)
                             for row, key, column, message in report.lines(rows)))
