"""Upload checks: size and the file's real type read from its first bytes, not its name."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

_SIGNATURES = {
    b"%PDF-": "PDF",
    b"\xff\xd8\xff": "JPEG",
    b"\x89PNG\r\n\x1a\n": "PNG",
}


def validate_document_upload(upload, *, max_bytes: int | None = None) -> str:
    """Accept PDF, JPEG and PNG up to a size limit; returns the detected type."""
    max_bytes = max_bytes or settings.VISIT_ATTACHMENT_MAX_BYTES
    if upload.size > max_bytes:
        raise ValidationError(
            _("The file is %(size).1f MB; at most %(max).1f MB is accepted.")
            % {"size": upload.size / 1048576, "max": max_bytes / 1048576}
        )
    head = upload.read(8)
    upload.seek(0)
    for signature, kind in _SIGNATURES.items():
        if head.startswith(signature):
            return kind
    raise ValidationError(_("Only PDF, JPEG or PNG files are accepted; this file is none of them."))
