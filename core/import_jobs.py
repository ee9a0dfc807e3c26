"""Import jobs: upload → dry run (Celery, progress) → commit of the whole file in one
transaction, or nothing. The commit checks the file again against the database as it is then,
so a dry run that has gone stale cannot write wrong rows."""

from __future__ import annotations

import contextlib
import gc
import gzip
import hashlib
import io
import logging
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

import orjson
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.db import transaction
from django.http import Http404
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from . import audit
from .errors import DomainError
from .imports import (
    Outcome,
    Plan,
    StalePlan,
    WorkbookRefused,
    check_workbook,
    get_importer,
    stream_rows,
)
from .imports.pipeline import REPORT_MAX_ERRORS, REPORT_MAX_ROWS
from .models import ImportJob

logger = logging.getLogger(__name__)

PROGRESS_EVERY = 2000


def start_import(*, user, importer: str, scope_key: str, upload) -> ImportJob:
    """Record the upload (the import log) and queue its dry run once the row is committed.
    Http404 for a scope outside the user's, PermissionDenied without a role that imports."""
    from .tasks import run_import_check_task

    handler = get_importer(importer)
    scope = handler.resolve_scope(user, scope_key)
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    with transaction.atomic():
        job = ImportJob(
            importer=importer,
            title=str(handler.title),
            scope_key=scope_key,
            scope_label=handler.scope_label(scope)[:200],
            original_name=Path(upload.name).name[:255],
            file_sha256=digest.hexdigest(),
            uploaded_by=user,
        )
        job.file.save(Path(upload.name).name[-80:], upload, save=False)
        job.save()
        _audit_step(job, user=user, step="upload")
        transaction.on_commit(lambda: run_import_check_task.delay(job.pk))
    return job


@contextlib.contextmanager
def _local_copy(job: ImportJob):
    """A path to the uploaded file (storage without paths gets a temporary copy)."""
    try:
        yield job.file.path
        return
    except NotImplementedError:
        pass
    with tempfile.TemporaryDirectory() as directory, job.file.open("rb") as source:
        target = Path(directory) / "upload.xlsx"
        with target.open("wb") as handle:
            shutil.copyfileobj(source, handle)
        yield str(target)


def build_plan(job: ImportJob, *, user, progress: Callable[[int], None] | None = None) -> Plan:
    """Read the file safely and let the importer say what each row would do (no writes)."""
    handler = get_importer(job.importer)
    scope = handler.resolve_scope(user, job.scope_key)
    with _local_copy(job) as path:
        scan = check_workbook(path, filename=job.original_name)
        rows, sheet_errors = stream_rows(path, handler.columns, scan)
        if sheet_errors:
            return Plan(outcomes=[], sheet_errors=sheet_errors)
        if not handler.streams_rows:
            rows = list(rows)
        if progress:  # a streamed file's rows are counted as they come: the sheet's last row
            progress(0, len(rows) if isinstance(rows, list) else max(scan.last_row - 1, 0))
        return handler.plan(rows, scope=scope, user=user, progress=progress)


def _record_report(job: ImportJob, plan: Plan) -> None:
    if plan.tally is not None:  # the outcomes were not kept: what the report needs of them
        job.report = {
            "errors": [error.as_dict() for error in plan.errors[:REPORT_MAX_ERRORS]],
            "errors_total": plan.errors_total,
            "rows": plan.tally.first_rows(),
            "rows_total": plan.tally.rows_total,
            "lists": [listed.as_dict() for listed in plan.lists],
            "lists_write": any(listed.writes and listed.items for listed in plan.lists),
        }
        _record_counts(job, plan)
        return
    errors = plan.errors
    worth_showing = [
        outcome
        for outcome in plan.outcomes
        if outcome.failed or outcome.kind != Outcome.UNCHANGED or outcome.notes
    ]
    shown = [
        {
            "row": outcome.row.number,
            "kind": Outcome.ERROR if outcome.failed else outcome.kind,
            "label": outcome.label,
            "changes": [list(change) for change in outcome.changes],
            "notes": outcome.notes,
        }
        for outcome in worth_showing[:REPORT_MAX_ROWS]
    ]
    job.report = {
        "errors": [error.as_dict() for error in errors[:REPORT_MAX_ERRORS]],
        "errors_total": len(errors),
        "rows": shown,
        "rows_total": len(worth_showing),
        "lists": [listed.as_dict() for listed in plan.lists],
        "lists_write": any(listed.writes and listed.items for listed in plan.lists),
    }
    _record_counts(job, plan)


def _record_counts(job: ImportJob, plan: Plan) -> None:
    job.rows_total = job.rows_done = plan.rows
    job.rows_new = plan.count(Outcome.NEW)
    job.rows_changed = plan.count(Outcome.CHANGED)
    job.rows_unchanged = plan.count(Outcome.UNCHANGED)
    job.rows_error = plan.count(Outcome.ERROR)


def _progress_for(job_id: int):
    def progress(done: int, total: int | None = None):
        fields = {"rows_done": done}
        if total is not None:
            fields["rows_total"] = total
        ImportJob.objects.filter(pk=job_id).update(**fields)

    return progress


@contextlib.contextmanager
def _without_cycle_collector():
    """An import keeps hundreds of thousands of small objects alive until it ends (cells, rows,
    outcomes, the plan), and Python's cycle collector walks them all again every time enough
    new ones are made: a third of the dry run's time at 100,000 rows. They form no reference
    cycles, so reference counting frees them without it; it is switched back on afterwards."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def run_check(job_id: int) -> ImportJob:
    """The dry run: every row's outcome and every error, nothing written. Idempotent."""
    # The report is read in Chinese.
    with translation.override(settings.LANGUAGE_CODE), _without_cycle_collector():
        return _run_check(job_id)


def _run_check(job_id: int) -> ImportJob:
    job = ImportJob.objects.select_related("uploaded_by").get(pk=job_id)
    if job.status != ImportJob.Status.CHECKING:
        return job
    try:
        plan = build_plan(job, user=job.uploaded_by, progress=_progress_for(job.pk))
    except WorkbookRefused as refusal:
        job.error = refusal.message
        job.status = ImportJob.Status.REJECTED
    except (PermissionDenied, Http404):
        job.error = _("You may no longer import into this place.")
        job.status = ImportJob.Status.FAILED
    except Exception:
        logger.exception("Import check %s failed", job.pk)
        job.error = _("The file could not be checked; please tell the administrator.")
        job.status = ImportJob.Status.FAILED
    else:
        _record_report(job, plan)
        job.status = ImportJob.Status.CHECKED if plan.ok else ImportJob.Status.REJECTED
        if plan.ok:
            _keep_plan(job, get_importer(job.importer).freeze(plan))
    job.checked_at = timezone.now()
    job.save()
    _audit_step(
        job,
        user=job.uploaded_by,
        step="dry_run",
        result=DRY_RUN_RESULTS.get(job.status, audit.AuditEvent.Result.FAILED),
        rows=job.rows_total,
        rows_with_errors=job.rows_error,
    )
    return job


DRY_RUN_RESULTS = {
    ImportJob.Status.CHECKED: audit.AuditEvent.Result.OK,
    ImportJob.Status.REJECTED: audit.AuditEvent.Result.DENIED,
}


def _audit_step(job: ImportJob, *, user, step: str, result=audit.AuditEvent.Result.OK, **counts):
    """An upload or a dry run read personal data: logged with the job, never the file's name
    or rows (they may name children)."""
    audit.record(
        audit.A.IMPORT,
        user=user,
        obj=job,
        object_repr=job.title,
        result=result,
        detail={"importer": job.importer, "scope": job.scope_key, "step": step, **counts},
    )


def request_commit(*, job: ImportJob, actor) -> ImportJob:
    """Queue the commit of a checked file without errors (scope and role checked again)."""
    from .tasks import run_import_commit_task

    handler = get_importer(job.importer)
    handler.resolve_scope(actor, job.scope_key)  # 404 / 403 as on upload
    with transaction.atomic():
        locked = ImportJob.objects.select_for_update().get(pk=job.pk)
        if locked.status != ImportJob.Status.CHECKED:
            raise DomainError(_("Only a checked file without errors can be imported."))
        locked.status = ImportJob.Status.COMMITTING
        locked.committed_by = actor
        locked.save(update_fields=["status", "committed_by"])
        transaction.on_commit(lambda: run_import_commit_task.delay(locked.pk))
    return locked


def run_commit(job_id: int) -> ImportJob:
    """Check the file again against the database as it is now and write it all in one
    transaction, or nothing (a new error found now rejects the job with the fresh report)."""
    with translation.override(settings.LANGUAGE_CODE), _without_cycle_collector():
        return _run_commit(job_id)


def _run_commit(job_id: int) -> ImportJob:
    job = ImportJob.objects.select_related("committed_by").get(pk=job_id)
    if job.status != ImportJob.Status.COMMITTING:
        return job
    handler = get_importer(job.importer)
    actor = job.committed_by or job.uploaded_by
    try:
        with transaction.atomic():
            job = ImportJob.objects.select_for_update().get(pk=job_id)
            if job.status != ImportJob.Status.COMMITTING:
                return job
            scope = handler.resolve_scope(actor, job.scope_key)
            plan = _kept_plan(job, handler, scope=scope, user=actor)
            if plan is not None:
                try:
                    with transaction.atomic():  # a savepoint: a stale plan's writes are undone
                        handler.apply(plan, scope=scope, user=actor, job=job)
                except StalePlan:
                    plan = None
            if plan is None:  # none kept, or the database changed since the dry run
                plan = build_plan(job, user=actor)
                _record_report(job, plan)
                if not plan.ok:
                    raise _Stale
                handler.apply(plan, scope=scope, user=actor, job=job)
            _drop_kept_plan(job)
            # The rows go in bulk (no per-row signals): the import is audited once, here.
            audit.record(
                audit.A.IMPORT,
                user=actor,
                obj=job,
                detail={
                    "importer": job.importer,
                    "scope": job.scope_key,
                    "step": "commit",  # after the upload's and the dry run's rows
                    "file": job.original_name,
                    "new": job.rows_new,
                    "changed": job.rows_changed,
                },
            )
            job.status = ImportJob.Status.COMMITTED
            job.committed_at = timezone.now()
            job.save()
    except _Stale:
        _drop_kept_plan(job)
        job.status = ImportJob.Status.REJECTED
        job.error = _(
            "The data changed since the check: the file now has errors, so nothing was imported."
        )
        job.save()
    except WorkbookRefused as refusal:
        _mark_failed(job_id, refusal.message)
    except DomainError as error:
        _mark_failed(job_id, error.message)
    except (PermissionDenied, Http404):
        _mark_failed(job_id, _("You may no longer import into this place."))
    except Exception:
        logger.exception("Import commit %s failed", job_id)
        _mark_failed(
            job_id, _("The import failed and nothing was written; tell the administrator.")
        )
    job.refresh_from_db()
    return job


class _Stale(Exception):
    pass


def _keep_plan(job: ImportJob, frozen: dict | None) -> None:
    """Keep the checked plan for the commit, which then need not read the file again."""
    if frozen is None:
        return
    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb", compresslevel=1) as stream:
        _write_json(stream, frozen)
    data = buffer.getvalue()
    job.plan_file.save(f"{job.pk}.json.gz", ContentFile(data), save=False)


def _write_json(stream, value) -> None:
    """`value` as JSON, a long list a slice at a time: the JSON of a large plan is never
    held whole (only its compressed bytes are)."""
    if isinstance(value, dict):
        stream.write(b"{")
        for position, (key, item) in enumerate(value.items()):
            stream.write((b"," if position else b"") + orjson.dumps(str(key)) + b":")
            _write_json(stream, item)
        stream.write(b"}")
    elif isinstance(value, list) and len(value) > 5000:
        stream.write(b"[")
        for start in range(0, len(value), 5000):
            if start:
                stream.write(b",")
            stream.write(orjson.dumps(value[start : start + 5000])[1:-1])
        stream.write(b"]")
    else:
        stream.write(orjson.dumps(value))


def _kept_plan(job: ImportJob, handler, *, scope, user) -> Plan | None:
    if not job.plan_file:
        return None
    try:
        with job.plan_file.open("rb") as handle:
            frozen = orjson.loads(gzip.decompress(handle.read()))
    except (OSError, ValueError):  # orjson.JSONDecodeError is a ValueError
        logger.warning(
            "Import %s: the kept plan could not be read; checking the file again", job.pk
        )
        return None
    return handler.thaw(frozen, scope=scope, user=user)


def _drop_kept_plan(job: ImportJob) -> None:
    if not job.plan_file:
        return
    storage, name = job.plan_file.storage, job.plan_file.name
    job.plan_file = ""
    transaction.on_commit(lambda: storage.delete(name))


def _mark_failed(job_id: int, message: str) -> None:
    ImportJob.objects.filter(pk=job_id).update(status=ImportJob.Status.FAILED, error=message)
