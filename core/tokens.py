"""API tokens (django-rest-knox, model ``core.ApiToken``): issue, list, revoke.

A token is a random string shown once, when it is issued; the database keeps its hash only.
It expires after ``API_TOKEN_IDLE_HOURS`` without a request (knox's AUTO_REFRESH moves the
expiry forward on use) and ``API_TOKEN_MAX_DAYS`` after it was issued (AUTO_REFRESH_MAX_TTL).
Its user revokes it (API logout, the "My API tokens" page, the API), web logout and
deactivation revoke all of a user's tokens, and the county administrator revokes those of the
users of their county. Issuing a token is audited as a login and revoking it as a logout (a
credential, not a record: the auditor, who never writes, may hold a token), under the token's
number, never any part of the token.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from .audit import record
from .models import ApiToken, AuditEvent


def issue_token(*, user, request=None, via: str = "api") -> tuple[ApiToken, str]:
    """A new token for ``user``: the stored row and the token itself (to show once)."""
    with transaction.atomic():
        instance, token = ApiToken.objects.create(user=user)
        record(
            AuditEvent.Action.LOGIN,
            user=user,
            obj=instance,
            detail={"issued_via": via},
            request=request,
        )
    return instance, token


def live(prefix: str = "") -> Q:
    """The one rule of a token that still works: its expiry (idle, capped by the absolute
    lifetime) is ahead. ``prefix`` reaches the tokens from another model ("auth_token_set__")."""
    return Q(**{f"{prefix}expiry__gt": timezone.now()})


def live_tokens(user):
    """The user's tokens that still work (knox deletes an expired one when it is presented)."""
    return ApiToken.objects.filter(live(), user=user).order_by("-created")


def revoke_token(*, token: ApiToken, actor, reason: str, request=None) -> None:
    with transaction.atomic():
        token_id, owner = token.pk, token.user
        deleted, _rows = ApiToken.objects.filter(pk=token_id).delete()
        if deleted:
            record(
                AuditEvent.Action.LOGOUT,
                user=actor,
                object_type=ApiToken._meta.label_lower,
                object_id=token_id,
                object_repr=f"API token #{token_id} ({owner})",
                detail={"reason": reason},
                request=request,
            )


def revoke_all_tokens(*, user, actor, reason: str, request=None) -> int:
    """Revoke every token of ``user``; returns how many there were."""
    tokens = list(ApiToken.objects.filter(user=user).select_related("user"))
    for token in tokens:
        revoke_token(token=token, actor=actor, reason=reason, request=request)
    return len(tokens)
