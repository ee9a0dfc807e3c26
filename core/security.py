"""Login security that knows no domain: password complexity, the client's address behind the
proxy, the login lockout, ending a user's sessions and tokens, and the deployment checks of the
production settings.

MLPS 2.0 (GB/T 22239-2019, 8.1.4.1 身份鉴别) asks for passwords of sufficient complexity that are
changed regularly, for login failure handling (lockout: django-axes, see settings) and for
sessions that end after inactivity (``core.middleware.SessionTimeoutMiddleware``).
"""

from __future__ import annotations

import string
import time

from axes.handlers.database import AxesDatabaseHandler
from django.conf import settings
from django.contrib.auth import get_user_model, user_logged_in, user_logged_out
from django.contrib.sessions.models import Session
from django.core import checks
from django.core.exceptions import ValidationError
from django.db.models import Max, Sum
from django.db.models.signals import post_save, pre_save
from django.http import JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

CHARACTER_CLASSES = {
    "upper": set(string.ascii_uppercase),
    "lower": set(string.ascii_lowercase),
    "digit": set(string.digits),
}


def character_classes(password: str) -> set[str]:
    """Which of upper case, lower case, digit and symbol the password uses (any character that
    is not an ASCII letter or digit — punctuation, a space, a Chinese character — is a symbol)."""
    found = {name for name, chars in CHARACTER_CLASSES.items() if chars.intersection(password)}
    if any(not (c in string.ascii_letters or c in string.digits) for c in password):
        found.add("symbol")
    return found


class PasswordComplexityValidator:
    """At least ``min_classes`` (default 3) of: upper-case letters, lower-case letters, digits,
    symbols — the usual reading of MLPS 2.0's 口令复杂度 requirement."""

    def __init__(self, min_classes: int = 3):
        self.min_classes = min_classes

    def validate(self, password, user=None):
        if len(character_classes(password)) < self.min_classes:
            raise ValidationError(self.get_help_text(), code="password_too_simple")

    def get_help_text(self):
        return ngettext(
            "The password must use at least %(count)d kind of character among upper-case "
            "letters, lower-case letters, digits and symbols.",
            "The password must use at least %(count)d kinds of characters among upper-case "
            "letters, lower-case letters, digits and symbols.",
            self.min_classes,
        ) % {"count": self.min_classes}


# --- the client's address ----------------------------------------------------------------------


def client_ip(request) -> str:
    """The address the request came from. Behind ``TRUSTED_PROXY_COUNT`` proxies (nginx in the
    production stack appends the address it saw to X-Forwarded-For), the entry that many places
    from the right is the one a proxy wrote; entries further left are whatever the client sent
    and are never trusted. Used for the login lockout (AXES_CLIENT_IP_CALLABLE)."""
    proxies = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies and forwarded:
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if len(hops) >= proxies:
            return hops[-proxies]
    return request.META.get("REMOTE_ADDR", "")


class ClientAddressThrottleMixin:
    """For DRF throttles: count per ``client_ip``. DRF's own ``get_ident`` trusts every
    X-Forwarded-For entry unless NUM_PROXIES is set, so a client rotating the header would get a
    fresh allowance per request; this is the one rule axes and the audit log use too."""

    def get_ident(self, request):
        return client_ip(request)


# --- the login lockout (django-axes) ------------------------------------------------------------


class LoginLockHandler(AxesDatabaseHandler):
    """axes' database handler, which locks a username at an address after AXES_FAILURE_LIMIT
    failures (colleagues behind the same office NAT keep logging in), plus a cap per address:
    an address at which AXES_USERNAMES_PER_ADDRESS different usernames failed within the
    cool-off time is guessing names, and is locked for every username."""

    def is_locked(self, request, credentials=None) -> bool:
        return super().is_locked(request, credentials) or self.address_over_username_cap(request)

    def user_login_failed(self, sender, credentials, request=None, **kwargs):
        # axes answers with its lockout when the username's own failures reach the limit; a
        # refusal because the address is over the cap must be answered the same way.
        super().user_login_failed(sender, credentials, request, **kwargs)
        if request is not None and not getattr(request, "axes_locked_out", False):
            if self.address_over_username_cap(request):
                request.axes_locked_out = True
                request.axes_credentials = credentials

    @staticmethod
    def address_over_username_cap(request) -> bool:
        cap = getattr(settings, "AXES_USERNAMES_PER_ADDRESS", None)
        address = client_ip(request)
        if not cap or not address:
            return False
        return usernames_failed_at(address) >= cap


def usernames_failed_at(address: str) -> int:
    """How many different usernames failed to log in from ``address`` within the cool-off."""
    from axes.models import AccessAttempt

    since = timezone.now() - settings.AXES_COOLOFF_TIME
    return (
        AccessAttempt.objects.filter(ip_address=address, attempt_time__gte=since)
        .values("username")
        .distinct()
        .count()
    )


def lockout_response(request, original_response=None, credentials=None):
    """What a locked-out login gets (AXES_LOCKOUT_CALLABLE): the API a JSON 429 with ``detail``
    like its other errors, pages the lockout page. The same for real and unknown usernames."""
    retry_after = str(int(settings.AXES_COOLOFF_TIME.total_seconds()))
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": str(LOCKED_OUT_MESSAGE)}, status=429)
    else:
        response = render(request, settings.AXES_LOCKOUT_TEMPLATE, {}, status=429)
    response["Retry-After"] = retry_after
    return response


def failed_logins(username: str) -> list[dict]:
    """The failed logins of ``username`` still counted (within the cool-off), per address:
    address, failures, last attempt, and whether that address is locked for the username."""
    from axes.models import AccessAttempt

    since = timezone.now() - settings.AXES_COOLOFF_TIME
    rows = (
        AccessAttempt.objects.filter(username=username, attempt_time__gte=since)
        .values("ip_address")
        .annotate(failures=Sum("failures_since_start"), last=Max("attempt_time"))
        .order_by("-last")
    )
    return [
        {
            **row,
            "locked": row["failures"] >= settings.AXES_FAILURE_LIMIT
            or usernames_failed_at(row["ip_address"]) >= settings.AXES_USERNAMES_PER_ADDRESS,
        }
        for row in rows
    ]


def unlock_login(*, user, actor, request=None) -> int:
    """Forget the failed logins of ``user`` at every address (axes' reset), so that they may log
    in again at once; audited. Returns how many attempt records were cleared."""
    from axes.utils import reset

    from .audit import record
    from .models import AuditEvent

    cleared = reset(username=user.get_username())
    record(
        AuditEvent.Action.UPDATE,
        user=actor,
        obj=user,
        detail={"login_unlocked": cleared},
        request=request,
    )
    return cleared


LOCKED_OUT_MESSAGE = _(
    "Too many failed logins. This account is locked for a while; try again later or ask the "
    "county administrator."
)


# --- ending sessions ---------------------------------------------------------------------------


def end_all_sessions(user) -> int:
    """Delete every stored session of ``user`` (all browsers and devices); returns how many.

    The database session backend keeps the user id inside the encoded session data, so the
    unexpired sessions are decoded one by one. A county has at most a few thousand of them, and
    this runs on logout and deactivation only, not on every request."""
    if user is None or user.pk is None:
        return 0
    user_id = str(user.pk)
    doomed = []
    live = Session.objects.filter(expire_date__gt=timezone.now()).only(
        "session_key", "session_data"
    )
    for session in live.iterator(chunk_size=500):
        if str(session.get_decoded().get("_auth_user_id")) == user_id:
            doomed.append(session.session_key)
    if doomed:
        Session.objects.filter(session_key__in=doomed).delete()
    return len(doomed)


def _on_logout(sender, request, user, **kwargs):
    # Logging out in one browser logs the person out everywhere (a shared township computer,
    # a lost phone): the issue asks that logout end all of a user's sessions, and their API
    # tokens go with them. A session that timed out (core.middleware.SessionTimeoutMiddleware)
    # ends alone.
    if getattr(request, "session_timed_out", False) or user is None:
        return
    end_all_sessions(user)
    from .tokens import revoke_all_tokens

    revoke_all_tokens(user=user, actor=user, reason="logout", request=request)


def _on_login(sender, request, user, **kwargs):
    # The clocks of core.middleware.SessionTimeoutMiddleware start at the login itself.
    if request is not None and hasattr(request, "session"):
        from .middleware import SessionTimeoutMiddleware

        now = int(time.time())
        request.session[SessionTimeoutMiddleware.STARTED] = now
        request.session[SessionTimeoutMiddleware.LAST_SEEN] = now


def _remember_previous_active(sender, instance, **kwargs):
    if instance.pk is None:
        instance._was_active = None
        return
    instance._was_active = (
        type(instance).objects.filter(pk=instance.pk).values_list("is_active", flat=True).first()
    )


def _on_user_saved(sender, instance, created, **kwargs):
    if created or instance.is_active or getattr(instance, "_was_active", None) is False:
        return
    # Deactivated (for example in the admin): every session and every API token go at once.
    end_all_sessions(instance)
    from .tokens import revoke_all_tokens

    revoke_all_tokens(user=instance, actor=None, reason="deactivated")


def connect_signals() -> None:
    user_model = get_user_model()
    user_logged_out.connect(_on_logout, dispatch_uid="core.security.logout")
    user_logged_in.connect(_on_login, dispatch_uid="core.security.login")
    pre_save.connect(
        _remember_previous_active, sender=user_model, dispatch_uid="core.security.pre_save"
    )
    post_save.connect(_on_user_saved, sender=user_model, dispatch_uid="core.security.post_save")


# --- deployment checks -------------------------------------------------------------------------

PLACEHOLDER_MARK = "change-me"


@checks.register(checks.Tags.security, deploy=True)
def check_no_placeholder_secrets(app_configs, **kwargs):
    """`.env.example` marks every value to be replaced with "change-me"; a deployment that kept
    one would run with a published secret."""
    found = []
    if PLACEHOLDER_MARK in str(getattr(settings, "SECRET_KEY", "")):
        found.append("DJANGO_SECRET_KEY")
    database = settings.DATABASES.get("default", {})
    if PLACEHOLDER_MARK in str(database.get("PASSWORD", "")):
        found.append("DATABASE_URL")
    return [
        checks.Error(
            f"{name} still holds the placeholder of .env.example.",
            hint="Generate a secret: python -c 'import secrets; print(secrets.token_urlsafe(50))'",
            id="core.E001",
        )
        for name in found
    ]


@checks.register(checks.Tags.security, deploy=True)
def check_session_limits(app_configs, **kwargs):
    idle = getattr(settings, "SESSION_IDLE_TIMEOUT", None)
    absolute = getattr(settings, "SESSION_ABSOLUTE_LIFETIME", None)
    if not idle or not absolute:
        return [
            checks.Warning(
                "SESSION_IDLE_TIMEOUT and SESSION_ABSOLUTE_LIFETIME must both be set.",
                id="core.W001",
            )
        ]
    return []


__all__ = [
    "ClientAddressThrottleMixin",
    "LoginLockHandler",
    "PasswordComplexityValidator",
    "character_classes",
    "client_ip",
    "connect_signals",
    "end_all_sessions",
    "failed_logins",
    "lockout_response",
    "unlock_login",
    "usernames_failed_at",
]
