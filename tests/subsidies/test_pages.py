"""Pages: scopes (another school's or township's batch → 404), roles (auditor POST → 403), the
main lists within a bounded number of queries, the report line and the printable lists."""

import datetime

import pytest
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from subsidies.models import Batch, GapRun, Payment
from subsidies.services import batches, fund, gaps

from ..conftest import client_for
from .conftest import AUTUMN, SPRING, YEAR, paid_batch, programme


@pytest.fixture
def ledger(scenario):
    w = scenario
    w.batch1 = paid_batch(
        w, "boarding-living-allowance", AUTUMN, w.school1, [{"child": w.child1.pk}]
    )
    w.batch2 = paid_batch(
        w, "boarding-living-allowance", AUTUMN, w.school2, [{"child": w.child2.pk}]
    )
    w.fund = fund.open_fund(
        actor=w.bureau,
        county=w.county,
        name="测试县教育救助基金",
        founded_on=datetime.date(2022, 1, 1),
    )
    fund.record_donation(
        actor=w.bureau,
        county=w.county,
        donor="某公司",
        donor_kind="enterprise",
        kind="money",
        value="5000",
        purpose="助学",
        date=datetime.date(YEAR, 10, 1),
    )
    fund.record_donation(
        actor=w.bureau,
        county=w.county,
        donor="王先生",
        donor_kind="individual",
        kind="goods",
        value="800",
        purpose="冬衣",
        description="棉衣20件",
        date=datetime.date(YEAR, 11, 1),
        publish_name=False,
    )
    with TestCase.captureOnCommitCallbacks(execute=True):
        w.run = gaps.start_gap_run(actor=w.bureau, county=w.county, period=AUTUMN)
    return w


def get(user, name, *args, **query):
    return client_for(user).get(reverse(f"subsidies:{name}", args=args), query)


MAIN_PAGES = [
    "payment_list",
    "batch_list",
    "totals",
    "gap_runs",
    "identification_list",
    "fund_ledger",
    "donation_list",
    "programme_list",
    "donor_list",
]


@pytest.mark.parametrize("name", MAIN_PAGES)
def test_every_main_page_opens_for_the_bureau_and_the_auditor(ledger, name):
    for user in (ledger.bureau, ledger.auditor):
        assert get(user, name).status_code == 200


def test_a_school_sees_its_own_batches_and_payments_only(ledger):
    w = ledger
    page = get(w.school1_user, "batch_list").content.decode()
    assert reverse("subsidies:batch_detail", args=[w.batch1.pk]) in page
    assert reverse("subsidies:batch_detail", args=[w.batch2.pk]) not in page
    assert get(w.school1_user, "batch_detail", w.batch2.pk).status_code == 404
    assert get(w.township1_user, "batch_detail", w.batch2.pk).status_code == 404
    assert get(w.township2_user, "batch_detail", w.batch2.pk).status_code == 200
    payments = get(w.school1_user, "payment_list").content.decode()
    assert "王小一" in payments and "李小二" not in payments


def test_a_township_sees_only_its_own_gaps(ledger):
    w = ledger
    townships = set(w.run.gaps.values_list("township", flat=True))
    assert townships == {w.township1.pk, w.township2.pk}  # nutrition unpaid in both
    for user, township in ((w.township1_user, w.township1), (w.township2_user, w.township2)):
        shown = get(user, "gap_detail", w.run.pk).context["page"].object_list
        assert shown and {gap.township_id for gap in shown} == {township.pk}
    school_rows = get(w.school1_user, "gap_detail", w.run.pk).context["page"].object_list
    assert {gap.school_id for gap in school_rows} == {w.school1.pk}


def test_the_auditor_reads_everything_and_writes_nothing(ledger):
    w = ledger
    client = client_for(w.auditor)
    assert client.get(reverse("subsidies:batch_detail", args=[w.batch2.pk])).status_code == 200
    for url, data in (
        (reverse("subsidies:batch_new"), {}),
        (reverse("subsidies:batch_action", args=[w.batch1.pk, "approve"]), {}),
        (reverse("subsidies:gap_runs"), {"period": AUTUMN}),
        (reverse("subsidies:fund_new", args=["inflow"]), {}),
        (reverse("subsidies:donation_new"), {}),
        (reverse("subsidies:programme_edit", args=[programme("nutrition").pk]), {}),
        (reverse("subsidies:identification_apply"), {}),
    ):
        assert client.post(url, data).status_code == 403, url
    assert Batch.objects.filter(status=Batch.Status.PAID).count() == 2


def test_school_staff_cannot_approve_or_edit_the_catalogue(ledger):
    w = ledger
    batch = batches.create_batch(
        actor=w.school1_user,
        county=w.county,
        programme=programme("exercise-books"),
        period=AUTUMN,
        school=w.school1,
    )
    client = client_for(w.school1_user)
    client.post(reverse("subsidies:batch_action", args=[batch.pk, "build"]))
    client.post(reverse("subsidies:batch_action", args=[batch.pk, "review"]))
    response = client.post(reverse("subsidies:batch_action", args=[batch.pk, "approve"]))
    assert response.status_code == 403
    assert client.get(reverse("subsidies:programme_new")).status_code == 403


def test_the_batch_flow_through_the_pages(scenario):
    w = scenario
    school = client_for(w.school1_user)
    response = school.post(
        reverse("subsidies:batch_new"),
        {
            "programme": programme("boarding-living-allowance").pk,
            "period": AUTUMN,
            "school": w.school1.pk,
        },
    )
    batch = Batch.objects.get()
    assert response["Location"] == reverse("subsidies:batch_detail", args=[batch.pk])
    school.post(reverse("subsidies:batch_action", args=[batch.pk, "build"]))
    assert batch.payments.count() == 1
    # A line for a child who is not eligible, without a reason: refused with a message.
    response = school.post(
        reverse("subsidies:batch_add_line", args=[batch.pk]),
        {"resident_id": w.child1b.resident_id},
        follow=True,
    )
    assert "reason" in response.content.decode() or "原因" in response.content.decode()
    assert batch.payments.count() == 1
    school.post(reverse("subsidies:batch_action", args=[batch.pk, "review"]))
    bureau = client_for(w.bureau)
    bureau.post(reverse("subsidies:batch_action", args=[batch.pk, "approve"]))
    bureau.post(
        reverse("subsidies:batch_action", args=[batch.pk, "mark-paid"]),
        {"paid_on": datetime.date.today().isoformat()},
    )
    batch.refresh_from_db()
    assert batch.status == Batch.Status.PAID
    line = batch.payments.get()
    school.post(
        reverse("subsidies:payment_correct", args=[line.pk, "reverse"]), {"reason": "重复发放"}
    )
    assert Payment.objects.filter(kind="reversal", corrects=line).exists()


def test_the_totals_compute_the_report_line(ledger):
    w = ledger
    response = get(w.bureau, "totals", by="programme", year=YEAR + 1)
    assert response.status_code == 200
    text = response.context["report"]["text"]
    assert (
        text
        == f"{YEAR + 1}年教育扶贫专项计划资助金共0.08万元。其中义务教育寄宿制贫困生补助0.08万元。"
    )
    for dimension in ("stage", "school", "township", "period"):
        assert get(w.bureau, "totals", by=dimension).status_code == 200
    assert get(w.bureau, "totals", by="nonsense").status_code == 404
    school_rows = get(w.school1_user, "totals", by="school", year=YEAR + 1).context["rows"]
    assert [row["name"] for row in school_rows] == ["一镇小学"]


def test_every_figure_of_the_totals_page_honours_its_year_and_filters(ledger):
    w = ledger
    whole = get(w.bureau, "totals", by="school", year=YEAR + 1).context
    assert whole["grand_total"] == whole["report"]["total"] > 0
    assert len(whole["rows"]) == 2
    # Another year: the sentence and the table both say nothing was paid.
    other = get(w.bureau, "totals", by="school", year=YEAR + 3).context
    assert other["rows"] == [] and other["grand_total"] == other["report"]["total"] == 0
    # A school filter narrows the sentence as it narrows the table.
    one = get(w.bureau, "totals", by="school", year=YEAR + 1, school=w.school1.pk)
    context = one.context
    assert [row["name"] for row in context["rows"]] == ["一镇小学"]
    assert context["grand_total"] == context["report"]["total"] < whole["report"]["total"]
    # The year box keeps the filters, the filters keep the year.
    page = one.content.decode()
    assert f'name="school" value="{w.school1.pk}"' in page
    assert f'name="year" value="{YEAR + 1}"' in page


def test_the_donors_list_hides_anonymous_names(ledger):
    page = get(ledger.bureau, "donor_list").content.decode()
    assert "某公司" in page and "王先生" not in page and "匿名" in page


def test_the_gap_check_is_started_from_its_page(scenario):
    w = scenario
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client_for(w.bureau).post(reverse("subsidies:gap_runs"), {"period": AUTUMN})
    run = GapRun.objects.get()
    assert response["Location"] == reverse("subsidies:gap_detail", args=[run.pk])
    run.refresh_from_db()
    assert run.status == "done"
    bad = client_for(w.bureau).post(reverse("subsidies:gap_runs"), {"period": "nonsense"})
    assert bad.status_code == 200 and GapRun.objects.count() == 1


@pytest.mark.parametrize(
    "name", ["payment_list", "batch_list", "gap_runs", "fund_ledger", "identification_list"]
)
def test_list_pages_use_a_bounded_number_of_queries(ledger, name, django_assert_max_num_queries):
    w = ledger
    client = client_for(w.bureau)
    client.get(reverse(f"subsidies:{name}"))  # warm the session
    with django_assert_max_num_queries(15):
        assert client.get(reverse(f"subsidies:{name}")).status_code == 200


@pytest.fixture
def three_payments(ledger):
    """Two payments at school1 (autumn and spring), one at school2."""
    w = ledger
    w.batch3 = paid_batch(
        w, "boarding-living-allowance", SPRING, w.school1, [{"child": w.child1.pk}]
    )
    return w


@pytest.mark.parametrize(
    "query",
    [
        "",
        "?school={school1}&programme={programme}",
        "?programme={programme}&period=2025",
        "?name=王&kind=payment",
    ],
)
def test_the_payment_list_runs_a_fixed_number_of_queries_with_any_filter(
    three_payments, django_assert_max_num_queries, query
):
    """Session, user and roles; the capped count, the page's rows with their child, school,
    township, programme and batch; the paid totals; the filter's three choice lists; the unread
    notifications: 10, and one more for each chosen school, township or programme (the form
    checks the choice), whatever the number of lines."""
    w = three_payments
    client = client_for(w.bureau)
    url = reverse("subsidies:payment_list") + query.format(
        school1=w.school1.pk, programme=programme("boarding-living-allowance").pk
    )
    client.get(url)
    with django_assert_max_num_queries(12):
        response = client.get(url)
    assert response.status_code == 200 and len(response.context["page"]) >= 1


def test_the_payment_list_counts_up_to_a_cap_and_filtered_lists_exactly(
    three_payments, monkeypatch
):
    w = three_payments
    monkeypatch.setattr("core.pagination.COUNT_CAP", 2)
    monkeypatch.setattr("subsidies.views.payments.PER_PAGE", 1)
    whole = get(w.bureau, "payment_list")
    paginator = whole.context["page"].paginator
    assert paginator.is_capped and paginator.count == 2 and paginator.num_pages == 2
    assert "1 / 2+" in whole.content.decode()
    assert get(w.bureau, "payment_list", page=9).context["page"].number == 2
    school1 = get(w.bureau, "payment_list", school=w.school1.pk).context["page"].paginator
    assert not school1.is_capped and school1.count == 2
    school2 = get(w.bureau, "payment_list", school=w.school2.pk)
    assert school2.context["page"].paginator.count == 1
    assert "1 / 2" not in school2.content.decode()  # one page: no pager at all
    # The totals are not capped: they count every paid line of the (filtered) list.
    assert whole.context["summary"]["count"] == 3
    assert school2.context["summary"]["count"] == 1


def test_the_paid_totals_are_cached_per_filter_until_a_batch_is_paid(
    three_payments, redis_cache, django_capture_on_commit_callbacks
):
    w = three_payments

    def totals(**query):
        client = client_for(w.bureau)
        with CaptureQueriesContext(connection) as queries:
            summary = client.get(reverse("subsidies:payment_list"), query).context["summary"]
        summed = any("SUM(" in query["sql"] for query in queries.captured_queries)
        return summary["count"], summed

    assert totals() == (3, True)
    assert totals() == (3, False)
    assert totals(school=w.school2.pk) == (1, True)
    assert totals(school=w.school2.pk) == (1, False)
    assert totals(name="王") == (2, True)
    assert totals(name="王") == (2, False)
    with django_capture_on_commit_callbacks(execute=True):
        paid_batch(w, "boarding-living-allowance", SPRING, w.school2, [{"child": w.child2.pk}])
    assert totals() == (4, True)
    assert totals(school=w.school2.pk) == (2, True)


def test_a_township_does_not_see_the_totals_cached_for_the_county(three_payments, redis_cache):
    w = three_payments
    assert get(w.bureau, "payment_list").context["summary"]["count"] == 3
    assert get(w.township2_user, "payment_list").context["summary"]["count"] == 1


def test_gap_results_page_uses_a_bounded_number_of_queries(ledger, django_assert_max_num_queries):
    client = client_for(ledger.bureau)
    url = reverse("subsidies:gap_detail", args=[ledger.run.pk])
    client.get(url)
    with django_assert_max_num_queries(15):
        assert client.get(url).status_code == 200


def test_the_public_notice_is_printable_and_scoped(scenario):
    from subsidies.services import identification

    w = scenario
    identification.pre_identify(actor=w.school1_user, school=w.school1, school_year=YEAR)
    page = get(w.school1_user, "identification_notice", school=w.school1.pk, school_year=YEAR)
    assert page.status_code == 200 and "王小一" in page.content.decode()
    other = get(w.school1_user, "identification_notice", school=w.school2.pk, school_year=YEAR)
    assert other.status_code == 404
