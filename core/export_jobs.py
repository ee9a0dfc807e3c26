"""Export jobs: request one (queued after commit), run one (idempotent, never half-written)."""

import logging
import tempfile
from pathlib import Path

from django.core.files import File
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .exports import get_exporter, write_xlsx
from .jobs import failure_message
from .models import ExportJob
from .replica import reading

logger = logging.getLogger(__name__)


def export_fields(query, keys=None) -> list[tuple[str, str]]:
    """A list page's filters as the (name, value) pairs its export button posts as hidden
    fields: those named in `keys` (without `keys`, all but the page number), empty values left
    out — an empty filter filters nothing."""
    return [
        (key, value)
        for key, values in query.lists()
        if (key in keys if keys is not None else key != "page")
        for value in values
        if value
    ]


def posted_filters(request, keys) -> dict:
    """The filters named in `keys` that an export button posted, each with its non-empty
    values (what an exporter reads as `params["query"]`)."""
    return {
        key: [value for value in values if value]
        for key, values in request.POST.lists()
        if key in keys and any(values)
    }


def export_redirect(request, *, exporter: str, title: str, params: dict):
    """Queue the export for the requesting user and answer with its job's page, which shows
    the progress and then the file: what every export button's POST ends with."""
    from django.shortcuts import redirect

    job = request_export(user=request.user, exporter=exporter, title=title, params=params)
    return redirect("core:export_detail", pk=job.pk)


def posted_query(request) -> dict:
    """The filters an export button posts (the list page's query, each name with its values),
    without the CSRF token: what an exporter reads as `params["query"]`."""
    return {key: values for key, values in request.POST.lists() if key != "csrfmiddlewaretoken"}


def request_export(*, user, exporter: str, title: str, params: dict) -> ExportJob:
    """Record the request (the export log) and queue the work once the row is committed."""
    from . import audit
    from .tasks import run_export_task

    get_exporter(exporter)  # unknown names fail here, in the request, not in the worker
    with transaction.atomic():
        job = ExportJob.objects.create(
            requested_by=user, exporter=exporter, title=title, params=params
        )
        audit.record(
            audit.A.EXPORT,
            user=user,
            obj=job,
            detail={"exporter": exporter, "filters": params},
        )
        transaction.on_commit(lambda: run_export_task.delay(job.pk))
    return job


def run_export(job_id: int) -> ExportJob:
    """Write the workbook to a temporary file, then attach it and mark the job done in one
    transaction; a job that is already finished is left alone (a redelivered task)."""
    with transaction.atomic():
        job = ExportJob.objects.select_for_update().select_related("requested_by").get(pk=job_id)
        if job.is_finished:
            return job
        job.status = ExportJob.Status.RUNNING
        job.save(update_fields=["status"])
    try:

        def progress(rows: int):
            ExportJob.objects.filter(pk=job.pk).update(rows_written=rows)

        with tempfile.TemporaryDirectory() as directory:
            path = Path(directory) / "export.xlsx"
            # The rows are read from the replica when there is one (core.replica): an export
            # is a picture of the data; the job's own rows are written to the primary.
            with reading():
                export = get_exporter(job.exporter)(job.requested_by, job.params)
                ExportJob.objects.filter(pk=job.pk).update(total_rows=export.total)
                written = write_xlsx(path, export, progress=progress)
            with transaction.atomic(), path.open("rb") as handle:
                job.refresh_from_db()
                stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
                job.file.save(f"{job.exporter}-{stamp}.xlsx", File(handle), save=False)
                job.rows_written, job.total_rows = written, written
                job.status, job.finished_at = ExportJob.Status.DONE, timezone.now()
                job.save()
    except Exception as error:  # the job records the failure; the worker keeps running
        ExportJob.objects.filter(pk=job.pk).update(
            status=ExportJob.Status.FAILED,
            error=failure_message(error, logger=logger, job=f"{_('Export')} #{job.pk}"),
            finished_at=timezone.now(),
        )
    job.refresh_from_db()
    return job
