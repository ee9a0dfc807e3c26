from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_POST

from .models import ExportJob
from .uploads import content_disposition


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
    from . import audit

    # Requesting an export is logged when asked for; each download of the file is a read too.
    audit.record(
        audit.A.EXPORT,
        obj=job,
        request=request,
        object_repr=job.title,
        detail={"exporter": job.exporter, "step": "download", "rows": job.rows_written},
    )
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


# --- imports ---------------------------------------------------------------------------------


def _importer_or_404(name: str):
    from .imports import get_importer

    try:
        return get_importer(name)
    except KeyError:
        raise Http404 from None


def _own_import(request, pk):
    from .models import ImportJob

    # An uploaded file holds personal data: only its uploader sees the job and its report.
    return get_object_or_404(ImportJob.objects.filter(uploaded_by=request.user), pk=pk)


@login_required
def import_list(request):
    """The importers this user may use (with templates and sample files) and their imports."""
    from .imports import importers
    from .models import ImportJob

    available = [
        {"importer": importer, "choices": choices}
        for importer in importers()
        if (choices := importer.scope_choices(request.user))
    ]
    jobs = ImportJob.objects.filter(uploaded_by=request.user)[:50]
    return render(request, "core/import_list.html", {"available": available, "jobs": jobs})


@login_required
def import_new(request, name: str):
    from django.contrib import messages
    from django.core.exceptions import PermissionDenied
    from django.shortcuts import redirect
    from django.utils.translation import gettext as _

    from .forms import ImportUploadForm
    from .import_jobs import start_import

    importer = _importer_or_404(name)
    choices = importer.scope_choices(request.user)
    if not choices:
        raise PermissionDenied
    if request.method == "POST":
        # A place outside the user's scope is a 404, one without a role that imports a 403.
        importer.resolve_scope(request.user, request.POST.get("scope", ""))
    form = ImportUploadForm(
        request.POST or None,
        request.FILES or None,
        choices=choices,
        initial={"scope": request.GET.get("scope", "")},
    )
    if request.method == "POST" and not form.is_valid():
        from . import audit

        # A refused upload was still personal data sent in: logged, by field, never its values.
        audit.record(
            audit.A.IMPORT,
            request=request,
            object_type="core.importjob",
            object_repr=str(importer.title),
            result=audit.AuditEvent.Result.DENIED,
            detail={"importer": name, "step": "upload", "refused": sorted(form.errors)},
        )
    if request.method == "POST" and form.is_valid():
        job = start_import(
            user=request.user,
            importer=name,
            scope_key=form.cleaned_data["scope"],
            upload=form.cleaned_data["file"],
        )
        job.refresh_from_db()
        if job.is_busy:  # a worker checks it; without one the check has already run
            messages.info(request, _("The file was uploaded; it is being checked."))
        return redirect("core:import_detail", pk=job.pk)
    return render(request, "core/import_form.html", {"importer": importer, "form": form})


@login_required
def import_detail(request, pk: int):
    job = _own_import(request, pk)
    if request.headers.get("HX-Request"):
        return render(request, "core/import_progress.html", {"job": job})
    return render(request, "core/import_detail.html", {"job": job, "report": job.report})


@login_required
def import_commit(request, pk: int):
    from django.contrib import messages
    from django.shortcuts import redirect
    from django.views.decorators.http import require_POST

    from .errors import DomainError
    from .import_jobs import request_commit

    @require_POST
    def post(request):
        job = _own_import(request, pk)
        try:
            request_commit(job=job, actor=request.user)
        except DomainError as error:
            messages.error(request, error.message)
        return redirect("core:import_detail", pk=job.pk)

    return post(request)


@login_required
def import_template(request, name: str):
    """The importer's header row and one example row, as an .xlsx to fill in."""
    import tempfile
    from pathlib import Path

    from django.http import HttpResponse

    from .imports import write_template

    importer = _importer_or_404(name)
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "template.xlsx"
        write_template(path, importer)
        content = path.read_bytes()
    response = HttpResponse(
        content,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = content_disposition(
        "attachment", f"{importer.title}模板.xlsx"
    )
    return response


@login_required
@require_POST
def notification_read_all(request):
    """Mark every unread notification of the user as read (one's own only)."""
    from django.shortcuts import redirect
    from django.utils import timezone

    from .models import Notification

    Notification.objects.filter(recipient=request.user, read_at__isnull=True).update(
        read_at=timezone.now()
    )
    return redirect("core:notification_list")


def bad_request(request, exception):
    """The 400 page. A refused query-string value (core.params.BadParameter) says what was
    wrong with it; other bad requests (a suspicious Host header, …) say nothing more."""
    from django.http import HttpResponseBadRequest

    from .errors import DomainError

    if not isinstance(exception, DomainError) or not hasattr(request, "user"):
        # Plain text: a bad Host header fails before the page's context (the user) exists.
        return HttpResponseBadRequest("Bad Request (400)", content_type="text/plain")
    return render(request, "400.html", {"message": exception.message}, status=400)
