"""Forms parse and display; the services decide. Choices are limited to the user's scope."""

from crispy_forms.helper import FormHelper
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.fields import TEXT_MAX_LENGTH, validate_life_date, validate_record_date
from core.forms import DATE_INPUT
from core.uploads import verify_document_upload

from .models import (
    CASE_FLAG_FIELD,
    FOCUS_FLAG_FIELDS,
    PLACEMENT_FIELDS,
    TEACHER_VISITORS_MAX,
    Child,
    EnrollmentStatus,
    Grade,
    HelpPairing,
    Household,
    HouseholdVisit,
    School,
    Village,
)
from .permissions import has_any_role
from .roles import CASE_FLAG_ROLES
from .services import EXEMPTION_ONLY_STATUSES


class CrispyMixin:
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False


class HouseholdForm(CrispyMixin, forms.ModelForm):
    class Meta:
        model = Household
        fields = [
            "village",
            "address",
            "head_name",
            "poverty_status",
            "poverty_registration_number",
            "poverty_registered_on",
        ]
        widgets = {"poverty_registered_on": DATE_INPUT}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["village"].queryset = Village.objects.for_user(user).select_related("township")
        self.fields["village"].label_from_instance = lambda v: f"{v.township.name} · {v.name}"


class HouseholdChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, household):
        return f"{household.head_name} · {household.village.name} · {household.address}"


class ChildRegistrationForm(CrispyMixin, forms.Form):
    household = HouseholdChoiceField(queryset=Household.objects.none(), label=_("Household"))
    name = forms.CharField(label=_("Name"), max_length=50)
    resident_id = forms.CharField(
        label=_("Resident ID"),
        max_length=30,
        required=False,
        help_text=_("18 characters; full-width digits, spaces and a lowercase x are accepted."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "text"}),
    )
    has_no_resident_id = forms.BooleanField(
        label=_("No household registration (未落户)"),
        required=False,
        help_text=_("Only for a child who really has no ID; then enter sex and birth date."),
    )
    sex = forms.ChoiceField(
        label=_("Sex"),
        required=False,
        choices=[("", _("From the ID"))] + list(Child._meta.get_field("sex").choices),
    )
    birth_date = forms.DateField(
        validators=[validate_life_date],
        label=_("Birth date"),
        required=False,
        widget=DATE_INPUT,
        help_text=_("Leave empty to take it from the ID."),
    )
    guardian_name = forms.CharField(label=_("Guardian"), max_length=50)
    guardian_relation = forms.CharField(label=_("Relation to child"), max_length=20)
    guardian_phone = forms.RegexField(
        max_length=20,
        label=_("Guardian phone"),
        regex=r"^[0-9\-+ ]{7,20}$",
        required=False,
        error_messages={"invalid": _("Enter a phone number.")},
    )
    is_left_behind = forms.BooleanField(label=_("Left-behind child"), required=False)
    is_disabled = forms.BooleanField(label=_("Disabled"), required=False)
    disability_category = forms.ChoiceField(
        label=_("Disability category"),
        required=False,
        choices=[("", "—")] + list(Child._meta.get_field("disability_category").choices),
    )
    disability_grade = forms.TypedChoiceField(
        label=_("Disability grade"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", "—")] + [(i, str(i)) for i in range(1, 5)],
    )
    is_orphan = forms.BooleanField(label=_("Orphan or de-facto unsupported"), required=False)
    is_in_difficulty = forms.BooleanField(label=_("Child in difficulty"), required=False)
    is_migrant = forms.BooleanField(label=_("Migrant child"), required=False)
    is_involved_in_case = forms.BooleanField(
        label=_("Minor involved in a legal case"),
        required=False,
        help_text=_("Seen only by the county bureau and the child's township."),
    )

    FLAG_FIELDS = FOCUS_FLAG_FIELDS

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        if not has_any_role(user, CASE_FLAG_ROLES):  # the service checks the household too
            del self.fields[CASE_FLAG_FIELD]
        self.fields["household"].queryset = (
            Household.objects.for_user(user)
            .select_related("village")
            .order_by("village__code", "head_name")
        )

    def clean(self):
        data = super().clean()
        if data.get("is_disabled") is False and (
            data.get("disability_category") or data.get("disability_grade")
        ):
            self.add_error("is_disabled", _("Tick 'disabled' to record a disability."))
        return data

    def flags(self) -> dict:
        flags = {name: self.cleaned_data[name] for name in self.FLAG_FIELDS}
        flags["disability_category"] = flags["disability_category"] or ""
        return flags


class SchoolChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, school):
        return f"{school.name}（{school.township.name}）"


def manual_status_choices():
    return [
        (value, label)
        for value, label in EnrollmentStatus.choices
        if value not in EXEMPTION_ONLY_STATUSES
    ]


class StatusFieldsMixin(forms.Form):
    """The school, grade and outside-county fields a status may need."""

    school = SchoolChoiceField(queryset=School.objects.none(), required=False, label=_("School"))
    grade = forms.TypedChoiceField(
        label=_("Grade"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", "—")] + list(Grade.choices),
    )
    class_name = forms.CharField(label=_("Class"), max_length=20, required=False)
    is_inclusive = forms.BooleanField(label=_("Inclusive placement (随班就读)"), required=False)
    is_boarder = forms.BooleanField(label=_("Boarder (寄宿生)"), required=False)
    outside_school_name = forms.CharField(
        label=_("School outside the county"), max_length=100, required=False
    )
    outside_verified = forms.BooleanField(
        label=_("Outside study verified"),
        required=False,
        help_text=_("Tick only after the receiving school has confirmed the enrollment."),
    )

    def limit_schools(self, child):
        county_id = child.village.township.county_id
        self.fields["school"].queryset = (
            School.objects.filter(township__county_id=county_id)
            .select_related("township")
            .order_by("township", "name")
        )


class StatusChangeForm(CrispyMixin, StatusFieldsMixin):
    status = forms.ChoiceField(label=_("New status"), choices=manual_status_choices)
    effective_date = forms.DateField(
        validators=[validate_record_date],
        label=_("Effective date"),
        widget=DATE_INPUT,
        initial=timezone.localdate,
    )
    reason = forms.CharField(
        label=_("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )

    field_order = [
        "status",
        "effective_date",
        "school",
        *PLACEMENT_FIELDS,
        "reason",
    ]

    def __init__(self, *args, child, **kwargs):
        super().__init__(*args, **kwargs)
        self.limit_schools(child)


class ChildrenField(forms.ModelMultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def label_from_instance(self, child):
        return f"{child.name}（{child.birth_date:%Y-%m-%d}）"


class HouseholdVisitForm(CrispyMixin, StatusFieldsMixin):
    visit_date = forms.DateField(
        validators=[validate_record_date],
        label=_("Visit date"),
        widget=DATE_INPUT,
        initial=timezone.localdate,
    )
    children = ChildrenField(queryset=Child.objects.none(), label=_("Children visited"))
    visitors = forms.CharField(
        label=_("Visitors"), max_length=200, help_text=_("Officials, cadres and teachers who went.")
    )
    teacher_visitors = forms.IntegerField(
        label=_("Of whom teachers"),
        min_value=0,
        max_value=TEACHER_VISITORS_MAX,
        initial=0,
        required=False,
        help_text=_("How many of the visitors were teachers (千名教师进村入户)."),
    )
    findings = forms.CharField(
        max_length=TEXT_MAX_LENGTH,
        label=_("What was found"),
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    # No default: what the visit found is chosen by the visitor, never assumed.
    outcome = forms.ChoiceField(
        label=_("Outcome"), choices=[("", _("— choose —"))] + HouseholdVisit.Outcome.choices
    )
    follow_up = forms.CharField(
        max_length=TEXT_MAX_LENGTH,
        label=_("Follow-up"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    attachment = forms.FileField(
        label=_("Photo or attachment"),
        required=False,
        help_text=_("PDF, JPEG or PNG, at most 5 MB."),
        # On a phone the input opens the camera.
        widget=forms.ClearableFileInput(
            attrs={"accept": "image/jpeg,image/png,application/pdf", "capture": "environment"}
        ),
    )
    new_status = forms.ChoiceField(
        label=_("Change status to"),
        required=False,
        choices=lambda: [("", _("No change"))] + manual_status_choices(),
        help_text=_(
            "If the visit established the child's situation, e.g. found working away → dropped out."
        ),
    )
    status_reason = forms.CharField(
        label=_("Reason for the status change"), required=False, max_length=500
    )

    field_order = [
        "visit_date",
        "children",
        "visitors",
        "teacher_visitors",
        "findings",
        "outcome",
        "follow_up",
        "attachment",
        "new_status",
        "school",
        "grade",
        "class_name",
        "outside_school_name",
        "status_reason",
    ]

    def __init__(self, *args, child, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["children"].queryset = child.household.children.order_by("birth_date")
        self.fields["children"].initial = [child.pk]
        self.limit_schools(child)
        # A status change from the visit starts from where the child is enrolled now.
        self.fields["school"].initial = child.current_school_id
        self.fields["grade"].initial = child.grade
        self.fields["class_name"].initial = child.class_name
        del self.fields["is_inclusive"], self.fields["is_boarder"], self.fields["outside_verified"]

    def clean_attachment(self):
        upload = self.cleaned_data.get("attachment")
        # What is kept is the checked file (an image re-encoded), named by its verified type.
        return verify_document_upload(upload).file if upload else upload


class HelpPairingForm(CrispyMixin, forms.ModelForm):
    class Meta:
        model = HelpPairing
        fields = [
            "partner_name",
            "partner_kind",
            "partner_unit",
            "unit",
            "partner_phone",
            "plan",
            "start_date",
        ]
        widgets = {"start_date": DATE_INPUT, "plan": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args, units=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["start_date"].initial = timezone.localdate
        # The county's active partner units (the view passes them; none otherwise).
        self.fields["unit"].queryset = (
            units if units is not None else self.fields["unit"].queryset.none()
        )
