"""Official document numbers in the form of GB/T 9704-2012: issuer's code, the full year in
〔〕, the number, 号 — no leading zeros, no 第 (e.g. 城关镇教字〔2025〕7号)."""

from django.db import IntegrityError, transaction

from .models import DocumentSequence


def format_document_number(prefix: str, year: int, number: int) -> str:
    return f"{prefix}〔{year}〕{number}号"


def take_next_number(*, issuer: str, kind: str, year: int) -> int:
    """The next number for issuer/kind/year. Must run inside the issuing transaction: the
    sequence row stays locked until it commits, so concurrent issuers queue and a rolled-back
    issue gives its number back (gapless)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("take_next_number must run inside the issuing transaction")
    sequence = _locked_sequence(issuer, kind, year)
    sequence.last_number += 1
    sequence.save(update_fields=["last_number"])
    return sequence.last_number


def _locked_sequence(issuer: str, kind: str, year: int) -> DocumentSequence:
    lookup = {"issuer": issuer, "kind": kind, "year": year}
    sequence = DocumentSequence.objects.select_for_update().filter(**lookup).first()
    if sequence is not None:
        return sequence
    try:
        with transaction.atomic():  # a savepoint: losing the race to create is not an error
            DocumentSequence.objects.create(**lookup)
    except IntegrityError:
        pass
    return DocumentSequence.objects.select_for_update().get(**lookup)
