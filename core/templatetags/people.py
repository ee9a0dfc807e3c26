from django import template

from core.people import person_name

register = template.Library()


@register.filter
def person(user) -> str:
    """A user as people read them: `{{ case.handler|person }}` → 王建国."""
    return person_name(user)
