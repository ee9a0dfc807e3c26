"""The national student-status number (全国学籍号), 19 characters, stored as given.

- `G` + the 18-character resident ID, with its check digit (formal, the child has an ID);
- `J` + 18 digits built like an ID: the school's 6-digit area code, the 8-digit birth date, a
  3-digit sequence and the check digit (formal, the child has no ID);
- `L` + 6-digit area code, 8-digit birth date and 4 random digits (temporary).

A `G` number normally equals `G` + the ID but may differ after the ID changed: it is never
derived from the ID (nor the ID from it).
"""

from __future__ import annotations

import datetime
import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from core.resident_id import ResidentIdError, check_digit, parse_resident_id


def normalise_student_number(raw) -> str:
    """Full-width letters and digits to ASCII, spaces removed, the prefix upper-cased."""
    text = unicodedata.normalize("NFKC", str(raw or ""))
    return "".join(text.split()).upper()


def _birth_date(digits: str, today: datetime.date) -> datetime.date:
    try:
        day = datetime.date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        raise ValidationError(
            _("%(digits)s is not a valid birth date.") % {"digits": digits}, code="birth_date"
        ) from None
    if day > today or day.year < 1990:
        raise ValidationError(
            _("The birth date %(date)s is impossible.") % {"date": day.isoformat()},
            code="birth_date",
        )
    return day


def parse_student_number(raw, *, today: datetime.date | None = None) -> tuple[str, str]:
    """(the number, its kind G/J/L), or ValidationError with the reason in the user's language."""
    number = normalise_student_number(raw)
    today = today or datetime.date.today()
    if not number:
        raise ValidationError(_("The student number is empty."), code="empty")
    if len(number) != 19:
        raise ValidationError(
            _("A student number has 19 characters; this one has %(count)d.")
            % {"count": len(number)},
            code="length",
        )
    kind, body = number[0], number[1:]
    if kind == "G":
        try:
            parse_resident_id(body, today=today)
        except ResidentIdError as error:
            raise ValidationError(
                _("G is followed by a resident ID: %(why)s") % {"why": error}, code="g_id"
            ) from None
        return number, kind
    if kind == "J":
        if not body.isascii() or not body.isdigit():
            raise ValidationError(_("J is followed by 18 digits."), code="j_digits")
        _birth_date(body[6:14], today)
        expected = check_digit(body)
        if expected != body[17]:
            raise ValidationError(
                _("The check digit is wrong (expected %(expected)s, found %(found)s).")
                % {"expected": expected, "found": body[17]},
                code="j_check",
            )
        return number, kind
    if kind == "L":
        if not body.isascii() or not body.isdigit():
            raise ValidationError(
                _("L is followed by a 6-digit area code, an 8-digit birth date and 4 digits."),
                code="l_digits",
            )
        _birth_date(body[6:14], today)
        return number, kind
    raise ValidationError(
        _("A student number begins with G, J or L; this one begins with %(prefix)s.")
        % {"prefix": kind},
        code="prefix",
    )


def validate_student_number(value) -> None:
    """The model field's validator: the number must be one of the three formats as stored."""
    if value in (None, ""):
        return
    if normalise_student_number(value) != value:
        raise ValidationError(_("Write the student number without spaces, in capitals."))
    parse_student_number(value)
