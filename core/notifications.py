"""In-app notifications; sent after the triggering transaction commits."""

from django.db import IntegrityError, transaction

from .models import Notification


def notify(users, message: str, *, link: str = "", key: str = "") -> None:
    """Notify each user once per key (a rerun of a daily job does not repeat itself)."""

    def send():
        for user in users:
            try:
                with transaction.atomic():
                    Notification.objects.create(
                        recipient=user, message=message[:300], link=link, key=key
                    )
            except IntegrityError:  # already notified of this event
                pass

    transaction.on_commit(send)


def unread_count(user) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()
