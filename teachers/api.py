"""The teacher workforce API: `teachers`, `exchanges`, `allowances`, `trainings`. The same
services and scopes as the pages: reads through for_user(), writes need a managing role (403),
bad input 400 with field errors, a refused transition 409. An update sends back the `version`
it read; a stale one (someone else saved since) is refused with 409 and changes nothing."""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.response import Response

from core.api import ScopedChoicesMixin
from core.fields import validate_life_date, validate_record_date
from core.masking import Shown, shows_full
from enrollment.api import RolePermission
from enrollment.models import County, School
from enrollment.permissions import user_may

from .filters import ExchangeFilter, TeacherFilter
from .models import (
    AllowancePayment,
    Exchange,
    PostType,
    Recruitment,
    Subject,
    Teacher,
    Title,
    TrainingAttendance,
    TrainingEvent,
)
from .roles import MANAGE_TEACHERS_ROLES, TEACHER_FULL_IDENTITY_ROLES
from .services import exchanges, teachers, trainings

# --- teachers ---------------------------------------------------------------------------------


class TeacherSerializer(serializers.ModelSerializer):
    resident_id = serializers.SerializerMethodField()
    phone = serializers.SerializerMethodField()
    school_name = serializers.CharField(source="school.name", read_only=True)
    township_name = serializers.CharField(source="school.township.name", read_only=True)
    subjects = serializers.SlugRelatedField(slug_field="name", many=True, read_only=True)
    # Blank for teachers who were never special-post teachers.
    special_post_status = serializers.CharField(read_only=True)

    class Meta:
        model = Teacher
        fields = [
            "id",
            "name",
            "sex",
            "birth_date",
            "resident_id",
            "phone",
            "school",
            "school_name",
            "township_name",
            "school_since",
            "subjects",
            "title",
            "post_type",
            "recruitment",
            "recruitment_year",
            "hire_date",
            "status",
            "left_on",
            "special_post_status",
            "service_years",
            "service_end",
            "converted_on",
            "conversion_decision",
            "version",
        ]

    def _full(self, teacher) -> bool:
        # As the pages: a list masks for everyone (shows_full); one teacher's answer shows the
        # full values to the roles that need them, within their scope.
        request = self.context.get("request")
        listed = isinstance(self.parent, serializers.ListSerializer)
        return shows_full(
            Shown.LIST if listed else Shown.RECORD,
            needs_full=bool(request)
            and user_may(request.user, Teacher.objects, TEACHER_FULL_IDENTITY_ROLES, teacher),
        )

    def get_resident_id(self, teacher) -> str:
        return teacher.resident_id if self._full(teacher) else teacher.masked_resident_id

    def get_phone(self, teacher) -> str:
        return teacher.phone if self._full(teacher) else teacher.masked_phone


class TeacherWriteSerializer(ScopedChoicesMixin, serializers.Serializer):
    name = serializers.CharField(max_length=50)
    resident_id = serializers.CharField(max_length=30)
    phone = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    school = serializers.PrimaryKeyRelatedField(queryset=School.objects.all())
    subjects = serializers.SlugRelatedField(
        slug_field="code", queryset=Subject.objects.all(), many=True, required=False
    )
    title = serializers.ChoiceField(choices=Title.choices, default=Title.NONE)
    post_type = serializers.ChoiceField(choices=PostType.choices)
    recruitment = serializers.ChoiceField(choices=Recruitment.choices)
    recruitment_year = serializers.IntegerField()
    hire_date = serializers.DateField(validators=[validate_life_date])

    scoped_choices = {"school": (School, MANAGE_TEACHERS_ROLES)}


class TeacherUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=50, required=False)
    resident_id = serializers.CharField(max_length=30, required=False)
    phone = serializers.CharField(max_length=20, required=False, allow_blank=True)
    title = serializers.ChoiceField(choices=Title.choices, required=False)
    post_type = serializers.ChoiceField(choices=PostType.choices, required=False)
    recruitment = serializers.ChoiceField(choices=Recruitment.choices, required=False)
    recruitment_year = serializers.IntegerField(required=False)
    hire_date = serializers.DateField(validators=[validate_life_date], required=False)
    subjects = serializers.SlugRelatedField(
        slug_field="code", queryset=Subject.objects.all(), many=True, required=False
    )
    version = serializers.IntegerField(
        min_value=1, help_text="The teacher's `version` as read; a stale one answers 409."
    )

    def validate(self, attrs):
        # Required for PATCH too (the update is always partial): without it a save could
        # silently overwrite someone else's.
        if "version" not in attrs:
            raise serializers.ValidationError(
                {"version": [self.fields["version"].error_messages["required"]]}
            )
        return attrs


class ConversionSerializer(serializers.Serializer):
    converted_on = serializers.DateField(validators=[validate_record_date])
    decision = serializers.CharField(max_length=200)


class TeacherViewSet(
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.ReadOnlyModelViewSet,
):
    permission_classes = [permissions.IsAuthenticated, RolePermission]
    write_roles = MANAGE_TEACHERS_ROLES
    filterset_class = TeacherFilter

    def get_queryset(self):
        return (
            Teacher.objects.for_user(self.request.user)
            .select_related("school__township")
            .prefetch_related("subjects")
            .order_by("school__code", "name", "pk")
        )

    def get_serializer_class(self):
        if self.action == "create":
            return TeacherWriteSerializer
        if self.action in ("update", "partial_update"):
            return TeacherUpdateSerializer
        return TeacherSerializer

    @extend_schema(responses={201: TeacherSerializer})  # the body: get_serializer_class()
    def create(self, request, *args, **kwargs):
        serializer = TeacherWriteSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        teacher = teachers.register_teacher(actor=request.user, **serializer.validated_data)
        return Response(
            TeacherSerializer(teacher, context={"request": request}).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(responses=TeacherSerializer)
    def update(self, request, *args, **kwargs):
        teacher = self.get_object()
        serializer = TeacherUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        subjects = data.pop("subjects", None)
        teacher = teachers.update_teacher(
            actor=request.user, teacher=teacher, subjects=subjects, **data
        )
        return Response(TeacherSerializer(teacher, context={"request": request}).data)

    @extend_schema(request=ConversionSerializer, responses=TeacherSerializer)
    @action(detail=True, methods=["post"], serializer_class=ConversionSerializer)
    def convert(self, request, pk=None):
        teacher = self.get_object()
        serializer = ConversionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        teacher = teachers.convert_special_post(
            actor=request.user,
            teacher=teacher,
            **serializer.validated_data,
        )
        return Response(TeacherSerializer(teacher, context={"request": request}).data)


# --- exchanges --------------------------------------------------------------------------------


class ExchangeSerializer(ScopedChoicesMixin, serializers.ModelSerializer):
    teacher_name = serializers.CharField(source="teacher.name", read_only=True)
    from_school_name = serializers.CharField(source="from_school.name", read_only=True)
    to_school_name = serializers.CharField(source="to_school.name", read_only=True)

    class Meta:
        model = Exchange
        fields = [
            "id",
            "teacher",
            "teacher_name",
            "from_school",
            "from_school_name",
            "to_school",
            "to_school_name",
            "kind",
            "start_date",
            "end_date",
            "note",
        ]
        read_only_fields = ["from_school"]

    scoped_choices = {
        "teacher": (Teacher, MANAGE_TEACHERS_ROLES),
        "to_school": (School, MANAGE_TEACHERS_ROLES),
    }


class ExchangeViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = ExchangeSerializer
    permission_classes = [permissions.IsAuthenticated, RolePermission]
    write_roles = MANAGE_TEACHERS_ROLES
    filterset_class = ExchangeFilter

    def get_queryset(self):
        return (
            Exchange.objects.for_user(self.request.user)
            .select_related("teacher", "from_school", "to_school")
            .order_by("-start_date", "-pk")
        )

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        data.pop("from_school", None)
        serializer.instance = exchanges.create_exchange(actor=self.request.user, **data)


# --- allowances (read) ------------------------------------------------------------------------


class AllowanceSerializer(serializers.ModelSerializer):
    teacher_name = serializers.CharField(source="teacher.name", read_only=True)
    school_name = serializers.CharField(source="school.name", read_only=True)
    batch_title = serializers.CharField(source="batch.title", read_only=True)
    batch_status = serializers.CharField(source="batch.status", read_only=True)
    paid_on = serializers.DateField(source="batch.paid_on", read_only=True, allow_null=True)

    class Meta:
        model = AllowancePayment
        fields = [
            "id",
            "period",
            "teacher",
            "teacher_name",
            "school",
            "school_name",
            "tier_name",
            "amount",
            "batch",
            "batch_title",
            "batch_status",
            "paid_on",
        ]


class AllowanceViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = AllowanceSerializer
    filterset_fields = ["period", "school", "teacher", "batch"]

    def get_queryset(self):
        return (
            AllowancePayment.objects.for_user(self.request.user)
            .select_related("teacher", "school", "batch")
            .order_by("-period", "school_id", "teacher_id")
        )


# --- trainings --------------------------------------------------------------------------------


class AttendanceSerializer(serializers.ModelSerializer):
    teacher_name = serializers.CharField(source="teacher.name", read_only=True)

    class Meta:
        model = TrainingAttendance
        fields = ["id", "teacher", "teacher_name", "hours"]


class TrainingSerializer(serializers.ModelSerializer):
    person_times = serializers.IntegerField(read_only=True)

    class Meta:
        model = TrainingEvent
        fields = [
            "id",
            "title",
            "level",
            "kind",
            "programme",
            "start_date",
            "end_date",
            "hours",
            "provider",
            "person_times",
        ]


class AttendInputSerializer(serializers.Serializer):
    teachers = serializers.PrimaryKeyRelatedField(queryset=Teacher.objects.all(), many=True)
    hours = serializers.DecimalField(max_digits=6, decimal_places=1, required=False)


class TrainingViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = TrainingSerializer
    permission_classes = [permissions.IsAuthenticated, RolePermission]
    write_roles = MANAGE_TEACHERS_ROLES
    filterset_fields = ["level", "kind"]

    def get_queryset(self):
        from django.db.models import Count

        return (
            TrainingEvent.objects.for_user(self.request.user)
            .annotate(person_times=Count("attendances"))
            .order_by("-start_date", "-pk")
        )

    def perform_create(self, serializer):
        county = County.objects.for_user(self.request.user, roles=MANAGE_TEACHERS_ROLES).first()
        if county is None:
            raise ApiValidationError({"non_field_errors": ["No county to record the training in."]})
        event = trainings.create_training(
            actor=self.request.user,
            county=county,
            **serializer.validated_data,
        )
        event.person_times = 0
        serializer.instance = event

    @extend_schema(request=AttendInputSerializer, responses=AttendanceSerializer(many=True))
    @action(
        detail=True,
        methods=["get", "post"],
        serializer_class=AttendInputSerializer,
        pagination_class=None,
    )
    def attendances(self, request, pk=None):
        event = self.get_object()
        if request.method == "POST":
            serializer = AttendInputSerializer(data=request.data)
            serializer.fields["teachers"].child_relation.queryset = Teacher.objects.for_user(
                request.user, roles=MANAGE_TEACHERS_ROLES
            ).select_related("school__township")
            serializer.is_valid(raise_exception=True)
            trainings.record_attendance(
                actor=request.user,
                event=event,
                teachers=serializer.validated_data["teachers"],
                hours=serializer.validated_data.get("hours"),
            )
        attendances = (
            TrainingAttendance.objects.for_user(request.user)
            .filter(event=event)
            .select_related("teacher")
        )
        return Response(AttendanceSerializer(attendances, many=True).data)
