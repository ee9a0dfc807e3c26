"""/api/v1/transfers/: list and retrieve within for_user() (both sides), the steps as actions.
Scope (404), role (403, before the body is read), then the body and the state (409)."""

from django.core.exceptions import PermissionDenied
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from enrollment.api import ScopedViewSetMixin
from enrollment.models import Household

from . import selectors, services
from .models import Transfer
from .transitions import TRANSFER_TRANSITIONS


class TransferSerializer(serializers.ModelSerializer):
    child_name = serializers.CharField(source="child.name", read_only=True)
    from_township_name = serializers.CharField(source="from_township.name", read_only=True)
    to_township_name = serializers.CharField(
        source="to_township.name", read_only=True, default=None
    )
    actions = serializers.SerializerMethodField()

    class Meta:
        model = Transfer
        fields = [
            "id",
            "kind",
            "status",
            "child",
            "child_name",
            "from_village",
            "from_township",
            "from_township_name",
            "from_county",
            "to_village",
            "to_township",
            "to_township_name",
            "to_county",
            "to_household",
            "new_address",
            "reason",
            "destination",
            "destination_school",
            "letter_number",
            "letter_issued_on",
            "confirm_by",
            "confirmed_on",
            "confirmed_by_name",
            "proposed_on",
            "decided_on",
            "return_reason",
            "actions",
        ]
        read_only_fields = fields

    def get_actions(self, transfer) -> list[str]:
        """The steps the caller may take now."""
        user = self.context["request"].user
        return [
            name
            for name in ("accept", "return", "confirm")
            if TRANSFER_TRANSITIONS.can(transfer, name, user)
        ]


class TransferAcceptSerializer(serializers.Serializer):
    household = serializers.IntegerField(
        required=False, allow_null=True, help_text="An existing household of the receiving village."
    )


class TransferReturnSerializer(serializers.Serializer):
    reason = serializers.CharField()


class TransferConfirmSerializer(serializers.Serializer):
    confirmed_on = serializers.DateField()
    confirmed_by_name = serializers.CharField(max_length=100)


class TransferViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    base_queryset = Transfer.objects.select_related(*selectors.ROW_RELATIONS).order_by("-pk")
    serializer_class = TransferSerializer
    filterset_fields = ["status", "kind", "child"]

    def _step(self, name):
        transfer = self.get_object()
        if TRANSFER_TRANSITIONS.can(transfer, name, self.request.user).refused_for_role:
            raise PermissionDenied
        return transfer

    def _done(self, transfer):
        return Response(self.get_serializer(self.get_queryset().get(pk=transfer.pk)).data)

    @extend_schema(request=TransferAcceptSerializer)
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        transfer = self._step("accept")
        payload = TransferAcceptSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        household = None
        if payload.validated_data.get("household"):
            household = (
                Household.objects.for_user(request.user)
                .filter(pk=payload.validated_data["household"], village_id=transfer.to_village_id)
                .first()
            )
            if household is None:
                raise serializers.ValidationError(
                    {"household": "No such household in the receiving village."}
                )
        return self._done(
            services.accept_transfer(actor=request.user, transfer=transfer, household=household)
        )

    @extend_schema(request=TransferReturnSerializer)
    @action(detail=True, methods=["post"], url_path="return")
    def return_transfer(self, request, pk=None):
        transfer = self._step("return")
        payload = TransferReturnSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        return self._done(
            services.return_transfer(
                actor=request.user, transfer=transfer, reason=payload.validated_data["reason"]
            )
        )

    @extend_schema(request=TransferConfirmSerializer)
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        transfer = self._step("confirm")
        payload = TransferConfirmSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        return self._done(
            services.confirm_transfer(
                actor=request.user, transfer=transfer, **payload.validated_data
            )
        )
