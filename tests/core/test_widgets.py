"""QuickSelect writes the same <select> as Django's template-rendered one."""

import re

from django import forms

from core.widgets import QuickSelect

from ..factories import TownshipFactory


def _normalised(html: str) -> str:
    return re.sub(r">\s+<", "><", html.strip())


def _both(field_class, **kwargs):
    class Plain(forms.Form):
        choice = field_class(**kwargs)

    class Quick(forms.Form):
        choice = field_class(widget=QuickSelect, **kwargs)

    return Plain, Quick


def test_a_model_choice_renders_as_djangos_select_with_the_chosen_value(db):
    first = TownshipFactory(name="一镇")
    TownshipFactory(name='二镇 <"&>', county=first.county)
    Plain, Quick = _both(
        forms.ModelChoiceField,
        queryset=type(first).objects.order_by("pk"),
        empty_label="全部",
        required=False,
    )
    data = {"choice": str(first.pk)}
    plain = str(Plain(data)["choice"])
    quick = str(Quick(data)["choice"])
    assert _normalised(quick) == _normalised(plain)
    assert "selected" in quick and "&lt;&quot;&amp;&gt;" in quick


def test_grouped_choices_and_attributes_render_as_djangos_select():
    choices = [("", "全部"), ("小学", [("1", "一年级"), ("2", "二年级")]), ("7", "七年级")]
    Plain, Quick = _both(forms.ChoiceField, choices=choices, required=True)
    for form_class in (Plain, Quick):
        form_class.base_fields["choice"].widget.attrs["class"] = "form-select form-select-sm"
    plain = str(Plain({"choice": "2"})["choice"])
    quick = str(Quick({"choice": "2"})["choice"])
    assert _normalised(quick) == _normalised(plain)
    assert "<optgroup" in quick and " required" in quick
