"""Personal identifiers never reach the logs: a logging filter that masks resident IDs and
mobile numbers in every message (and its arguments) before any handler writes it."""

import logging
import re

from .masking import mask_phone, mask_resident_id

# 18-character resident IDs (the last may be X) and mainland mobile numbers, not inside longer
# runs of digits (a 20-digit number is neither).
RESIDENT_ID = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")


def mask_text(text: str) -> str:
    text = RESIDENT_ID.sub(lambda m: mask_resident_id(m.group()), text)
    return MOBILE.sub(lambda m: mask_phone(m.group()), text)


class MaskPersonalData(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 — a broken record is logged as it is
            return True
        masked = mask_text(message)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_text(record.exc_text)
        return True
