"""Document numbers: GB/T 9704 form, per township/kind/year, gapless under concurrency."""

import threading

import pytest
from django.db import connection, connections, transaction

from core.numbering import format_document_number, take_next_number


def test_number_form_has_no_leading_zeros_and_no_di():
    assert format_document_number("城关镇教字", 2025, 7) == "城关镇教字〔2025〕7号"


def test_sequences_are_per_issuer_kind_and_year(db):
    with transaction.atomic():
        numbers = [
            take_next_number(issuer="t1", kind="notice", year=2025),
            take_next_number(issuer="t1", kind="notice", year=2025),
            take_next_number(issuer="t1", kind="penalty", year=2025),
            take_next_number(issuer="t2", kind="notice", year=2025),
            take_next_number(issuer="t1", kind="notice", year=2026),
        ]
    assert numbers == [1, 2, 1, 1, 1]


def test_a_rolled_back_issue_gives_its_number_back(db):
    with transaction.atomic():
        take_next_number(issuer="t1", kind="notice", year=2025)
    try:
        with transaction.atomic():
            take_next_number(issuer="t1", kind="notice", year=2025)
            raise RuntimeError("the issue failed after taking a number")
    except RuntimeError:
        pass
    with transaction.atomic():
        assert take_next_number(issuer="t1", kind="notice", year=2025) == 2


def test_taking_a_number_outside_a_transaction_is_refused(transactional_db):
    with pytest.raises(RuntimeError):
        take_next_number(issuer="t1", kind="notice", year=2025)


@pytest.mark.postgres
def test_concurrent_issuers_get_unique_gapless_numbers(transactional_db):
    if connection.vendor != "postgresql":
        pytest.fail("This test needs PostgreSQL (row locks); run it with DATABASE_URL set.")
    results, errors = [], []
    barrier = threading.Barrier(8)

    def issue():
        try:
            barrier.wait()
            for _ in range(5):
                with transaction.atomic():
                    results.append(take_next_number(issuer="t1", kind="notice", year=2025))
        except Exception as error:  # reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=issue) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert sorted(results) == list(range(1, 41))
