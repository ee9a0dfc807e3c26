"""Forms of 帮扶单位, 帮扶活动 and 学年升级: they parse and display; the services decide."""

from django import forms
from django.core.validators import MaxValueValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.fields import TEXT_MAX_LENGTH, validate_record_date
from core.forms import DATE_INPUT
from core.params import EARLIEST_YEAR

from .forms import CrispyMixin
from .help_models import HelpActivity, PartnerUnit


class PartnerUnitForm(CrispyMixin, forms.ModelForm):
    class Meta:
        model = PartnerUnit
        fields = ["name", "kind", "contact_person", "phone", "is_active"]


class HelpActivityForm(CrispyMixin, forms.Form):
    date = forms.DateField(
        label=_("Date"),
        widget=DATE_INPUT,
        validators=[validate_record_date],
        initial=timezone.localdate,
    )
    kind = forms.ChoiceField(
        label=_("Kind"), choices=[("", _("— choose —"))] + HelpActivity.Kind.choices
    )
    unit = forms.ModelChoiceField(
        label=_("Partner unit"), queryset=PartnerUnit.objects.none(), required=False
    )
    responsible_name = forms.CharField(label=_("Responsible person"), max_length=50)
    content = forms.CharField(
        label=_("Help given"),
        max_length=TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    amount = forms.DecimalField(
        label=_("Amount (yuan)"),
        required=False,
        min_value=0,
        max_digits=12,
        decimal_places=2,
        help_text=_("Money given, or the value of the goods; leave empty otherwise."),
    )

    def __init__(self, *args, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units


class PromotionForm(CrispyMixin, forms.Form):
    year = forms.IntegerField(
        label=_("School year beginning on 1 September of"), min_value=EARLIEST_YEAR
    )

    def __init__(self, *args, latest: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].validators.append(MaxValueValidator(latest))
        self.fields["year"].widget.attrs["max"] = latest
