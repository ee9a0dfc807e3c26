"""Document uploads: the real type from the first bytes, the size, and images that declare an
absurd number of pixels (decompression bombs) — refused before any pixel is decoded."""

import io
import struct
import zlib

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from core.uploads import validate_document_upload


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


def real_png(width=40, height=30) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), "white").save(buffer, "PNG")
    return buffer.getvalue()


def test_an_ordinary_photo_and_a_pdf_are_accepted():
    assert validate_document_upload(upload("scan.png", real_png())) == "PNG"
    assert validate_document_upload(upload("scan.pdf", b"%PDF-1.4\n%%EOF\n")) == "PDF"


@pytest.mark.parametrize("size", [(100_000, 100_000), (8_000, 6_000)])
def test_an_image_declaring_too_many_pixels_is_refused(size):
    bomb = png_declaring(*size)
    assert len(bomb) < 200  # tiny on disk
    with pytest.raises(ValidationError, match="像素"):
        validate_document_upload(upload("photo.png", bomb))


def test_a_renamed_file_and_an_oversized_file_are_refused(settings):
    with pytest.raises(ValidationError, match="PDF"):
        validate_document_upload(upload("scan.pdf", b"PK\x03\x04 not a pdf"))
    settings.VISIT_ATTACHMENT_MAX_BYTES = 1000
    with pytest.raises(ValidationError, match="MB"):
        validate_document_upload(upload("scan.pdf", b"%PDF-1.4" + b"0" * 2000))


def test_a_truncated_image_header_is_refused_with_a_message():
    with pytest.raises(ValidationError, match="无法读取"):
        validate_document_upload(upload("photo.jpg", b"\xff\xd8\xff\xe0 broken"))
