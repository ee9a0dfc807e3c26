"""QuickSelect writes the same <select> as Django's template-rendered one; a filter by place
(NamedModelChoiceFilter) offers the same options from (pk, name) rows and checks the same."""

import re

import django_filters
from django import forms
from django.http import QueryDict

from core.widgets import NamedModelChoiceFilter, QuickSelect
from enrollment.models import Township, Village

from ..factories import TownshipFactory, VillageFactory


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


def test_a_filter_by_place_renders_and_checks_as_a_model_choice_filter(db):
    first = TownshipFactory(name="一镇")
    second = TownshipFactory(name='二镇 <"&>', county=first.county)
    outside = TownshipFactory(name="他县一镇")
    places = Township.objects.filter(county=first.county).order_by("pk")

    class Plain(django_filters.FilterSet):
        township = django_filters.ModelChoiceFilter(
            queryset=places, empty_label="全部", widget=QuickSelect
        )

    class Named(django_filters.FilterSet):
        township = NamedModelChoiceFilter(queryset=places, empty_label="全部")

    village = VillageFactory(township=second)
    VillageFactory(township=first)
    chosen = QueryDict(f"township={second.pk}")
    plain = Plain(chosen, queryset=Village.objects.all())
    named = Named(chosen, queryset=Village.objects.all())
    assert str(named.form["township"]) == str(plain.form["township"])
    assert "selected" in str(named.form["township"])
    assert list(named.qs) == [village]
    # A place outside the choices is refused, as by the model choice filter.
    refused = Named(QueryDict(f"township={outside.pk}"), queryset=Village.objects.all())
    assert not refused.is_valid() and "township" in refused.errors
