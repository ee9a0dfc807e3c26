from django import template

from ..tables import focus_badges as render_focus_badges
from ..tables import status_badge as render_status_badge

register = template.Library()


@register.simple_tag
def status_badge(status):
    return render_status_badge(status)


@register.simple_tag
def focus_badges(child):
    return render_focus_badges(child)
