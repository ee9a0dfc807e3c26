"""The subsidies API: the same services and scopes as the pages. A refused transition answers 409
with the reason; bad input 400 with field errors; out of scope 404; without the role 403. A
programme's update sends back the `version` it read; a stale one answers 409, nothing changed."""

from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.response import Response

from core.fields import validate_record_date
from enrollment.models import Child, School
from enrollment.permissions import has_any_role, managed_county, may_edit_shared_catalogue

from .filters import BatchFilter, FundEntryFilter, GapFilter, PaymentFilter
from .models import Batch, Donation, FundEntry, Gap, Payment, Programme, ReliefFund
from .roles import APPROVE_ROLES, BATCH_ROLES, CATALOGUE_ROLES, DONATION_ROLES, FUND_ROLES
from .selectors import batch_list, payment_list
from .services import batches as batch_services
from .services import fund as fund_services
from .services import programmes as programme_services
from .services.programmes import TERMS_FIELDS
from .transitions import BATCH_TRANSITIONS


class WriteRoles(permissions.BasePermission):
    """Writes need one of the view's `write_roles` somewhere (403 before any validation); the
    services then check the role in the scope of the object."""

    def has_permission(self, request, view):
        if request.method in permissions.SAFE_METHODS:
            return True
        return has_any_role(request.user, view.write_roles)


def _county(user):
    return managed_county(user)


# --- programmes ------------------------------------------------------------------------------


class ProgrammeSerializer(serializers.ModelSerializer):
    excludes = serializers.PrimaryKeyRelatedField(
        many=True, queryset=Programme.objects.all(), required=False
    )
    version = serializers.IntegerField(
        min_value=1,
        required=False,
        help_text="Ignored on create; required on update: the `version` as read (stale: 409).",
    )

    class Meta:
        model = Programme
        fields = [
            "id",
            "code",
            *TERMS_FIELDS,
            "excludes",
            "active_from",
            "active_until",
            "version",
        ]
        # Uniqueness of the code is the database's and the service's to say.
        extra_kwargs = {"code": {"validators": []}}


class ProgrammeViewSet(
    mixins.CreateModelMixin, mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet
):
    """The catalogue: everyone signed in reads it; county administrators and bureau staff edit."""

    permission_classes = [permissions.IsAuthenticated, WriteRoles]
    write_roles = CATALOGUE_ROLES
    serializer_class = ProgrammeSerializer
    queryset = Programme.objects.prefetch_related("excludes").order_by("report_order", "code")
    filterset_fields = ["per_child", "checked_for_gaps", "unit"]

    def _save(self, serializer, programme=None):
        if not may_edit_shared_catalogue(self.request.user, CATALOGUE_ROLES):
            raise PermissionDenied
        data = dict(serializer.validated_data)
        excludes = data.pop("excludes", None)
        version = data.pop("version", None)
        if programme is not None and version is None:
            # PATCH too: without the version read, a save could overwrite someone else's.
            raise ApiValidationError(
                {"version": [serializer.fields["version"].error_messages["required"]]}
            )
        serializer.instance = programme_services.save_programme(
            actor=self.request.user,
            programme=programme,
            excludes=excludes,
            version=version if programme is not None else None,
            **data,
        )

    def perform_create(self, serializer):
        self._save(serializer)

    def perform_update(self, serializer):
        self._save(serializer, serializer.instance)


# --- batches ---------------------------------------------------------------------------------


class BatchSerializer(serializers.ModelSerializer):
    line_count = serializers.IntegerField(read_only=True)
    total = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True)
    school = serializers.PrimaryKeyRelatedField(
        queryset=School.objects.all(), allow_null=True, required=False
    )

    class Meta:
        model = Batch
        fields = [
            "id",
            "programme",
            "period",
            "school",
            "title",
            "status",
            "method",
            "paid_on",
            "approved_by",
            "line_count",
            "total",
        ]
        read_only_fields = ["status", "method", "paid_on", "approved_by"]


class LineSerializer(serializers.Serializer):
    child = serializers.IntegerField()
    amount = serializers.DecimalField(max_digits=10, decimal_places=2, required=False)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=300)


class AddLinesSerializer(serializers.Serializer):
    rows = LineSerializer(many=True)


class AddResultSerializer(serializers.Serializer):
    """What `build/` and `lines/` answer: lines created, and the rows refused with why."""

    created = serializers.IntegerField()
    errors = serializers.ListField(child=serializers.DictField())


class MarkPaidSerializer(serializers.Serializer):
    paid_on = serializers.DateField(validators=[validate_record_date])


class BatchViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Batches in the user's scope; `build/`, `lines/`, `review/`, `approve/`, `mark-paid/`."""

    permission_classes = [permissions.IsAuthenticated, WriteRoles]
    write_roles = BATCH_ROLES | APPROVE_ROLES
    serializer_class = BatchSerializer
    filterset_class = BatchFilter

    def get_queryset(self):
        return batch_list(self.request.user)

    def perform_create(self, serializer):
        data = serializer.validated_data
        school = data.get("school")
        if (
            school is not None
            and not School.objects.for_user(self.request.user).filter(pk=school.pk).exists()
        ):
            raise ApiValidationError({"school": ["No such school in your scope."]})
        batch = batch_services.create_batch(
            actor=self.request.user,
            county=_county(self.request.user),
            programme=data["programme"],
            period=data["period"],
            school=school,
            title=data.get("title", ""),
        )
        serializer.instance = self.get_queryset().get(pk=batch.pk)

    def _done(self, batch):
        return Response(self.get_serializer(self.get_queryset().get(pk=batch.pk)).data)

    @extend_schema(request=None, responses=AddResultSerializer)
    @action(detail=True, methods=["post"])
    def build(self, request, pk=None):
        result = batch_services.build_from_eligibility(actor=request.user, batch=self.get_object())
        return Response({"created": result.created, "errors": result.errors})

    # Rows refused: 400 with the same body (created 0, errors), nothing added (all or nothing).
    @extend_schema(request=AddLinesSerializer, responses={201: AddResultSerializer})
    @action(detail=True, methods=["post"])
    def lines(self, request, pk=None):
        batch = self.get_object()
        payload = AddLinesSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        result = batch_services.add_payments(
            actor=request.user,
            batch=batch,
            rows=[dict(row) for row in payload.validated_data["rows"]],
        )
        code = status.HTTP_400_BAD_REQUEST if result.errors else status.HTTP_201_CREATED
        return Response({"created": result.created, "errors": result.errors}, status=code)

    @extend_schema(request=None)
    @action(detail=True, methods=["post"])
    def review(self, request, pk=None):
        return self._done(batch_services.review_batch(actor=request.user, batch=self.get_object()))

    @extend_schema(request=None)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        return self._done(batch_services.approve_batch(actor=request.user, batch=self.get_object()))

    @extend_schema(request=MarkPaidSerializer)
    @action(detail=True, methods=["post"], url_path="mark-paid")
    def mark_paid(self, request, pk=None):
        batch = self.get_object()
        # The role before the body, as on every step: scope (404), role (403), then the rest.
        if BATCH_TRANSITIONS.can(batch, "pay", request.user).refused_for_role:
            raise PermissionDenied
        payload = MarkPaidSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        return self._done(
            batch_services.mark_paid(
                actor=request.user,
                batch=batch,
                paid_on=payload.validated_data["paid_on"],
            )
        )


# --- payments --------------------------------------------------------------------------------


class PaymentSerializer(serializers.ModelSerializer):
    child_name = serializers.CharField(source="child.name", read_only=True)
    resident_id = serializers.CharField(source="child.masked_resident_id", read_only=True)

    class Meta:
        model = Payment
        fields = [
            "id",
            "batch",
            "child",
            "child_name",
            "resident_id",
            "programme",
            "period",
            "school",
            "township",
            "stage",
            "kind",
            "amount",
            "standard_amount",
            "method",
            "paid_on",
            "reason",
            "corrects",
        ]


class CorrectionSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300)
    amount = serializers.DecimalField(max_digits=10, decimal_places=2, required=False)


class PaymentViewSet(viewsets.ReadOnlyModelViewSet):
    """Payment lines in the user's scope; a paid line is corrected by `reverse/` or
    `supplement/` (a new line), never edited."""

    permission_classes = [permissions.IsAuthenticated, WriteRoles]
    write_roles = BATCH_ROLES
    serializer_class = PaymentSerializer
    filterset_class = PaymentFilter

    def get_queryset(self):
        return payment_list(self.request.user)

    def _correct(self, request, function, **extra):
        payment = self.get_object()
        payload = CorrectionSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        line = function(
            actor=request.user,
            payment=payment,
            reason=payload.validated_data["reason"],
            **{key: payload.validated_data.get(key) for key in extra},
        )
        return Response(PaymentSerializer(line).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=CorrectionSerializer, responses={201: PaymentSerializer})
    @action(detail=True, methods=["post"])
    def reverse(self, request, pk=None):
        return self._correct(request, batch_services.reverse_payment)

    @extend_schema(request=CorrectionSerializer, responses={201: PaymentSerializer})
    @action(detail=True, methods=["post"])
    def supplement(self, request, pk=None):
        return self._correct(request, batch_services.supplement_payment, amount=True)


# --- gaps ------------------------------------------------------------------------------------


class GapSerializer(serializers.ModelSerializer):
    child_name = serializers.CharField(source="child.name", read_only=True)

    class Meta:
        model = Gap
        fields = [
            "id",
            "run",
            "kind",
            "child",
            "child_name",
            "school",
            "township",
            "programme",
            "other_programme",
            "period",
            "expected_amount",
            "paid_amount",
            "responsible",
        ]


class GapViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = GapSerializer
    filterset_class = GapFilter

    def get_queryset(self):
        return (
            Gap.objects.for_user(self.request.user).select_related("child").order_by("-run", "pk")
        )


# --- the fund and donations ------------------------------------------------------------------


class FundEntrySerializer(serializers.ModelSerializer):
    child = serializers.PrimaryKeyRelatedField(
        queryset=Child.objects.all(), required=False, allow_null=True
    )

    class Meta:
        model = FundEntry
        fields = [
            "id",
            "kind",
            "amount",
            "date",
            "counterparty",
            "purpose",
            "child",
            "hardship",
            "status",
            "approved_on",
            "approval_note",
        ]
        read_only_fields = ["status", "approved_on", "approval_note"]


@extend_schema_serializer(component_name="FundDecision")  # dropout.api has a DecisionSerializer
class DecisionSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, max_length=200)


class FundEntryViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """The fund ledger. POST an inflow (kind donation/income/other_in, positive amount) or a grant
    request (kind grant, positive amount, child, hardship); `approve/` and `reject/` a grant."""

    permission_classes = [permissions.IsAuthenticated, WriteRoles]
    write_roles = FUND_ROLES
    serializer_class = FundEntrySerializer
    filterset_class = FundEntryFilter

    def get_queryset(self):
        return FundEntry.objects.for_user(self.request.user).select_related("child")

    def _fund(self):
        fund = ReliefFund.objects.for_user(self.request.user).first()
        if fund is None or not has_any_role(self.request.user, FUND_ROLES):
            raise PermissionDenied
        return fund

    def perform_create(self, serializer):
        data = serializer.validated_data
        fund = self._fund()
        amount = data["amount"]
        if data["kind"] == FundEntry.Kind.GRANT:
            child = data.get("child")
            if (
                child is None
                or not Child.objects.for_user(self.request.user).filter(pk=child.pk).exists()
            ):
                raise ApiValidationError({"child": ["Name the student."]})
            entry = fund_services.request_grant(
                actor=self.request.user,
                fund=fund,
                child=child,
                amount=amount,  # the service refuses a negative one (never flipped)
                date=data["date"],
                hardship=data.get("hardship", ""),
                purpose=data.get("purpose", ""),
            )
        else:
            entry = fund_services.record_inflow(
                actor=self.request.user,
                fund=fund,
                kind=data["kind"],
                amount=amount,
                date=data["date"],
                counterparty=data.get("counterparty", ""),
                purpose=data.get("purpose", ""),
            )
        serializer.instance = entry

    @extend_schema(request=DecisionSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        entry = fund_services.approve_grant(
            actor=request.user,
            entry=self.get_object(),
            note=request.data.get("note", ""),
        )
        return Response(FundEntrySerializer(entry).data)

    @extend_schema(request=DecisionSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        entry = fund_services.reject_grant(
            actor=request.user,
            entry=self.get_object(),
            note=request.data.get("note", ""),
        )
        return Response(FundEntrySerializer(entry).data)


class DonationSerializer(serializers.ModelSerializer):
    school = serializers.PrimaryKeyRelatedField(
        queryset=School.objects.all(), required=False, allow_null=True
    )

    class Meta:
        model = Donation
        fields = [
            "id",
            "donor",
            "donor_kind",
            "kind",
            "value",
            "description",
            "purpose",
            "date",
            "school",
            "publish_name",
            "fund_entry",
        ]
        read_only_fields = ["fund_entry"]


class DonationViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    permission_classes = [permissions.IsAuthenticated, WriteRoles]
    write_roles = DONATION_ROLES
    serializer_class = DonationSerializer
    filterset_fields = ["kind", "donor_kind"]

    def get_queryset(self):
        return Donation.objects.for_user(self.request.user).select_related("school")

    def perform_create(self, serializer):
        if not has_any_role(self.request.user, DONATION_ROLES):
            raise PermissionDenied
        serializer.instance = fund_services.record_donation(
            actor=self.request.user,
            county=_county(self.request.user),
            **serializer.validated_data,
        )
