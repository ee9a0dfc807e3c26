"""Masking of personal identifiers in lists and for roles that do not need the full value."""

import enum


def mask_resident_id(value: str | None) -> str:
    """`510304201503041234` → `5103**********1234` (first four and last four digits kept)."""
    if not value:
        return ""
    if len(value) <= 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


def mask_phone(value: str | None) -> str:
    """`13812345678` → `138****5678`."""
    if not value:
        return ""
    if len(value) < 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


class Shown(enum.Enum):
    """Where a personal identifier is shown."""

    LIST = "list"  # a list of people: a page, an API list, a table inside another record's page
    RECORD = "record"  # one person's own record: their page, their API answer
    EXPORT = "export"  # an Excel export (logged: who, what, filters, rows)


def shows_full(shown: Shown, *, needs_full: bool) -> bool:
    """The one masking rule: a list masks for everyone; one person's record and an export show
    the full value only to a user whose role and scope need it (`needs_full`, decided by the
    owning app: e.g. enrollment's FULL_IDENTITY_ROLES over the child), masked otherwise."""
    return needs_full and shown is not Shown.LIST
