"""The dropout API: the same services as the pages. A refused transition answers 409 with the
reason; bad input 400 with field errors."""

from django.http import HttpResponse
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.response import Response

from core import audit
from core.pdf import render_pdf
from core.uploads import content_disposition
from enrollment.api import ScopedViewSetMixin
from enrollment.models import County
from enrollment.permissions import has_any_role

from .documents_render import document_from_content
from .filters import CaseFilter, DocumentFilter, ExemptionFilter
from .models import DropoutCase, ExemptionRequest, MonthlyReport, OfficialDocument, ReportRun
from .roles import MONTHLY_REPORT_ROLES, OPEN_CASE_ROLES
from .serializers import (
    CaseListSerializer,
    CaseSerializer,
    CloseSerializer,
    DecisionSerializer,
    DecisionServiceRequestSerializer,
    DocumentSerializer,
    ExemptionSerializer,
    GenerateReportSerializer,
    HearingRecordSerializer,
    HearingRequestSerializer,
    LegalReviewRequestSerializer,
    MeasureSerializer,
    MonthlyReportSerializer,
    NoticeSerializer,
    OpenCaseSerializer,
    PenaltySerializer,
    PersuasionSerializer,
    PriorNoticeRequestSerializer,
    ReplyRequestSerializer,
    ReplyReviewRequestSerializer,
    ReportRunSerializer,
    ReturnSerializer,
)
from .services import cases, documents, exemptions, penalties
from .services import reports as report_services
from .transitions import CASE_TRANSITIONS, EXEMPTION_TRANSITIONS, REPORT_TRANSITIONS


class DocumentViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = DocumentSerializer
    filterset_class = DocumentFilter  # kind, issued from/to

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


class DropoutCaseViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Scoped by for_user(); each action calls the case service, which checks role and state."""

    # Opened from/to (date_from, date_to), stage, cause, township and handler (承办人).
    filterset_class = CaseFilter

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

    def _act(self, request, step, serializer_class, function, **extra):
        """Scope (404), then the step's role (403) before the body is read (400); the state
        and the preconditions are the service's answer (409)."""
        case = self.get_object()
        if CASE_TRANSITIONS.can(case, step, request.user).refused_for_role:
            raise PermissionDenied
        serializer = serializer_class(data=request.data)
        serializer.is_valid(raise_exception=True)
        function(actor=request.user, case=case, **serializer.validated_data, **extra)
        case.refresh_from_db()
        return Response(CaseSerializer(case).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=PersuasionSerializer, responses={201: CaseSerializer})
    @action(detail=True, methods=["post"])
    def persuasions(self, request, pk=None):
        return self._act(request, "persuade", PersuasionSerializer, cases.log_persuasion)

    @extend_schema(request=NoticeSerializer, responses={201: CaseSerializer})
    @action(detail=True, methods=["post"], url_path="issue-notice")
    def issue_notice(self, request, pk=None):
        return self._act(request, "issue_notice", NoticeSerializer, documents.issue_resume_notice)

    @extend_schema(request=PenaltySerializer, responses={201: CaseSerializer})
    @action(detail=True, methods=["post"], url_path="decide-penalty")
    def decide_penalty(self, request, pk=None):
        return self._act(request, "decide_penalty", PenaltySerializer, documents.decide_penalty)

    @extend_schema(request=DecisionServiceRequestSerializer, responses={201: CaseSerializer})
    @action(detail=True, methods=["post"], url_path="serve-decision")
    def serve_decision(self, request, pk=None):
        return self._act(
            request, "serve_decision", DecisionServiceRequestSerializer, penalties.serve_decision
        )

    @extend_schema(request=PriorNoticeRequestSerializer, responses={201: CaseSerializer})
    @action(detail=True, methods=["post"], url_path="prior-notice")
    def prior_notice(self, request, pk=None):
        return self._act(
            request,
            "issue_prior_notice",
            PriorNoticeRequestSerializer,
            penalties.issue_prior_notice,
        )

    @extend_schema(
        request={
            "application/json": ReplyRequestSerializer,
            "multipart/form-data": ReplyRequestSerializer,
        },
        responses={201: CaseSerializer},
    )
    @action(detail=True, methods=["post"])
    def replies(self, request, pk=None):
        return self._act(request, "record_reply", ReplyRequestSerializer, penalties.record_reply)

    @extend_schema(request=ReplyReviewRequestSerializer, responses={201: CaseSerializer})
    @action(detail=True, methods=["post"], url_path="reply-reviews")
    def reply_reviews(self, request, pk=None):
        return self._act(
            request, "review_reply", ReplyReviewRequestSerializer, penalties.review_reply
        )

    @extend_schema(request=HearingRequestSerializer, responses={201: CaseSerializer})
    @action(detail=True, methods=["post"], url_path="hearing-requests")
    def hearing_requests(self, request, pk=None):
        return self._act(
            request, "request_hearing", HearingRequestSerializer, penalties.request_hearing
        )

    @extend_schema(
        request={"multipart/form-data": HearingRecordSerializer}, responses={201: CaseSerializer}
    )
    @action(detail=True, methods=["post"])
    def hearings(self, request, pk=None):
        return self._act(request, "hold_hearing", HearingRecordSerializer, penalties.hold_hearing)

    @extend_schema(request=LegalReviewRequestSerializer, responses={201: CaseSerializer})
    @action(detail=True, methods=["post"], url_path="legal-reviews")
    def legal_reviews(self, request, pk=None):
        return self._act(
            request, "legal_review", LegalReviewRequestSerializer, penalties.give_legal_review
        )

    @extend_schema(request=MeasureSerializer, responses={201: CaseSerializer})
    @action(detail=True, methods=["post"])
    def measures(self, request, pk=None):
        return self._act(request, "add_measure", MeasureSerializer, cases.add_measure)

    @extend_schema(request=ReturnSerializer, responses={201: CaseSerializer})
    @action(detail=True, methods=["post"], url_path="return")
    def return_to_school(self, request, pk=None):
        return self._act(request, "return", ReturnSerializer, cases.return_to_school)

    @extend_schema(request=CloseSerializer, responses={201: CaseSerializer})
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        return self._act(request, "close", CloseSerializer, cases.close_case)


class ExemptionViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = ExemptionSerializer
    filterset_class = ExemptionFilter  # status, kind, registered from/to
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

    def _decide(self, request, step, function):
        exemption = self.get_object()
        if EXEMPTION_TRANSITIONS.can(exemption, step, request.user).refused_for_role:
            raise PermissionDenied
        serializer = DecisionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        function(actor=request.user, request=exemption, **serializer.validated_data)
        exemption.refresh_from_db()
        return Response(ExemptionSerializer(exemption, context={"request": request}).data)

    @extend_schema(request=DecisionSerializer, responses=ExemptionSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        return self._decide(request, "approve", exemptions.township_approve)

    @extend_schema(request=DecisionSerializer, responses=ExemptionSerializer)
    @action(detail=True, methods=["post"], url_path="file")
    def file_request(self, request, pk=None):
        return self._decide(request, "file", exemptions.file_exemption)

    @extend_schema(request=DecisionSerializer, responses=ExemptionSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        return self._decide(request, "reject", exemptions.reject_exemption)

    @extend_schema(request=DecisionSerializer, responses=ExemptionSerializer)
    @action(detail=True, methods=["post"], url_path="return")
    def return_request(self, request, pk=None):
        return self._decide(request, "return", exemptions.return_exemption)


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
        # The role before the body (403 before 400).
        counties = County.objects.for_user(request.user, roles=MONTHLY_REPORT_ROLES)
        if not counties.exists():
            raise PermissionDenied
        data = GenerateReportSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        county_id = data.validated_data.get("county")
        county = counties.filter(pk=county_id).first() if county_id else counties.first()
        if county is None:
            raise NotFound
        month = report_services.parse_month(value=data.validated_data["month"])
        run = report_services.request_report_run(actor=request.user, county=county, month=month)
        run.refresh_from_db()
        return Response(ReportRunSerializer(run).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=None, responses={200: MonthlyReportSerializer})
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        """审核并锁定: scope (404), the role (403), already approved (409 with the reason)."""
        report = self.get_object()
        if REPORT_TRANSITIONS.can(report, "approve", request.user).refused_for_role:
            raise PermissionDenied
        report = report_services.approve_report(report=report, actor=request.user)
        return Response(self.get_serializer(report).data)


class ReportRunViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    base_queryset = ReportRun.objects.all()
    serializer_class = ReportRunSerializer
