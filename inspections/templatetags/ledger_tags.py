"""The rectification ledger's per-unit rows, written in Python.

Every township, school and bureau section with an issue has a row (some 200 in a county), six
figures each: through the template engine they cost more than the issue list above them. The
markup is the one the template wrote; the rate is localised as the template localised it.
"""

from django import template
from django.utils.formats import localize
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext

register = template.Library()

UNIT_ROW = (
    '<tr><td>{} <small class="text-secondary">{}</small></td><td>{}</td><td>{}</td><td>{}</td>'
    "<td>{}</td><td>{}</td></tr>"
)
OVERDUE = '<span class="text-danger">{}</span>'


@register.simple_tag
def unit_rows(rows) -> str:
    if not rows:
        return format_html(
            '<tr><td colspan="6" class="text-secondary">{}</td></tr>', gettext("No issues.")
        )
    return mark_safe(
        "".join(
            format_html(
                UNIT_ROW,
                row["unit"],
                row["kind"],
                row["found"],
                row["rectified"],
                row["verified"],
                format_html(OVERDUE, row["overdue"]) if row["overdue"] else "0",
                "—" if row["rate"] is None else f"{localize(row['rate'])}%",
            )
            for row in rows
        )
    )
