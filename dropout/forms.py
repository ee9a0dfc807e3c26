from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.concurrency import VersionFormField
from core.fields import TEXT_MAX_LENGTH
from core.forms import record_date_field as _date
from core.forms import text_area_field as _text
from core.people import person_name
from enrollment.forms import DATE_INPUT, CrispyMixin, SchoolChoiceField
from enrollment.models import Grade, School

from .models import CaseMeasure, DropoutCase, ExemptionRequest, OfficialDocument, Persuasion
from .roles import PERSUASION_ROLES


def officials_of(case, roles):
    """Active users holding one of `roles` over the case: its county, township, the child's
    village or the case's school."""
    township = case.township
    over_case = (
        Q(role_assignments__township_id=township.pk)
        | Q(role_assignments__county_id=township.county_id)
        | Q(role_assignments__village_id=case.child.village_id)
    )
    if case.school_id:
        over_case |= Q(role_assignments__school_id=case.school_id)
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(over_case, role_assignments__role__in=roles)
        .distinct()
        .order_by("username")
    )


class OfficerChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, user):
        return person_name(user)


class OpenCaseForm(CrispyMixin, forms.Form):
    cause = forms.ChoiceField(label=_("Reason for dropping out"), choices=DropoutCase.Cause.choices)
    cause_detail = _text(_("Circumstances"), required=False)
    responsible_persons = _text(
        _("Responsible persons (包保责任人)"),
        required=False,
        help_text=DropoutCase._meta.get_field("responsible_persons").help_text,
    )
    opened_on = _date(_("Dropped out on"))


class CaseDetailsForm(CrispyMixin, forms.Form):
    cause = forms.ChoiceField(label=_("Reason for dropping out"), choices=DropoutCase.Cause.choices)
    cause_detail = _text(_("Circumstances"), required=False)
    responsible_persons = _text(_("Responsible persons (包保责任人)"), required=False)
    # The version the form was opened at: a save over someone else's newer one is refused.
    version = VersionFormField()


class PersuasionForm(CrispyMixin, forms.Form):
    date = _date(_("Date"))
    officers = OfficerChoiceField(
        queryset=get_user_model().objects.none(),
        label=_("Officials who went (two)"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "Only a persuasion by two officials counts towards the notice to resume schooling "
            "(行政处罚法 Art. 42)."
        ),
    )
    visitors = forms.CharField(
        label=_("Others who went"),
        max_length=200,
        required=False,
        help_text=_("A class teacher or village cadre without an account, for instance."),
    )
    what_was_said = _text(_("What was said"))
    family_answer = _text(_("The family's answer"))
    result = forms.ChoiceField(label=_("Result"), choices=Persuasion.Result.choices)

    def __init__(self, *args, case, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["officers"].queryset = officials_of(case, PERSUASION_ROLES)

    def clean(self):
        data = super().clean()
        if not data.get("officers") and not (data.get("visitors") or "").strip():
            self.add_error("officers", _("Say who went."))
        return data


class ServiceFieldsForm(CrispyMixin, forms.Form):
    served_to = forms.CharField(label=_("Served on (person)"), max_length=50)
    service_method = forms.ChoiceField(
        label=_("Service method"), choices=OfficialDocument.ServiceMethod.choices
    )
    served_by = forms.CharField(label=_("Served by"), max_length=100)
    service_place = forms.CharField(label=_("Place of service"), max_length=200)


class NoticeForm(ServiceFieldsForm):
    served_on = _date(_("Served on"))
    facts = _text(_("Further facts (optional)"), required=False)
    field_order = [
        "served_on",
        "served_to",
        "service_method",
        "served_by",
        "service_place",
        "facts",
    ]


class MeasureForm(CrispyMixin, forms.Form):
    kind = forms.ChoiceField(label=_("Measure"), choices=CaseMeasure.Kind.choices)
    date = _date(_("Date"))
    description = _text(_("Description"))


class ReturnForm(CrispyMixin, forms.Form):
    school = SchoolChoiceField(queryset=School.objects.none(), label=_("School"))
    grade = forms.TypedChoiceField(label=_("Grade"), coerce=int, choices=Grade.choices)
    class_name = forms.CharField(label=_("Class"), max_length=20, required=False)
    returned_on = _date(_("Back in school on"))

    def __init__(self, *args, case, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["school"].queryset = School.objects.filter(
            township__county_id=case.township.county_id
        ).select_related("township")
        if case.school_id:
            self.fields["school"].initial = case.school_id


class CloseForm(CrispyMixin, forms.Form):
    reason = forms.ChoiceField(
        label=_("Reason for closing"), choices=DropoutCase.CloseReason.choices
    )
    evidence = _text(_("Evidence"))
    closed_on = _date(_("Closed on"))


class CorrectionForm(CrispyMixin, forms.Form):
    reason = _text(_("Why the document is corrected"), rows=2)
    facts = _text(_("Further facts (optional)"), required=False)


class ExemptionForm(CrispyMixin, forms.ModelForm):
    class Meta:
        model = ExemptionRequest
        fields = [
            "kind",
            "reason",
            "reason_detail",
            "start_date",
            "end_date",
            "school",
            "application_scan",
            "evidence",
        ]
        widgets = {
            "start_date": DATE_INPUT,
            "end_date": DATE_INPUT,
            "reason_detail": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, child, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["school"].queryset = School.objects.filter(
            township__county_id=child.village.township.county_id
        )
        self.fields["evidence"].help_text = _("PDF, JPEG or PNG, at most 5 MB.")
        self.fields["application_scan"].help_text = _("PDF, JPEG or PNG, at most 5 MB.")


class DecisionNoteForm(forms.Form):
    note = forms.CharField(
        max_length=TEXT_MAX_LENGTH,
        label=_("Note or reason"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    evidence = forms.FileField(label=_("Further evidence"), required=False)


class AbsenceForm(CrispyMixin, forms.Form):
    first_absent_on = _date(_("Absent since"))
    reason_known = forms.CharField(label=_("Reason, if known"), max_length=200, required=False)
    called_home_by = forms.CharField(label=_("Who called home"), max_length=100, required=False)


class BackInSchoolForm(CrispyMixin, forms.Form):
    returned_on = _date(_("Back in school on"))
