"""Cell normalisers of the import pipeline: what a person meant by a cell (full-width digits,
spaces in IDs, dates in the usual Chinese spellings or as Excel dates), and a cell as the report
shows it. Each raises its Chinese message as a `ValueError`."""

from __future__ import annotations

import datetime
import re
from typing import Any

from django.utils.translation import gettext as _

_ASCII_ONLY = str.maketrans(
    {
        **{chr(code): chr(code - 0xFEE0) for code in range(0xFF10, 0xFF1A)},  # ０-９
        **{chr(code): chr(code - 0xFEE0) for code in range(0xFF21, 0xFF3B)},  # Ａ-Ｚ
        **{chr(code): chr(code - 0xFEE0) for code in range(0xFF41, 0xFF5B)},  # ａ-ｚ
        "\u3000": " ",
        "\u00a0": " ",
    }
)
_SPACES = re.compile(r"\s+")


_MAPPED = re.compile("[\uff10-\uff19\uff21-\uff3a\uff41-\uff5a\u3000\u00a0]")


def clean_text(value: Any) -> str:
    """Text as a person meant it: full-width digits and letters in ASCII (Chinese punctuation
    such as （） is kept), surrounding spaces — full-width ones too — removed."""
    if type(value) is str:
        # Most cells have nothing to map, and a search costs less than a translation.
        return (value.translate(_ASCII_ONLY) if _MAPPED.search(value) else value).strip()
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).translate(_ASCII_ONLY).strip()


class IdStoredAsNumber(ValueError):
    """Excel kept an 18-digit number as a float: the last digits are already lost."""


def clean_id(value: Any) -> str:
    """An identifier typed as text: full-width to ASCII, spaces anywhere removed, x upper-cased.
    A number (Excel turned the text into 5.10304E+17) raises IdStoredAsNumber."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        raise IdStoredAsNumber(
            _(
                "Excel stored this ID as a number and has already lost its last digits. Set the "
                "column's format to Text (Format Cells → Text), type the IDs again (or paste them "
                "from the original list), and upload the file again."
            )
        )
    if type(value) is str and len(value) == 18 and value.isascii() and value.isalnum():
        return value.upper()  # the common case: nothing to clean
    return _SPACES.sub("", clean_text(value)).replace("-", "").upper()


_DATE_TEXT = re.compile(r"^(\d{4})\s*[./\-年]\s*(\d{1,2})\s*[./\-月]\s*(\d{1,2})\s*日?$")
_DATE_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_EXCEL_EPOCH = datetime.date(1899, 12, 30)


def parse_date(value: Any) -> datetime.date | None:
    """2015.3.4, 2015年3月4日, 2015/03/04, 2015-3-4, 20150304, or an Excel date (a cell
    formatted as date, or its serial number). Empty → None."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if 1 <= value < 80000 and float(value).is_integer():
            return _EXCEL_EPOCH + datetime.timedelta(days=int(value))
        if 19000101 <= value <= 21001231 and float(value).is_integer():
            value = str(int(value))
        else:
            raise ValueError(_bad_date())
    text = clean_text(value)
    match = _DATE_TEXT.match(text) or _DATE_COMPACT.match(text)
    if not match:
        raise ValueError(_bad_date())
    try:
        return datetime.date(*(int(part) for part in match.groups()))
    except ValueError:
        raise ValueError(_bad_date()) from None


def _bad_date() -> str:
    return _("Not a date; write it as 2015-03-04, 2015.3.4 or 2015年3月4日.")


_TRUE = {"是", "y", "yes", "true", "1", "√", "✓", "寄宿", "住校"}
_FALSE = {"否", "n", "no", "false", "0", "×", "走读", "", "无"}


def parse_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = clean_text(value).lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(_("Write 是 or 否."))


def parse_int(value: Any) -> int:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if float(value).is_integer():
            return int(value)
        raise ValueError(_("Not a whole number."))
    text = clean_text(value)
    if not text.isdigit():
        raise ValueError(_("Not a whole number."))
    return int(text)


def _display(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e20:  # an ID stored as a number shows as Excel does
            return str(int(value))
        return f"{value:.15g}"
    if isinstance(value, datetime.datetime):
        return value.date().isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)[:60]


def display(value: Any) -> str:
    """A cell value as the report shows it (numbers as Excel shows them)."""
    return _display(value)
