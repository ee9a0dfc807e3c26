"""The county administrator's page of users and their logins: the users of their county, their
live API tokens (revoke one or all) and their failed logins (unlock). Which users: those
``managed_users`` gives (all for a superuser; a county administrator's own county's), so another
county's user is not found (404); other roles are refused (403)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.security import failed_logins, unlock_login
from core.tokens import live as token_is_live
from core.tokens import live_tokens, revoke_all_tokens, revoke_token

from .models import RoleAssignment
from .permissions import has_any_role, managed_users
from .roles import Role

ACCOUNT_ROLES = frozenset({Role.COUNTY_ADMIN})


def _require_admin(user):
    if not has_any_role(user, ACCOUNT_ROLES):
        raise PermissionDenied


def _managed_user_or_404(request, pk):
    return get_object_or_404(managed_users(request.user), pk=pk)


@login_required
def account_list(request):
    _require_admin(request.user)
    users = (
        managed_users(request.user)
        .annotate(live_tokens=Count("auth_token_set", filter=token_is_live("auth_token_set__")))
        .prefetch_related(
            Prefetch(
                "role_assignments",
                queryset=RoleAssignment.objects.select_related(
                    "county", "township", "village", "school"
                ),
            )
        )
        .order_by("username")
    )
    return render(request, "enrollment/account_list.html", {"accounts": users})


@login_required
def account_security(request, pk):
    account = _managed_user_or_404(request, pk)
    _require_admin(request.user)
    return render(
        request,
        "enrollment/account_security.html",
        {
            "account": account,
            "tokens": live_tokens(account),
            "failures": failed_logins(account.get_username()),
        },
    )


@login_required
@require_POST
def account_revoke_token(request, pk, token_pk):
    account = _managed_user_or_404(request, pk)
    _require_admin(request.user)
    token = get_object_or_404(live_tokens(account), pk=token_pk)
    revoke_token(
        token=token, actor=request.user, reason="revoked by the administrator", request=request
    )
    messages.success(request, _("The token was revoked."))
    return redirect("enrollment:account_security", pk=account.pk)


@login_required
@require_POST
def account_revoke_all(request, pk):
    account = _managed_user_or_404(request, pk)
    _require_admin(request.user)
    count = revoke_all_tokens(
        user=account, actor=request.user, reason="revoked by the administrator", request=request
    )
    messages.success(request, _("%(count)d tokens were revoked.") % {"count": count})
    return redirect("enrollment:account_security", pk=account.pk)


@login_required
@require_POST
def account_unlock(request, pk):
    account = _managed_user_or_404(request, pk)
    _require_admin(request.user)
    unlock_login(user=account, actor=request.user, request=request)
    messages.success(request, _("%(user)s may log in again.") % {"user": account.get_username()})
    return redirect("enrollment:account_security", pk=account.pk)
