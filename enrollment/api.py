"""The JSON API: the same scopes (for_user), validation (services) and history as the pages."""

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.response import Response

from core import audit
from core.api import ScopedChoicesMixin
from core.fields import validate_life_date, validate_record_date

from . import selectors, services
from .filters import LedgerFilter, VisitFilter
from .models import (
    FOCUS_FLAG_FIELDS,
    PLACEMENT_FIELDS,
    Child,
    EnrollmentStatus,
    EnrollmentStatusChange,
    Household,
    HouseholdVisit,
    School,
    Township,
    Village,
)
from .permissions import has_any_role, sees_full_identity, user_may
from .roles import CHANGE_STATUS_ROLES, RECORD_VISIT_ROLES, REGISTER_CHILD_ROLES
from .services import EXEMPTION_ONLY_STATUSES

# --- places ----------------------------------------------------------------------------------


class TownshipSerializer(serializers.ModelSerializer):
    class Meta:
        model = Township
        fields = ["id", "code", "name", "county"]


class VillageSerializer(serializers.ModelSerializer):
    class Meta:
        model = Village
        fields = ["id", "code", "name", "township"]


class SchoolSerializer(serializers.ModelSerializer):
    class Meta:
        model = School
        fields = ["id", "code", "name", "township", "village", "stage", "is_boarding", "is_rural"]


class ScopedViewSetMixin:
    """Every queryset starts at for_user(); objects outside it are 404 by construction."""

    base_queryset = None

    def get_queryset(self):
        return self.base_queryset.for_user(self.request.user)


class TownshipViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    base_queryset = Township.objects.order_by("code")
    serializer_class = TownshipSerializer
    filterset_fields = ["county"]


class VillageViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    base_queryset = Village.objects.order_by("code")
    serializer_class = VillageSerializer
    filterset_fields = ["township"]


class SchoolViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    base_queryset = School.objects.order_by("code")
    serializer_class = SchoolSerializer
    filterset_fields = ["township", "stage"]


# --- write permission ------------------------------------------------------------------------


class RolePermission(permissions.BasePermission):
    """Reads need only scope; writes need one of the view's `write_roles` covering the object."""

    def has_permission(self, request, view):
        if request.method in permissions.SAFE_METHODS:
            return True
        return has_any_role(request.user, view.write_roles)

    def has_object_permission(self, request, view, obj):
        if request.method in permissions.SAFE_METHODS:
            return True
        return user_may(request.user, type(obj).objects, view.write_roles, obj)


# --- households ------------------------------------------------------------------------------


class HouseholdSerializer(ScopedChoicesMixin, serializers.ModelSerializer):
    scoped_choices = {"village": (Village, REGISTER_CHILD_ROLES)}

    class Meta:
        model = Household
        fields = [
            "id",
            "village",
            "address",
            "head_name",
            "poverty_status",
            "poverty_registration_number",
            "poverty_registered_on",
        ]


class HouseholdViewSet(ScopedViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    base_queryset = Household.objects.order_by("pk")
    serializer_class = HouseholdSerializer
    permission_classes = [permissions.IsAuthenticated, RolePermission]
    write_roles = REGISTER_CHILD_ROLES
    filterset_fields = ["village", "poverty_status"]

    def perform_create(self, serializer):
        serializer.instance = services.register_household(
            actor=self.request.user, **serializer.validated_data
        )


# --- children --------------------------------------------------------------------------------


class ChildSerializer(serializers.ModelSerializer):
    resident_id = serializers.SerializerMethodField()
    guardian_phone = serializers.SerializerMethodField()
    village_name = serializers.CharField(source="village.name", read_only=True)
    school_name = serializers.CharField(
        source="current_school.name", read_only=True, default=None, allow_null=True
    )
    # Read-only choice fields lose allow_blank: declared so that the schema admits "" (none).
    disability_category = serializers.ChoiceField(
        choices=Child._meta.get_field("disability_category").choices,
        allow_blank=True,
        read_only=True,
    )
    is_registered_poor = serializers.BooleanField(read_only=True)
    # 涉案未成年人 as the user may see it (selectors.with_case_flag): null where masked.
    is_involved_in_case = serializers.BooleanField(
        source="case_flag", read_only=True, allow_null=True, default=None
    )

    class Meta:
        model = Child
        fields = [
            "id",
            "name",
            "sex",
            "birth_date",
            "resident_id",
            "has_no_resident_id",
            "household",
            "village",
            "village_name",
            "guardian_name",
            "guardian_relation",
            "guardian_phone",
            "is_registered_poor",
            *FOCUS_FLAG_FIELDS,
            "is_involved_in_case",
            "status",
            "status_since",
            "current_school",
            "school_name",
            *PLACEMENT_FIELDS,
        ]
        read_only_fields = fields

    def _full(self, child) -> bool:
        return bool(self.context.get("full_identity"))

    def get_resident_id(self, child) -> str | None:
        if child.resident_id is None:
            return None
        return child.resident_id if self._full(child) else child.masked_resident_id

    def get_guardian_phone(self, child) -> str:
        return child.guardian_phone if self._full(child) else child.masked_guardian_phone


class ChildRegistrationSerializer(ScopedChoicesMixin, serializers.Serializer):
    scoped_choices = {"household": (Household, REGISTER_CHILD_ROLES)}
    household = serializers.PrimaryKeyRelatedField(queryset=Household.objects.none())
    name = serializers.CharField(max_length=50)
    resident_id = serializers.CharField(max_length=30, required=False, allow_blank=True, default="")
    has_no_resident_id = serializers.BooleanField(default=False)
    sex = serializers.ChoiceField(choices=["M", "F"], required=False, allow_blank=True, default="")
    birth_date = serializers.DateField(
        validators=[validate_life_date], required=False, allow_null=True, default=None
    )
    guardian_name = serializers.CharField(max_length=50)
    guardian_relation = serializers.CharField(max_length=20)
    guardian_phone = serializers.RegexField(
        r"^[0-9\-+ ]{7,20}$", max_length=20, required=False, allow_blank=True, default=""
    )
    is_left_behind = serializers.BooleanField(default=False)
    is_disabled = serializers.BooleanField(default=False)
    disability_category = serializers.ChoiceField(
        choices=Child._meta.get_field("disability_category").choices,
        required=False,
        allow_blank=True,
        default="",
    )
    disability_grade = serializers.IntegerField(
        min_value=1, max_value=4, required=False, allow_null=True, default=None
    )
    is_orphan = serializers.BooleanField(default=False)
    is_in_difficulty = serializers.BooleanField(default=False)
    is_migrant = serializers.BooleanField(default=False)
    # Accepted from the roles that handle the case only (403 for others).
    is_involved_in_case = serializers.BooleanField(default=False)

    FLAGS = FOCUS_FLAG_FIELDS


class StatusChangeSerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=[c for c in EnrollmentStatus.choices if c[0] not in EXEMPTION_ONLY_STATUSES]
    )
    effective_date = serializers.DateField(validators=[validate_record_date])
    reason = serializers.CharField(max_length=500)
    school = serializers.PrimaryKeyRelatedField(
        queryset=School.objects.all(), required=False, allow_null=True, default=None
    )
    grade = serializers.IntegerField(
        min_value=1, max_value=12, required=False, allow_null=True, default=None
    )
    class_name = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    is_inclusive = serializers.BooleanField(default=False)
    is_boarder = serializers.BooleanField(required=False, allow_null=True, default=None)
    outside_school_name = serializers.CharField(
        max_length=100, required=False, allow_blank=True, default=""
    )
    outside_verified = serializers.BooleanField(default=False)


class StatusChangeReadSerializer(serializers.ModelSerializer):
    recorded_by = serializers.CharField(source="recorded_by.username", default=None, read_only=True)

    class Meta:
        model = EnrollmentStatusChange
        fields = [
            "id",
            "status",
            "effective_date",
            "school",
            *PLACEMENT_FIELDS,
            "reason",
            "previous_status",
            "recorded_by",
            "recorded_at",
        ]


class ChildViewSet(ScopedViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Children of the user's scope, filterable like the ledgers (village, school, stage, status,
    focus, q). Resident IDs and phones are masked in lists and for roles that do not need them."""

    base_queryset = Child.objects.all()
    serializer_class = ChildSerializer
    permission_classes = [permissions.IsAuthenticated, RolePermission]
    filterset_class = LedgerFilter

    @property
    def write_roles(self):
        """Registering a child and changing its status are different permissions."""
        return CHANGE_STATUS_ROLES if self.action == "change_status" else REGISTER_CHILD_ROLES

    def get_queryset(self):
        children = selectors.with_ledger_status(super().get_queryset(), None)
        children = selectors.with_case_flag(children, self.request.user)
        return children.select_related("village", "household", "current_school").order_by("pk")

    def filter_queryset(self, queryset):
        if self.action != "list":
            return queryset
        ledger_filter = LedgerFilter(
            self.request.query_params,
            queryset=queryset,
            user=self.request.user,
            day=timezone.localdate(),
        )
        if not ledger_filter.is_valid():
            raise ApiValidationError(ledger_filter.errors)
        return ledger_filter.qs

    def get_serializer_class(self):
        if self.action == "create":
            return ChildRegistrationSerializer
        if self.action == "change_status":
            return StatusChangeSerializer
        return ChildSerializer

    def retrieve(self, request, *args, **kwargs):
        child = self.get_object()
        full_identity = sees_full_identity(request.user, child)
        audit.record(
            audit.A.VIEW,
            obj=child,
            request=request._request,
            detail={
                "full_identity": full_identity,
                "case_flag": child.case_flag is not None,
                "via": "api",
            },
        )
        context = self.get_serializer_context() | {"full_identity": full_identity}
        return Response(ChildSerializer(child, context=context).data)

    @extend_schema(responses={201: ChildSerializer})  # the body: get_serializer_class()
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        flags = {name: data.pop(name) for name in ChildRegistrationSerializer.FLAGS}
        child = services.register_child(actor=request.user, flags=flags, **data)
        child = self.get_queryset().get(pk=child.pk)
        context = self.get_serializer_context() | {
            "full_identity": sees_full_identity(request.user, child)
        }
        return Response(
            ChildSerializer(child, context=context).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(request=StatusChangeSerializer, responses={201: StatusChangeReadSerializer})
    @action(detail=True, methods=["post"], url_path="status")
    def change_status(self, request, pk=None):
        child = self.get_object()
        serializer = StatusChangeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        change = services.change_status(
            actor=request.user, child=child, **serializer.validated_data
        )
        return Response(StatusChangeReadSerializer(change).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses=StatusChangeReadSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None)  # the whole history, a list
    def history(self, request, pk=None):
        child = self.get_object()
        audit.record_view(child, request=request._request, via="api", shown="status_history")
        changes = selectors.status_history(child)
        return Response(StatusChangeReadSerializer(changes, many=True).data)


# --- visits ----------------------------------------------------------------------------------


class VisitSerializer(ScopedChoicesMixin, serializers.ModelSerializer):
    scoped_choices = {
        "children": (Child, RECORD_VISIT_ROLES),
        "household": (Household, RECORD_VISIT_ROLES),
    }
    children = serializers.PrimaryKeyRelatedField(many=True, queryset=Child.objects.none())
    new_status = serializers.ChoiceField(
        choices=[c for c in EnrollmentStatus.choices if c[0] not in EXEMPTION_ONLY_STATUSES],
        required=False,
        allow_blank=True,
        default="",
        write_only=True,
    )
    status_reason = serializers.CharField(
        max_length=500, required=False, allow_blank=True, default="", write_only=True
    )
    school = serializers.PrimaryKeyRelatedField(
        queryset=School.objects.all(),
        required=False,
        allow_null=True,
        default=None,
        write_only=True,
    )
    grade = serializers.IntegerField(
        min_value=1, max_value=12, required=False, allow_null=True, default=None, write_only=True
    )
    outside_school_name = serializers.CharField(
        max_length=100, required=False, allow_blank=True, default="", write_only=True
    )
    recorded_by = serializers.CharField(source="recorded_by.username", read_only=True)

    class Meta:
        model = HouseholdVisit
        fields = [
            "id",
            "visit_date",
            "household",
            "children",
            "visitors",
            "teacher_visitors",
            "findings",
            "outcome",
            "follow_up",
            "recorded_by",
            "recorded_at",
            "new_status",
            "status_reason",
            "school",
            "grade",
            "outside_school_name",
        ]
        read_only_fields = ["recorded_at"]


class VisitViewSet(ScopedViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    base_queryset = HouseholdVisit.objects.all()
    serializer_class = VisitSerializer
    permission_classes = [permissions.IsAuthenticated, RolePermission]
    write_roles = RECORD_VISIT_ROLES
    filterset_class = VisitFilter  # household, children, outcome, visited from/to

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .select_related("recorded_by")
            .prefetch_related("children")
            .order_by("-visit_date", "-pk")
        )

    def retrieve(self, request, *args, **kwargs):
        visit = self.get_object()
        audit.record_view(visit, request=request._request, via="api")
        return Response(self.get_serializer(visit).data)

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        serializer.instance = services.record_visit(actor=self.request.user, **data)
