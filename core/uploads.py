"""Uploaded documents (scans, photos, certificates): checked whole before they are kept, kept
under a name that says their verified type, and served only with that type.

A file is a PDF when pypdf parses it (page tree, at most MAX_PDF_PAGES pages, not encrypted,
no JavaScript), an image when Pillow decodes every pixel; an image is re-encoded, so what is kept
is pixels without metadata (a phone photo's EXIF carries the GPS position of a child's home).
The first bytes alone prove nothing: `%PDF-` followed by an HTML page is not a PDF.
"""

import io
import logging
import uuid
from dataclasses import dataclass
from urllib.parse import quote

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from PIL import Image, ImageOps

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DocumentType:
    name: str
    extension: str
    content_type: str


PDF = DocumentType("PDF", ".pdf", "application/pdf")
JPEG = DocumentType("JPEG", ".jpg", "image/jpeg")
PNG = DocumentType("PNG", ".png", "image/png")
UNVERIFIED = DocumentType("", ".bin", "application/octet-stream")

_SIGNATURES = {b"%PDF-": PDF, b"\xff\xd8\xff": JPEG, b"\x89PNG\r\n\x1a\n": PNG}

# A photo of a document is a few thousand pixels wide; a small file that declares far more is a
# decompression bomb, refused from its header before any pixel is decoded.
MAX_IMAGE_PIXELS = 40_000_000
# A certificate or an application is a few pages; a file of thousands of pages is not one, and
# every page is an object pypdf would have to resolve.
MAX_PDF_PAGES = 200


@dataclass(frozen=True)
class VerifiedDocument:
    type: DocumentType
    file: ContentFile  # what to store: named by its verified type


def verify_document_upload(upload, *, max_bytes: int | None = None) -> VerifiedDocument:
    """Accept a PDF, JPEG or PNG up to a size limit, checked whole; raise ValidationError
    (a Chinese message) otherwise. The size is refused from the upload's declared size, before
    its content is read."""
    max_bytes = max_bytes or settings.VISIT_ATTACHMENT_MAX_BYTES
    if upload.size > max_bytes:
        raise ValidationError(
            _("The file is %(size).1f MB; at most %(max).1f MB is accepted.")
            % {"size": upload.size / 1048576, "max": max_bytes / 1048576}
        )
    upload.seek(0)
    content = upload.read(max_bytes + 1)
    upload.seek(0)
    if len(content) > max_bytes:  # the declared size was wrong
        raise ValidationError(_("The file is larger than it declares; it was not accepted."))
    kind = _signature_type(content)
    if kind is None:
        raise ValidationError(
            _("Only PDF, JPEG or PNG files are accepted; this file is none of them.")
        )
    if kind is PDF:
        _check_pdf(content)
    else:
        content = _reencoded_image(content, kind)
    return VerifiedDocument(kind, ContentFile(content, name=f"{uuid.uuid4().hex}{kind.extension}"))


def validate_document_upload(upload, *, max_bytes: int | None = None) -> str:
    """The verified type's name ("PDF", "JPEG", "PNG") of an acceptable upload."""
    return verify_document_upload(upload, max_bytes=max_bytes).type.name


def _signature_type(content: bytes) -> DocumentType | None:
    for signature, kind in _SIGNATURES.items():
        if content.startswith(signature):
            return kind
    return None


# --- PDF ---------------------------------------------------------------------------------------


def _parsed_pdf(content: bytes):
    """pypdf's reader over the whole file, its page tree resolved; raises on anything that is
    not a sound PDF (pypdf bounds decompression itself; the file size and the page limit bound
    the rest)."""
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(content), strict=False)
    if reader.is_encrypted:
        raise _PdfRefused(
            _("Encrypted PDF files cannot be opened by reviewers; upload it unlocked.")
        )
    pages = len(reader.pages)
    if pages == 0:
        raise _PdfRefused(_("The PDF has no pages."))
    if pages > MAX_PDF_PAGES:
        raise _PdfRefused(
            _("The PDF has %(pages)d pages; at most %(max)d are accepted.")
            % {"pages": pages, "max": MAX_PDF_PAGES}
        )
    for page in reader.pages:
        page.mediabox  # noqa: B018 — resolves every page object, not only the count
    root = reader.trailer["/Root"].get_object()
    names = root.get("/Names")
    scripted = (
        (names is not None and "/JavaScript" in names.get_object())
        or _is_script(root.get("/OpenAction"))
        or any(_is_script(action) for action in (root.get("/AA") or {}).values())
    )
    if scripted:
        raise _PdfRefused(
            _("The PDF contains scripts or automatic actions; print it to a plain PDF again.")
        )
    return reader


def _is_script(action) -> bool:
    # An opening action is usually a page to show (an array); a dictionary may run JavaScript.
    action = action.get_object() if action is not None else None
    return isinstance(action, dict) and action.get("/S") == "/JavaScript"


class _PdfRefused(Exception):
    pass


def _check_pdf(content: bytes) -> None:
    try:
        _parsed_pdf(content)
    except _PdfRefused as refused:
        raise ValidationError(str(refused)) from None
    except Exception:  # noqa: BLE001 — any parser failure means "not a readable PDF"
        raise ValidationError(
            _(
                "The file begins like a PDF but is not a readable PDF document (it may be "
                "damaged or another kind of file renamed); scan or save it as PDF again."
            )
        ) from None


def _is_sound_pdf(content: bytes) -> bool:
    try:
        _parsed_pdf(content)
    except Exception:  # noqa: BLE001
        return False
    return True


# --- images ------------------------------------------------------------------------------------


def _open_image(content: bytes, kind: DocumentType) -> Image.Image:
    """The image's header, its size checked before any pixel is decoded."""
    too_large = _(
        "The image declares far more pixels than a scan or photo of a document; it was not "
        "accepted."
    )
    try:
        image = Image.open(io.BytesIO(content), formats=[kind.name])
    except Image.DecompressionBombError:
        raise ValidationError(too_large) from None
    except Exception:  # noqa: BLE001 — Pillow raises several kinds for a broken header
        raise ValidationError(_("The image cannot be read; scan or photograph it again.")) from None
    width, height = image.size
    if width * height > MAX_IMAGE_PIXELS:
        raise ValidationError(too_large)
    return image


def _reencoded_image(content: bytes, kind: DocumentType) -> bytes:
    """Every pixel decoded, then written anew in the same format without EXIF, XMP or text
    chunks (the ICC colour profile is kept: it is colour, not information about anyone)."""
    image = _open_image(content, kind)
    try:
        image.load()
        # Phones record the rotation in EXIF; apply it, since EXIF does not travel along.
        image = ImageOps.exif_transpose(image)
    except Exception:  # noqa: BLE001 — a truncated or corrupt body
        raise ValidationError(_("The image cannot be read; scan or photograph it again.")) from None
    icc_profile = image.info.get("icc_profile")
    # Pillow writes some of `info` back (a JPEG's comment, a PNG's text): keep only transparency.
    image.info = {k: v for k, v in image.info.items() if k == "transparency"}
    output = io.BytesIO()
    if kind is JPEG:
        if image.mode not in ("L", "RGB", "CMYK"):
            image = image.convert("RGB")
        image.save(output, "JPEG", quality=90, icc_profile=icc_profile)
    else:
        if image.mode not in ("1", "L", "LA", "P", "RGB", "RGBA", "I", "I;16"):
            image = image.convert("RGBA")
        image.save(output, "PNG", optimize=False, icc_profile=icc_profile)
    return output.getvalue()


def _is_sound_image(content: bytes, kind: DocumentType) -> bool:
    # Header only: images stored since uploads are re-encoded were decoded then, and one served
    # as image/* with nosniff is never taken for a page whatever follows its header.
    try:
        _open_image(content, kind).close()
    except ValidationError:
        return False
    return True


# --- serving -----------------------------------------------------------------------------------


def stored_type(content: bytes) -> DocumentType:
    """The type a stored file is served as: checked on the bytes served, so that a file kept
    before uploads were checked whole (or altered on disk since) is never served as what its
    name or first bytes claim."""
    kind = _signature_type(content)
    if kind is PDF and _is_sound_pdf(content):
        return PDF
    if kind in (JPEG, PNG) and _is_sound_image(content, kind):
        return kind
    return UNVERIFIED


def content_disposition(disposition: str, filename: str) -> str:
    """RFC 6266: an ASCII fallback and the real (Chinese) name as RFC 5987 UTF-8."""
    fallback = "".join(c if c.isascii() and c.isalnum() or c in "-_." else "_" for c in filename)
    return f"{disposition}; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def upload_response(field, *, filename: str) -> FileResponse:
    """A stored upload served with its verified Content-Type, never sniffed, inline only when
    it is a verified PDF or image; anything else is an octet-stream download. `filename` is
    given without extension: the verified type supplies it."""
    # No upload was ever accepted above the documents' limit: a larger file is not verified.
    limit = settings.VISIT_ATTACHMENT_MAX_BYTES
    try:
        handle = field.open("rb")
    except FileNotFoundError:  # the record outlived its file (restored database, lost volume)
        raise Http404 from None
    content = handle.read(limit + 1)
    handle.seek(0)
    kind = stored_type(content) if len(content) <= limit else UNVERIFIED
    response = FileResponse(handle, content_type=kind.content_type)
    disposition = "attachment" if kind is UNVERIFIED else "inline"
    response["Content-Disposition"] = content_disposition(
        disposition, f"{filename}{kind.extension}"
    )
    response["X-Content-Type-Options"] = "nosniff"
    # Personal documents: no shared cache keeps them. Nothing but the picture may load or run
    # (a PDF keeps the site's policy: chromium's viewer does not open in a sandbox).
    response["Cache-Control"] = "private, no-store"
    if kind is not PDF:
        response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; sandbox"
    if kind is UNVERIFIED:
        logger.warning("served a stored file of unverified type as a download: %s", field.name)
    return response


# --- request size --------------------------------------------------------------------------------


class RequestBodyLimitMiddleware:
    """Refuses a request whose declared body exceeds REQUEST_BODY_MAX_BYTES (the same number as
    nginx's client_max_body_size, deploy/nginx.conf) before anything reads the body: behind
    nginx this is a second wall, under runserver or a bare gunicorn the only one. Must come
    before every middleware that reads request.POST (CSRF)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        limit = settings.REQUEST_BODY_MAX_BYTES
        if declared > limit:
            message = _("The upload is %(size).1f MB; at most %(max).0f MB is accepted.") % {
                "size": declared / 1048576,
                "max": limit / 1048576,
            }
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": message}, status=413)
            return HttpResponse(message, status=413, content_type="text/plain; charset=utf-8")
        return self.get_response(request)


def blank_pdf() -> bytes:
    """A sound one-page blank PDF: the demo's stand-in for a scanned paper (and the tests')."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)  # A4 in points
    output = io.BytesIO()
    writer.write(output)
    return output.getvalue()
