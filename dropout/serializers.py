"""The dropout API's serializers: what it shows of documents, cases, exemptions and monthly
reports, and the bodies that the case steps accept. The viewsets are in api.py."""

from django.contrib.auth import get_user_model
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.api import ScopedChoicesMixin
from core.fields import TEXT_MAX_LENGTH, validate_record_date
from enrollment.models import Child, School

from .models import (
    CaseMeasure,
    DropoutCase,
    ExemptionRequest,
    GuardianReply,
    LegalReview,
    MonthlyReport,
    OfficialDocument,
    PenaltyHearing,
    PenaltyKind,
    Persuasion,
    PriorNotice,
    ReportRun,
)
from .roles import EXEMPTION_REGISTER_ROLES, OPEN_CASE_ROLES
from .transitions import current_prior_notice

# --- documents -------------------------------------------------------------------------------


class DocumentSerializer(serializers.ModelSerializer):
    pdf = serializers.SerializerMethodField()

    class Meta:
        model = OfficialDocument
        fields = [
            "id",
            "kind",
            "number",
            "issued_on",
            "deadline",
            "served_on",
            "served_to",
            "service_method",
            "served_by",
            "service_place",
            "voided_by",
            "void_reason",
            "content",
            "pdf",
        ]

    def get_pdf(self, document) -> str:
        return f"/api/v1/documents/{document.pk}/pdf/"


# --- cases -----------------------------------------------------------------------------------


def _users():
    return get_user_model().objects.filter(is_active=True)


@extend_schema_field({"type": "integer", "description": "a user id"})
class OfficersField(serializers.PrimaryKeyRelatedField):
    """An enforcement officer by user id (行政处罚法 Art. 42: two per step; the service checks
    that each holds the enforcement role over the case)."""

    def get_queryset(self):
        return _users()


class PersuasionSerializer(serializers.ModelSerializer):
    # Two officials who went make the persuasion count towards the notice (Art. 42).
    officers = OfficersField(many=True, required=False)
    visitors = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")

    class Meta:
        model = Persuasion
        fields = ["id", "date", "officers", "visitors", "what_was_said", "family_answer", "result"]


class MeasureSerializer(serializers.ModelSerializer):
    class Meta:
        model = CaseMeasure
        fields = ["id", "kind", "date", "description"]


class GuardianReplySerializer(serializers.ModelSerializer):
    class Meta:
        model = GuardianReply
        fields = [
            "id",
            "kind",
            "received_on",
            "text",
            "review",
            "review_outcome",
            "reviewed_on",
        ]
        read_only_fields = fields


class HearingSerializer(serializers.ModelSerializer):
    class Meta:
        model = PenaltyHearing
        fields = ["id", "held_on", "place", "presiding_officer", "participants", "summary"]
        read_only_fields = fields


class LegalReviewSerializer(serializers.ModelSerializer):
    class Meta:
        model = LegalReview
        fields = ["id", "reviewer", "reviewed_on", "opinion", "approved"]
        read_only_fields = fields


class PriorNoticeSerializer(serializers.ModelSerializer):
    replies = GuardianReplySerializer(many=True, read_only=True)
    hearings = HearingSerializer(many=True, read_only=True)
    legal_reviews = LegalReviewSerializer(many=True, read_only=True)

    class Meta:
        model = PriorNotice
        fields = [
            "id",
            "document",
            "penalty_kind",
            "fine_amount",
            "proposed_penalty",
            "served_on",
            "reply_until",
            "hearing_right",
            "legal_review_required",
            "replies",
            "hearings",
            "legal_reviews",
        ]
        read_only_fields = fields


class CaseSerializer(serializers.ModelSerializer):
    child_name = serializers.CharField(source="child.name", read_only=True)
    persuasions = PersuasionSerializer(many=True, read_only=True)
    measures = MeasureSerializer(many=True, read_only=True)
    documents = DocumentSerializer(many=True, read_only=True)
    # Read-only choice fields lose allow_blank: declared so that the schema admits "" (open).
    close_reason = serializers.ChoiceField(
        choices=DropoutCase.CloseReason.choices, allow_blank=True, read_only=True
    )
    # The penalty procedure in force (行政处罚事先告知书 and what followed it); null before.
    prior_notice = serializers.SerializerMethodField()

    @extend_schema_field(PriorNoticeSerializer(allow_null=True))
    def get_prior_notice(self, case):
        prior = current_prior_notice(case)
        return PriorNoticeSerializer(prior).data if prior else None

    class Meta:
        model = DropoutCase
        fields = [
            "id",
            "child",
            "child_name",
            "township",
            "school",
            "status",
            "cause",
            "cause_detail",
            "responsible_persons",
            "opened_on",
            "last_action_on",
            "returned_on",
            "consolidation_until",
            "struck_off_on",
            "closed_on",
            "close_reason",
            "close_evidence",
            "persuasions",
            "measures",
            "documents",
            "prior_notice",
        ]
        read_only_fields = fields


class CaseListSerializer(serializers.ModelSerializer):
    child_name = serializers.CharField(source="child.name", read_only=True)

    class Meta:
        model = DropoutCase
        fields = [
            "id",
            "child",
            "child_name",
            "township",
            "status",
            "cause",
            "opened_on",
            "last_action_on",
        ]


class OpenCaseSerializer(ScopedChoicesMixin, serializers.Serializer):
    child = serializers.PrimaryKeyRelatedField(queryset=Child.objects.none())
    cause = serializers.ChoiceField(choices=DropoutCase.Cause.choices)
    cause_detail = serializers.CharField(
        max_length=TEXT_MAX_LENGTH, required=False, allow_blank=True, default=""
    )
    responsible_persons = serializers.CharField(
        max_length=TEXT_MAX_LENGTH, required=False, allow_blank=True, default=""
    )
    opened_on = serializers.DateField(
        validators=[validate_record_date], required=False, default=None
    )

    scoped_choices = {"child": (Child, OPEN_CASE_ROLES)}


class ServiceSerializer(serializers.Serializer):
    served_to = serializers.CharField(max_length=50)
    service_method = serializers.ChoiceField(choices=OfficialDocument.ServiceMethod.choices)
    served_by = serializers.CharField(max_length=100)
    service_place = serializers.CharField(max_length=200)


class NoticeSerializer(ServiceSerializer):
    served_on = serializers.DateField(validators=[validate_record_date])
    facts = serializers.CharField(
        max_length=TEXT_MAX_LENGTH, required=False, allow_blank=True, default=""
    )


class PenaltyKindSerializer(serializers.Serializer):
    penalty_kind = serializers.ChoiceField(choices=PenaltyKind.choices)
    fine_amount = serializers.DecimalField(
        max_digits=10, decimal_places=2, min_value=0, required=False, default=None, allow_null=True
    )
    officers = OfficersField(many=True)


class PenaltySerializer(PenaltyKindSerializer, ServiceSerializer):
    decided_on = serializers.DateField(validators=[validate_record_date])
    facts_and_evidence = serializers.CharField(max_length=TEXT_MAX_LENGTH)
    penalty = serializers.CharField(max_length=TEXT_MAX_LENGTH)
    compliance = serializers.CharField(max_length=TEXT_MAX_LENGTH)
    # A decision served on the spot carries its service record; without one it awaits
    # service (`serve-decision`, within DECISION_SERVICE_DAYS).
    served_to = serializers.CharField(max_length=50, required=False, allow_blank=True, default="")
    service_method = serializers.ChoiceField(
        choices=OfficialDocument.ServiceMethod.choices, required=False, allow_blank=True, default=""
    )
    service_place = serializers.CharField(
        max_length=200, required=False, allow_blank=True, default=""
    )
    # The officers serve it; others present may be added.
    served_by = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    # Defaults to the penalty of the prior notice.
    penalty_kind = serializers.ChoiceField(
        choices=PenaltyKind.choices, required=False, default=None, allow_null=True
    )


class DecisionServiceRequestSerializer(ServiceSerializer):
    served_on = serializers.DateField(validators=[validate_record_date])
    officers = OfficersField(many=True)
    # The officers serve it; others present may be added.
    served_by = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")


class PriorNoticeRequestSerializer(PenaltyKindSerializer):
    served_on = serializers.DateField(validators=[validate_record_date])
    proposed_penalty = serializers.CharField(max_length=TEXT_MAX_LENGTH)
    facts = serializers.CharField(
        max_length=TEXT_MAX_LENGTH, required=False, allow_blank=True, default=""
    )
    served_to = serializers.CharField(max_length=50)
    service_method = serializers.ChoiceField(choices=OfficialDocument.ServiceMethod.choices)
    service_place = serializers.CharField(max_length=200)


class ReplyRequestSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(
        choices=[GuardianReply.Kind.STATEMENT.value, GuardianReply.Kind.WAIVER.value]
    )
    received_on = serializers.DateField(validators=[validate_record_date])
    text = serializers.CharField(
        max_length=TEXT_MAX_LENGTH, required=False, allow_blank=True, default=""
    )
    attachment = serializers.FileField(required=False, default=None, allow_null=True)


class ReplyReviewRequestSerializer(serializers.Serializer):
    reply = serializers.PrimaryKeyRelatedField(queryset=GuardianReply.objects.all())
    review = serializers.CharField(max_length=TEXT_MAX_LENGTH)
    outcome = serializers.ChoiceField(choices=GuardianReply.Outcome.choices)
    reviewed_on = serializers.DateField(validators=[validate_record_date])


class HearingRequestSerializer(serializers.Serializer):
    received_on = serializers.DateField(validators=[validate_record_date])
    text = serializers.CharField(
        max_length=TEXT_MAX_LENGTH, required=False, allow_blank=True, default=""
    )


class HearingRecordSerializer(serializers.Serializer):
    held_on = serializers.DateField(validators=[validate_record_date])
    place = serializers.CharField(max_length=200)
    presiding_officer = OfficersField()
    participants = serializers.CharField(max_length=TEXT_MAX_LENGTH)
    transcript = serializers.FileField()
    summary = serializers.CharField(
        max_length=TEXT_MAX_LENGTH, required=False, allow_blank=True, default=""
    )


class LegalReviewRequestSerializer(serializers.Serializer):
    reviewed_on = serializers.DateField(validators=[validate_record_date])
    opinion = serializers.CharField(max_length=TEXT_MAX_LENGTH)
    approved = serializers.BooleanField()


class ReturnSerializer(serializers.Serializer):
    school = serializers.PrimaryKeyRelatedField(queryset=School.objects.all())
    grade = serializers.IntegerField(min_value=1, max_value=12)
    class_name = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    returned_on = serializers.DateField(validators=[validate_record_date])


class CloseSerializer(serializers.Serializer):
    reason = serializers.ChoiceField(choices=DropoutCase.CloseReason.choices)
    evidence = serializers.CharField(max_length=TEXT_MAX_LENGTH)
    closed_on = serializers.DateField(
        validators=[validate_record_date], required=False, default=None
    )


# --- exemptions ------------------------------------------------------------------------------


class ExemptionSerializer(ScopedChoicesMixin, serializers.ModelSerializer):
    child = serializers.PrimaryKeyRelatedField(queryset=Child.objects.none())
    steps = serializers.SerializerMethodField()

    class Meta:
        model = ExemptionRequest
        fields = [
            "id",
            "child",
            "kind",
            "reason",
            "reason_detail",
            "start_date",
            "end_date",
            "school",
            "application_scan",
            "evidence",
            "status",
            "steps",
        ]
        read_only_fields = ["status", "steps"]

    scoped_choices = {"child": (Child, EXEMPTION_REGISTER_ROLES)}

    def get_steps(self, request) -> list[dict]:
        return [
            {
                "action": step.action,
                "to_status": step.to_status,
                "note": step.note,
                "actor": step.actor.username,
                "at": step.at,
            }
            for step in request.steps.all()
        ]


class DecisionSerializer(serializers.Serializer):
    note = serializers.CharField(
        max_length=TEXT_MAX_LENGTH, required=False, allow_blank=True, default=""
    )


# --- monthly reports -------------------------------------------------------------------------


@extend_schema_field({"type": "string", "pattern": r"^\d{4}-\d{2}$", "example": "2026-09"})
class MonthField(serializers.DateField):
    """A month, written YYYY-MM (not a date: the OpenAPI schema says so)."""

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m", **kwargs)


class MonthlyReportSerializer(serializers.ModelSerializer):
    scope = serializers.SerializerMethodField()
    month = MonthField(read_only=True)
    workbook = serializers.SerializerMethodField()

    class Meta:
        model = MonthlyReport
        fields = [
            "id",
            "county",
            "township",
            "scope",
            "month",
            "figures",
            "workbook",
            "generated_at",
            "approved_at",
            "approved_by",
            "adjustments",
        ]
        read_only_fields = fields

    def get_scope(self, report) -> str:
        return report.scope_name

    def get_workbook(self, report) -> str:
        return self.context["request"].build_absolute_uri(f"/dropout/reports/{report.pk}/workbook/")


class ReportRunSerializer(serializers.ModelSerializer):
    month = MonthField(read_only=True)

    class Meta:
        model = ReportRun
        fields = [
            "id",
            "county",
            "month",
            "status",
            "progress_percent",
            "error",
            "created_at",
            "finished_at",
        ]
        read_only_fields = fields


class GenerateReportSerializer(serializers.Serializer):
    month = serializers.CharField(max_length=7, help_text="YYYY-MM, a month that has ended")
    county = serializers.IntegerField(required=False, help_text="Only for several counties")
