"""/api/v1/notifications/: the caller's own in-app notifications (another user's answer 404),
read and marked read."""

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from .models import Notification


class NotificationSerializer(serializers.ModelSerializer):
    read = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = ["id", "message", "link", "created_at", "read_at", "read"]
        read_only_fields = fields

    def get_read(self, notification) -> bool:
        return notification.read_at is not None


class NotificationViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The caller's notifications, newest first; `?unread=true` for the unread ones only."""

    serializer_class = NotificationSerializer
    queryset = Notification.objects.none()  # the schema's model; requests use get_queryset()
    filterset_fields: list = []

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema has no user
            return Notification.objects.none()
        notifications = Notification.objects.filter(recipient=self.request.user).order_by(
            "-created_at", "-pk"
        )
        if self.request.query_params.get("unread") in ("1", "true"):
            notifications = notifications.filter(read_at__isnull=True)
        return notifications

    @extend_schema(
        parameters=[OpenApiParameter("unread", bool, description="Only the unread notifications.")]
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(request=None, responses={200: NotificationSerializer})
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        """Mark one notification read (it stays read if it already was)."""
        notification = self.get_object()
        if notification.read_at is None:
            notification.read_at = timezone.now()
            notification.save(update_fields=["read_at"])
        return Response(NotificationSerializer(notification).data)

    @extend_schema(
        request=None,
        responses={
            200: inline_serializer("NotificationsRead", {"marked": serializers.IntegerField()})
        },
    )
    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request):
        """Mark every unread notification of the caller read."""
        marked = Notification.objects.filter(recipient=request.user, read_at__isnull=True).update(
            read_at=timezone.now()
        )
        return Response({"marked": marked})
