"""The rural teacher allowance: batches per month at the tier's amount, negative amounts refused,
a paid batch frozen, the unpaid list (足额下拨 check), totals by month, scopes and Excel."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from core.errors import DomainError, TransitionRefused
from teachers import selectors
from teachers.models import AllowanceBatch, AllowancePayment, PostType
from teachers.services import allowances

from ..conftest import client_for
from .conftest import export_and_read, register, today


def last_month():
    return (today().replace(day=1) - datetime.timedelta(days=1)).replace(day=1)


@pytest.fixture
def rural_staff(world, rural_school2):
    t = type("RuralStaff", (), {})()
    t.a = register(world, rural_school2, name="乡村甲")
    t.b = register(world, rural_school2, name="乡村乙")
    t.substitute = register(world, rural_school2, name="代课丙", post_type=PostType.SUBSTITUTE)
    t.town = register(world, world.school1, name="城镇丁")  # school1 has no tier
    return t


def paid_batch(world, period, *, drop=()):
    batch = allowances.create_batch(actor=world.admin, county=world.county, period=period)
    for payment in batch.payments.filter(teacher__in=drop):
        allowances.remove_payment(actor=world.admin, payment=payment)
    return allowances.mark_batch_paid(actor=world.admin, batch=batch, paid_on=today())


def test_a_batch_pays_every_eligible_rural_teacher_the_tiers_amount(world, rural_staff):
    batch = allowances.create_batch(actor=world.admin, county=world.county, period=last_month())
    payments = {p.teacher.name: p for p in batch.payments.select_related("teacher")}
    assert set(payments) == {"乡村甲", "乡村乙"}  # no substitutes, no town schools
    assert {p.amount for p in payments.values()} == {Decimal("400.00")}
    assert {p.tier_name for p in payments.values()} == {"一类"}
    assert batch.status == AllowanceBatch.Status.DRAFT


def test_a_second_batch_for_the_same_month_finds_nobody_to_pay(world, rural_staff):
    allowances.create_batch(actor=world.admin, county=world.county, period=last_month())
    with pytest.raises(DomainError, match="均已有发放记录"):
        allowances.create_batch(actor=world.admin, county=world.county, period=last_month())
    assert AllowanceBatch.objects.count() == 1


def test_bad_months_are_refused(world, rural_staff):
    with pytest.raises(DomainError, match="2025-03"):
        allowances.create_batch(actor=world.admin, county=world.county, period="March")
    next_month = (today().replace(day=28) + datetime.timedelta(days=5)).replace(day=1)
    with pytest.raises(DomainError, match="尚未开始"):
        allowances.create_batch(actor=world.admin, county=world.county, period=next_month)


def test_a_negative_amount_is_refused_and_nothing_changes(world, rural_staff):
    batch = allowances.create_batch(actor=world.admin, county=world.county, period=last_month())
    payment = batch.payments.first()
    with pytest.raises(DomainError, match="负数") as refused:
        allowances.change_payment_amount(actor=world.admin, payment=payment, amount="-5")
    assert refused.value.field == "amount"
    payment.refresh_from_db()
    assert payment.amount == Decimal("400.00")
    allowances.remove_payment(actor=world.admin, payment=payment)
    with pytest.raises(DomainError, match="负数"):
        allowances.add_payment(
            actor=world.admin, batch=batch, teacher=payment.teacher, amount=Decimal("-0.01")
        )
    assert batch.payments.count() == 1


def test_a_teacher_is_paid_once_per_month(world, rural_staff):
    batch = allowances.create_batch(actor=world.admin, county=world.county, period=last_month())
    with pytest.raises(DomainError, match="已有发放记录"):
        allowances.add_payment(actor=world.admin, batch=batch, teacher=rural_staff.a, amount=400)


def test_a_paid_batch_cannot_be_changed(world, rural_staff):
    batch = paid_batch(world, last_month())
    assert (batch.status, batch.paid_on) == ("paid", today())
    with pytest.raises(TransitionRefused):
        allowances.remove_payment(actor=world.admin, payment=batch.payments.first())
    with pytest.raises(TransitionRefused):
        allowances.mark_batch_paid(actor=world.admin, batch=batch, paid_on=today())


def test_the_unpaid_list_names_rural_teachers_left_out_of_the_months_paid_batches(
    world, rural_staff
):
    period = last_month()
    paid_batch(world, period, drop=[rural_staff.b])
    teachers = world.county and type(rural_staff.a).objects.all()
    assert [t.name for t in selectors.unpaid_teachers(teachers, period)] == ["乡村乙"]
    # A draft batch does not count as paid.
    allowances.create_batch(actor=world.admin, county=world.county, period=period)
    assert [t.name for t in selectors.unpaid_teachers(teachers, period)] == ["乡村乙"]
    page = client_for(world.auditor).get(
        reverse("teachers:allowance_unpaid"), {"period": f"{period:%Y-%m}"}
    )
    assert [t.name for t in page.context["page"]] == ["乡村乙"]


def test_totals_by_month_count_paid_batches_only(world, rural_staff):
    period = last_month()
    earlier = (period - datetime.timedelta(days=1)).replace(day=1)
    paid_batch(world, earlier)
    paid_batch(world, period, drop=[rural_staff.b])
    totals = selectors.totals_by_period(AllowancePayment.objects.all())
    assert totals == [
        {"period": period, "teachers": 1, "amount": Decimal("400.00")},
        {"period": earlier, "teachers": 2, "amount": Decimal("800.00")},
    ]


def test_allowance_scope_township_official_sees_own_payments_only(world, rural_staff):
    batch = paid_batch(world, last_month())
    assert (
        client_for(world.township2_user)
        .get(reverse("teachers:batch_detail", args=[batch.pk]))
        .status_code
        == 200
    )
    assert (
        client_for(world.township1_user)
        .get(reverse("teachers:batch_detail", args=[batch.pk]))
        .status_code
        == 404
    )


def test_only_managers_create_batches(world, rural_staff):
    data = {"period": f"{last_month():%Y-%m}"}
    assert client_for(world.auditor).post(reverse("teachers:batch_new"), data).status_code == 403
    assert (
        client_for(world.township2_user).post(reverse("teachers:batch_new"), data).status_code
        == 403
    )
    response = client_for(world.bureau).post(reverse("teachers:batch_new"), data)
    batch = AllowanceBatch.objects.get()
    assert response["Location"] == reverse("teachers:batch_detail", args=[batch.pk])


def test_a_negative_amount_on_the_payment_form_is_shown_on_the_form(world, rural_staff):
    batch = allowances.create_batch(actor=world.admin, county=world.county, period=last_month())
    allowances.remove_payment(actor=world.admin, payment=batch.payments.get(teacher=rural_staff.a))
    response = client_for(world.admin).post(
        reverse("teachers:batch_add_payment", args=[batch.pk]),
        {"teacher": rural_staff.a.pk, "amount": "-100"},
    )
    assert response.status_code == 200
    assert "负数" in str(response.context["form"].errors["amount"])
    assert batch.payments.count() == 1


def test_unpaid_export_read_back(world, rural_staff, media):
    period = last_month()
    paid_batch(world, period, drop=[rural_staff.a])
    sheet = export_and_read(
        client_for(world.bureau),
        reverse("teachers:allowance_unpaid_export"),
        {"period": f"{period:%Y-%m}"},
    )
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == (
        "序号",
        "姓名",
        "乡镇",
        "学校",
        "岗位类型",
        "补助档次",
        "月标准（元）",
        "月份",
    )
    assert rows[1:] == [(1, "乡村甲", "二镇", "二镇小学", "在编", "一类", 400, f"{period:%Y-%m}")]


def test_batch_list_counts_only_the_payments_a_township_may_see(world, rural_staff, tier):
    allowances.set_school_tier(actor=world.admin, school=world.school1, tier=tier)
    paid_batch(world, last_month())  # school1: 城镇丁; school2: 乡村甲, 乡村乙
    county_row = (
        client_for(world.auditor).get(reverse("teachers:allowance_list")).context["page"][0]
    )
    assert (county_row.n, county_row.amount) == (3, Decimal("1200.00"))
    township_row = (
        client_for(world.township1_user).get(reverse("teachers:allowance_list")).context["page"][0]
    )
    assert (township_row.n, township_row.amount) == (1, Decimal("400.00"))
