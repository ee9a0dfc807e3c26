from django import template

from ..models import Grade
from ..tables import focus_badges as render_focus_badges
from ..tables import score_cells as render_score_cells
from ..tables import status_badge as render_status_badge

register = template.Library()


@register.simple_tag
def status_badge(status):
    return render_status_badge(status)


@register.simple_tag
def focus_badges(child):
    return render_focus_badges(child)


@register.simple_tag
def child_score_cells(record):
    """The cells of the modules' per-child scores (extensions.CHILD_SCORES) of a ledger row
    annotated with them (ledgers.build_ledger, the case list)."""
    return render_score_cells(record)


GRADE_LABELS = dict(Grade.choices)


@register.filter
def grade_label(value):
    return GRADE_LABELS.get(value, "—")
