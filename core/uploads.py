"""Upload checks: size and the file's real type read from its first bytes, not its name."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from PIL import Image

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
            if kind != "PDF":
                _check_image_size(upload)
            return kind
    raise ValidationError(_("Only PDF, JPEG or PNG files are accepted; this file is none of them."))


# A photo of a document is a few thousand pixels wide; a small file that declares far more is a
# decompression bomb, refused from its header before any pixel is decoded.
MAX_IMAGE_PIXELS = 40_000_000


def _check_image_size(upload) -> None:
    too_large = _(
        "The image declares far more pixels than a scan or photo of a document; it was not "
        "accepted."
    )
    try:
        with Image.open(upload) as image:  # reads the header only
            width, height = image.size
    except Image.DecompressionBombError:
        raise ValidationError(too_large) from None
    except OSError:
        raise ValidationError(_("The image cannot be read; scan or photograph it again.")) from None
    finally:
        upload.seek(0)
    if width * height > MAX_IMAGE_PIXELS:
        raise ValidationError(too_large)
