"""In-app notifications (and an email where a mail server is configured); sent after the
triggering transaction commits."""

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from .models import Notification

logger = logging.getLogger(__name__)


def notify(users, message: str, *, link: str = "", key: str = "") -> None:
    """Notify each user once per key (a rerun of a daily job does not repeat itself)."""
    users = list(users)

    def send():
        for user in users:
            try:
                with transaction.atomic():
                    Notification.objects.create(
                        recipient=user, message=message[:300], link=link, key=key
                    )
            except IntegrityError:  # already notified of this event
                continue
            if settings.NOTIFICATION_EMAILS and user.email:
                _email(user, message, link)

    transaction.on_commit(send)


def settle(link: str) -> None:
    """The matter behind `link` is closed (an issue verified or withdrawn): its notifications
    stop waiting to be read, for everyone told of it. After the closing transaction commits,
    so that a notification sent in the same transaction is settled too."""
    if not link:
        return

    def mark():
        Notification.objects.filter(link=link, read_at__isnull=True).update(read_at=timezone.now())

    transaction.on_commit(mark)


def _email(user, message: str, link: str) -> None:
    # The email says what happened and where; the page itself checks who may see it.
    body = f"{message}\n\n{settings.SITE_URL.rstrip('/')}{link}" if link else message
    try:
        send_mail(message[:78], body, None, [user.email])
    except OSError:  # a mail server that is down must not lose the in-app notification
        logger.warning("notification email to user %s failed", user.pk, exc_info=True)


def unread_count(user) -> int:
    """Counted once per request: the page and the panels rendered inside it share the user."""
    cached = getattr(user, "_unread_notifications", None)
    if cached is None:
        cached = Notification.objects.filter(recipient=user, read_at__isnull=True).count()
        user._unread_notifications = cached
    return cached
