"""Masking of personal identifiers in lists and for roles that do not need the full value."""


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
