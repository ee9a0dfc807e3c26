from django import forms
from django.utils.translation import gettext_lazy as _

from core.services import today
from enrollment.models import Household, Village

from .models import Transfer


class VillageChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, village):
        return f"{village.township.county.name} {village.township.name} {village.name}"


class ProposeForm(forms.Form):
    """To another township of the county or another county of the deployment."""

    to_village = VillageChoiceField(
        label=_("Receiving village"),
        queryset=Village.objects.select_related("township__county").order_by(
            "township__county__code", "township__code", "code"
        ),
    )
    new_address = forms.CharField(label=_("New address"), max_length=200)
    new_household_head = forms.CharField(
        label=_("Head of the new household"),
        max_length=50,
        required=False,
        help_text=_("Empty: the guardian. The receiving side may choose an existing household."),
    )
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, child=None, **kwargs):
        super().__init__(*args, **kwargs)
        if child is not None:
            self.fields["to_village"].queryset = self.fields["to_village"].queryset.exclude(
                township_id=child.village.township_id
            )


class MoveOutForm(forms.Form):
    """转出 out of the deployment."""

    destination = forms.CharField(
        label=_("Destination"),
        max_length=200,
        help_text=_("The receiving education bureau or place, e.g. 广东省深圳市宝安区教育局."),
    )
    destination_school = forms.CharField(
        label=_("School at the destination"), max_length=100, required=False
    )
    new_address = forms.CharField(label=_("New address"), max_length=200, required=False)
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}))


class AcceptForm(forms.Form):
    household = forms.ModelChoiceField(
        label=_("Join an existing household"),
        queryset=Household.objects.none(),
        required=False,
        empty_label=_("A new household at the proposed address"),
    )

    def __init__(self, *args, transfer=None, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        if transfer is not None and transfer.to_village_id:
            self.fields["household"].queryset = (
                Household.objects.for_user(user)
                .filter(village_id=transfer.to_village_id)
                .order_by("head_name", "pk")
            )


class ReturnForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for returning"), widget=forms.Textarea(attrs={"rows": 3})
    )


class ConfirmForm(forms.Form):
    confirmed_on = forms.DateField(
        label=_("Confirmed on"), widget=forms.DateInput(attrs={"type": "date"}), initial=today
    )
    confirmed_by_name = forms.CharField(
        label=_("Confirmed by"),
        max_length=100,
        help_text=_("Who confirmed the child's arrival at the destination (name and post)."),
    )


class TransferFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("All")), ("pending", _("Under way"))] + list(Transfer.Status.choices),
    )
    kind = forms.ChoiceField(
        label=_("Kind of transfer"),
        required=False,
        choices=[("", _("All"))] + list(Transfer.Kind.choices),
    )
    direction = forms.ChoiceField(
        label=_("Direction"),
        required=False,
        choices=[
            ("", _("All")),
            ("incoming", _("Incoming (to decide)")),
            ("outgoing", _("Outgoing")),
        ],
    )
