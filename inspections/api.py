"""The inspections API: the same services as the pages. A refused transition answers 409 with
the reason; bad input 400 with field errors; the complainant's identity only to those who may
see it (the keys are absent for everyone else)."""

from django.contrib.auth import get_user_model
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api import ScopedChoicesMixin
from core.fields import TEXT_MAX_LENGTH, validate_record_date
from core.log_filters import mask_text
from core.masking import Shown, shows_full
from enrollment.models import County
from enrollment.permissions import managed_county, user_county

from .models import (
    Area,
    Campaign,
    Complaint,
    Inspection,
    InspectionGroup,
    Issue,
    IssueEvent,
    UnitKind,
)
from .selectors import resolve_unit
from .services import complaints as complaint_services
from .services import inspections as inspection_services
from .services import issues as issue_services


def _county(request) -> County:
    return managed_county(request.user)


class UnitField(serializers.CharField):
    """Written as `school:<id>`, `township:<id>` or `section:<id>` within the user's scope."""

    def __init__(self, **kwargs):
        super().__init__(max_length=30, **kwargs)
        # Validators run on the resolved unit, not on the text: the length is checked below.
        self.validators = []

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if len(value) > self.max_length:
            self.fail("max_length", max_length=self.max_length)
        unit = resolve_unit(self.context["request"].user, value)
        if unit is None:
            raise serializers.ValidationError("Unknown unit.")
        return unit


class UnitReadMixin(serializers.Serializer):
    unit_name = serializers.CharField(read_only=True)
    unit_id = serializers.SerializerMethodField()

    def get_unit_id(self, obj) -> int | None:
        unit = obj.unit
        return unit.pk if unit is not None else None


# --- inspections -----------------------------------------------------------------------------


class InspectionSerializer(UnitReadMixin, serializers.ModelSerializer):
    areas = serializers.SlugRelatedField(slug_field="name", many=True, read_only=True)

    class Meta:
        model = Inspection
        fields = [
            "id",
            "date",
            "unit_kind",
            "unit_id",
            "unit_name",
            "group",
            "campaign",
            "areas",
            "summary",
        ]
        read_only_fields = fields


class InspectionWriteSerializer(ScopedChoicesMixin, serializers.Serializer):
    date = serializers.DateField(validators=[validate_record_date])
    unit = UnitField()
    areas = serializers.PrimaryKeyRelatedField(
        queryset=Area.objects.filter(is_active=True), many=True
    )
    summary = serializers.CharField(
        max_length=TEXT_MAX_LENGTH, required=False, allow_blank=True, default=""
    )
    group = serializers.PrimaryKeyRelatedField(
        queryset=InspectionGroup.objects.none(), required=False, allow_null=True, default=None
    )
    campaign = serializers.PrimaryKeyRelatedField(
        queryset=Campaign.objects.none(), required=False, allow_null=True, default=None
    )

    scoped_choices = {"group": (InspectionGroup, None), "campaign": (Campaign, None)}


class InspectionViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    filterset_fields = ["campaign", "unit_kind", "school", "township", "section"]

    def get_queryset(self):
        return (
            Inspection.objects.for_user(self.request.user)
            .select_related("school", "township", "section")
            .prefetch_related("areas")
            .order_by("-date", "-pk")
        )

    def get_serializer_class(self):
        return InspectionWriteSerializer if self.action == "create" else InspectionSerializer

    @extend_schema(responses={201: InspectionSerializer})  # the body: get_serializer_class()
    def create(self, request, *args, **kwargs):
        serializer = InspectionWriteSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        inspection = inspection_services.record_inspection(
            actor=request.user,
            county=_county(request),
            **serializer.validated_data,
        )
        return Response(InspectionSerializer(inspection).data, status=status.HTTP_201_CREATED)


# --- issues ----------------------------------------------------------------------------------


class IssueEventSerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor.username", default=None, read_only=True)

    class Meta:
        model = IssueEvent
        fields = ["action", "from_status", "to_status", "on", "note", "actor", "at"]


class IssueSerializer(UnitReadMixin, serializers.ModelSerializer):
    area = serializers.CharField(source="area.name", read_only=True)
    is_overdue = serializers.BooleanField(read_only=True)

    class Meta:
        model = Issue
        fields = [
            "id",
            "number",
            "campaign",
            "inspection",
            "complaint",
            "area",
            "category",
            "description",
            "evidence",
            "unit_kind",
            "unit_id",
            "unit_name",
            "responsible_person",
            "measures",
            "deadline",
            "status",
            "is_overdue",
            "found_on",
            "progress",
            "submitted_on",
            "verified_on",
            "withdrawn_reason",
        ]
        read_only_fields = fields


class IssueDetailSerializer(IssueSerializer):
    events = IssueEventSerializer(many=True, read_only=True)

    class Meta(IssueSerializer.Meta):
        fields = IssueSerializer.Meta.fields + ["events"]
        read_only_fields = fields


class IssueWriteSerializer(ScopedChoicesMixin, serializers.Serializer):
    unit = UnitField()
    area = serializers.PrimaryKeyRelatedField(queryset=Area.objects.filter(is_active=True))
    category = serializers.ChoiceField(choices=Issue.Category.choices)
    description = serializers.CharField(max_length=TEXT_MAX_LENGTH)
    evidence = serializers.CharField(
        max_length=TEXT_MAX_LENGTH, required=False, allow_blank=True, default=""
    )
    responsible_person = serializers.CharField(max_length=50)
    measures = serializers.CharField(max_length=TEXT_MAX_LENGTH)
    deadline = serializers.DateField(validators=[validate_record_date])
    inspection = serializers.PrimaryKeyRelatedField(
        queryset=Inspection.objects.none(), required=False, allow_null=True, default=None
    )
    complaint = serializers.PrimaryKeyRelatedField(
        queryset=Complaint.objects.none(), required=False, allow_null=True, default=None
    )
    found_on = serializers.DateField(
        validators=[validate_record_date], required=False, default=None
    )

    scoped_choices = {"inspection": (Inspection, None), "complaint": (Complaint, None)}


class SubmitSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=TEXT_MAX_LENGTH)
    on = serializers.DateField(validators=[validate_record_date], required=False, default=None)
    evidence_file = serializers.FileField(required=False, default=None)


class VerifySerializer(serializers.Serializer):
    note = serializers.CharField(
        max_length=TEXT_MAX_LENGTH, required=False, allow_blank=True, default=""
    )
    on = serializers.DateField(validators=[validate_record_date], required=False, default=None)


class ReopenSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=TEXT_MAX_LENGTH)
    deadline = serializers.DateField(
        validators=[validate_record_date], required=False, default=None
    )
    on = serializers.DateField(validators=[validate_record_date], required=False, default=None)


class IssueViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Scoped by for_user(): a school sees and answers only the issues addressed to it."""

    filterset_fields = ["status", "campaign", "area", "unit_kind", "school", "township", "section"]

    def get_queryset(self):
        queryset = (
            Issue.objects.for_user(self.request.user)
            .select_related("school", "township", "section", "area")
            .order_by("deadline", "pk")
        )
        if self.action != "list":
            queryset = queryset.prefetch_related("events__actor")
        return queryset

    def get_serializer_class(self):
        return {"list": IssueSerializer, "create": IssueWriteSerializer}.get(
            self.action, IssueDetailSerializer
        )

    @extend_schema(responses={201: IssueDetailSerializer})  # the body: get_serializer_class()
    def create(self, request, *args, **kwargs):
        serializer = IssueWriteSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        issue = issue_services.raise_issue(
            actor=request.user,
            county=_county(request),
            **serializer.validated_data,
        )
        return Response(IssueDetailSerializer(issue).data, status=status.HTTP_201_CREATED)

    def _act(self, request, serializer_class, function):
        issue = self.get_object()
        serializer = serializer_class(data=request.data)
        serializer.is_valid(raise_exception=True)
        function(actor=request.user, issue=issue, **serializer.validated_data)
        issue = self.get_queryset().get(pk=issue.pk)
        return Response(IssueDetailSerializer(issue).data)

    @extend_schema(request=SubmitSerializer, responses=IssueDetailSerializer)
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        return self._act(request, SubmitSerializer, issue_services.submit_rectification)

    @extend_schema(request=VerifySerializer, responses=IssueDetailSerializer)
    @action(detail=True, methods=["post"])
    def verify(self, request, pk=None):
        return self._act(request, VerifySerializer, issue_services.verify_issue)

    @extend_schema(request=ReopenSerializer, responses=IssueDetailSerializer)
    @action(detail=True, methods=["post"])
    def reopen(self, request, pk=None):
        return self._act(request, ReopenSerializer, issue_services.reopen_issue)


# --- complaints ------------------------------------------------------------------------------

IDENTITY_FIELDS = ("complainant_name", "complainant_contact")


class ComplaintSerializer(UnitReadMixin, serializers.ModelSerializer):
    # Present only for the complaint's handlers and county admins, so not required in the
    # schema (this serializer only reads; writes go through ComplaintWriteSerializer).
    complainant_name = serializers.CharField(max_length=50, required=False)
    complainant_contact = serializers.CharField(max_length=100, required=False)
    # A complaint need not name a unit: blank is a valid answer.
    unit_kind = serializers.ChoiceField(choices=UnitKind.choices, allow_blank=True, read_only=True)
    handlers = serializers.SerializerMethodField()
    issues = serializers.SerializerMethodField()
    steps = serializers.SerializerMethodField()

    class Meta:
        model = Complaint
        fields = [
            "id",
            "channel",
            "received_on",
            "content",
            "is_anonymous",
            "complainant_name",
            "complainant_contact",
            "unit_kind",
            "unit_id",
            "unit_name",
            "campaign",
            "handlers",
            "status",
            "result",
            "replied_on",
            "issues",
            "steps",
        ]
        read_only_fields = fields

    def get_handlers(self, complaint) -> list[str]:
        return [handler.username for handler in complaint.handlers.all()]

    def get_issues(self, complaint) -> list[int]:
        return [issue.pk for issue in complaint.issues.all()]

    def get_steps(self, complaint) -> list[dict]:
        return [
            {"on": step.on, "note": step.note, "actor": step.actor.username}
            for step in complaint.steps.all()
        ]

    def to_representation(self, complaint):
        data = super().to_representation(complaint)
        complaint.handler_ids = {handler.pk for handler in complaint.handlers.all()}
        if not complaint_services.sees_complainant(self.context["request"].user, complaint):
            for name in IDENTITY_FIELDS:
                data.pop(name, None)
        elif not shows_full(
            Shown.LIST if isinstance(self.parent, serializers.ListSerializer) else Shown.RECORD,
            needs_full=True,
        ):
            # A handler sees the number on the complaint itself; a list masks it (the HTML
            # list shows no contact at all).
            data["complainant_contact"] = mask_text(data.get("complainant_contact") or "")
        return data


class ComplaintWriteSerializer(serializers.Serializer):
    channel = serializers.ChoiceField(choices=Complaint.Channel.choices)
    received_on = serializers.DateField(validators=[validate_record_date])
    content = serializers.CharField(max_length=TEXT_MAX_LENGTH)
    is_anonymous = serializers.BooleanField(default=False)
    complainant_name = serializers.CharField(
        max_length=50, required=False, allow_blank=True, default=""
    )
    complainant_contact = serializers.CharField(
        max_length=100, required=False, allow_blank=True, default=""
    )
    unit = UnitField(required=False, allow_null=True, default=None)
    handlers = serializers.PrimaryKeyRelatedField(many=True, queryset=Complaint.objects.none())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        county = user_county(self.context["request"].user)
        queryset = (
            inspection_services.eligible_members(county)
            if county
            else get_user_model().objects.none()
        )
        self.fields["handlers"].child_relation.queryset = queryset

    def to_internal_value(self, data):
        if data.get("unit") in ("", None) and hasattr(data, "copy"):
            data = data.copy()
            data.pop("unit", None)
        return super().to_internal_value(data)


class ComplaintViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    filterset_fields = ["channel", "status"]

    def get_queryset(self):
        return (
            Complaint.objects.for_user(self.request.user)
            .select_related("school", "township", "section")
            .prefetch_related("handlers", "issues", "steps__actor")
            .order_by("-received_on", "-pk")
        )

    def get_serializer_class(self):
        return ComplaintWriteSerializer if self.action == "create" else ComplaintSerializer

    @extend_schema(responses={201: ComplaintSerializer})  # the body: get_serializer_class()
    def create(self, request, *args, **kwargs):
        serializer = ComplaintWriteSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        complaint = complaint_services.register_complaint(
            actor=request.user,
            county=_county(request),
            **serializer.validated_data,
        )
        complaint = self.get_queryset().get(pk=complaint.pk)
        return Response(
            ComplaintSerializer(complaint, context={"request": request}).data,
            status=status.HTTP_201_CREATED,
        )
