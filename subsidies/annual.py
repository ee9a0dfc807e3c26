"""The subsidies section of the annual summary (年度工作数据, core.annual): the money paid in the
calendar year in total and per programme (reversals netted into the year of the payment they
reverse), the schools' per-pupil public funds (义务教育生均公用经费), the relief fund (county
only) and the donations — with the report's sentences 二（一）, 二（二） and 五（二）."""

from decimal import Decimal
from urllib.parse import urlencode

from django.db.models import Count, Min, Q, Sum
from django.urls import reverse
from django.utils.translation import gettext as _

from core.annual import CALENDAR, AnnualScope, Figure, Section

from .models import Donation, Payment, Programme, PublicFundAllocation, ReliefFund
from .selectors import beneficiary_q, fund_summary, paid_in_year, report_line, yuan_to_wan

ZERO = Decimal("0.00")
YUAN = "元"


def _money(value) -> Decimal:
    return Decimal(value or 0).quantize(Decimal("0.01"))


def _url(scope: AnnualScope, name: str, township_key: str | None = "township", **query) -> str:
    if scope.township is not None and township_key:
        query[township_key] = scope.township.pk
    return f"{reverse(name)}?{urlencode(query)}"


def _payments(scope: AnnualScope):
    payments = Payment.objects.for_user(scope.user).filter(township__county=scope.county)
    if scope.township is not None:
        payments = payments.filter(township=scope.township)
    return payments


def _allocations(scope: AnnualScope):
    allocations = PublicFundAllocation.objects.for_user(scope.user).filter(
        school__township__county=scope.county
    )
    if scope.township is not None:
        allocations = allocations.filter(school__township=scope.township)
    return allocations


def _donations(scope: AnnualScope):
    donations = Donation.objects.for_user(scope.user).filter(county=scope.county)
    if scope.township is not None:
        donations = donations.filter(school__township=scope.township)
    return donations


def _programmes(year: int) -> list[Programme]:
    """The programmes paid per child that were in force at some time in the calendar year."""
    start, end = f"{year}-01-01", f"{year}-12-31"
    return list(
        Programme.objects.filter(per_child=True, active_from__lte=end)
        .filter(Q(active_until__isnull=True) | Q(active_until__gte=start))
        .order_by("report_order", "code")
    )


def _payment_figures(scope: AnnualScope, paid, public_funds: dict) -> list[Figure]:
    year = scope.year
    by_programme = {
        row["programme_id"]: row
        for row in paid.order_by()
        .values("programme_id")
        .annotate(
            amount=Sum("amount"),
            children=Count("child", distinct=True, filter=beneficiary_q()),
        )
    }
    overall = paid.aggregate(
        amount=Sum("amount"), children=Count("child", distinct=True, filter=beneficiary_q())
    )
    paid_amount = _money(overall["amount"])
    public_amount = _money(public_funds["amount"])
    lines_url = _url(scope, "subsidies:payment_list", paid_year=year)
    public_url = _url(scope, "subsidies:public_fund_list", year=year)
    figures = [
        Figure(
            key="subsidies.total",
            label=_("Subsidies and public funds paid in the year"),
            value=paid_amount + public_amount,
            unit=YUAN,
            basis=CALENDAR,
            drill_url=_url(scope, "subsidies:totals", year=year),
        ),
        Figure(
            key="subsidies.payments",
            label=_("Subsidies paid to children in the year"),
            value=paid_amount,
            unit=YUAN,
            drill_url=lines_url,
        ),
        Figure(
            key="subsidies.children",
            label=_("Children who received subsidies"),
            value=overall["children"] or 0,
            unit="人",
            drill_url=lines_url,
        ),
    ]
    for programme in _programmes(year):
        row = by_programme.get(programme.pk, {})
        url = _url(scope, "subsidies:payment_list", paid_year=year, programme=programme.pk)
        figures += [
            Figure(
                key=f"subsidies.programme.{programme.code}.amount",
                label=programme.name,
                value=_money(row.get("amount")),
                unit=YUAN,
                drill_url=url,
                chart=_("Money paid by programme"),
            ),
            Figure(
                key=f"subsidies.programme.{programme.code}.children",
                label=_("%(programme)s: children") % {"programme": programme.name},
                value=row.get("children") or 0,
                unit="人",
                drill_url=url,
            ),
        ]
    figures += [
        Figure(
            key="subsidies.public_funds.amount",
            label=_("Per-pupil public funds of compulsory education allocated"),
            value=public_amount,
            unit=YUAN,
            drill_url=public_url,
            chart=_("Money paid by programme"),
        ),
        Figure(
            key="subsidies.public_funds.schools",
            label=_("Schools allocated per-pupil public funds"),
            value=public_funds["schools"] or 0,
            unit="个",
            drill_url=public_url,
        ),
    ]
    return figures


def _fund_part(scope: AnnualScope) -> tuple[list[Figure], list[str]]:
    """The relief fund is the county's: a township's summary shows its figures as None."""
    fund = None
    if scope.township is None:
        fund = ReliefFund.objects.for_user(scope.user).filter(county=scope.county).first()
    summary = fund_summary(fund, until=scope.year) if fund is not None else None
    year_row = next(
        (row for row in (summary or {}).get("years", []) if row["year"] == scope.year), None
    )
    size = None
    if summary is not None:
        # The size at the end of the year: that of the last year with entries up to it.
        size = summary["years"][-1]["size"] if summary["years"] else ZERO

    def value(number):
        return None if summary is None else number

    url = "" if summary is None else _url(scope, "subsidies:fund_ledger", None, year=scope.year)
    figures = [
        Figure(
            key="subsidies.fund.size",
            label=_("Relief fund: size at the year's end"),
            value=value(_money(size)),
            unit=YUAN,
            drill_url=url,
        ),
        Figure(
            key="subsidies.fund.disbursed",
            label=_("Relief fund: granted in the year"),
            value=value(_money(year_row["disbursed"] if year_row else 0)),
            unit=YUAN,
            drill_url=url,
        ),
        Figure(
            key="subsidies.fund.students",
            label=_("Relief fund: students helped in the year"),
            value=value(year_row["students"] if year_row else 0),
            unit="名",
            drill_url=url,
        ),
        Figure(
            key="subsidies.fund.cumulative_disbursed",
            label=_("Relief fund: granted since it was founded"),
            value=value(_money(summary["disbursed"]) if summary else None),
            unit=YUAN,
        ),
        Figure(
            key="subsidies.fund.cumulative_students",
            label=_("Relief fund: students helped since it was founded"),
            value=value(summary["students"] if summary else None),
            unit="名",
        ),
    ]
    sentences = []
    if summary is not None:
        sentences.append(
            f"{scope.year}年，基金规模{yuan_to_wan(size)}万元，发放"
            f"{yuan_to_wan(year_row['disbursed'] if year_row else 0)}万元，惠及"
            f"{year_row['students'] if year_row else 0}名特困学生。{summary['text']}"
        )
    return figures, sentences


def _donation_part(scope: AnnualScope) -> tuple[list[Figure], list[str]]:
    donations = _donations(scope)
    enterprise = Q(donor_kind=Donation.DonorKind.ENTERPRISE)
    individual = Q(donor_kind=Donation.DonorKind.INDIVIDUAL)
    this_year = donations.filter(date__year=scope.year).aggregate(
        enterprises=Count("donor", distinct=True, filter=enterprise),
        enterprise_amount=Sum("value", filter=enterprise),
        individuals=Count("donor", distinct=True, filter=individual),
        individual_amount=Sum("value", filter=individual),
        amount=Sum("value"),
    )
    so_far = donations.filter(date__year__lte=scope.year).aggregate(
        first=Min("date"),
        enterprises=Count("donor", distinct=True, filter=enterprise),
        enterprise_amount=Sum("value", filter=enterprise),
    )
    years = scope.year - so_far["first"].year + 1 if so_far["first"] else 0
    url = _url(scope, "subsidies:donation_list", year=scope.year)
    figures = [
        Figure("subsidies.donations.enterprises", _("Enterprises that donated in the year"),
               this_year["enterprises"], "个", CALENDAR, url),
        Figure("subsidies.donations.enterprise_amount", _("Donations of enterprises in the year"),
               _money(this_year["enterprise_amount"]), YUAN, CALENDAR, url),
        Figure("subsidies.donations.individuals", _("Individuals who donated in the year"),
               this_year["individuals"], "名", CALENDAR, url),
        Figure("subsidies.donations.individual_amount", _("Donations of individuals in the year"),
               _money(this_year["individual_amount"]), YUAN, CALENDAR, url),
        Figure("subsidies.donations.amount", _("Donations in the year"),
               _money(this_year["amount"]), YUAN, CALENDAR, url),
        Figure("subsidies.donations.years", _("Years with donations recorded"), years, "年"),
        Figure("subsidies.donations.cumulative_enterprises",
               _("Enterprises that donated over those years"), so_far["enterprises"], "个"),
        Figure("subsidies.donations.cumulative_enterprise_amount",
               _("Donations of enterprises over those years"),
               _money(so_far["enterprise_amount"]), YUAN),
    ]  # fmt: skip
    sentences = []
    if years:
        wan = int(_money(so_far["enterprise_amount"]) // 10000)
        sentences.append(f"近{years}年，捐赠企业不下{so_far['enterprises']}家，金额达{wan}多万元。")
    return figures, sentences


def annual_section(scope: AnnualScope) -> Section | None:
    year = scope.year
    payments = _payments(scope)
    allocations = _allocations(scope)
    public_funds = allocations.filter(allocated_on__year=year).aggregate(
        amount=Sum("amount"), schools=Count("school", distinct=True)
    )
    figures = _payment_figures(scope, paid_in_year(payments, year), public_funds)
    fund_figures, fund_sentences = _fund_part(scope)
    donation_figures, donation_sentences = _donation_part(scope)
    line = report_line(payments, year, allocations=allocations)
    return Section(
        key="subsidies",
        title=_("Student subsidies"),
        figures=figures + fund_figures + donation_figures,
        sentences=[line["text"], *fund_sentences, *donation_sentences],
    )
