from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from enrollment.models import School, Township, Village

from . import selectors
from .factors import FACTORS, FACTORS_BY_KEY
from .models import RiskScore

QUERY_KEYS = ("township", "village", "school", "min_score", "top", "factor")


class RiskFilterForm(forms.Form):
    """The risk list's filters (the export reads the same): places of the user's scope only."""

    township = forms.ModelChoiceField(
        label=_("Township"), queryset=Township.objects.none(), required=False
    )
    village = forms.ModelChoiceField(
        label=_("Village"), queryset=Village.objects.none(), required=False
    )
    school = forms.ModelChoiceField(
        label=_("School"), queryset=School.objects.none(), required=False
    )
    min_score = forms.IntegerField(
        label=_("Score at least"), min_value=0, max_value=1000, required=False
    )
    top = forms.IntegerField(
        label=_("Top N only"), min_value=1, max_value=selectors.LIST_LIMIT_MAX, required=False
    )
    factor = forms.ChoiceField(
        label=_("Factor"),
        choices=[("", _("Any factor"))] + [(f.key, f.label) for f in FACTORS],
        required=False,
    )

    def __init__(self, data=None, *, user, **kwargs):
        super().__init__(data, **kwargs)
        self.fields["township"].queryset = Township.objects.for_user(user).order_by("code")
        self.fields["village"].queryset = Village.objects.for_user(user).order_by("code")
        self.fields["school"].queryset = School.objects.for_user(user).order_by("code")
        self.user = user
        for name in ("township", "village", "school"):
            self.fields[name].empty_label = _("All")
        for field in self.fields.values():
            select = isinstance(field.widget, forms.Select)
            field.widget.attrs["class"] = (
                "form-select form-select-sm" if select else "form-control form-control-sm"
            )

    def scores(self):
        """The filtered scores (the form must be valid); without a score filter, the high-risk
        threshold applies; `top` keeps the first N by score."""
        data = self.cleaned_data
        min_score = data.get("min_score")
        if min_score is None and not data.get("top"):
            min_score = settings.RISK_HIGH_THRESHOLD
        return selectors.filtered(
            selectors.risk_scores(self.user),
            township=data.get("township"),
            village=data.get("village"),
            school=data.get("school"),
            min_score=min_score,
            factor=data.get("factor") or "",
        )

    def limited(self, rows):
        top = self.cleaned_data.get("top")
        return rows[:top] if top else rows


class WeightsForm(forms.Form):
    """The county's points per factor (0 switches a factor off)."""

    def __init__(self, data=None, *, points: dict, **kwargs):
        super().__init__(data, **kwargs)
        for key, value in points.items():
            factor = FACTORS_BY_KEY[key]
            self.fields[key] = forms.IntegerField(
                label=factor.label,
                help_text=factor.rule,
                min_value=0,
                max_value=100,
                initial=value,
            )


def top_of(scores, top):
    """The first `top` rows by score, as a queryset that can still be counted."""
    ids = scores.order_by("-score", "child_id").values("pk")[:top]
    return RiskScore.objects.filter(pk__in=ids)
