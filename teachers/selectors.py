"""Reads of the teacher workforce that are more than a filter, always starting from for_user():
the staffing table (编制与缺额), special-post due lists, rotation shares, training totals and the
year's recruitment summary. Aggregates are computed in the database."""

import calendar
import datetime
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db.models import Case, Count, Exists, IntegerField, OuterRef, Q, QuerySet, Sum, When
from django.utils import timezone

from core.cache import cached
from core.services import add_years
from enrollment.models import ON_ROLL_STATUSES, Child, School, Township
from enrollment.selectors import LEDGER_SUMMARY_CACHE

from .models import (
    AllowanceBatch,
    AllowancePayment,
    Exchange,
    HomeTeachingSession,
    PostType,
    Recruitment,
    Teacher,
    TrainingAttendance,
    TrainingEvent,
)

STAGES = ("preschool", "primary", "junior", "senior", "vocational", "special")
# Schools whose every pupil counts in one stage, whatever the grade.
WHOLE_SCHOOL_STAGE = {
    School.Stage.PRESCHOOL: "preschool",
    School.Stage.VOCATIONAL: "vocational",
    School.Stage.SPECIAL: "special",
}
# The stage of a pupil on the roll without a grade.
DEFAULT_STAGE = {
    School.Stage.PRIMARY: "primary",
    School.Stage.NINE_YEAR: "primary",
    School.Stage.JUNIOR: "junior",
    School.Stage.COMPLETE_SECONDARY: "junior",
    School.Stage.SENIOR: "senior",
}
POST_TYPES = tuple(PostType.values)


def _in_place(queryset: QuerySet, township_path: str, county=None, township=None) -> QuerySet:
    """Rows of one county or one township (the path leads from a row to its township)."""
    if county is not None:
        queryset = queryset.filter(**{f"{township_path}__county": county})
    if township is not None:
        queryset = queryset.filter(**{township_path: township})
    return queryset


def teachers_for(user) -> QuerySet:
    return (
        Teacher.objects.for_user(user)
        .select_related("school__township")
        .prefetch_related("subjects")
        .order_by("school__township__code", "school__code", "name", "pk")
    )


# --- staffing ---------------------------------------------------------------------------------


@dataclass
class StaffingRow:
    label: str
    school: School | None = None
    township: Township | None = None
    is_rural: bool = True
    students: dict = field(default_factory=lambda: dict.fromkeys(STAGES, 0))
    exact_quota: Decimal = Decimal(0)
    quota: int = 0
    posts: dict = field(default_factory=lambda: dict.fromkeys(POST_TYPES, 0))
    exchange_in: int = 0
    exchange_out: int = 0
    counted: int = 0
    vacancy: int = 0
    over: int = 0
    schools: int = 0

    @property
    def total_students(self) -> int:
        return sum(self.students.values())

    @property
    def in_post(self) -> int:
        return sum(self.posts.values())

    def add(self, other: "StaffingRow") -> None:
        for stage in STAGES:
            self.students[stage] += other.students[stage]
        for post in POST_TYPES:
            self.posts[post] += other.posts[post]
        self.exact_quota += other.exact_quota
        for name in ("quota", "exchange_in", "exchange_out", "counted", "vacancy", "over"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.schools += 1


@dataclass
class Staffing:
    day: datetime.date
    rows: list[StaffingRow]
    townships: list[StaffingRow]
    total: StaffingRow


def stage_quota(students: int, *, stage: str, is_rural: bool) -> Decimal:
    ratio = Decimal(str(settings.TEACHER_STUDENT_RATIOS["rural" if is_rural else "urban"][stage]))
    return Decimal(students) / ratio


def school_quota(students_by_stage: dict, *, is_rural: bool) -> tuple[Decimal, int]:
    """A school's quota: each stage's pupils over that stage's ratio, summed (a nine-year school
    is its primary part plus its junior part), then rounded to whole posts (half up)."""
    exact = sum(
        (
            stage_quota(count, stage=stage, is_rural=is_rural)
            for stage, count in students_by_stage.items()
            if count
        ),
        Decimal(0),
    )
    return exact, int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _grade_bucket():
    return Case(
        When(grade__lte=6, then=1),
        When(grade__lte=9, then=2),
        When(grade__gte=10, then=3),
        default=0,
        output_field=IntegerField(),
    )


BUCKET_STAGE = {1: "primary", 2: "junior", 3: "senior"}


def county_staffing(user, *, day: datetime.date | None = None, township=None) -> Staffing:
    """The staffing table of the user's scope (one township if given): per school the pupils on
    the roll by stage, the quota from the student–teacher ratios, the teachers working there on
    `day` (exchanges moved in, moved out) and the vacancy or excess; township and county sums.

    Five queries whatever the size: schools, pupils by school and stage, teachers by school
    and post, exchanges out, exchanges in.
    """
    schools_qs = School.objects.for_user(user)
    if township is not None:
        schools_qs = schools_qs.filter(township=township)
    return staffing_of(schools_qs, day=day or timezone.localdate())


def staffing_of(schools_qs: QuerySet, *, day: datetime.date) -> Staffing:
    """The staffing table of the given schools (see county_staffing).

    The pupils by school and stage read every child on a roll (a county's 100,000 and more):
    they are cached on the shared cache with the ledger summaries, which every change of a
    child's status, school or grade makes stale.
    """
    schools = list(schools_qs.select_related("township").order_by("township__code", "code"))
    school_ids = schools_qs.values("pk")

    pupils_by_school = (
        Child.objects.filter(current_school__in=school_ids, status__in=ON_ROLL_STATUSES)
        .order_by()
        .annotate(bucket=_grade_bucket())
        .values("current_school_id", "bucket")
        .annotate(n=Count("pk"))
    )
    pupils = cached(
        LEDGER_SUMMARY_CACHE,
        ["staffing-pupils", sorted(school.pk for school in schools)],
        lambda: list(pupils_by_school),
    )
    home = (
        Teacher.objects.filter(school__in=school_ids, status=Teacher.Status.ACTIVE)
        .order_by()
        .values("school_id", "post_type")
        .annotate(n=Count("pk"))
    )
    active_exchanges = Exchange.objects.filter(
        start_date__lte=day, end_date__gte=day, teacher__status=Teacher.Status.ACTIVE
    ).order_by()
    out = (
        active_exchanges.filter(teacher__school__in=school_ids)
        .values("teacher__school_id", "teacher__post_type")
        .annotate(n=Count("pk"))
    )
    incoming = (
        active_exchanges.filter(to_school__in=school_ids)
        .values("to_school_id", "teacher__post_type")
        .annotate(n=Count("pk"))
    )

    rows = {
        school.pk: StaffingRow(
            label=school.name, school=school, township=school.township, is_rural=school.is_rural
        )
        for school in schools
    }
    for item in pupils:
        row = rows[item["current_school_id"]]
        stage = WHOLE_SCHOOL_STAGE.get(row.school.stage) or BUCKET_STAGE.get(
            item["bucket"], DEFAULT_STAGE.get(row.school.stage, "primary")
        )
        row.students[stage] += item["n"]
    for item in home:
        rows[item["school_id"]].posts[item["post_type"]] += item["n"]
    for item in out:
        row = rows[item["teacher__school_id"]]
        row.posts[item["teacher__post_type"]] -= item["n"]
        row.exchange_out += item["n"]
    for item in incoming:
        row = rows[item["to_school_id"]]
        row.posts[item["teacher__post_type"]] += item["n"]
        row.exchange_in += item["n"]

    counted_posts = set(settings.TEACHER_POSTS_AGAINST_QUOTA)
    townships: dict[int, StaffingRow] = {}
    total = StaffingRow(label="")
    for row in rows.values():
        row.exact_quota, row.quota = school_quota(row.students, is_rural=row.is_rural)
        row.counted = sum(n for post, n in row.posts.items() if post in counted_posts)
        row.vacancy = max(row.quota - row.counted, 0)
        row.over = max(row.counted - row.quota, 0)
        subtotal = townships.setdefault(
            row.township.pk, StaffingRow(label=row.township.name, township=row.township)
        )
        subtotal.add(row)
        total.add(row)
    return Staffing(
        day=day, rows=list(rows.values()), townships=list(townships.values()), total=total
    )


# --- special-post teachers --------------------------------------------------------------------


def special_posts(user, *, queue: str, year: int) -> QuerySet:
    """due: serving teachers whose service period ends by the end of `year` (earlier ones not yet
    converted included); serving; converted in `year`; left: those who left instead."""
    S = Teacher.SpecialPostStatus
    teachers = teachers_for(user).exclude(special_post_status="")
    if queue == "due":
        return teachers.filter(
            special_post_status=S.SERVING, service_end__lte=datetime.date(year, 12, 31)
        ).order_by("service_end", "school__code", "pk")
    if queue == "serving":
        return teachers.filter(special_post_status=S.SERVING).order_by("service_end", "pk")
    if queue == "converted":
        return teachers.filter(special_post_status=S.CONVERTED, converted_on__year=year)
    if queue == "left":
        return teachers.filter(special_post_status=S.LEFT).order_by("-left_on", "pk")
    raise ValueError(queue)


SPECIAL_POST_QUEUES = ("due", "serving", "converted", "left")


# --- exchanges and rotation -------------------------------------------------------------------


def exchanges_for(user) -> QuerySet:
    return (
        Exchange.objects.for_user(user)
        .select_related("teacher", "from_school__township", "to_school__township")
        .order_by("-start_date", "-pk")
    )


def rotation_shares(user, *, year: int, county=None, township=None) -> dict:
    """交流轮岗比例: of the teachers eligible to rotate (regular post, at least
    TEACHER_EXCHANGE_ELIGIBLE_YEARS at the same school by the end of `year`), how many began an
    exchange in `year` — per school and per township, in two grouped queries (with `county` or
    `township`, of their schools' teachers only)."""
    cutoff = add_years(datetime.date(year, 12, 31), -settings.TEACHER_EXCHANGE_ELIGIBLE_YEARS)
    rotated = Exists(
        Exchange.objects.filter(teacher=OuterRef("pk"), start_date__year=year).order_by()
    )
    eligible = (
        _in_place(Teacher.objects.for_user(user), "school__township", county, township)
        .filter(
            status=Teacher.Status.ACTIVE,
            post_type=PostType.REGULAR,
            school_since__lte=cutoff,
        )
        .order_by()
    )
    exchanged = Count("pk", filter=rotated)

    def share(row):
        row["share"] = (
            round(Decimal(100) * row["rotated"] / row["eligible"], 1) if row["eligible"] else None
        )
        row["meets_target"] = (
            row["share"] is not None and row["share"] >= settings.TEACHER_EXCHANGE_TARGET_PERCENT
        )
        return row

    schools = [
        share(row)
        for row in eligible.values(
            "school_id", "school__name", "school__township__name", "school__township__code"
        )
        .annotate(eligible=Count("pk"), rotated=exchanged)
        .order_by("school__township__code", "school__code")
    ]
    townships = [
        share(row)
        for row in eligible.values("school__township_id", "school__township__name")
        .annotate(eligible=Count("pk"), rotated=exchanged)
        .order_by("school__township__code")
    ]
    total = share(eligible.aggregate(eligible=Count("pk"), rotated=exchanged))
    return {"schools": schools, "townships": townships, "total": total, "cutoff": cutoff}


# --- training ---------------------------------------------------------------------------------


def training_events_for(user) -> QuerySet:
    return (
        TrainingEvent.objects.for_user(user)
        .annotate(person_times=Count("attendances"))
        .order_by("-start_date", "-pk")
    )


def filtered_training_events(
    user,
    *,
    start: datetime.date,
    end: datetime.date,
    level: str = "",
    kind: str = "",
    programme: str = "",
    township=None,
) -> QuerySet:
    """The training list's and its export's events: begun in [start, end], of a level, a kind,
    a programme (words of its name), attended by teachers of a township."""
    events = training_events_for(user).filter(start_date__range=(start, end))
    if level in TrainingEvent.Level.values:
        events = events.filter(level=level)
    if kind in TrainingEvent.Kind.values:
        events = events.filter(kind=kind)
    if programme:
        events = events.filter(programme__contains=programme)
    if township is not None:
        attended = TrainingAttendance.objects.filter(teacher__school__township=township)
        events = events.filter(pk__in=attended.values("event_id"))
    return events


def training_totals(
    user, *, start: datetime.date, end: datetime.date, county=None, township=None
) -> dict:
    """培训XX次、累计XX人次 for events that began within [start, end]: events, person-times and
    hours in total, by level and by kind (attendances limited to the user's scope; with
    `county`, its events; with `township`, its schools' teachers and the events they
    attended)."""
    events = TrainingEvent.objects.for_user(user).filter(start_date__range=(start, end))
    attendances = TrainingAttendance.objects.for_user(user).filter(
        event__start_date__range=(start, end)
    )
    if county is not None:
        events = events.filter(county=county)
        attendances = attendances.filter(event__county=county)
    if township is not None:
        attendances = attendances.filter(teacher__school__township=township)
        events = events.filter(pk__in=attendances.values("event_id"))
    by_level = {
        row["level"]: row
        for row in events.order_by().values("level").annotate(events=Count("pk", distinct=True))
    }
    for row in (
        attendances.order_by()
        .values("event__level")
        .annotate(person_times=Count("pk"), hours=Sum("hours"))
    ):
        entry = by_level.setdefault(row["event__level"], {"level": row["event__level"]})
        entry.update(person_times=row["person_times"], hours=row["hours"])
    levels = []
    for value, label in TrainingEvent.Level.choices:
        entry = by_level.get(value, {})
        levels.append(
            {
                "level": value,
                "label": label,
                "events": entry.get("events", 0),
                "person_times": entry.get("person_times", 0),
                "hours": entry.get("hours") or Decimal(0),
            }
        )
    totals = attendances.aggregate(
        person_times=Count("pk"), teachers=Count("teacher", distinct=True), hours=Sum("hours")
    )
    return {
        "events": events.count(),
        "person_times": totals["person_times"],
        "teachers": totals["teachers"],
        "hours": totals["hours"] or Decimal(0),
        "levels": levels,
        "kinds": _by_kind(events, attendances),
    }


def _by_kind(events: QuerySet, attendances: QuerySet) -> list[dict]:
    """Events and person-times per kind of training (入职培训、岗位培训、全员培训…)."""
    event_counts = dict(events.order_by().values_list("kind").annotate(n=Count("pk")))
    person_times = dict(attendances.order_by().values_list("event__kind").annotate(n=Count("pk")))
    return [
        {
            "kind": value,
            "label": label,
            "events": event_counts.get(value, 0),
            "person_times": person_times.get(value, 0),
        }
        for value, label in TrainingEvent.Kind.choices
    ]


def hours_per_teacher(user, *, year: int) -> QuerySet:
    in_year = Q(trainings__event__start_date__year=year)
    return (
        Teacher.objects.for_user(user)
        .filter(status=Teacher.Status.ACTIVE)
        .select_related("school__township")
        .annotate(
            training_hours=Sum("trainings__hours", filter=in_year),
            training_count=Count("trainings", filter=in_year),
        )
        .order_by("school__township__code", "school__code", "name", "pk")
    )


# --- recruitment summary ----------------------------------------------------------------------


def recruitment_summary(user, *, year: int, county=None, township=None) -> dict:
    """The seed's part 三 for `year`: 公招教师XX人，签约免费师范生XX人，定向培养村级教师XX人，
    XXXX届特岗教师XX人转为正式教师 (the conversions grouped by the cohort's year recruited);
    with `county` or `township`, of their schools' teachers."""
    R = Recruitment
    teachers = _in_place(
        Teacher.objects.for_user(user).order_by(), "school__township", county, township
    )
    figures = teachers.filter(recruitment_year=year).aggregate(
        open=Count("pk", filter=Q(recruitment=R.OPEN)),
        normal=Count("pk", filter=Q(recruitment__in=(R.FREE_NORMAL, R.PUBLICLY_FUNDED))),
        targeted=Count("pk", filter=Q(recruitment=R.TARGETED_RURAL)),
        special_post=Count("pk", filter=Q(recruitment=R.SPECIAL_POST_PLAN)),
    )
    cohorts = list(
        teachers.filter(
            special_post_status=Teacher.SpecialPostStatus.CONVERTED, converted_on__year=year
        )
        .values("recruitment_year")
        .annotate(n=Count("pk"))
        .order_by("recruitment_year")
    )
    figures["converted"] = sum(c["n"] for c in cohorts)
    figures["cohorts"] = cohorts
    figures["year"] = year
    return figures


# --- the rural teacher allowance (reads; the writes are services/allowances.py) -------------


def period_end(period: datetime.date) -> datetime.date:
    return period.replace(day=calendar.monthrange(period.year, period.month)[1])


def eligible_teachers(teachers: QuerySet, period: datetime.date) -> QuerySet:
    """Teachers of rural schools with a remoteness tier, in service during the month."""
    return teachers.filter(
        school__remoteness__isnull=False,
        post_type__in=settings.TEACHER_ALLOWANCE_POST_TYPES,
        hire_date__lte=period_end(period),
    ).filter(Q(status=Teacher.Status.ACTIVE) | Q(left_on__gte=period))


def paid_in(period: datetime.date):
    """Exists(): the teacher was paid for the month in a paid batch."""
    return Exists(
        AllowancePayment.objects.filter(
            teacher=OuterRef("pk"), period=period, batch__status=AllowanceBatch.Status.PAID
        )
    )


def unpaid_teachers(teachers: QuerySet, period: datetime.date) -> QuerySet:
    """The 足额下拨 check: eligible teachers with no payment in a paid batch for the month."""
    return eligible_teachers(teachers, period).filter(~paid_in(period))


def totals_by_period(payments: QuerySet) -> list[dict]:
    """Paid payments summed by month: teachers paid and the amount."""
    return list(
        payments.filter(batch__status=AllowanceBatch.Status.PAID)
        .order_by()
        .values("period")
        .annotate(teachers=Count("teacher", distinct=True), amount=Sum("amount"))
        .order_by("-period")
    )


# --- 送教上门 ---------------------------------------------------------------------------------


def home_teaching_sessions_for(user) -> QuerySet:
    return (
        HomeTeachingSession.objects.for_user(user)
        .select_related("child__village__township", "teacher__school")
        .order_by("-date", "-pk")
    )


def paid_summary(payments: QuerySet) -> dict:
    """Teachers paid (each once) and the amount of the payments in paid batches."""
    totals = payments.filter(batch__status=AllowanceBatch.Status.PAID).aggregate(
        teachers=Count("teacher", distinct=True), amount=Sum("amount")
    )
    return {"teachers": totals["teachers"], "amount": totals["amount"] or Decimal("0.00")}
