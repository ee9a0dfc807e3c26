"""'My API tokens': every user lists their live tokens (by their first characters, when issued,
when they expire), issues one (shown once, on the answer to that POST only) and revokes any."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .tokens import issue_token, live_tokens, revoke_token


@login_required
def my_tokens(request):
    issued = None
    if request.method == "POST":
        _instance, issued = issue_token(user=request.user, request=request, via="web")
    return render(
        request,
        "core/token_list.html",
        {
            "tokens": live_tokens(request.user),
            "issued": issued,
            "idle_hours": settings.API_TOKEN_IDLE_HOURS,
            "max_days": settings.API_TOKEN_MAX_DAYS,
        },
    )


@login_required
@require_POST
def revoke_my_token(request, pk):
    token = get_object_or_404(live_tokens(request.user), pk=pk)
    revoke_token(token=token, actor=request.user, reason="revoked by its user", request=request)
    messages.success(request, _("The token was revoked."))
    return redirect("core:token_list")
