"""The payments API counts at most a cap of rows (475,000 lines at county scale would be read on
every page): `count` is exact under the cap, the cap beyond it with `count_is_capped` true, and
`next` leads up to the cap. The cap is lowered here so that a dozen lines exceed it."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from drf_spectacular.generators import SchemaGenerator

from core import pagination
from subsidies.models import Payment

from ..conftest import api_for
from .conftest import AUTUMN, YEAR, paid_batch

CAP, PAGE_SIZE = 6, 2


@pytest.fixture
def low_cap(monkeypatch):
    monkeypatch.setattr(pagination, "COUNT_CAP", CAP)
    monkeypatch.setattr(pagination.CappedPageNumberPagination, "page_size", PAGE_SIZE)


def _more_lines_like(line: Payment, periods: int) -> None:
    """Copies of a paid line in earlier terms (already paid history, not a procedure under test)."""
    Payment.objects.bulk_create(
        Payment(
            batch_id=line.batch_id,
            child_id=line.child_id,
            programme_id=line.programme_id,
            period=f"{YEAR - 1 - n}-1",
            school_year=YEAR - 1 - n,
            school_id=line.school_id,
            township_id=line.township_id,
            stage=line.stage,
            kind=line.kind,
            amount=line.amount,
            standard_amount=line.standard_amount,
            method=line.method,
            paid_on=line.paid_on,
            recorded_by_id=line.recorded_by_id,
        )
        for n in range(periods)
    )


@pytest.fixture
def payments(scenario):
    """Eleven lines: ten of child1 (school1), one of child2 (school2)."""
    w = scenario
    batch1 = paid_batch(w, "exercise-books", AUTUMN, w.school1, [{"child": w.child1.pk}])
    paid_batch(w, "exercise-books", AUTUMN, w.school2, [{"child": w.child2.pk}])
    _more_lines_like(batch1.payments.get(), 9)
    assert Payment.objects.count() == 11
    return w


def test_a_payment_list_beyond_the_cap_reports_the_cap_and_says_it_is_capped(payments, low_cap):
    api = api_for(payments.auditor)
    first = api.get("/api/v1/payments/").json()
    assert (first["count"], first["count_is_capped"]) == (CAP, True)
    assert len(first["results"]) == PAGE_SIZE and first["previous"] is None
    # `next` leads through the whole pages under the cap, then stops.
    seen, page = [line["id"] for line in first["results"]], first
    while page["next"]:
        page = api.get(page["next"]).json()
        assert (page["count"], page["count_is_capped"]) == (CAP, True)
        seen += [line["id"] for line in page["results"]]
    newest = list(Payment.objects.order_by("-pk").values_list("pk", flat=True)[:CAP])
    assert seen == newest
    assert api.get(f"/api/v1/payments/?page={CAP // PAGE_SIZE + 1}").status_code == 404


def test_a_payment_list_under_the_cap_reports_the_exact_count(payments, low_cap):
    filtered = api_for(payments.auditor).get(f"/api/v1/payments/?school={payments.school2.pk}")
    assert (filtered.json()["count"], filtered.json()["count_is_capped"]) == (1, False)
    other_school = api_for(payments.township2_user).get("/api/v1/payments/").json()
    assert (other_school["count"], other_school["count_is_capped"]) == (1, False)
    assert other_school["next"] is None


def test_a_list_of_exactly_the_cap_is_not_capped(payments, low_cap, monkeypatch):
    monkeypatch.setattr(pagination, "COUNT_CAP", 12)  # whole pages: 12; the list holds 11
    body = api_for(payments.auditor).get("/api/v1/payments/").json()
    assert (body["count"], body["count_is_capped"]) == (11, False)


def test_the_payment_list_count_reads_at_most_the_cap_plus_one_rows(
    payments, low_cap, django_assert_max_num_queries
):
    api = api_for(payments.auditor)
    with CaptureQueriesContext(connection) as few:
        api.get(f"/api/v1/payments/?school={payments.school2.pk}")
    with django_assert_max_num_queries(len(few.captured_queries)) as many:
        api.get("/api/v1/payments/")
    counts = [q["sql"] for q in many.captured_queries if "COUNT(" in q["sql"].upper()]
    assert len(counts) == 1 and f"LIMIT {CAP + 1}" in counts[0]


def test_other_list_apis_share_the_capped_envelope(payments, low_cap):
    body = api_for(payments.auditor).get("/api/v1/programmes/").json()
    assert body["count_is_capped"] is True and body["count"] == CAP


def test_the_schema_documents_the_capped_count(db):
    schema = SchemaGenerator().get_schema(request=None, public=True)
    paginated = schema["components"]["schemas"]["PaginatedPaymentList"]
    assert "count_is_capped" in paginated["required"]
    assert paginated["properties"]["count_is_capped"]["type"] == "boolean"
    assert list(paginated["properties"])[:2] == ["count", "count_is_capped"]
