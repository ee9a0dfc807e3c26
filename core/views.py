from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, render

from .models import ExportJob


def _own_job(request, pk):
    # An export holds personal data: only the person who asked for it may see or download it.
    return get_object_or_404(ExportJob.objects.filter(requested_by=request.user), pk=pk)


@login_required
def export_list(request):
    jobs = ExportJob.objects.filter(requested_by=request.user)[:50]
    return render(request, "core/export_list.html", {"jobs": jobs})


@login_required
def export_detail(request, pk: int):
    job = _own_job(request, pk)
    template = (
        "core/export_progress.html"
        if request.headers.get("HX-Request")
        else "core/export_detail.html"
    )
    return render(request, template, {"job": job})


@login_required
def export_download(request, pk: int):
    job = _own_job(request, pk)
    if job.status != ExportJob.Status.DONE or not job.file:
        raise Http404
    return FileResponse(job.file.open("rb"), as_attachment=True, filename=f"{job.title}.xlsx")


@login_required
def notification_list(request):
    from django.core.paginator import Paginator

    from .models import Notification

    notifications = Notification.objects.filter(recipient=request.user)
    page = Paginator(notifications, 30).get_page(request.GET.get("page"))
    return render(request, "core/notification_list.html", {"page": page})


@login_required
def notification_open(request, pk: int):
    """Mark as read and follow its link (only one's own notifications)."""
    from django.shortcuts import redirect
    from django.utils import timezone
    from django.utils.http import url_has_allowed_host_and_scheme

    from .models import Notification

    notification = get_object_or_404(Notification, pk=pk, recipient=request.user)
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    target = notification.link
    if not target or not url_has_allowed_host_and_scheme(target, allowed_hosts=None):
        target = "core:notification_list"
    return redirect(target)
