"""Files, read through the record's scope, never from a public media URL."""

from django.contrib.auth.decorators import login_required
from django.http import Http404

from .inspections import _inspection
from .issues import _issue


def _file_response(field, filename: str = ""):
    # Served as its verified type, inline only when it is a sound PDF or image (core.uploads).
    from core.uploads import upload_response

    if not field:
        raise Http404
    stem = filename.rsplit(".", 1)[0] if filename else field.name.rsplit("/", 1)[-1].split(".")[0]
    return upload_response(field, filename=stem)


@login_required
def issue_evidence(request, pk: int):
    return _file_response(_issue(request, pk).evidence_file)


@login_required
def issue_event_evidence(request, pk: int, event_pk: int):
    issue = _issue(request, pk)
    event = issue.events.filter(pk=event_pk).first()
    if event is None:
        raise Http404
    return _file_response(event.evidence_file)


@login_required
def inspection_attachment(request, pk: int, attachment_pk: int):
    inspection = _inspection(request, pk)
    attachment = inspection.attachments.filter(pk=attachment_pk).first()
    if attachment is None:
        raise Http404
    return _file_response(attachment.file, attachment.name)
