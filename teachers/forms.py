"""Forms parse and display; the services decide. Choices of schools and teachers are limited to
the user's scope by the views."""

from crispy_forms.helper import FormHelper
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.concurrency import VersionFormField
from core.fields import validate_life_date, validate_record_date
from enrollment.models import Child, School, Township

from .models import (
    AllowanceTier,
    Exchange,
    PostType,
    Recruitment,
    Subject,
    Teacher,
    Title,
    TrainingEvent,
)

DATE = forms.DateInput(attrs={"type": "date"})


class CrispyForm(forms.Form):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True


class TeacherForm(CrispyForm):
    name = forms.CharField(label=_("Name"), max_length=50)
    resident_id = forms.CharField(label=_("Resident ID"), max_length=30)
    phone = forms.CharField(label=_("Phone"), max_length=20, required=False)
    school = forms.ModelChoiceField(label=_("School"), queryset=School.objects.none())
    subjects = forms.ModelMultipleChoiceField(
        label=_("Subjects"),
        queryset=Subject.objects.all(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )
    title = forms.ChoiceField(label=_("Professional title"), choices=Title.choices)
    post_type = forms.ChoiceField(label=_("Post type"), choices=PostType.choices)
    recruitment = forms.ChoiceField(label=_("How recruited"), choices=Recruitment.choices)
    recruitment_year = forms.IntegerField(label=_("Year recruited"), min_value=1950)
    hire_date = forms.DateField(validators=[validate_life_date], label=_("Hire date"), widget=DATE)
    # The version the edit form was opened at: a save over someone else's newer one is refused.
    version = VersionFormField()

    def __init__(self, *args, schools=None, editing=False, **kwargs):
        super().__init__(*args, **kwargs)
        if editing:
            del self.fields["school"]
        else:
            del self.fields["version"]
            self.fields["school"].queryset = schools


class TransferForm(CrispyForm):
    school = forms.ModelChoiceField(label=_("New school"), queryset=School.objects.none())
    date = forms.DateField(validators=[validate_record_date], label=_("From"), widget=DATE)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args, schools=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["school"].queryset = schools


class ConversionForm(CrispyForm):
    converted_on = forms.DateField(
        validators=[validate_record_date], label=_("Converted on"), widget=DATE
    )
    decision = forms.CharField(
        label=_("Decision"),
        max_length=200,
        help_text=_("The approving document's number, e.g. 某人社发〔2025〕12号."),
    )


class LeavingForm(CrispyForm):
    left_on = forms.DateField(validators=[validate_record_date], label=_("Left on"), widget=DATE)
    reason = forms.CharField(label=_("Reason"), max_length=200)
    retired = forms.BooleanField(label=_("Retired"), required=False)


class ExchangeForm(CrispyForm):
    teacher = forms.ModelChoiceField(label=_("Teacher"), queryset=Teacher.objects.none())
    to_school = forms.ModelChoiceField(label=_("To school"), queryset=School.objects.none())
    kind = forms.ChoiceField(label=_("Kind"), choices=Exchange.Kind.choices)
    start_date = forms.DateField(validators=[validate_record_date], label=_("From"), widget=DATE)
    end_date = forms.DateField(validators=[validate_record_date], label=_("Until"), widget=DATE)
    note = forms.CharField(label=_("Note"), max_length=300, required=False)

    def __init__(self, *args, teachers=None, schools=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["teacher"].queryset = teachers
        self.fields["to_school"].queryset = schools


class EndExchangeForm(CrispyForm):
    end_date = forms.DateField(
        validators=[validate_record_date], label=_("Returned on"), widget=DATE
    )


class BatchForm(CrispyForm):
    period = forms.CharField(
        label=_("Month"),
        max_length=7,
        widget=forms.TextInput(attrs={"type": "month"}),
        help_text=_("For example 2025-03."),
    )
    township = forms.ModelChoiceField(
        label=_("Township"),
        queryset=Township.objects.none(),
        required=False,
        empty_label=_("Whole county"),
    )
    title = forms.CharField(label=_("Title"), max_length=100, required=False)

    def __init__(self, *args, townships=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["township"].queryset = townships


class PaidForm(CrispyForm):
    paid_on = forms.DateField(
        validators=[validate_record_date],
        label=_("Paid on"),
        widget=DATE,
        initial=timezone.localdate,
    )


class PaymentForm(CrispyForm):
    teacher = forms.ModelChoiceField(label=_("Teacher"), queryset=Teacher.objects.none())
    amount = forms.DecimalField(label=_("Amount (yuan)"), max_digits=10, decimal_places=2)

    def __init__(self, *args, teachers=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["teacher"].queryset = teachers


class TierForm(CrispyForm):
    name = forms.CharField(label=_("Name"), max_length=50)
    rank = forms.IntegerField(label=_("Rank (1 = most remote)"), min_value=1, initial=1)
    monthly_amount = forms.DecimalField(
        label=_("Monthly amount (yuan)"), max_digits=8, decimal_places=2
    )


class SchoolTierForm(CrispyForm):
    school = forms.ModelChoiceField(label=_("School"), queryset=School.objects.none())
    tier = forms.ModelChoiceField(
        label=_("Tier"),
        queryset=AllowanceTier.objects.none(),
        required=False,
        empty_label=_("None (no rural allowance)"),
    )

    def __init__(self, *args, schools=None, tiers=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["school"].queryset = schools
        self.fields["tier"].queryset = tiers


class TrainingForm(CrispyForm):
    title = forms.CharField(label=_("Title"), max_length=200)
    level = forms.ChoiceField(label=_("Level"), choices=TrainingEvent.Level.choices)
    kind = forms.ChoiceField(label=_("Kind of training"), choices=TrainingEvent.Kind.choices)
    programme = forms.CharField(
        label=_("Programme"),
        max_length=100,
        required=False,
        help_text=_("For example 乡村教师能力素质提升工程 or 国培计划."),
    )
    start_date = forms.DateField(validators=[validate_record_date], label=_("From"), widget=DATE)
    end_date = forms.DateField(validators=[validate_record_date], label=_("Until"), widget=DATE)
    hours = forms.DecimalField(label=_("Hours"), max_digits=6, decimal_places=1)
    provider = forms.CharField(label=_("Provider"), max_length=200)


class AttendanceForm(CrispyForm):
    teachers = forms.ModelMultipleChoiceField(
        label=_("Teachers"),
        queryset=Teacher.objects.none(),
        widget=forms.SelectMultiple(attrs={"size": 10}),
    )
    hours = forms.DecimalField(
        label=_("Hours attended"),
        max_digits=6,
        decimal_places=1,
        required=False,
        help_text=_("Empty: the training's hours."),
    )

    def __init__(self, *args, teachers=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["teachers"].queryset = teachers


class HomeTeachingForm(CrispyForm):
    child = forms.ModelChoiceField(label=_("Child"), queryset=Child.objects.none())
    teacher = forms.ModelChoiceField(label=_("Teacher"), queryset=Teacher.objects.none())
    date = forms.DateField(
        validators=[validate_record_date], label=_("Date"), widget=DATE, initial=timezone.localdate
    )
    hours = forms.DecimalField(
        label=_("Hours"), max_digits=3, decimal_places=1, help_text=_("At most 8 hours.")
    )
    content = forms.CharField(
        label=_("What was taught"), max_length=500, widget=forms.Textarea(attrs={"rows": 3})
    )
    note = forms.CharField(label=_("Note"), max_length=300, required=False)

    def __init__(self, *args, children=None, teachers=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["child"].queryset = children
        self.fields["child"].label_from_instance = lambda child: (
            f"{child.name}（{child.masked_resident_id or _('no resident ID')}）"
        )
        self.fields["teacher"].queryset = teachers
        self.fields["teacher"].label_from_instance = lambda t: f"{t.name}（{t.school.name}）"
