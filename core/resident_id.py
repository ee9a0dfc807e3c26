"""Resident identity card numbers (公民身份号码) through python-stdnum's `cn.ric`.

Length, format, checksum and birth date are errors. A birth-place code missing from stdnum's table
is only a warning: old and renamed county codes are real and still printed on valid cards.
"""

import datetime
import functools
import operator
import re
import unicodedata
from dataclasses import dataclass, field

from django.utils.functional import lazy
from django.utils.translation import gettext as _
from stdnum.cn import ric
from stdnum.exceptions import InvalidComponent

_SEPARATORS = re.compile(r"[\s\-]+")


class ResidentIdError(ValueError):
    pass


@dataclass(frozen=True)
class ResidentId:
    number: str
    birth_date: datetime.date
    sex: str  # "M" or "F", from the order code's parity
    warnings: list[str] = field(default_factory=list)


# GB 11643-1999: ISO 7064 MOD 11-2 over the first 17 digits (python-stdnum's `cn.ric` computes
# the same; written out here because an import checks 100,000 of them).
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARACTERS = "10X98765432"


def check_digit(number: str) -> str:
    """The 18th character the first 17 digits call for."""
    # The digits' code points less 48 each: one subtraction of 48 × the weights' sum.
    total = sum(map(operator.mul, number[:17].encode(), _WEIGHTS)) - _WEIGHTED_ZERO
    return _CHECK_CHARACTERS[total % 11]


_WEIGHTED_ZERO = 48 * sum(_WEIGHTS)


def normalise(raw: str) -> str:
    """Full-width digits and letters to ASCII, spaces removed, `x` upper-cased."""
    if raw and len(raw) == 18 and raw.isascii() and raw.isalnum():
        return raw.upper()  # the common case, already clean
    text = unicodedata.normalize("NFKC", raw or "")
    return _SEPARATORS.sub("", text).upper()


def parse_resident_id(raw: str, *, today: datetime.date | None = None) -> ResidentId:
    number = normalise(raw)
    if not number:
        raise ResidentIdError(_("The resident ID is empty."))
    if len(number) != 18:
        raise ResidentIdError(
            _("A resident ID has 18 characters; this one has %(count)d.") % {"count": len(number)}
        )
    if (
        not number.isascii()
        or not number[:17].isdigit()
        or not (number[17].isdigit() or number[17] == "X")
    ):
        raise ResidentIdError(_("A resident ID is 17 digits followed by a digit or X."))
    expected = check_digit(number)
    if expected != number[17]:
        raise ResidentIdError(
            _(
                "The check digit is wrong (expected %(expected)s, found %(found)s): "
                "a digit was probably mistyped."
            )
            % {"expected": expected, "found": number[17]}
        )
    try:
        birth_date = datetime.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise ResidentIdError(
            _("Digits 7–14 (%(digits)s) are not a valid birth date.") % {"digits": number[6:14]}
        ) from None
    today = today or datetime.date.today()
    if birth_date > today or birth_date.year < 1900:
        raise ResidentIdError(
            _("The birth date in the ID (%(date)s) is impossible.")
            % {"date": birth_date.isoformat()}
        )
    warnings = []
    if not _birth_place_known(number[:6], number[6:10]):
        warnings.append(_unknown_birth_place(number[:6]))
    sex = "M" if int(number[16]) % 2 == 1 else "F"
    return ResidentId(number=number, birth_date=birth_date, sex=sex, warnings=warnings)


def _unknown_birth_place_text(code: str) -> str:
    return _(
        "The birth-place code %(code)s is not in the current code table; "
        "check it if it is not an old or renamed county."
    ) % {"code": code}


# Translated when shown: an import parses 100,000 IDs and shows none of these warnings.
_unknown_birth_place = lazy(_unknown_birth_place_text, str)


@functools.lru_cache(maxsize=8192)
def _birth_place_known(code: str, year: str) -> bool:
    """stdnum's table lookup costs ~1 ms; a county's IDs share a few hundred codes and years, so
    an import of 100,000 rows asks it a few thousand times (the birth year matters: codes were
    assigned and retired over the years)."""
    try:
        ric.get_birth_place(f"{code}{year}0101000X")
    except (InvalidComponent, KeyError):  # KeyError: stdnum knows the province but no county
        return False
    return True


def make_resident_id(*, place_code: str, birth_date: datetime.date, sequence: int, sex: str) -> str:
    """Build a valid number (demo data, tests); unique for sequence 0–499 per place, date, sex."""
    order = (sequence % 500) * 2 + (1 if sex == "M" else 0)
    body = f"{place_code}{birth_date:%Y%m%d}{order:03d}"
    return body + ric.calc_check_digit(body + "0")
