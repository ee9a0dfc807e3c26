"""Form widgets, and the choices of a filter by place."""

import django_filters
from django import forms
from django.utils.html import conditional_escape, format_html, format_html_join
from django.utils.safestring import mark_safe
from django_filters.fields import ModelChoiceField, ModelChoiceIterator


def _attributes(attrs: dict) -> str:
    """As django/forms/widgets/attrs.html: in order, False left out, True as a bare name."""
    return format_html_join(
        "",
        " {}{}",
        (
            (name, "" if value is True else format_html('="{}"', value))
            for name, value in attrs.items()
            if value is not False
        ),
    )


class QuickSelect(forms.Select):
    """A <select> whose options are written in Python. Django renders every <option> through
    a template include, a fraction of a millisecond each: the 300 villages or 190 schools of a
    county cost 30–60 ms on every view of a filtered list. Same markup, same attributes."""

    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        groups = []
        for group_name, options, _index in widget["optgroups"]:
            # Escaped and joined by hand: format_html per option was most of the time left.
            rendered = "".join(
                [
                    f'<option value="{conditional_escape(option["value"])}"'
                    f"{_attributes(option['attrs']) if option['attrs'] else ''}>"
                    f"{conditional_escape(option['label'])}</option>"
                    for option in options
                ]
            )
            if group_name:
                rendered = format_html(
                    '<optgroup label="{}">{}</optgroup>', group_name, mark_safe(rendered)
                )
            groups.append(rendered)
        return format_html(
            '<select name="{}"{}>{}</select>',
            widget["name"],
            _attributes(widget["attrs"]),
            mark_safe("".join(groups)),
        )


class _NameChoiceIterator(ModelChoiceIterator):
    """(pk, name) rows read with values_list: the options of a model whose str() is its name,
    without building a model instance per option (a county's 300 villages: ~7 ms a view)."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        if self.field.null_label is not None:
            yield (self.field.null_value, self.field.null_label)
        yield from self.queryset.values_list("pk", "name")


class _NameChoiceField(ModelChoiceField):
    iterator = _NameChoiceIterator


class NamedModelChoiceFilter(django_filters.ModelChoiceFilter):
    """A filter by a place (village, school, township): a model whose str() is its `name`,
    its options written by QuickSelect from (pk, name) rows."""

    field_class = _NameChoiceField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", QuickSelect)
        super().__init__(*args, **kwargs)
