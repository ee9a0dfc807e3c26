"""Forms of the penalty procedure (行政处罚事先告知书, 陈述申辩, 听证, 法制审核, 处罚决定)."""

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from enrollment.forms import CrispyMixin

from .forms import OfficerChoiceField, ServiceFieldsForm, _date, _text, officials_of
from .models import GuardianReply, PenaltyKind
from .roles import CASE_ROLES, LEGAL_REVIEW_ROLES


class OfficersFormMixin:
    """Two enforcement officers (行政处罚法 Art. 42) chosen among the case's officials."""

    def __init__(self, *args, case, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["officers"] = OfficerChoiceField(
            queryset=officials_of(case, CASE_ROLES),
            label=_("Enforcement officers (at least two)"),
            widget=forms.CheckboxSelectMultiple,
        )
        self.order_fields(self.field_order)


class PenaltyKindFields(forms.Form):
    penalty_kind = forms.ChoiceField(label=_("Kind of penalty"), choices=PenaltyKind.choices)
    fine_amount = forms.DecimalField(
        label=_("Fine (yuan)"), required=False, min_value=0, max_digits=10, decimal_places=2
    )


class PriorNoticeForm(OfficersFormMixin, PenaltyKindFields, ServiceFieldsForm):
    served_on = _date(_("Served on"))
    proposed_penalty = _text(_("Proposed penalty"), rows=2)
    facts = _text(_("Further facts (optional)"), required=False)
    field_order = [
        "served_on",
        "penalty_kind",
        "fine_amount",
        "proposed_penalty",
        "facts",
        "officers",
        "served_to",
        "service_method",
        "service_place",
    ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["served_by"]  # the officers serve it


class PenaltyDecisionForm(OfficersFormMixin, PenaltyKindFields, ServiceFieldsForm):
    decided_on = _date(_("Decided on"))
    facts_and_evidence = _text(_("Facts and evidence"), rows=4)
    penalty = _text(_("Penalty"), rows=2)
    compliance = _text(_("How and by when to comply"), rows=2)
    field_order = [
        "decided_on",
        "facts_and_evidence",
        "penalty_kind",
        "fine_amount",
        "penalty",
        "compliance",
        "officers",
        "served_to",
        "service_method",
        "served_by",
        "service_place",
    ]

    served_now = forms.BooleanField(
        label=_("Served on the spot (当场送达)"),
        required=False,
        help_text=_(
            "Leave unticked to serve the decision later: it must be served within "
            "%(days)d days (行政处罚法 Art. 61)."
        )
        % {"days": settings.DECISION_SERVICE_DAYS},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["served_by"].required = False
        self.fields["served_by"].label = _("Others present at service (optional)")
        for name in SERVICE_FIELDS:
            self.fields[name].required = False
        self.order_fields([*self.field_order[:7], "served_now", *self.field_order[7:]])

    def clean(self):
        """The service record only when served on the spot; then all of it."""
        data = super().clean()
        if data.pop("served_now", False):
            for name in SERVICE_FIELDS:
                if not data.get(name):
                    self.add_error(name, _("This field is required."))
        else:
            data.update(dict.fromkeys((*SERVICE_FIELDS, "served_by"), ""))
        return data


SERVICE_FIELDS = ("served_to", "service_method", "service_place")


class DecisionServiceForm(OfficersFormMixin, ServiceFieldsForm):
    """送达 of a penalty decision made earlier (Art. 61)."""

    served_on = _date(_("Served on"))
    field_order = [
        "served_on",
        "officers",
        "served_to",
        "service_method",
        "served_by",
        "service_place",
    ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["served_by"].required = False
        self.fields["served_by"].label = _("Others present at service (optional)")


class ReplyForm(CrispyMixin, forms.Form):
    kind = forms.ChoiceField(
        label=_("Reply"),
        choices=[
            (GuardianReply.Kind.STATEMENT, GuardianReply.Kind.STATEMENT.label),
            (GuardianReply.Kind.WAIVER, GuardianReply.Kind.WAIVER.label),
        ],
    )
    received_on = _date(_("Received on"))
    text = _text(_("What the guardian said"), rows=4, required=False)
    attachment = forms.FileField(
        label=_("Attachment (optional)"),
        required=False,
        help_text=_("PDF, JPEG or PNG, at most 5 MB."),
    )


class ReplyReviewForm(CrispyMixin, forms.Form):
    reply = forms.ModelChoiceField(queryset=GuardianReply.objects.none(), label=_("Statement"))
    review = _text(_("The organ's review"), rows=4)
    outcome = forms.ChoiceField(label=_("Outcome"), choices=GuardianReply.Outcome.choices)
    reviewed_on = _date(_("Reviewed on"))

    def __init__(self, *args, prior, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reply"].queryset = (
            prior.replies.filter(kind=GuardianReply.Kind.STATEMENT)
            if prior
            else GuardianReply.objects.none()
        )
        self.fields["reply"].label_from_instance = lambda r: (
            f"{r.received_on:%Y-%m-%d} {r.text[:40]}"
        )


class HearingRequestForm(CrispyMixin, forms.Form):
    received_on = _date(_("Requested on"))
    text = _text(_("The request"), rows=2, required=False)


class HearingForm(CrispyMixin, forms.Form):
    held_on = _date(_("Held on"))
    place = forms.CharField(label=_("Place"), max_length=200)
    presiding_officer = forms.ModelChoiceField(
        queryset=get_user_model().objects.none(), label=_("Presiding officer")
    )
    participants = _text(_("Participants"), rows=2)
    transcript = forms.FileField(
        label=_("Transcript"), help_text=_("PDF, JPEG or PNG, at most 5 MB.")
    )
    summary = _text(_("Summary (optional)"), rows=3, required=False)

    def __init__(self, *args, case, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["presiding_officer"].queryset = officials_of(
            case, CASE_ROLES | LEGAL_REVIEW_ROLES
        )
        self.fields["presiding_officer"].help_text = _(
            "Not one of the officers who investigated the case."
        )


class LegalReviewForm(CrispyMixin, forms.Form):
    reviewed_on = _date(_("Reviewed on"))
    opinion = _text(_("Opinion"), rows=4)
    approved = forms.BooleanField(label=_("Approved"), required=False)
