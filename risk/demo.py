"""The risk warning's demo: absences and dropout spells on the demo county's existing pupils,
drawn so that dropouts are more likely where the literature says (absences before, over-age,
poverty, left-behind, transition years, boarding far away) — with the generator's own weights
below, kept apart from the product's default points (factors.py), so that the backtest shows
a real but imperfect signal rather than the score reading back its own formula.

Seeded and deterministic (the county's code is the seed). Every spell returns to school before
today, so the children's current statuses, and the other modules' demo figures built on them,
stay as they are; no spell covers a subsidy census day (the subsidies' demo, loaded before,
paid the pupils in school on it) or another entry of the pupil's history, and each return to
school restores the placement the pupil left (school, grade, class, boarding…). The
registry's demo records its history at the moment it is loaded; here the county's history is
dated as if it had been entered when it happened (a day after), which is what a county that
has used the product for years has — and what the backtest needs.

Set-based, so that the county data set (150,000 children) loads in minutes: the pupils are read
as plain rows in one query, the spells and absences are drawn in memory and written with bulk
inserts, the pupils' new status dates with one UPDATE per distinct date, and the history's
recorded times with one UPDATE per table; no query runs per child."""

import datetime
import math
import random
from collections import defaultdict
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import Min, Q
from django.utils import timezone

from core.services import today as local_today
from dropout.models import AbsenceReport
from enrollment.models import (
    PLACEMENT_FIELDS,
    Child,
    EnrollmentStatus,
    EnrollmentStatusChange,
    PovertyStatus,
)
from enrollment.selectors import age_on_reference
from subsidies.models import census_date

from .models import RiskBacktest

S = EnrollmentStatus
DAY = datetime.timedelta(days=1)

# The generator's log-odds of a dropout spell over the 27 months (not the product's points).
GENERATOR_BASE_LOGIT = -3.5  # ≈ 3 % of pupils with none of the signs below
GENERATOR_WEIGHTS = {
    "overage": 1.1,
    "poverty": 0.7,
    "left_behind": 0.6,
    "transition": 0.8,
    "boarding_far": 0.4,
    "disabled": 0.5,
}
# Of the dropouts, the share preceded by an absence spell the school reported (the rest leave
# without warning: the signal is imperfect); and the share of other pupils with an absence
# spell anyway (noise).
ABSENCE_BEFORE_DROPOUT = 0.7
NOISE_ABSENCE = 0.06
RECENT_ABSENCE = 0.03  # pupils with an absence in the last month (today's risk list)
HISTORY_MONTHS = 27
# Draws of a spell's dates before the spell is given up: a spell never covers a subsidy census
# day (the subsidies' demo paid the pupils in school on it) nor another entry of the pupil.
SPELL_TRIES = 12


def _at(day: datetime.date, hour: int = 10) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


@dataclass(frozen=True, slots=True)
class Pupil:
    """What the generator reads of an in-school pupil (a plain row, not three model instances:
    a county has 100,000 pupils)."""

    pk: int
    birth_date: datetime.date
    grade: int | None
    poverty_status: str
    is_left_behind: bool
    is_orphan: bool
    is_disabled: bool
    is_boarder: bool
    current_school_id: int | None
    school_township_id: int | None
    township_id: int
    status_since: datetime.date | None
    in_school_since: datetime.date | None


PUPIL_FIELDS = (
    "pk",
    "birth_date",
    "grade",
    "household__poverty_status",
    "is_left_behind",
    "is_orphan",
    "is_disabled",
    "is_boarder",
    "current_school_id",
    "current_school__township_id",
    "village__township_id",
    "status_since",
    "in_school_since",
)


def _signs(child: Pupil, day: datetime.date) -> list[str]:
    signs = []
    if child.grade and age_on_reference(child.birth_date, day) - (child.grade + 5) >= 2:
        signs.append("overage")
    if child.poverty_status != PovertyStatus.NONE:
        signs.append("poverty")
    if child.is_left_behind or child.is_orphan:
        signs.append("left_behind")
    if child.grade in (6, 7):
        signs.append("transition")
    if (
        child.is_boarder
        and child.current_school_id
        and child.school_township_id != child.township_id
    ):
        signs.append("boarding_far")
    if child.is_disabled:
        signs.append("disabled")
    return signs


def _entered_offset() -> datetime.timedelta:
    """From a record's date (midnight UTC, as the database adds to a date) to 10:00 the next day
    in the county's time zone (China keeps one offset all year)."""
    day = local_today()
    midnight_utc = datetime.datetime.combine(day, datetime.time.min, tzinfo=datetime.UTC)
    return _at(day + DAY) - midnight_utc


def _set_entered(model, date_column: str, time_column: str, county, before: datetime.date):
    """One UPDATE: each county row of `model` dated before `before` gets `time_column` = 10:00
    on the day after its `date_column`."""
    table = model._meta.db_table
    children_sql, children_params = (
        Child.objects.filter(village__township__county=county)
        .order_by()
        .values("pk")
        .query.sql_with_params()
    )
    seconds = int(_entered_offset().total_seconds())
    if connection.vendor == "postgresql":
        value = f"({date_column} + make_interval(secs => %s)) AT TIME ZONE 'UTC'"
    else:  # SQLite keeps datetimes as UTC text, the format of datetime()
        value = f"datetime({date_column}, '+' || %s || ' seconds')"
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET {time_column} = {value} "
            f"WHERE {date_column} < %s AND child_id IN ({children_sql})",
            [seconds, before, *children_params],
        )


def _date_history_as_entered(county) -> None:
    """Each status entry recorded the day after it took effect, absences likewise: one UPDATE
    per table, whatever the county's size."""
    today = local_today()
    if connection.vendor in ("postgresql", "sqlite"):
        _set_entered(EnrollmentStatusChange, "effective_date", "recorded_at", county, today)
        _set_entered(AbsenceReport, "first_absent_on", "reported_at", county, today - DAY)
        return
    # Another database: one UPDATE per distinct date (slower; the product runs on these two).
    changes = EnrollmentStatusChange.objects.filter(
        child__village__township__county=county, effective_date__lt=today
    )
    for day in changes.order_by().values_list("effective_date", flat=True).distinct():
        changes.filter(effective_date=day).update(recorded_at=_at(day + DAY))
    absences = AbsenceReport.objects.filter(
        child__village__township__county=county, first_absent_on__lt=today - DAY
    )
    for day in absences.order_by().values_list("first_absent_on", flat=True).distinct():
        absences.filter(first_absent_on=day).update(reported_at=_at(day + DAY))


def _placements(county) -> dict[int, list[dict]]:
    """Each county child's status entries, oldest first: the date, the status, the school and
    the placement fields (PLACEMENT_FIELDS) of each."""
    history: dict[int, list[dict]] = {}
    entries = (
        EnrollmentStatusChange.objects.filter(child__village__township__county=county)
        .order_by("child_id", "effective_date", "pk")
        .values("child_id", "effective_date", "status", "school_id", *PLACEMENT_FIELDS)
    )
    for entry in entries.iterator(chunk_size=5000):
        history.setdefault(entry.pop("child_id"), []).append(entry)
    return history


def _spell(rng: random.Random, start, end, entries: list[dict], census_days):
    """A dropout spell's (left, back, placement) between `start` and `end`, or None when no draw
    fits: the spell covers no census day and no other entry of the pupil, and the return to
    school restores the placement in effect when the pupil left (school, grade, class…), as a
    real return does."""
    for _try in range(SPELL_TRIES):
        left = start + rng.randrange(max(1, (end - start).days)) * DAY
        back = left + rng.randrange(30, 90) * DAY
        if any(left <= day < back for day in census_days):
            continue
        if any(left <= entry["effective_date"] <= back for entry in entries):
            continue
        before = [entry for entry in entries if entry["effective_date"] < left]
        if not before or before[-1]["status"] != S.IN_SCHOOL:
            continue
        place = {
            field: value
            for field, value in before[-1].items()
            if field not in ("effective_date", "status")
        }
        return left, back, place
    return None


def _spells(county, reporter, rng: random.Random, today: datetime.date):
    """The absences and dropout spells to add: (absences, status entries, children touched)."""
    open_absences = AbsenceReport.objects.filter(returned_on__isnull=True).values("child_id")
    pupils = (
        Child.objects.filter(village__township__county=county, status=S.IN_SCHOOL)
        .exclude(pk__in=open_absences)
        .annotate(
            in_school_since=Min(
                "status_changes__effective_date",
                filter=Q(status_changes__status=S.IN_SCHOOL),
            )
        )
        .order_by("pk")
        .values_list(*PUPIL_FIELDS)
    )
    oldest = today - datetime.timedelta(days=HISTORY_MONTHS * 30)
    span = (today - datetime.timedelta(days=100) - oldest).days
    census_days = sorted(
        census_date(f"{year}-{term}")
        for year in range(oldest.year - 1, today.year + 1)
        for term in (1, 2)
    )
    history = _placements(county)
    absences, changes, since = [], [], {}
    for row in pupils.iterator(chunk_size=5000):
        child = Pupil(*row)
        if child.current_school_id is None or child.in_school_since is None:
            continue
        signs = _signs(child, today)
        logit = GENERATOR_BASE_LOGIT + sum(GENERATOR_WEIGHTS[s] for s in signs)
        start = max(oldest, child.in_school_since + 30 * DAY)
        if rng.random() < 1 / (1 + math.exp(-logit)) and start < oldest + span * DAY:
            spell = _spell(rng, start, oldest + span * DAY, history[child.pk], census_days)
            if spell is None:
                continue
            left, back, place = spell
            if rng.random() < ABSENCE_BEFORE_DROPOUT:
                absences.append((child, left - rng.randrange(12, 25) * DAY, back))
            changes.append(
                EnrollmentStatusChange(
                    child_id=child.pk,
                    status=S.DROPPED_OUT,
                    effective_date=left,
                    previous_status=S.IN_SCHOOL,
                    reason="演示：辍学（风险预警演示数据）",
                    recorded_by=reporter,
                )
            )
            changes.append(
                EnrollmentStatusChange(
                    child_id=child.pk,
                    status=S.IN_SCHOOL,
                    effective_date=back,
                    previous_status=S.DROPPED_OUT,
                    reason="演示：劝返复学",
                    recorded_by=reporter,
                    **place,
                )
            )
            if back > child.status_since:
                since[child.pk] = back
        elif rng.random() < NOISE_ABSENCE:
            first = oldest + rng.randrange(span) * DAY
            absences.append((child, first, first + rng.randrange(2, 9) * DAY))
        elif rng.random() < RECENT_ABSENCE * (1 + len(signs)):
            first = today - rng.randrange(8, 28) * DAY
            absences.append((child, first, min(today - DAY, first + rng.randrange(3, 12) * DAY)))
    reports = [
        AbsenceReport(
            child_id=child.pk,
            school_id=child.current_school_id,
            first_absent_on=first,
            returned_on=back,
            reported_by=reporter,
            reason_known="演示：无故缺课",
        )
        for child, first, back in absences
    ]
    return reports, changes, since


def _move_status_since(since: dict[int, datetime.date]) -> None:
    """The pupils back from a spell after their last status date: that date moves to the
    return, one UPDATE per distinct day (in batches the database's parameter limit allows)."""
    by_day = defaultdict(list)
    for child_id, day in since.items():
        by_day[day].append(child_id)
    batch = 900  # under SQLite's historical limit of 999 parameters a statement
    for day, ids in by_day.items():
        for start in range(0, len(ids), batch):
            Child.objects.filter(pk__in=ids[start : start + batch], status_since__lt=day).update(
                status_since=day
            )


def load_risk_demo(county, users, scale=None) -> str:
    from .services import recompute_scores, run_backtest

    if RiskBacktest.objects.filter(county=county).exists():
        return "risk demo already present"
    today = local_today()
    reporter = get_user_model().objects.filter(username="data-loader").first() or next(
        iter(users.values()), None
    )
    rng = random.Random(int(county.code))
    with transaction.atomic():
        reports, changes, since = _spells(county, reporter, rng, today)
        AbsenceReport.objects.bulk_create(reports, batch_size=2000)
        EnrollmentStatusChange.objects.bulk_create(changes, batch_size=2000)
        _move_status_since(since)
        _date_history_as_entered(county)
    scored = recompute_scores(county=county)
    backtest = run_backtest(county=county)
    return (
        f"risk: {len(reports)} absences, {len(changes) // 2} dropout spells, {scored} scores, "
        f"{len(backtest)} backtest rows"
    )
