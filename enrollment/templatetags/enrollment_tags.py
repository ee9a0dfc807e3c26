from django import template

from ..models import Grade
from ..tables import focus_badges as render_focus_badges
from ..tables import status_badge as render_status_badge

register = template.Library()


@register.simple_tag
def status_badge(status):
    return render_status_badge(status)


@register.simple_tag
def focus_badges(child):
    return render_focus_badges(child)


GRADE_LABELS = dict(Grade.choices)


@register.filter
def grade_label(value):
    return GRADE_LABELS.get(value, "—")
