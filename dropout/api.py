"""The dropout API: the same services as the pages. A refused transition answers 409 with the
reason; bad input 400 with field errors."""

from django.contrib.auth import get_user_model
from django.http import HttpResponse
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.response import Response

from core import audit
from core.fields import TEXT_MAX_LENGTH, validate_record_date
from core.pdf import render_pdf
from core.uploads import content_disposition
from enrollment.api import ScopedViewSetMixin
from enrollment.models import Child, County, School
from enrollment.permissions import has_any_role

from .documents_render import document_from_content
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
from .roles import EXEMPTION_REGISTER_ROLES, MONTHLY_REPORT_ROLES, OPEN_CASE_ROLES
from .services import cases, documents, exemptions, penalties
from .services import reports as report_services
from .transitions import current_prior_notice


def scoped_children(request, roles):
    return Child.objects.for_user(request.user, roles=roles)


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


class DocumentViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = DocumentSerializer

    def get_queryset(self):
        return OfficialDocument.objects.for_user(self.request.user).order_by("-pk")

    def retrieve(self, request, *args, **kwargs):
        document = self.get_object()  # its content names the child, the guardian, the address
        audit.record_view(document, request=request._request, via="api")
        return Response(self.get_serializer(document).data)

    @extend_schema(responses={(200, "application/pdf"): bytes})
    @action(detail=True, methods=["get"])
    def pdf(self, request, pk=None):
        document = self.get_object()
        audit.record_view(document, request=request._request, via="api", shown="pdf")
        response = HttpResponse(
            render_pdf(document_from_content(document.content)), content_type="application/pdf"
        )
        response["Content-Disposition"] = content_disposition("inline", f"{document.number}.pdf")
        return response


# --- cases -----------------------------------------------------------------------------------


class PersuasionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Persuasion
        fields = ["id", "date", "visitors", "what_was_said", "family_answer", "result"]


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


class OpenCaseSerializer(serializers.Serializer):
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

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["child"].queryset = scoped_children(request, OPEN_CASE_ROLES)


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


def _users():
    return get_user_model().objects.filter(is_active=True)


@extend_schema_field({"type": "integer", "description": "a user id"})
class OfficersField(serializers.PrimaryKeyRelatedField):
    """An enforcement officer by user id (行政处罚法 Art. 42: two per step; the service checks
    that each holds the enforcement role over the case)."""

    def get_queryset(self):
        return _users()


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
    # The officers serve it; others present may be added.
    served_by = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    # Defaults to the penalty of the prior notice.
    penalty_kind = serializers.ChoiceField(
        choices=PenaltyKind.choices, required=False, default=None, allow_null=True
    )


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


class DropoutCaseViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Scoped by for_user(); each action calls the case service, which checks role and state."""

    filterset_fields = ["status", "township", "cause"]

    def get_queryset(self):
        queryset = DropoutCase.objects.for_user(self.request.user).select_related("child")
        if self.action == "retrieve":
            queryset = queryset.prefetch_related("persuasions", "measures", "documents")
        return queryset.order_by("-pk")

    def get_serializer_class(self):
        return {"list": CaseListSerializer, "create": OpenCaseSerializer}.get(
            self.action, CaseSerializer
        )

    @extend_schema(responses={201: CaseSerializer})  # the body: get_serializer_class()
    def create(self, request, *args, **kwargs):
        # The role before the body: the child field only lists children the role may open for.
        if not has_any_role(request.user, OPEN_CASE_ROLES):
            raise PermissionDenied
        serializer = OpenCaseSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        case = cases.open_case(actor=request.user, **serializer.validated_data)
        return Response(CaseSerializer(case).data, status=status.HTTP_201_CREATED)

    def _act(self, request, serializer_class, function, **extra):
        case = self.get_object()
        serializer = serializer_class(data=request.data)
        serializer.is_valid(raise_exception=True)
        function(actor=request.user, case=case, **serializer.validated_data, **extra)
        case.refresh_from_db()
        return Response(CaseSerializer(case).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=PersuasionSerializer, responses={201: CaseSerializer})
    @action(detail=True, methods=["post"])
    def persuasions(self, request, pk=None):
        return self._act(request, PersuasionSerializer, cases.log_persuasion)

    @extend_schema(request=NoticeSerializer, responses={201: CaseSerializer})
    @action(detail=True, methods=["post"], url_path="issue-notice")
    def issue_notice(self, request, pk=None):
        return self._act(request, NoticeSerializer, documents.issue_resume_notice)

    @extend_schema(request=PenaltySerializer, responses={201: CaseSerializer})
    @action(detail=True, methods=["post"], url_path="decide-penalty")
    def decide_penalty(self, request, pk=None):
        return self._act(request, PenaltySerializer, documents.decide_penalty)

    @extend_schema(request=PriorNoticeRequestSerializer, responses={201: CaseSerializer})
    @action(detail=True, methods=["post"], url_path="prior-notice")
    def prior_notice(self, request, pk=None):
        return self._act(request, PriorNoticeRequestSerializer, penalties.issue_prior_notice)

    @extend_schema(
        request={
            "application/json": ReplyRequestSerializer,
            "multipart/form-data": ReplyRequestSerializer,
        },
        responses={201: CaseSerializer},
    )
    @action(detail=True, methods=["post"])
    def replies(self, request, pk=None):
        return self._act(request, ReplyRequestSerializer, penalties.record_reply)

    @extend_schema(request=ReplyReviewRequestSerializer, responses={201: CaseSerializer})
    @action(detail=True, methods=["post"], url_path="reply-reviews")
    def reply_reviews(self, request, pk=None):
        return self._act(request, ReplyReviewRequestSerializer, penalties.review_reply)

    @extend_schema(request=HearingRequestSerializer, responses={201: CaseSerializer})
    @action(detail=True, methods=["post"], url_path="hearing-requests")
    def hearing_requests(self, request, pk=None):
        return self._act(request, HearingRequestSerializer, penalties.request_hearing)

    @extend_schema(
        request={"multipart/form-data": HearingRecordSerializer}, responses={201: CaseSerializer}
    )
    @action(detail=True, methods=["post"])
    def hearings(self, request, pk=None):
        return self._act(request, HearingRecordSerializer, penalties.hold_hearing)

    @extend_schema(request=LegalReviewRequestSerializer, responses={201: CaseSerializer})
    @action(detail=True, methods=["post"], url_path="legal-reviews")
    def legal_reviews(self, request, pk=None):
        return self._act(request, LegalReviewRequestSerializer, penalties.give_legal_review)

    @extend_schema(request=MeasureSerializer, responses={201: CaseSerializer})
    @action(detail=True, methods=["post"])
    def measures(self, request, pk=None):
        return self._act(request, MeasureSerializer, cases.add_measure)

    @extend_schema(request=ReturnSerializer, responses={201: CaseSerializer})
    @action(detail=True, methods=["post"], url_path="return")
    def return_to_school(self, request, pk=None):
        return self._act(request, ReturnSerializer, cases.return_to_school)

    @extend_schema(request=CloseSerializer, responses={201: CaseSerializer})
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        return self._act(request, CloseSerializer, cases.close_case)


# --- exemptions ------------------------------------------------------------------------------


class ExemptionSerializer(serializers.ModelSerializer):
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

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["child"].queryset = scoped_children(request, EXEMPTION_REGISTER_ROLES)

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


class ExemptionViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = ExemptionSerializer
    filterset_fields = ["status", "kind"]
    permission_classes = [permissions.IsAuthenticated]

    def get_queryset(self):
        return (
            ExemptionRequest.objects.for_user(self.request.user)
            .prefetch_related("steps__actor")
            .order_by("-pk")
        )

    def perform_create(self, serializer):
        serializer.instance = exemptions.register_exemption(
            actor=self.request.user, **serializer.validated_data
        )

    def _decide(self, request, function):
        exemption = self.get_object()
        serializer = DecisionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        function(actor=request.user, request=exemption, **serializer.validated_data)
        exemption.refresh_from_db()
        return Response(ExemptionSerializer(exemption, context={"request": request}).data)

    @extend_schema(request=DecisionSerializer, responses=ExemptionSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        return self._decide(request, exemptions.township_approve)

    @extend_schema(request=DecisionSerializer, responses=ExemptionSerializer)
    @action(detail=True, methods=["post"], url_path="file")
    def file_request(self, request, pk=None):
        return self._decide(request, exemptions.file_exemption)

    @extend_schema(request=DecisionSerializer, responses=ExemptionSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        return self._decide(request, exemptions.reject_exemption)

    @extend_schema(request=DecisionSerializer, responses=ExemptionSerializer)
    @action(detail=True, methods=["post"], url_path="return")
    def return_request(self, request, pk=None):
        return self._decide(request, exemptions.return_exemption)


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


class MonthlyReportViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """The stored monthly reports of the user's scope (`?month=YYYY-MM`); bureau staff ask for
    a past month with `generate/`, which answers 202 with the run to poll."""

    base_queryset = MonthlyReport.objects.select_related("township").order_by(
        "-month", "township__code", "pk"
    )
    serializer_class = MonthlyReportSerializer

    def get_queryset(self):
        queryset = super().get_queryset()
        month = self.request.query_params.get("month")
        if month:
            queryset = queryset.filter(month=report_services.parse_month(value=month))
        return queryset

    @extend_schema(request=GenerateReportSerializer, responses={202: ReportRunSerializer})
    @action(detail=False, methods=["post"])
    def generate(self, request):
        data = GenerateReportSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        counties = County.objects.for_user(request.user, roles=MONTHLY_REPORT_ROLES)
        if not counties.exists():
            raise PermissionDenied
        county_id = data.validated_data.get("county")
        county = counties.filter(pk=county_id).first() if county_id else counties.first()
        if county is None:
            raise NotFound
        month = report_services.parse_month(value=data.validated_data["month"])
        run = report_services.request_report_run(actor=request.user, county=county, month=month)
        run.refresh_from_db()
        return Response(ReportRunSerializer(run).data, status=status.HTTP_202_ACCEPTED)


class ReportRunViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    base_queryset = ReportRun.objects.all()
    serializer_class = ReportRunSerializer
