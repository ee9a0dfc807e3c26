"""The annual summary in the API: the stored summaries of the user's scope (`?year=`,
`?township=`), generating one (202 with the run to poll) and approving it."""

from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.response import Response

from enrollment.api import ScopedViewSetMixin
from enrollment.models import County, Township
from enrollment.permissions import has_any_role, user_may

from . import services
from .models import AnnualSummary, SummaryRun
from .roles import APPROVE_ROLES, GENERATE_ROLES


class FigureSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    value = serializers.CharField(allow_null=True, help_text="Money and rates as text.")
    unit = serializers.CharField(allow_blank=True)
    basis = serializers.ChoiceField(choices=["calendar", "school_year", "on_day"])
    drill_url = serializers.CharField(allow_blank=True)


class SectionSerializer(serializers.Serializer):
    key = serializers.CharField()
    title = serializers.CharField()
    figures = FigureSerializer(many=True)
    sentences = serializers.ListField(child=serializers.CharField())


class AdjustmentSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    key = serializers.CharField()
    label = serializers.CharField()
    approved = serializers.CharField(allow_null=True)
    current = serializers.CharField(allow_null=True)
    difference = serializers.CharField(allow_null=True)


class AnnualSummarySerializer(serializers.ModelSerializer):
    scope = serializers.CharField(source="scope_name", read_only=True)
    sections = SectionSerializer(many=True, read_only=True)
    adjustments = AdjustmentSerializer(many=True, read_only=True)
    workbook = serializers.SerializerMethodField()
    document = serializers.SerializerMethodField()

    class Meta:
        model = AnnualSummary
        fields = [
            "id",
            "county",
            "township",
            "scope",
            "year",
            "counted_on",
            "sections",
            "adjustments",
            "generated_at",
            "approved_at",
            "workbook",
            "document",
        ]
        read_only_fields = fields

    def get_workbook(self, summary) -> str:
        return reverse("yearend:summary_workbook", args=[summary.pk])

    def get_document(self, summary) -> str:
        return reverse("yearend:summary_document", args=[summary.pk])


class SummaryRunSerializer(serializers.ModelSerializer):
    class Meta:
        model = SummaryRun
        fields = [
            "id",
            "county",
            "township",
            "year",
            "status",
            "progress_percent",
            "error",
            "summary",
            "created_at",
            "finished_at",
        ]
        read_only_fields = fields


class GenerateSummarySerializer(serializers.Serializer):
    year = serializers.IntegerField()
    township = serializers.IntegerField(
        required=False, help_text="A township's summary; without it the county's."
    )
    county = serializers.IntegerField(required=False, help_text="Only for several counties")


class AnnualSummaryViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    base_queryset = AnnualSummary.objects.select_related("county", "township").order_by(
        "-year", "township__code", "pk"
    )
    serializer_class = AnnualSummarySerializer

    def get_queryset(self):
        queryset = super().get_queryset()
        params = self.request.query_params
        year = params.get("year")
        if year:
            queryset = queryset.filter(year=services.parse_year(year))
        township = params.get("township")
        if township is not None:
            queryset = (
                queryset.filter(township__isnull=True)
                if township in ("", "county")
                else queryset.filter(township_id=int(township) if township.isdigit() else 0)
            )
        return queryset

    @extend_schema(request=GenerateSummarySerializer, responses={202: SummaryRunSerializer})
    @action(detail=False, methods=["post"])
    def generate(self, request):
        if not has_any_role(request.user, GENERATE_ROLES):  # the role before the body
            raise PermissionDenied
        data = GenerateSummarySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        township_id = data.validated_data.get("township")
        if township_id:
            township = (
                Township.objects.for_user(request.user, roles=GENERATE_ROLES)
                .select_related("county")
                .filter(pk=township_id)
                .first()
            )
            if township is None:
                raise NotFound
            county = township.county
        else:
            township = None
            counties = County.objects.for_user(request.user, roles=APPROVE_ROLES)
            county_id = data.validated_data.get("county")
            county = counties.filter(pk=county_id).first() if county_id else counties.first()
            if county is None:
                raise PermissionDenied
        year = services.parse_year(data.validated_data["year"])
        run = services.request_summary_run(
            actor=request.user, county=county, township=township, year=year
        )
        run.refresh_from_db()
        return Response(SummaryRunSerializer(run).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=None, responses={200: AnnualSummarySerializer})
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        summary = self.get_object()
        if not user_may(request.user, County.objects, APPROVE_ROLES, summary.county):
            raise PermissionDenied
        summary = services.approve_summary(summary=summary, actor=request.user)
        return Response(AnnualSummarySerializer(summary).data)


class SummaryRunViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    base_queryset = SummaryRun.objects.order_by("-created_at", "-pk")
    serializer_class = SummaryRunSerializer
