"""The teacher workforce's section of the annual summary (core.annual, order 50): the seed's
part 三 — recruits of the calendar year by channel and the special-post teachers converted,
exchanges begun and their share of the eligible teachers, the rural teacher allowance paid
for the year's months, trainings and person-times by kind, and 送教上门 (home-delivered
children on the day, how many had a session in the school year, sessions and hours).

A township's summary counts the teachers of the township's schools (their trainings, their
exchanges, their allowance) and the home-delivered children living in the township."""

from decimal import Decimal
from urllib.parse import urlencode

from django.db.models import Count, Exists, OuterRef, Q, Sum
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.translation import gettext as _

from core.annual import CALENDAR, ON_DAY, SCHOOL_YEAR, AnnualScope, Figure, Section
from enrollment.annual import percent, shown_percent
from enrollment.models import Child, EnrollmentStatus
from enrollment.selectors import ledger_population

from .models import AllowancePayment, Exchange, HomeTeachingSession, Recruitment
from .selectors import paid_summary, recruitment_summary, rotation_shares, training_totals

R = Recruitment


def _url(name: str, scope: AnnualScope, township_key: str | None = "township", **query) -> str:
    if scope.township is not None and township_key:
        query[township_key] = scope.township.pk
    query = {key: value for key, value in query.items() if value not in ("", None)}
    url = reverse(name)
    return f"{url}?{urlencode(query)}" if query else url


def _ledger_url(scope: AnnualScope, as_of) -> str:
    if scope.township is not None:
        url = reverse("enrollment:township_ledger", args=[scope.township.pk])
    else:
        url = reverse("enrollment:county_ledger", args=[scope.county.pk])
    query = {"status": EnrollmentStatus.HOME_DELIVERED}
    if as_of is not None:
        query["as_of"] = as_of.isoformat()
    return f"{url}?{urlencode(query)}"


def _place(scope: AnnualScope, township_path: str) -> dict:
    if scope.township is not None:
        return {township_path: scope.township.pk}
    return {f"{township_path}__county": scope.county.pk}


def exchange_figures(scope: AnnualScope) -> dict:
    """Exchanges begun in the year, by kind (one query), and the rotation share (three)."""
    by_kind = dict(
        Exchange.objects.for_user(scope.user)
        .filter(**_place(scope, "teacher__school__township"), start_date__year=scope.year)
        .order_by()
        .values_list("kind")
        .annotate(n=Count("pk"))
    )
    shares = rotation_shares(
        scope.user, year=scope.year, county=scope.county, township=scope.township
    )
    return {"by_kind": by_kind, "total": sum(by_kind.values()), "share": shares["total"]}


def allowance_figures(scope: AnnualScope) -> dict:
    """Paid payments for the months of the year: distinct teachers and the amount (元)."""
    payments = AllowancePayment.objects.for_user(scope.user).filter(
        **_place(scope, "school__township"), period__year=scope.year
    )
    summary = paid_summary(payments)
    summary["amount"] = Decimal(summary["amount"]).quantize(Decimal("0.01"))
    return summary


def home_teaching_figures(scope: AnnualScope) -> dict:
    """送教上门: children home-delivered on the day and of them those with a session in the
    school year (one query), sessions and hours in the calendar year (one)."""
    day = scope.day
    as_of = None if day >= scope.today else day
    children = Child.objects.for_user(scope.user).filter(**_place(scope, "village__township"))
    sy_start, sy_end = scope.school_year
    visited = Exists(
        HomeTeachingSession.objects.filter(child=OuterRef("pk"), date__range=(sy_start, sy_end))
    )
    on_day = (
        ledger_population(children, day=day, as_of=as_of)
        .filter(ledger_status=EnrollmentStatus.HOME_DELIVERED)
        .order_by()
        .aggregate(children=Count("pk"), served=Count("pk", filter=Q(visited)))
    )
    start, end = scope.calendar
    sessions = (
        HomeTeachingSession.objects.for_user(scope.user)
        .filter(**_place(scope, "child__village__township"), date__range=(start, end))
        .order_by()
        .aggregate(sessions=Count("pk"), hours=Coalesce(Sum("hours"), Decimal("0")))
    )
    return {
        "as_of": as_of,
        "children": on_day["children"],
        "served": on_day["served"],
        "coverage": percent(on_day["served"], on_day["children"]),
        "sessions": sessions["sessions"],
        "hours": Decimal(sessions["hours"]).quantize(Decimal("0.1")),
    }


def recruitment_sentence(recruits: dict) -> str:
    cohorts = "，".join(
        f"{cohort['recruitment_year']}届特岗教师{cohort['n']}人转为正式教师"
        for cohort in recruits["cohorts"]
    )
    return (
        f"{recruits['year']}年公招教师{recruits['open']}人，签约免费师范生{recruits['normal']}人，"
        f"定向培养村级教师{recruits['targeted']}人，"
        f"{cohorts or '特岗教师转为正式教师0人'}。"
    )


def ten_thousand_yuan(amount: Decimal) -> str:
    """元 → 万元 with two decimals (12,345.60 → "1.23")."""
    return f"{(amount / Decimal(10000)).quantize(Decimal('0.01'))}"


def annual_section(scope: AnnualScope) -> Section | None:
    year, calendar = scope.year, scope.calendar
    start, end = (day.isoformat() for day in calendar)
    recruits = recruitment_summary(
        scope.user, year=year, county=scope.county, township=scope.township
    )
    exchanges = exchange_figures(scope)
    allowance = allowance_figures(scope)
    trainings = training_totals(
        scope.user,
        start=calendar[0],
        end=calendar[1],
        county=scope.county,
        township=scope.township,
    )
    home = home_teaching_figures(scope)

    def teachers_url(recruitment: str = "") -> str:
        return _url("teachers:teacher_list", scope, recruitment=recruitment, recruitment_year=year)

    def trainings_url(kind: str = "") -> str:
        return _url("teachers:training_list", scope, start=start, end=end, kind=kind)

    def exchanges_url(kind: str = "") -> str:
        return _url("teachers:exchange_list", scope, year=year, kind=kind)

    figures = [
        Figure(
            "teachers.recruited_open",
            _("Teachers recruited by open recruitment"),
            recruits["open"],
            "人",
            CALENDAR,
            teachers_url(R.OPEN),
        ),
        # Free and publicly funded normal students together (the list filters one channel).
        Figure(
            "teachers.recruited_normal",
            _("Free or publicly funded normal students signed"),
            recruits["normal"],
            "人",
            CALENDAR,
        ),
        Figure(
            "teachers.recruited_targeted",
            _("Targeted rural teachers recruited"),
            recruits["targeted"],
            "人",
            CALENDAR,
            teachers_url(R.TARGETED_RURAL),
        ),
        Figure(
            "teachers.recruited_special_post",
            _("Special-post plan teachers recruited"),
            recruits["special_post"],
            "人",
            CALENDAR,
            teachers_url(R.SPECIAL_POST_PLAN),
        ),
        Figure(
            "teachers.special_post_converted",
            _("Special-post teachers converted to regular posts"),
            recruits["converted"],
            "人",
            CALENDAR,
            _url("teachers:special_posts", scope, queue="converted", year=year),
        ),
        Figure(
            "teachers.exchanges",
            _("Exchanges begun"),
            exchanges["total"],
            "人次",
            CALENDAR,
            exchanges_url(),
        ),
        *[
            Figure(
                f"teachers.exchanges_{kind}",
                str(label),
                exchanges["by_kind"].get(kind, 0),
                "人次",
                CALENDAR,
                exchanges_url(kind),
            )
            for kind, label in Exchange.Kind.choices
        ],
        Figure(
            "teachers.rotation_share",
            _("Share of eligible teachers who began an exchange"),
            exchanges["share"]["share"],
            "%",
            CALENDAR,
            _url("teachers:rotation", scope, township_key=None, year=year),
        ),
        Figure(
            "teachers.allowance_teachers",
            _("Rural teachers paid the living allowance"),
            allowance["teachers"],
            "人",
            CALENDAR,
            _url("teachers:allowance_list", scope, year=year),
        ),
        Figure(
            "teachers.allowance_amount",
            _("Rural teacher living allowance paid"),
            allowance["amount"],
            "元",
            CALENDAR,
            _url("teachers:allowance_list", scope, year=year),
        ),
        Figure(
            "teachers.trainings",
            _("Teacher trainings"),
            trainings["events"],
            "次",
            CALENDAR,
            trainings_url(),
        ),
        Figure(
            "teachers.training_person_times",
            _("Training person-times"),
            trainings["person_times"],
            "人次",
            CALENDAR,
            trainings_url(),
        ),
    ]
    for row in trainings["kinds"]:
        figures.append(
            Figure(
                f"teachers.trainings_{row['kind']}",
                str(row["label"]),
                row["events"],
                "次",
                CALENDAR,
                trainings_url(row["kind"]),
            )
        )
        figures.append(
            Figure(
                f"teachers.training_person_times_{row['kind']}",
                _("%(kind)s: person-times") % {"kind": row["label"]},
                row["person_times"],
                "人次",
                CALENDAR,
                trainings_url(row["kind"]),
            )
        )
    sessions_url = _url("teachers:home_teaching_list", scope, date_from=start, date_to=end)
    figures += [
        Figure(
            "teachers.home_delivered",
            _("Children receiving home-delivered education"),
            home["children"],
            "名",
            ON_DAY,
            _ledger_url(scope, home["as_of"]),
        ),
        Figure(
            "teachers.home_delivered_visited",
            _("Of whom taught at home in the school year"),
            home["served"],
            "名",
            SCHOOL_YEAR,
        ),
        Figure(
            "teachers.home_teaching_coverage",
            _("Home teaching coverage"),
            home["coverage"],
            "%",
            SCHOOL_YEAR,
        ),
        Figure(
            "teachers.home_teaching_sessions",
            _("Home teaching sessions"),
            home["sessions"],
            "次",
            CALENDAR,
            sessions_url,
        ),
        Figure(
            "teachers.home_teaching_hours",
            _("Home teaching hours"),
            home["hours"],
            "小时",
            CALENDAR,
            sessions_url,
        ),
    ]
    sentences = [
        recruitment_sentence(recruits),
        f"为{allowance['teachers']}名农村教师足额下拨农村教师生活补助资金"
        f"{ten_thousand_yuan(allowance['amount'])}万元。",
        f"开展各级各类教师培训{trainings['events']}次，累计培训{trainings['person_times']}人次。",
        f"特殊教育送教上门{home['children']}名，覆盖率{shown_percent(home['coverage'])}。",
    ]
    return Section(
        key="teachers", title=_("Teacher workforce"), figures=figures, sentences=sentences
    )
