"""`{% submission_key %}` inside a create form: its one-time submission key (core.idempotency).

A form shown again after a refused POST keeps the key it was sent with (nothing was created,
so the key is still free); a form shown fresh gets a new one."""

from django import template
from django.utils.html import format_html

from ..idempotency import FORM_FIELD, new_form_key, valid_form_key

register = template.Library()


@register.simple_tag(takes_context=True)
def submission_key(context):
    request = context.get("request")
    posted = request is not None and request.method == "POST"
    sent = request.POST.get(FORM_FIELD) if posted else None
    key = sent if valid_form_key(sent) else new_form_key()
    return format_html('<input type="hidden" name="{}" value="{}">', FORM_FIELD, key)
