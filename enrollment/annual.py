"""The registry's section of the annual summary (年度工作数据, core.annual): the school-age
population and the enrollment rate on the day (overall, primary, junior), the transition rate
(小学毕业生升入初中), special-education placements, household visits with the teachers who went
(千名教师进村入户), help pairings and the partner units' help activities."""

import datetime
from decimal import ROUND_HALF_UP, Decimal
from urllib.parse import urlencode

from django.db.models import BooleanField, Count, F, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.translation import gettext as _

from core.annual import CALENDAR, ON_DAY, SCHOOL_YEAR, AnnualScope, Figure, Section

from .help_models import HelpActivity, PartnerUnit
from .models import (
    Child,
    EnrollmentStatus,
    EnrollmentStatusChange,
    HelpPairing,
    HouseholdVisit,
)
from .promotion import transition_rate
from .selectors import (
    LEDGER_DEPARTED,
    STAGE_JUNIOR,
    STAGE_PRIMARY,
    ledger_population,
    ledger_summary,
    stage_q,
    summary_total,
)

S = EnrollmentStatus


def percent(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(100 * part) / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def shown_percent(value: Decimal | None) -> str:
    """100.0 → "100%", 99.5 → "99.5%", None → "—" (the report's way of writing a rate)."""
    if value is None:
        return "—"
    return f"{value.normalize():f}%" if value == value.to_integral() else f"{value}%"


def _rate(rows: list[dict]) -> tuple[dict, Decimal | None]:
    total = summary_total(rows)
    return total, percent(total["enrolled"], total["population"] - total["exempted"])


def _place_filter(scope: AnnualScope, path: str) -> dict:
    """The lookup that keeps a model's rows of the scope's county or township (`path` leads
    from the model to the village)."""
    if scope.township is not None:
        return {f"{path}__township": scope.township.pk}
    return {f"{path}__township__county": scope.county.pk}


def _ledger_url(scope: AnnualScope, as_of: datetime.date | None, **filters) -> str:
    if scope.township is not None:
        url = reverse("enrollment:township_ledger", args=[scope.township.pk])
    else:
        url = reverse("enrollment:county_ledger", args=[scope.county.pk])
    query = {**({"as_of": as_of.isoformat()} if as_of else {}), **filters}
    return f"{url}?{urlencode(query)}" if query else url


def _activities_url(scope: AnnualScope) -> str:
    start, end = scope.calendar
    query = {"date_from": start.isoformat(), "date_to": end.isoformat()}
    if scope.township is not None:
        query["township"] = scope.township.pk
    return f"{reverse('enrollment:help_activity_list')}?{urlencode(query)}"


def enrollment_figures(scope: AnnualScope) -> dict:
    """The ledger's figures on the summary's day (ledger_population / ledger_summary): 4
    queries."""
    day = scope.day
    as_of = None if day >= scope.today else day
    children = Child.objects.for_user(scope.user).filter(**_place_filter(scope, "village"))
    population = ledger_population(children, day=day, as_of=as_of)
    group = "village__township__county"
    overall, rate = _rate(ledger_summary(population, group_by=group))
    _primary, primary_rate = _rate(
        ledger_summary(population.filter(stage_q(STAGE_PRIMARY, day)), group_by=group)
    )
    _junior, junior_rate = _rate(
        ledger_summary(population.filter(stage_q(STAGE_JUNIOR, day)), group_by=group)
    )
    if as_of is None:
        inclusive = F("is_inclusive")
    else:
        inclusive = Coalesce(
            Subquery(
                EnrollmentStatusChange.objects.filter(
                    child=OuterRef("pk"), effective_date__lte=as_of
                )
                .order_by("-effective_date", "-pk")
                .values("is_inclusive")[:1]
            ),
            Value(False),
            output_field=BooleanField(),
        )
    special = (
        population.exclude(LEDGER_DEPARTED)
        .annotate(ledger_inclusive=inclusive)
        .order_by()
        .aggregate(
            special_school=Count("pk", filter=Q(ledger_status=S.SPECIAL_SCHOOL)),
            inclusive=Count("pk", filter=Q(ledger_status=S.IN_SCHOOL, ledger_inclusive=True)),
            home_delivered=Count("pk", filter=Q(ledger_status=S.HOME_DELIVERED)),
        )
    )
    return {
        "as_of": as_of,
        "population": overall["population"],
        "enrolled": overall["enrolled"],
        "rate": rate,
        "primary_rate": primary_rate,
        "junior_rate": junior_rate,
        **special,
    }


def help_figures(scope: AnnualScope) -> dict:
    """Visits, pairings, activities and partner units: 4 queries."""
    start, end = scope.calendar
    day = scope.day
    visits = (
        HouseholdVisit.objects.for_user(scope.user)
        .filter(**_place_filter(scope, "household__village"), visit_date__range=(start, end))
        .order_by()
        .aggregate(visits=Count("pk"), teachers=Coalesce(Sum("teacher_visitors"), 0))
    )
    pairings = (
        HelpPairing.objects.for_user(scope.user)
        .filter(**_place_filter(scope, "child__village"))
        .order_by()
        .aggregate(
            open=Count(
                "pk",
                filter=Q(start_date__lte=day) & (Q(end_date__isnull=True) | Q(end_date__gt=day)),
            ),
            started=Count("pk", filter=Q(start_date__range=(start, end))),
        )
    )
    activities = (
        HelpActivity.objects.for_user(scope.user)
        .filter(**_place_filter(scope, "village"), date__range=(start, end))
        .order_by()
        .aggregate(
            count=Count("pk"),
            amount=Coalesce(Sum("amount"), Decimal("0")),
            units=Count("unit", distinct=True),
        )
    )
    units_active = None
    if scope.township is None:
        units_active = (
            PartnerUnit.objects.for_user(scope.user)
            .filter(county=scope.county, is_active=True)
            .count()
        )
    return {
        "visits": visits["visits"],
        "teacher_visitors": visits["teachers"],
        "pairings_open": pairings["open"],
        "pairings_started": pairings["started"],
        "activities": activities["count"],
        "activity_amount": Decimal(activities["amount"]).quantize(Decimal("0.01")),
        "activity_units": activities["units"],
        "units_active": units_active,
    }


def graduation_year(scope: AnnualScope) -> int:
    """The summer whose primary graduates are counted: this year's once its school year has
    begun on the summary's day, the year before's otherwise."""
    return scope.year if scope.day >= datetime.date(scope.year, 9, 1) else scope.year - 1


def annual_section(scope: AnnualScope) -> Section | None:
    ledger = enrollment_figures(scope)
    children = Child.objects.for_user(scope.user).filter(**_place_filter(scope, "village"))
    rates_chart = _("Enrollment and transition rates")
    transition = transition_rate(children, year=graduation_year(scope), day=scope.day)
    help_ = help_figures(scope)
    as_of = ledger["as_of"]
    activities_url = _activities_url(scope)
    figures = [
        Figure(
            "enrollment.population",
            _("School-age population"),
            ledger["population"],
            "人",
            ON_DAY,
            _ledger_url(scope, as_of),
        ),
        Figure("enrollment.enrolled", _("Receiving education"), ledger["enrolled"], "人", ON_DAY),
        Figure(
            "enrollment.rate",
            _("Enrollment rate"),
            ledger["rate"],
            "%",
            ON_DAY,
            _ledger_url(scope, as_of),
            chart=rates_chart,
        ),
        Figure(
            "enrollment.rate_primary",
            _("Enrollment rate, primary"),
            ledger["primary_rate"],
            "%",
            ON_DAY,
            _ledger_url(scope, as_of, stage=STAGE_PRIMARY),
            chart=rates_chart,
        ),
        Figure(
            "enrollment.rate_junior",
            _("Enrollment rate, junior secondary"),
            ledger["junior_rate"],
            "%",
            ON_DAY,
            _ledger_url(scope, as_of, stage=STAGE_JUNIOR),
            chart=rates_chart,
        ),
        Figure(
            "enrollment.primary_graduates",
            _("Primary school graduates"),
            transition["graduates"],
            "人",
            SCHOOL_YEAR,
        ),
        Figure(
            "enrollment.graduates_in_junior",
            _("Of whom in junior secondary"),
            transition["in_junior"],
            "人",
            ON_DAY,
        ),
        Figure(
            "enrollment.transition_rate",
            _("Transition rate to junior secondary"),
            transition["rate"],
            "%",
            ON_DAY,
            chart=rates_chart,
        ),
        Figure(
            "enrollment.special_school",
            _("In a special school"),
            ledger["special_school"],
            "人",
            ON_DAY,
            _ledger_url(scope, as_of, status=S.SPECIAL_SCHOOL),
        ),
        Figure(
            "enrollment.inclusive",
            _("Inclusive placements (随班就读)"),
            ledger["inclusive"],
            "人",
            ON_DAY,
        ),
        Figure(
            "enrollment.home_delivered",
            _("Home-delivered education (送教上门)"),
            ledger["home_delivered"],
            "人",
            ON_DAY,
            _ledger_url(scope, as_of, status=S.HOME_DELIVERED),
        ),
        Figure("enrollment.visits", _("Household visits"), help_["visits"], "次", CALENDAR),
        Figure(
            "enrollment.teacher_visitors",
            _("Teachers on household visits"),
            help_["teacher_visitors"],
            "人次",
            CALENDAR,
        ),
        Figure(
            "enrollment.pairings_open",
            _("Help pairings in force"),
            help_["pairings_open"],
            "名",
            ON_DAY,
        ),
        Figure(
            "enrollment.pairings_started",
            _("Help pairings begun"),
            help_["pairings_started"],
            "名",
            CALENDAR,
        ),
        Figure(
            "enrollment.help_activities",
            _("Help activities"),
            help_["activities"],
            "次",
            CALENDAR,
            activities_url,
        ),
        Figure(
            "enrollment.help_amount",
            _("Help given in money and goods"),
            help_["activity_amount"],
            "元",
            CALENDAR,
            activities_url,
        ),
        Figure(
            "enrollment.help_units",
            _("Partner units that helped"),
            help_["activity_units"],
            "个",
            CALENDAR,
        ),
        Figure(
            "enrollment.partner_units",
            _("Partner units active"),
            help_["units_active"],
            "个",
            ON_DAY,
            reverse("enrollment:partner_unit_list") if scope.township is None else "",
        ),
    ]
    sentences = [
        f"确保小学适龄儿童入学率{shown_percent(ledger['primary_rate'])}、"
        f"小学毕业生升入初中{shown_percent(transition['rate'])}",
        f"全年入户走访{help_['visits']}户次，教师参与{help_['teacher_visitors']}人次",
        f"{help_['activity_units']}个帮扶单位开展帮扶活动{help_['activities']}次",
    ]
    return Section(
        key="enrollment",
        title=_("Enrollment and help"),
        figures=figures,
        sentences=sentences,
    )
