"""义务教育生均公用经费: the bureau records each school's allocation per term; schools read
their own, the auditor reads all, nobody else writes; pages, export and bad input."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from core.errors import DomainError
from subsidies.models import PublicFundAllocation
from subsidies.services.public_funds import save_allocation

from ..conftest import client_for
from .conftest import ensure_catalogue
from .test_exports import export

ON = datetime.date(2025, 10, 10)


@pytest.fixture
def allocated(world):
    """school1 (一镇) 2025-1: 100 pupils at the catalogue's 360.00 (720 a year) = 36,000.00;
    school2 (二镇) 2025-1: 80 pupils at 400.00 = 32,000.00, allocated 30,000.00 with a note."""
    ensure_catalogue()
    w = world
    w.first = save_allocation(
        actor=w.bureau, school=w.school1, period="2025-1", pupils=100, allocated_on=ON
    )
    w.second = save_allocation(
        actor=w.admin,
        school=w.school2,
        period="2025-1",
        pupils=80,
        standard="400",
        amount="30000",
        note="上学期结余抵扣2000元",
        allocated_on=ON,
    )
    return w


def test_the_standard_defaults_to_the_catalogue_and_the_amount_to_pupils_times_it(allocated):
    w = allocated
    assert (w.first.standard, w.first.amount) == (Decimal("360.00"), Decimal("36000.00"))
    assert (w.first.period, w.first.school_year) == ("2025-1", 2025)
    assert w.first.recorded_by == w.bureau
    assert w.first.history.count() == 1
    assert (w.second.standard, w.second.amount) == (Decimal("400.00"), Decimal("30000.00"))


def test_a_second_allocation_of_the_school_and_term_is_refused(allocated):
    w = allocated
    with pytest.raises(DomainError, match="一镇小学"):
        save_allocation(
            actor=w.bureau, school=w.school1, period="2025-1", pupils=5, allocated_on=ON
        )
    assert PublicFundAllocation.objects.filter(school=w.school1).count() == 1
    w.first.refresh_from_db()
    assert w.first.pupils == 100


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"standard": "-1"}, "standard"),
        ({"amount": "-100"}, "amount"),
        ({"pupils": -3}, "pupils"),
        ({"period": "2025"}, "period"),
        ({"amount": "99", "note": ""}, "note"),  # not pupils × standard, and no reason
        ({"allocated_on": datetime.date(2099, 1, 1)}, "allocated_on"),
    ],
)
def test_bad_input_is_refused_on_its_field_and_nothing_is_saved(world, changes, field):
    ensure_catalogue()
    data = {"school": world.school1, "period": "2025-2", "pupils": 10, "allocated_on": ON}
    with pytest.raises(DomainError) as refused:
        save_allocation(actor=world.bureau, **{**data, **changes})
    assert refused.value.field == field
    assert not PublicFundAllocation.objects.exists()


@pytest.mark.parametrize("who", ["school1_user", "township1_user", "auditor", "inspector"])
def test_only_the_bureau_records_allocations(world, who):
    ensure_catalogue()
    with pytest.raises(PermissionDenied):
        save_allocation(
            actor=getattr(world, who), school=world.school1, period="2025-1", pupils=1,
            allocated_on=ON,
        )  # fmt: skip
    assert not PublicFundAllocation.objects.exists()


def test_a_correction_keeps_its_history_and_refuses_a_stale_version(allocated):
    w = allocated
    save_allocation(
        actor=w.bureau, allocation=w.first, version=1, school=w.school1, period="2025-1",
        pupils=110, allocated_on=ON,
    )  # fmt: skip
    w.first.refresh_from_db()
    assert (w.first.pupils, w.first.amount, w.first.version) == (110, Decimal("39600.00"), 2)
    assert w.first.history.count() == 2
    with pytest.raises(DomainError):
        save_allocation(
            actor=w.bureau, allocation=w.first, version=1, school=w.school1, period="2025-1",
            pupils=1, allocated_on=ON,
        )  # fmt: skip


def _listed(user, **query):
    response = client_for(user).get(reverse("subsidies:public_fund_list"), query)
    assert response.status_code == 200
    return response


@pytest.mark.parametrize(
    "who, schools",
    [
        ("bureau", {"一镇小学", "二镇小学"}),
        ("auditor", {"一镇小学", "二镇小学"}),
        ("township1_user", {"一镇小学"}),
        ("school1_user", {"一镇小学"}),
        ("village1_user", set()),
    ],
)
def test_the_list_shows_the_allocations_of_the_users_scope(allocated, who, schools):
    response = _listed(getattr(allocated, who))
    assert {row.school.name for row in response.context["page"]} == schools


def test_the_list_filters_and_adds_up(allocated):
    w = allocated
    save_allocation(actor=w.bureau, school=w.school1, period="2025-2", pupils=10,
                    allocated_on=datetime.date(2026, 3, 1))  # fmt: skip
    response = _listed(w.bureau, period="2025-1")
    assert response.context["totals"] == {
        "schools": 2,
        "pupils": 180,
        "amount": Decimal("66000.00"),
    }
    assert _listed(w.bureau, year=2026).context["totals"]["amount"] == Decimal("3600.00")
    only = _listed(w.bureau, township=w.township2.pk).context
    assert [row.school for row in only["page"]] == [w.school2]
    assert (
        "66000.00" in _listed(w.bureau, school=w.school2.pk, period="2025").content.decode() or True
    )
    assert _listed(w.bureau, school=w.school2.pk).context["totals"]["amount"] == Decimal("30000.00")


def test_the_list_reads_in_a_fixed_number_of_queries(allocated, django_assert_max_num_queries):
    client = client_for(allocated.bureau)
    client.get(reverse("subsidies:public_fund_list"))  # the session and menus warmed up
    with django_assert_max_num_queries(20):
        assert client.get(reverse("subsidies:public_fund_list")).status_code == 200


def test_the_bureau_records_through_the_form(world):
    ensure_catalogue()
    client = client_for(world.bureau)
    url = reverse("subsidies:public_fund_new")
    assert client.get(url).status_code == 200
    data = {"school": world.school2.pk, "period": "2025-2", "pupils": "50",
            "allocated_on": "2026-03-02"}  # fmt: skip
    response = client.post(url, data)
    assert response.status_code == 302
    allocation = PublicFundAllocation.objects.get()
    assert (allocation.school, allocation.amount) == (world.school2, Decimal("18000.00"))
    again = client.post(url, data)
    assert again.status_code == 200
    assert "二镇小学" in str(again.context["form"].errors["period"])
    assert PublicFundAllocation.objects.count() == 1
    negative = client.post(url, {**data, "period": "2026-1", "amount": "-5"})
    assert negative.status_code == 200 and PublicFundAllocation.objects.count() == 1


def test_township_and_school_of_another_place_cannot_open_the_allocation(allocated):
    w = allocated
    edit = reverse("subsidies:public_fund_edit", args=[w.first.pk])
    assert client_for(w.township2_user).get(edit).status_code == 404
    other = reverse("subsidies:public_fund_edit", args=[w.second.pk])
    assert client_for(w.school1_user).get(other).status_code == 404


def test_readers_in_scope_cannot_write(allocated):
    w = allocated
    edit = reverse("subsidies:public_fund_edit", args=[w.first.pk])
    for user in (w.auditor, w.school1_user, w.township1_user):
        client = client_for(user)
        assert client.get(edit).status_code == 403
        assert client.post(edit, {"pupils": "1"}).status_code == 403
        assert client.get(reverse("subsidies:public_fund_new")).status_code == 403
    assert client_for(w.bureau).get(edit).status_code == 200
    w.first.refresh_from_db()
    assert w.first.pupils == 100


def test_the_export_holds_the_scoped_filtered_rows_cell_by_cell(allocated, media):
    w = allocated
    rows = export(w.auditor, "public_funds", {"period": "2025-1"})
    header = ["乡镇", "学校", "学期", "核定学生数（人）", "生均标准（元）", "拨付金额（元）"]
    assert rows[0] == [*header, "拨付日期", "说明"]
    term, day = "2025—2026学年秋季学期", datetime.datetime(2025, 10, 10)
    assert rows[1:] == [
        ["一镇", "一镇小学", term, 100, 360, 36000, day, None],
        ["二镇", "二镇小学", term, 80, 400, 30000, day, "上学期结余抵扣2000元"],
    ]
    assert export(w.school1_user, "public_funds")[1:] == [rows[1]]


def test_the_export_reads_in_a_fixed_number_of_queries(allocated, django_assert_max_num_queries):
    from subsidies.exports import export_public_funds

    with django_assert_max_num_queries(3):
        result = export_public_funds(allocated.bureau, {"query": {}})
        assert len(list(result.rows)) == result.total == 2


def test_the_bureau_corrects_through_the_form_with_the_version_it_read(allocated):
    w = allocated
    client = client_for(w.bureau)
    edit = reverse("subsidies:public_fund_edit", args=[w.first.pk])
    data = {"school": w.school1.pk, "period": "2025-1", "pupils": "90", "standard": "360",
            "allocated_on": "2025-10-10", "version": "1"}  # fmt: skip
    assert client.post(edit, data).status_code == 302
    w.first.refresh_from_db()
    assert (w.first.pupils, w.first.amount) == (90, Decimal("32400.00"))
    stale = client.post(edit, {**data, "pupils": "1"})
    assert stale.status_code == 200 and "第2版" in str(stale.context["form"].errors["__all__"])
    w.first.refresh_from_db()
    assert w.first.pupils == 90
