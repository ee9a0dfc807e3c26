"""The score itself: which children are scored on a day and which factors apply to each, read
set-based in chunks (a few queries per chunk of children, whatever the county's size).

One function serves today's scores and the backtest: `end` is the first day *not* seen. For
today's scores it is tomorrow; for the backtest of a month it is that month's first day, and
every record read must be dated before it *and* recorded before it (a status change's
effective_date and recorded_at, an absence's dates and reported_at) — what the county could
have known that morning, never what was learnt later."""

import datetime
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext, override

from dropout.models import AbsenceReport
from enrollment.models import (
    Child,
    EnrollmentStatus,
    EnrollmentStatusChange,
    PovertyStatus,
)
from enrollment.selectors import age_on_reference, school_age_birth_range

from . import factors as F_

S = EnrollmentStatus
# Who can still drop out: children receiving education (or suspected of having stopped), and
# those on a legal exemption who are expected back.
AT_RISK_STATUSES = (
    S.IN_SCHOOL,
    S.SPECIAL_SCHOOL,
    S.HOME_DELIVERED,
    S.SUSPECTED_DROPOUT,
    S.DEFERRED,
    S.SUSPENDED,
)
BACK_IN_EDUCATION = (S.IN_SCHOOL, S.SPECIAL_SCHOOL, S.HOME_DELIVERED)
PLACED = (S.SPECIAL_SCHOOL, S.HOME_DELIVERED)
CHUNK = 2000


@dataclass
class Scored:
    child_id: int
    township_id: int
    score: int
    factors: list[dict]


def start_of(day: datetime.date) -> datetime.datetime:
    """The first instant of `day` in the county's time zone (the cut-off for recorded_at)."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def population(county, *, end: datetime.date):
    """Today's children to score: school-age on the last day seen, in an at-risk status."""
    day = end - datetime.timedelta(days=1)
    return (
        Child.objects.filter(village__township__county=county)
        .school_age_on(day)
        .filter(status__in=AT_RISK_STATUSES)
    )


CHILD_FIELDS = (
    "pk",
    "birth_date",
    "village__township_id",
    "household_id",
    "is_left_behind",
    "is_orphan",
    "is_disabled",
    "household__poverty_status",
    "status",
    "grade",
    "is_boarder",
    "is_inclusive",
    "current_school__township_id",
)


def _history(ids, *, end: datetime.date, known: bool = True) -> dict[int, list[tuple]]:
    """Each child's status entries effective before `end` (and, with `known`, recorded
    before it), oldest first, as HISTORY tuples (one indexed query)."""
    rows = EnrollmentStatusChange.objects.filter(child_id__in=ids, effective_date__lt=end)
    if known:
        rows = rows.filter(recorded_at__lt=start_of(end))
    history: dict[int, list[tuple]] = defaultdict(list)
    for row in rows.order_by("child_id", "effective_date", "pk").values_list(*HISTORY):
        history[row[0]].append(row)
    return history


# child, status, previous, effective, grade, boarder, inclusive, school's township, recorded
HISTORY = (
    "child_id",
    "status",
    "previous_status",
    "effective_date",
    "grade",
    "is_boarder",
    "is_inclusive",
    "school__township_id",
    "recorded_at",
)


def dropouts_by_household(households_or_county, *, end: datetime.date) -> dict[int, list]:
    """Per household, its children's dropout entries effective before `end`: [(child,
    effective, recorded)] — the sibling factor filters them by what was known."""
    rows = EnrollmentStatusChange.objects.filter(status=S.DROPPED_OUT, effective_date__lt=end)
    if isinstance(households_or_county, set):
        rows = rows.filter(child__household_id__in=households_or_county)
    else:
        rows = rows.filter(child__village__township__county=households_or_county)
    out: dict[int, list] = defaultdict(list)
    for household_id, child_id, effective, recorded in rows.order_by().values_list(
        "child__household_id", "child_id", "effective_date", "recorded_at"
    ):
        out[household_id].append((child_id, effective, recorded))
    return out


def absence_rows(child_ids, *, end: datetime.date, first_end=None) -> list[tuple]:
    """The absences of the children that began before `end`, recent enough to count on
    `first_end` (default `end`) or later: (child, first day absent, back on, reported at)."""
    first_end = first_end or end
    since = first_end - datetime.timedelta(days=180)
    return list(
        AbsenceReport.objects.filter(child_id__in=child_ids, first_absent_on__lt=end)
        .filter(
            Q(returned_on__isnull=True)
            | Q(returned_on__gt=first_end - datetime.timedelta(days=90))
            | Q(first_absent_on__gte=since)
        )
        .values_list("child_id", "first_absent_on", "returned_on", "reported_at")
    )


def absence_days(rows: list[tuple], *, end: datetime.date) -> dict[int, tuple[int, int, int]]:
    """Per child, from absence_rows(), the days of reported unexcused absence in the 30 and
    the 90 days before `end` (calendar days; an absence reported on or after `end` is not
    known, one whose return came on or after `end` was still open that morning), and the
    absence reports of the last 180 days."""
    cut, since = start_of(end), end - datetime.timedelta(days=180)
    days: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0])
    for child_id, first, returned, reported in rows:
        if first >= end or reported >= cut:
            continue
        until = returned if returned is not None and returned < end else end
        for slot, window in ((0, 30), (1, 90)):
            start = max(first, end - datetime.timedelta(days=window))
            days[child_id][slot] += max(0, (until - start).days)
        if first >= since:
            days[child_id][2] += 1
    return {child_id: tuple(values) for child_id, values in days.items()}


def rows_on(children, history, dropouts, *, end: datetime.date, as_of: bool) -> list[dict]:
    """The children with their state on the day — from the history known before `end` when
    `as_of`, else their current columns — and the history's signs; children not school-age
    or not in an at-risk status then are left out. `history`: _history() (entries not yet
    known are skipped); `dropouts`: dropouts_by_household()."""
    cut = start_of(end)
    earliest, latest = school_age_birth_range(end - datetime.timedelta(days=1))
    year_ago = end - datetime.timedelta(days=F_.RECENT_DROPOUT_DAYS)
    exemption_since = end - datetime.timedelta(days=F_.EXEMPTION_ENDED_DAYS)
    rows = []
    for child in children:
        if not earliest <= child["birth_date"] <= latest:
            continue
        entries = [
            entry for entry in history.get(child["pk"], ()) if entry[3] < end and entry[8] < cut
        ]
        if as_of:
            if not entries:
                continue
            _id, status, _prev, _day, grade, boarder, inclusive, township, _at = entries[-1]
        else:
            status, grade = child["status"], child["grade"]
            boarder, inclusive = child["is_boarder"], child["is_inclusive"]
            township = child["current_school__township_id"]
        if status not in AT_RISK_STATUSES:
            continue
        recent = [entry for entry in entries if entry[3] >= year_ago]
        rows.append(
            {
                **child,
                "at_status": status,
                "at_grade": grade,
                "at_boarder": boarder,
                "at_inclusive": inclusive,
                "at_school_township": township,
                "had_dropout": any(entry[1] == S.DROPPED_OUT for entry in recent),
                "had_return": any(
                    entry[2] == S.DROPPED_OUT and entry[1] in BACK_IN_EDUCATION for entry in recent
                ),
                "exemption_ended": any(
                    entry[3] >= exemption_since
                    and entry[2] in (S.DEFERRED, S.SUSPENDED)
                    and entry[1] in BACK_IN_EDUCATION
                    for entry in entries
                ),
                "sibling_dropout": any(
                    other != child["pk"] and effective < end and recorded < cut
                    for other, effective, recorded in dropouts.get(child["household_id"], ())
                ),
            }
        )
    return rows


def factors_of(
    row: dict, days: tuple[int, int, int], *, end: datetime.date, explain: bool = True
) -> list[tuple[str, str]]:
    """The factors that apply to one child: [(key, detail)], the detail in the user's words
    (近30天缺课9天)."""
    # The backtest only ranks: its details are never read, so never translated.
    _ = gettext if explain else str
    found = []
    d30, d90, spells = days
    if d30 >= F_.ABSENCE_30_MIN_DAYS:
        found.append(("absence_30", _("%(days)d days absent in the last 30 days") % {"days": d30}))
    if d90 >= F_.ABSENCE_90_MIN_DAYS:
        found.append(("absence_90", _("%(days)d days absent in the last 90 days") % {"days": d90}))
    if spells >= F_.ABSENCE_SPELLS_MIN:
        found.append(
            ("absence_spells", _("%(count)d absence reports in 180 days") % {"count": spells})
        )
    grade = row["at_grade"]
    if grade:
        over = age_on_reference(row["birth_date"], end - datetime.timedelta(days=1)) - (grade + 5)
        if over >= F_.OVERAGE_MIN_YEARS:
            found.append(("overage", _("%(years)d years over-age") % {"years": over}))
        if grade in F_.TRANSITION_GRADES:
            found.append(("transition", _("Grade %(grade)d (transition year)") % {"grade": grade}))
    if row["had_dropout"] or row["had_return"]:
        detail = (
            _("Dropped out within 12 months")
            if row["had_dropout"]
            else _("Returned to school within 12 months")
        )
        found.append(("recent_dropout", detail))
    if row["exemption_ended"]:
        found.append(("exemption_ended", _("Back from an exemption within 90 days")))
    if row["is_left_behind"]:
        found.append(("left_behind", _("Left-behind child")))
    elif row["is_orphan"]:
        found.append(("left_behind", _("Orphan or without de-facto support")))
    poverty = row["household__poverty_status"]
    if poverty and poverty != PovertyStatus.NONE:
        found.append(("poverty", str(PovertyStatus(poverty).label) if explain else poverty))
    if row["is_disabled"] and not row["at_inclusive"] and row["at_status"] not in PLACED:
        found.append(("disability_unplaced", _("Disabled, no placement")))
    if row["sibling_dropout"]:
        found.append(("sibling_dropout", _("A sibling dropped out")))
    if (
        row["at_boarder"]
        and row["at_school_township"]
        and row["at_school_township"] != row["village__township_id"]
    ):
        found.append(("boarding_far", _("Boards at a school in another township")))
    return found


def score_rows(
    rows: list[dict], days: dict, *, end: datetime.date, points: dict
) -> Iterator[Scored]:
    """Scores for the rows of rows_on(), with their absence_days()."""
    # Stored in the bureau's language (like the reports' sentences), whoever ran it.
    with override("zh-hans"):
        labels = {factor.key: str(factor.label) for factor in F_.FACTORS}
        for row in rows:
            listed = [
                {"key": key, "label": labels[key], "points": points[key], "detail": detail}
                for key, detail in factors_of(row, days.get(row["pk"], (0, 0, 0)), end=end)
                if points[key] > 0
            ]
            listed.sort(key=lambda item: -item["points"])
            yield Scored(
                child_id=row["pk"],
                township_id=row["village__township_id"],
                score=min(sum(item["points"] for item in listed), 32767),
                factors=listed,
            )


def chunks(children, chunk: int) -> Iterator[list[dict]]:
    """The children as CHILD_FIELDS dicts, `chunk` at a time (keyset over their ids)."""
    last = 0
    while True:
        batch = list(children.filter(pk__gt=last).order_by("pk").values(*CHILD_FIELDS)[:chunk])
        if not batch:
            return
        last = batch[-1]["pk"]
        yield batch


def score_county(
    county, *, end: datetime.date, points: dict, as_of: bool, chunk: int = CHUNK
) -> Iterator[list[Scored]]:
    """The county's scores on one day, chunk by chunk (bounded memory): each chunk is four
    indexed queries — the children, their status history, their households' dropouts, their
    absences — and every factor is derived from those few event rows. The backtest scores
    many days from one read (risk.backtest)."""
    day = end - datetime.timedelta(days=1)
    children = Child.objects.filter(village__township__county=county).school_age_on(day)
    if not as_of:
        children = children.filter(status__in=AT_RISK_STATUSES)
    for batch in chunks(children, chunk):
        ids = [child["pk"] for child in batch]
        history = _history(ids, end=end)
        dropouts = dropouts_by_household({child["household_id"] for child in batch}, end=end)
        rows = rows_on(batch, history, dropouts, end=end, as_of=as_of)
        if rows:
            days = absence_days(absence_rows([row["pk"] for row in rows], end=end), end=end)
            yield list(score_rows(rows, days, end=end, points=points))
