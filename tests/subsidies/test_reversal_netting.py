"""A reversal counts in the year of the payment it reverses: paid in 2025 and reversed in 2026,
the 2025 figures are reduced and 2026 shows no negative programme amount."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from core.annual import AnnualScope, flat_figures
from subsidies.annual import annual_section
from subsidies.filters import PaymentFilter
from subsidies.models import Payment
from subsidies.selectors import paid_in_year, report_line
from subsidies.services import batches

from ..conftest import client_for
from .conftest import AUTUMN
from .yearend import pay_on, reverse_on, settle

BOARDING = "boarding-living-allowance"


@pytest.fixture
def reversed_across_years(scenario):
    """child1 (school1, boarder, registered poor): 500.00 paid 2025-11-15, reversed and the
    correction paid 2026-03-01; child2 (school2, low-income non-boarder, junior): 312.50 paid
    2025-11-15, and a supplement of 50.00 paid 2026-03-01."""
    w = scenario
    first = pay_on(
        w, BOARDING, AUTUMN, w.school1, [{"child": w.child1.pk}], datetime.date(2025, 11, 15)
    )
    second = pay_on(
        w, BOARDING, AUTUMN, w.school2, [{"child": w.child2.pk}], datetime.date(2025, 11, 15)
    )
    w.original = first.payments.get()
    w.reversal = reverse_on(w, w.original, datetime.date(2026, 3, 1))
    w.kept = second.payments.get()
    supplement = batches.supplement_payment(
        actor=w.bureau, payment=w.kept, amount="50", reason="补足差额"
    )
    settle(w, supplement.batch, datetime.date(2026, 3, 1))
    return w


def test_the_reversal_is_stored_as_a_negative_line_linked_to_the_original(reversed_across_years):
    w = reversed_across_years
    assert w.reversal.amount == Decimal("-500.00")
    assert w.reversal.corrects == w.original
    assert w.reversal.paid_on == datetime.date(2026, 3, 1)


def test_the_report_line_nets_the_reversal_into_the_original_year(reversed_across_years):
    payments = Payment.objects.all()
    year_2025 = report_line(payments, 2025)
    assert year_2025["total"] == Decimal("312.50")  # 500 + 312.50 − 500
    assert [row["amount"] for row in year_2025["items"]] == [Decimal("312.50")]
    year_2026 = report_line(payments, 2026)
    assert year_2026["total"] == Decimal("50.00")  # the supplement only, no −500
    assert all(row["amount"] > 0 for row in year_2026["items"])
    assert "-" not in year_2026["text"]


def test_paid_in_year_holds_the_reversal_in_its_payments_year(reversed_across_years):
    w = reversed_across_years
    assert set(paid_in_year(Payment.objects.all(), 2025)) == {w.original, w.reversal, w.kept}
    assert [p.kind for p in paid_in_year(Payment.objects.all(), 2026)] == ["supplement"]


def test_the_totals_page_of_the_later_year_shows_no_negative_amount(reversed_across_years):
    client = client_for(reversed_across_years.bureau)
    later = client.get(reverse("subsidies:totals"), {"year": 2026, "by": "programme"})
    assert [row["amount"] for row in later.context["rows"]] == [Decimal("50.00")]
    earlier = client.get(reverse("subsidies:totals"), {"year": 2025, "by": "school"})
    assert {row["name"]: row["amount"] for row in earlier.context["rows"]} == {
        "一镇小学": Decimal("0.00"),
        "二镇小学": Decimal("312.50"),
    }


def test_the_annual_figures_net_by_the_original_year(reversed_across_years):
    w = reversed_across_years

    def figures(year):
        scope = AnnualScope(w.bureau, w.county, None, year, datetime.date(2026, 12, 7))
        return flat_figures([annual_section(scope)])

    earlier, later = figures(2025), figures(2026)
    assert earlier[f"subsidies.programme.{BOARDING}.amount"].value == Decimal("312.50")
    # child1's money came back: only child2 kept a subsidy of 2025.
    assert earlier[f"subsidies.programme.{BOARDING}.children"].value == 1
    assert later[f"subsidies.programme.{BOARDING}.amount"].value == Decimal("50.00")
    assert all(
        figure.value is None or figure.value >= 0
        for key, figure in later.items()
        if key.startswith("subsidies.programme.")
    )


def test_the_drill_down_lists_the_lines_of_the_years_figure(reversed_across_years):
    w = reversed_across_years
    filtered = PaymentFilter({"paid_year": "2025"}, queryset=Payment.objects.all(), request=None)
    assert sum(line.amount for line in filtered.qs) == Decimal("312.50")
    response = client_for(w.bureau).get(reverse("subsidies:payment_list"), {"paid_year": 2026})
    assert [line.kind for line in response.context["page"]] == ["supplement"]
