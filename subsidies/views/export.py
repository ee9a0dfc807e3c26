"""Excel exports of the subsidies ledgers, queued as jobs."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.utils import timezone
from django.views.decorators.http import require_POST

from core.export_jobs import export_redirect, posted_query
from enrollment.permissions import get_scoped_or_404

from ..exports import EXPORT_TITLES
from ..models import GapRun
from .common import _int


@login_required
@require_POST
def export(request, name: str):
    """Queue an Excel export of a ledger with the page's filters; the job page shows progress."""
    if name not in EXPORT_TITLES:
        raise Http404
    query = posted_query(request)
    if name == "gaps":
        get_scoped_or_404(
            GapRun.objects.all(), request.user, pk=_int((query.get("run") or [""])[0])
        )
    return export_redirect(
        request,
        exporter=f"subsidies_{name}",
        title=f"{EXPORT_TITLES[name]}{timezone.localdate().isoformat()}",
        params={"query": query},
    )
