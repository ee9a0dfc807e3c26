"""The staffing table's school rows, written in Python.

A county has some 200 schools and each row shows fifteen figures: through the template engine
(a variable lookup, localisation and escaping per figure) the rows cost more than everything
else on the page put together. The markup is the one the template wrote.
"""

from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext

register = template.Library()

SCHOOL_ROW = (
    '<tr data-school="{}" class="{}"><td>{}<div class="small text-secondary">{} · {}</div></td>'
    "<td>{}</td><td>{}</td><td>{}</td><td>{}</td>"
    '<td class="fw-semibold">{}</td><td>{}</td><td>{}</td><td>{}</td><td>+{} / −{}</td><td>{}</td>'
    '<td class="{}" data-vacancy>{}</td><td class="{}" data-over>{}{}</td></tr>'
)
OVER_ICON = mark_safe('<i class="bi bi-exclamation-triangle"></i> ')


@register.simple_tag
def staffing_school_rows(rows) -> str:
    rural, urban = gettext("rural"), gettext("urban")
    return mark_safe(
        "".join(
            format_html(
                SCHOOL_ROW,
                row.school.pk,
                "table-warning" if row.over else "",
                row.school.name,
                row.township.name,
                rural if row.is_rural else urban,
                row.students["primary"],
                row.students["junior"],
                row.students["senior"],
                row.students["preschool"] + row.students["vocational"] + row.students["special"],
                row.quota,
                row.posts["regular"],
                row.posts["special_post"],
                row.posts["substitute"],
                row.exchange_in,
                row.exchange_out,
                row.counted,
                "text-danger fw-semibold" if row.vacancy else "",
                row.vacancy,
                "text-warning-emphasis fw-semibold" if row.over else "",
                OVER_ICON if row.over else "",
                row.over,
            )
            for row in rows
        )
    )
