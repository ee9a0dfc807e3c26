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
