"""The demo county's subsidies: three school years of batches and payments, and the entitlement
check finds exactly the deliberate errors (and not the corrected one)."""

from django.utils import timezone

from enrollment.demo import SCALES, demo_accounts, ensure_demo_users, load_demo
from subsidies.demo import DEMO_MANIFEST, demo_years, load_subsidies_demo
from subsidies.models import Batch, Donation, GapRun, Payment, ReliefFund, terms_of_year
from subsidies.selectors import fund_summary, report_line
from subsidies.services.gaps import find_gaps

from .conftest import ensure_catalogue


def test_demo_has_three_years_and_the_check_finds_exactly_the_deliberate_errors(
    db, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    ensure_catalogue()
    county, _created = load_demo("demo")
    ensure_demo_users(county)
    summary = load_subsidies_demo(county, demo_accounts(county), SCALES["demo"])
    assert "payments" in summary
    years = demo_years(timezone.localdate())
    paid_years = set(
        Payment.objects.filter(batch__status=Batch.Status.PAID).values_list(
            "school_year", flat=True
        )
    )
    assert set(years) <= paid_years
    assert Payment.objects.count() > 3000

    manifest = DEMO_MANIFEST[county.pk]
    kinds = {kind for kind, *_rest in manifest}
    assert kinds == {"missing", "short", "not_enrolled", "ineligible", "duplicate"}
    found = set()
    for year in years:
        for term in terms_of_year(year):
            found |= {
                (gap.kind, gap.child_id, gap.programme.code, gap.period)
                for gap in find_gaps(county, term)
            }
    assert found == set(manifest)

    run = GapRun.objects.get(county=county)
    assert run.status == "done" and run.counts["total"] == sum(
        1 for item in manifest if item[3] == terms_of_year(years[-1])[-1]
    )
    fund = ReliefFund.objects.get(county=county)
    assert fund.balance > 0 and len(fund_summary(fund)["years"]) >= 4
    assert set(Donation.objects.values_list("kind", flat=True)) == {"money", "goods", "building"}
    line = report_line(Payment.objects.all(), years[-1])
    assert line["total"] > 0 and "义务教育寄宿制贫困生补助" in line["text"]

    # Idempotent.
    assert "already present" in load_subsidies_demo(county, demo_accounts(county), SCALES["demo"])
