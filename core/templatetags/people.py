from django import template

from core.people import display_name, person_name

register = template.Library()


@register.filter
def person(user) -> str:
    """A user as people read them: `{{ case.handler|person }}` → 王建国."""
    return person_name(user)


@register.filter
def person_with_post(user, post: str = "") -> str:
    """`{{ user|person_with_post:post }}` → 王建国（副镇长）."""
    return display_name(user, post)
