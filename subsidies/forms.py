"""Forms parse and display; the services decide."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.concurrency import VersionFormField
from core.fields import validate_record_date
from enrollment.models import PovertyStatus, School

from .models import DifficultyLevel, Donation, FundEntry, Programme, Stage
from .services.programmes import TERMS_FIELDS

DATE = forms.DateInput(attrs={"type": "date"})


def current_term() -> str:
    day = timezone.localdate()
    year = day.year if day.month >= 9 else day.year - 1
    return f"{year}-1" if day.month >= 9 or day.month == 1 else f"{year}-2"


class ProgrammeForm(forms.ModelForm):
    stages = forms.MultipleChoiceField(
        label=_("Stages"), choices=Stage.choices, widget=forms.CheckboxSelectMultiple
    )
    poverty_categories = forms.MultipleChoiceField(
        label=_("Household poverty categories"),
        choices=[c for c in PovertyStatus.choices if c[0] != PovertyStatus.NONE],
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    difficulty_levels = forms.MultipleChoiceField(
        label=_("Levels of economic difficulty"),
        choices=[c for c in DifficultyLevel.choices if c[0] != DifficultyLevel.NONE],
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    reduced_rate_categories = forms.MultipleChoiceField(
        label=_("Non-boarders' poverty categories at the reduced rate"),
        choices=[c for c in PovertyStatus.choices if c[0] != PovertyStatus.NONE],
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    class Meta:
        model = Programme
        fields = [
            "code",
            *TERMS_FIELDS,
            "excludes",
            "active_from",
            "active_until",
        ]
        widgets = {
            "active_from": DATE,
            "active_until": DATE,
            "source_note": forms.Textarea(attrs={"rows": 3}),
            "excludes": forms.CheckboxSelectMultiple,
        }

    # The version the edit form was opened at: a save over someone else's newer one is refused.
    version = VersionFormField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["code"].disabled = True
            self.fields["excludes"].queryset = Programme.objects.exclude(pk=self.instance.pk)
            self.initial.setdefault("version", self.instance.version)
        else:
            del self.fields["version"]

    def validate_unique(self):
        """Left to the service."""


class BatchForm(forms.Form):
    programme = forms.ModelChoiceField(
        label=_("Programme"), queryset=Programme.objects.filter(per_child=True)
    )
    period = forms.CharField(
        label=_("School year or term"),
        max_length=6,
        help_text=_("A term like 2025-1 (autumn) or 2025-2 (spring); a year like 2025."),
    )
    school = forms.ModelChoiceField(
        label=_("School"),
        queryset=School.objects.none(),
        required=False,
        empty_label=_("The bureau"),
    )
    title = forms.CharField(label=_("Title"), max_length=120, required=False)

    def __init__(self, *args, schools=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["school"].queryset = schools if schools is not None else School.objects.none()
        self.fields["period"].initial = current_term()


class PaidOnForm(forms.Form):
    paid_on = forms.DateField(validators=[validate_record_date], label=_("Paid on"), widget=DATE)


class LineForm(forms.Form):
    resident_id = forms.CharField(label=_("Resident ID"), max_length=18)
    amount = forms.DecimalField(
        label=_("Amount (yuan)"), max_digits=10, decimal_places=2, required=False
    )
    reason = forms.CharField(label=_("Reason"), max_length=300, required=False)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=300)


class SupplementForm(ReasonForm):
    amount = forms.DecimalField(label=_("Amount (yuan)"), max_digits=10, decimal_places=2)


class GapRunForm(forms.Form):
    period = forms.CharField(
        label=_("Term"), max_length=6, help_text=_("2025-1 is the autumn term, 2025-2 the spring.")
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["period"].initial = current_term()


class InflowForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=[c for c in FundEntry.Kind.choices if c[0] != FundEntry.Kind.GRANT],
    )
    amount = forms.DecimalField(label=_("Amount (yuan)"), max_digits=12, decimal_places=2)
    date = forms.DateField(validators=[validate_record_date], label=_("Date"), widget=DATE)
    counterparty = forms.CharField(label=_("Donor or source"), max_length=100)
    purpose = forms.CharField(label=_("Purpose"), max_length=200, required=False)


class GrantForm(forms.Form):
    resident_id = forms.CharField(label=_("Student's resident ID"), max_length=18)
    amount = forms.DecimalField(label=_("Amount (yuan)"), max_digits=12, decimal_places=2)
    date = forms.DateField(validators=[validate_record_date], label=_("Date"), widget=DATE)
    hardship = forms.CharField(
        label=_("Hardship"), max_length=300, widget=forms.Textarea(attrs={"rows": 2})
    )
    purpose = forms.CharField(label=_("Purpose"), max_length=200, required=False)


class DonationForm(forms.Form):
    donor = forms.CharField(label=_("Donor"), max_length=100)
    donor_kind = forms.ChoiceField(label=_("Donor kind"), choices=Donation.DonorKind.choices)
    kind = forms.ChoiceField(label=_("Kind"), choices=Donation.Kind.choices)
    value = forms.DecimalField(label=_("Value (yuan)"), max_digits=12, decimal_places=2)
    description = forms.CharField(label=_("What was given"), max_length=200, required=False)
    purpose = forms.CharField(label=_("Purpose"), max_length=200)
    date = forms.DateField(validators=[validate_record_date], label=_("Date"), widget=DATE)
    school = forms.ModelChoiceField(
        label=_("Beneficiary school"), queryset=School.objects.none(), required=False
    )
    publish_name = forms.BooleanField(
        label=_("Name on the public list"), required=False, initial=True
    )

    def __init__(self, *args, schools=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["school"].queryset = schools if schools is not None else School.objects.none()


class ApplicationForm(forms.Form):
    resident_id = forms.CharField(label=_("Resident ID"), max_length=18)
    school_year = forms.IntegerField(label=_("School year"), min_value=2000, max_value=2100)
    applied_level = forms.ChoiceField(
        label=_("Level applied for"),
        choices=[c for c in DifficultyLevel.choices if c[0] != DifficultyLevel.NONE],
    )
    basis = forms.CharField(
        label=_("Family circumstances"), max_length=200, widget=forms.Textarea(attrs={"rows": 2})
    )


class DecideForm(forms.Form):
    level = forms.ChoiceField(label=_("Level"), choices=DifficultyLevel.choices)


class NoticeForm(forms.Form):
    school = forms.ModelChoiceField(label=_("School"), queryset=School.objects.none())
    school_year = forms.IntegerField(label=_("School year"), min_value=2000, max_value=2100)
    notice_from = forms.DateField(
        validators=[validate_record_date],
        label=_("Public notice from"),
        widget=DATE,
        required=False,
    )
    notice_until = forms.DateField(
        validators=[validate_record_date],
        label=_("Public notice until"),
        widget=DATE,
        required=False,
    )

    def __init__(self, *args, schools=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["school"].queryset = schools if schools is not None else School.objects.none()


class PublicFundForm(forms.Form):
    school = forms.ModelChoiceField(label=_("School"), queryset=School.objects.none())
    period = forms.CharField(
        label=_("Term"),
        max_length=6,
        help_text=_("2025-1: autumn term of 2025–2026; 2025-2: its spring term."),
    )
    pupils = forms.IntegerField(label=_("Pupils counted (enrolment that term)"), min_value=0)
    standard = forms.DecimalField(
        label=_("Per-pupil standard for the term (yuan)"),
        max_digits=10,
        decimal_places=2,
        required=False,
        help_text=_("Empty: the catalogue's standard for the school's stage."),
    )
    amount = forms.DecimalField(
        label=_("Amount allocated (yuan)"),
        max_digits=14,
        decimal_places=2,
        required=False,
        help_text=_("Empty: pupils × standard. A different amount needs a note."),
    )
    note = forms.CharField(label=_("Note"), max_length=300, required=False)
    allocated_on = forms.DateField(
        validators=[validate_record_date], label=_("Allocated on"), widget=DATE
    )
    version = VersionFormField()

    def __init__(self, *args, schools=None, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["school"].queryset = schools if schools is not None else School.objects.none()
        if not editing:  # a new allocation has no version yet
            del self.fields["version"]
