"""Forms parse and display; the services decide. Unit and record choices are limited to the
user's scope."""

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.concurrency import VersionFormField
from core.forms import record_date_field as _date
from core.forms import text_area_field as _text
from core.people import person_name
from enrollment.forms import CrispyMixin

from .models import Area, Campaign, Complaint, InspectionGroup, Issue
from .selectors import resolve_unit, unit_choices
from .services.inspections import eligible_members


class UserChoiceMixin:
    @staticmethod
    def user_label(user):
        return person_name(user)


class UnitField(forms.ChoiceField):
    """A school, a township or a bureau section as `kind:pk`, resolved within the scope."""

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return None
        unit = resolve_unit(self.user, value)
        if unit is None:
            raise forms.ValidationError(_("Choose a unit from the list."))
        return unit


class CampaignForm(CrispyMixin, forms.Form):
    name = forms.CharField(
        label=pgettext_lazy("inspections", "Name"),
        max_length=100,
        help_text=_("e.g. 扶贫领域腐败和作风问题专项治理"),
    )
    start_date = _date(_("From"))
    end_date = _date(_("Until"))
    description = _text(pgettext_lazy("inspections", "Description"), required=False)


class GroupForm(CrispyMixin, forms.Form):
    name = forms.CharField(label=pgettext_lazy("inspections", "Name"), max_length=100)
    campaign = forms.ModelChoiceField(
        label=_("Campaign"), queryset=Campaign.objects.none(), required=False
    )
    members = forms.ModelMultipleChoiceField(
        label=_("Members"),
        queryset=get_user_model().objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )
    leader = forms.ModelChoiceField(
        label=_("Leader"), queryset=get_user_model().objects.none(), required=False
    )

    def __init__(self, *args, user, county, **kwargs):
        super().__init__(*args, **kwargs)
        people = eligible_members(county)
        self.fields["members"].queryset = people
        self.fields["leader"].queryset = people
        for name in ("members", "leader"):
            self.fields[name].label_from_instance = UserChoiceMixin.user_label
        self.fields["campaign"].queryset = Campaign.objects.for_user(user).filter(county=county)


class AreaForm(CrispyMixin, forms.Form):
    name = forms.CharField(label=_("New area"), max_length=50)


class SectionForm(CrispyMixin, forms.Form):
    name = forms.CharField(label=_("New bureau section"), max_length=50)


class InspectionForm(CrispyMixin, forms.Form):
    date = _date(_("Date"))
    unit = UnitField(label=_("Inspected unit"))
    group = forms.ModelChoiceField(
        label=_("Inspection group"), queryset=InspectionGroup.objects.none(), required=False
    )
    campaign = forms.ModelChoiceField(
        label=_("Campaign"),
        queryset=Campaign.objects.none(),
        required=False,
        help_text=_("Empty: the group's campaign."),
    )
    areas = forms.ModelMultipleChoiceField(
        label=_("Areas checked"),
        queryset=Area.objects.filter(is_active=True),
        widget=forms.CheckboxSelectMultiple,
    )
    summary = _text(pgettext_lazy("inspections", "Summary"), rows=4, required=False)
    attachments = forms.FileField(
        label=_("Attachment (PDF, JPEG or PNG)"),
        required=False,
    )

    def __init__(self, *args, user, county, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].user = user
        self.fields["unit"].choices = [("", "---------")] + unit_choices(user, county)
        self.fields["group"].queryset = InspectionGroup.objects.for_user(user).filter(county=county)
        self.fields["campaign"].queryset = Campaign.objects.for_user(user).filter(county=county)

    def clean_attachments(self):
        upload = self.cleaned_data.get("attachments")
        return [upload] if upload else []


class AttachmentForm(CrispyMixin, forms.Form):
    upload = forms.FileField(label=_("File (PDF, JPEG or PNG)"))


class IssueForm(CrispyMixin, forms.Form):
    unit = UnitField(label=_("Responsible unit"))
    responsible_person = forms.CharField(label=_("Responsible person"), max_length=50)
    area = forms.ModelChoiceField(label=_("Area"), queryset=Area.objects.filter(is_active=True))
    category = forms.ChoiceField(label=_("Category"), choices=Issue.Category.choices)
    description = _text(_("Problem"))
    evidence = _text(pgettext_lazy("inspections", "Evidence"), required=False)
    evidence_file = forms.FileField(label=_("Evidence file (PDF, JPEG or PNG)"), required=False)
    measures = _text(_("Required measures"))
    deadline = _date(_("Deadline for rectification"), initial=None)
    # The version the edit form was opened at: a save over someone else's newer one is refused.
    version = VersionFormField()

    def __init__(self, *args, user, county, editing=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].user = user
        self.fields["unit"].choices = [("", "---------")] + unit_choices(user, county)
        if editing:
            del self.fields["evidence_file"]
            self.fields["area"].queryset = Area.objects.all()
        else:
            del self.fields["version"]


class NoteForm(CrispyMixin, forms.Form):
    on = _date(_("Date"))
    note = _text(_("What was done"), rows=4)


class SubmitForm(CrispyMixin, forms.Form):
    on = _date(_("Rectified on"))
    note = _text(_("How the problem was rectified"), rows=4)
    evidence_file = forms.FileField(label=_("Evidence (PDF, JPEG or PNG)"), required=False)


class VerifyForm(CrispyMixin, forms.Form):
    on = _date(_("Verified on"))
    note = _text(_("Verification note"), required=False)


class ReopenForm(CrispyMixin, forms.Form):
    on = _date(_("Date"))
    reason = _text(_("Why the rectification is not accepted"))
    deadline = _date(_("New deadline"), initial=None, required=False)


class WithdrawForm(CrispyMixin, forms.Form):
    reason = _text(_("Why the issue is withdrawn"))


class ComplaintForm(CrispyMixin, forms.Form):
    channel = forms.ChoiceField(label=_("Channel"), choices=Complaint.Channel.choices)
    received_on = _date(_("Received on"))
    content = _text(_("Content"), rows=5)
    is_anonymous = forms.BooleanField(label=_("Anonymous"), required=False)
    complainant_name = forms.CharField(label=_("Complainant's name"), max_length=50, required=False)
    complainant_contact = forms.CharField(
        label=_("Complainant's contact"), max_length=100, required=False
    )
    unit = UnitField(label=_("Unit complained about"), required=False)
    campaign = forms.ModelChoiceField(
        label=_("Campaign"), queryset=Campaign.objects.none(), required=False
    )
    handlers = forms.ModelMultipleChoiceField(
        label=_("Handlers"),
        queryset=get_user_model().objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, user, county, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].user = user
        self.fields["unit"].choices = [("", "---------")] + unit_choices(user, county)
        self.fields["campaign"].queryset = Campaign.objects.for_user(user).filter(county=county)
        self.fields["handlers"].queryset = eligible_members(county)
        self.fields["handlers"].label_from_instance = UserChoiceMixin.user_label


class HandlersForm(CrispyMixin, forms.Form):
    handlers = forms.ModelMultipleChoiceField(
        label=_("Handlers"),
        queryset=get_user_model().objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )
    # The complaint's version the form was opened at: someone else's change is not overwritten.
    version = VersionFormField()

    def __init__(self, *args, county, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["handlers"].queryset = eligible_members(county)
        self.fields["handlers"].label_from_instance = UserChoiceMixin.user_label


class StepForm(CrispyMixin, forms.Form):
    on = _date(_("Date"))
    note = _text(_("What was done"), rows=4)


class ConcludeForm(CrispyMixin, forms.Form):
    result = _text(pgettext_lazy("inspections", "Result"), rows=4)
    replied_on = _date(_("Reply date"), required=False)


class LinkForm(CrispyMixin, forms.Form):
    content_type = forms.ChoiceField(label=_("Kind of record"))
    object_id = forms.IntegerField(label=_("Record number (ID)"), min_value=1)

    def __init__(self, *args, content_types, **kwargs):
        super().__init__(*args, **kwargs)
        self.content_types = {str(ct.pk): ct for ct in content_types}
        self.fields["content_type"].choices = [
            (str(ct.pk), str(ct.model_class()._meta.verbose_name)) for ct in content_types
        ]

    def clean_content_type(self):
        return self.content_types[self.cleaned_data["content_type"]]


class SummaryForm(forms.Form):
    date_from = _date(_("From"), required=False)
    date_to = _date(_("Until"), required=False)
    campaign = forms.ModelChoiceField(
        label=_("Campaign"), queryset=Campaign.objects.none(), required=False
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["campaign"].queryset = Campaign.objects.for_user(user)
