"""The monthly dropout report (失辍学儿童月报告): a month's figures for a county and each of its
townships, computed as of the month's end from the dated status and case history.

The whole county is a handful of aggregate queries grouped by village; townships and the county
are sums of their villages, so a report for March made in May gives March's figures.
"""

import datetime
from collections import Counter, defaultdict

from django.conf import settings
from django.db.models import Count, Exists, OuterRef, Q, Subquery
from django.utils.translation import gettext_lazy as _

from core.masking import mask_resident_id
from enrollment.models import (
    DEPARTED_STATUSES,
    ENROLLED_STATUSES,
    EXEMPTED_STATUSES,
    REGISTERED_POOR_STATUSES,
    UNACCOUNTED_STATUSES,
    Child,
    County,
    EnrollmentStatus,
    EnrollmentStatusChange,
    Village,
)
from enrollment.selectors import age_on_reference, school_age_birth_range

from .models import DropoutCase, ExemptionRequest, OfficialDocument

S = EnrollmentStatus

# The figures of every row of the report (a village, a township, the county), in display order.
COUNT_FIELDS = (
    ("population", _("School-age population")),
    ("enrolled", _("Enrolled")),
    ("rate", _("Enrollment rate (%)")),
    ("deferred", _("Deferred enrollment")),
    ("suspended", _("Suspended schooling")),
    ("home_delivered", _("Home-delivered education")),
    ("special_school", _("Special school")),
    ("outside_county", _("Studying outside the county")),
    ("suspected", _("Suspected dropouts")),
    ("unaccounted", _("Unaccounted (no roll, no legal status)")),
    ("dropouts_start", _("Dropouts at the start of the month")),
    ("dropouts_new", _("New dropouts this month")),
    ("dropouts_returned", _("Returned to school this month")),
    ("dropouts_left", _("Left the list otherwise (moved, exempted…)")),
    ("dropouts_end", _("Dropouts still out at the end of the month")),
    ("notices_overdue", _("Notices past their deadline")),
    ("exemptions_ending", _("Exemptions ending next month")),
)
SUMMED_FIELDS = tuple(key for key, _label in COUNT_FIELDS if key != "rate")

FOCUS_FLAGS = (
    ("registered_poor", _("Registered poor (建档立卡)")),
    ("left_behind", _("Left-behind")),
    ("disabled", _("Disabled")),
    ("orphan", _("Orphan or unsupported")),
    ("in_difficulty", _("In difficulty")),
    ("migrant", _("Migrant")),
)
STAGES = (("primary", _("Primary")), ("junior", _("Junior secondary")))
UNRECORDED_CAUSE = "unrecorded"


def month_bounds(month: datetime.date) -> tuple[datetime.date, datetime.date]:
    first = month.replace(day=1)
    following = (first + datetime.timedelta(days=32)).replace(day=1)
    return first, following - datetime.timedelta(days=1)


def previous_month(day: datetime.date) -> datetime.date:
    return (day.replace(day=1) - datetime.timedelta(days=1)).replace(day=1)


def latest_changes_as_of(children, day: datetime.date):
    """Each child's status entry in force on `day` (the last one effective on or before it)."""
    later = EnrollmentStatusChange.objects.filter(
        child=OuterRef("child"), effective_date__lte=day
    ).filter(
        Q(effective_date__gt=OuterRef("effective_date"))
        | Q(effective_date=OuterRef("effective_date"), pk__gt=OuterRef("pk"))
    )
    return EnrollmentStatusChange.objects.filter(
        child__in=children, effective_date__lte=day
    ).exclude(Exists(later))


def _status_counts(cohort, end: datetime.date) -> dict[int, dict]:
    enrolled = Q(status__in=ENROLLED_STATUSES) & ~Q(status=S.OUTSIDE_COUNTY, outside_verified=False)
    unaccounted = Q(status__in=UNACCOUNTED_STATUSES) | Q(
        status=S.OUTSIDE_COUNTY, outside_verified=False
    )
    rows = (
        latest_changes_as_of(cohort, end)
        .exclude(status__in=DEPARTED_STATUSES)
        .values("child__village_id")
        .annotate(
            population=Count("pk"),
            enrolled=Count("pk", filter=enrolled),
            exempted=Count("pk", filter=Q(status__in=EXEMPTED_STATUSES)),
            deferred=Count("pk", filter=Q(status=S.DEFERRED)),
            suspended=Count("pk", filter=Q(status=S.SUSPENDED)),
            home_delivered=Count("pk", filter=Q(status=S.HOME_DELIVERED)),
            special_school=Count("pk", filter=Q(status=S.SPECIAL_SCHOOL)),
            outside_county=Count("pk", filter=Q(status=S.OUTSIDE_COUNTY)),
            suspected=Count("pk", filter=Q(status=S.SUSPECTED_DROPOUT)),
            unaccounted=Count("pk", filter=unaccounted),
            dropouts_end=Count("pk", filter=Q(status=S.DROPPED_OUT)),
        )
        .order_by()
    )
    return {row.pop("child__village_id"): row for row in rows}


def _dropouts_on(cohort, day: datetime.date) -> dict[int, int]:
    rows = (
        latest_changes_as_of(cohort, day)
        .filter(status=S.DROPPED_OUT)
        .values("child__village_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return {row["child__village_id"]: row["n"] for row in rows}


def _flows(cohort, first: datetime.date, end: datetime.date) -> dict[int, dict]:
    """Children who dropped out, returned, or left the dropout list otherwise in the month
    (each child once per kind, so a child out and back inside the month counts in both)."""
    was_out = Q(previous_status=S.DROPPED_OUT)
    rows = (
        EnrollmentStatusChange.objects.filter(
            child__in=cohort, effective_date__gte=first, effective_date__lte=end
        )
        .values("child__village_id")
        .annotate(
            dropouts_new=Count("child", distinct=True, filter=Q(status=S.DROPPED_OUT) & ~was_out),
            dropouts_returned=Count(
                "child", distinct=True, filter=was_out & Q(status__in=ENROLLED_STATUSES)
            ),
            dropouts_left=Count(
                "child",
                distinct=True,
                filter=was_out & ~Q(status__in=ENROLLED_STATUSES) & ~Q(status=S.DROPPED_OUT),
            ),
        )
        .order_by()
    )
    return {row.pop("child__village_id"): row for row in rows}


def _outstanding(cohort, end: datetime.date) -> list[dict]:
    """The named list: children out of school at the month's end, with their case as it was."""
    case = DropoutCase.objects.filter(child=OuterRef("child"), opened_on__lte=end).order_by(
        "-opened_on", "-pk"
    )
    entries = (
        latest_changes_as_of(cohort, end)
        .filter(status=S.DROPPED_OUT)
        .select_related("child__village__township", "child__household")
        .annotate(
            case_id=Subquery(case.values("pk")[:1]),
            case_cause=Subquery(case.values("cause")[:1]),
            case_responsible=Subquery(case.values("responsible_persons")[:1]),
        )
        .order_by("child__village__township__code", "child__village__code", "child__name")
    )
    rows = []
    for entry in entries:
        child = entry.child
        age = age_on_reference(child.birth_date, end)
        if entry.grade:
            stage = "primary" if entry.grade <= 6 else "junior"
        else:
            stage = "primary" if age <= settings.PRIMARY_STAGE_MAX_AGE else "junior"
        rows.append(
            {
                "child_id": child.pk,
                "township_id": child.village.township_id,
                "village_id": child.village_id,
                "township": child.village.township.name,
                "village": child.village.name,
                "name": child.name,
                "sex": child.get_sex_display(),
                "resident_id": mask_resident_id(child.resident_id),
                "age": age,
                "stage": stage,
                "out_since": entry.effective_date.isoformat(),
                "reason": entry.reason,
                "cause": entry.case_cause or UNRECORDED_CAUSE,
                "case_id": entry.case_id,
                "guardian": f"{child.guardian_name}（{child.guardian_relation}）",
                "responsible": (entry.case_responsible or "").strip(),
                "focus": [
                    key
                    for key, present in (
                        (
                            "registered_poor",
                            child.household.poverty_status in REGISTERED_POOR_STATUSES,
                        ),
                        ("left_behind", child.is_left_behind),
                        ("disabled", child.is_disabled),
                        ("orphan", child.is_orphan),
                        ("in_difficulty", child.is_in_difficulty),
                        ("migrant", child.is_migrant),
                    )
                    if present
                ],
            }
        )
    return rows


def _overdue_notices(county, end: datetime.date) -> list[dict]:
    """Notices to resume schooling whose deadline had passed by the month's end while the child
    was still out (case neither returned nor closed by then)."""
    notices = (
        OfficialDocument.objects.filter(
            township__county=county,
            kind=OfficialDocument.Kind.RESUME_NOTICE,
            voided_by__isnull=True,
            issued_on__lte=end,
            deadline__lt=end,
        )
        .filter(Q(case__returned_on__isnull=True) | Q(case__returned_on__gt=end))
        .filter(Q(case__closed_on__isnull=True) | Q(case__closed_on__gt=end))
        .select_related("case__child", "township")
        .order_by("township__code", "deadline", "pk")
    )
    return [
        {
            "township_id": notice.township_id,
            "village_id": notice.case.child.village_id,
            "township": notice.township.name,
            "number": notice.number,
            "child": notice.case.child.name,
            "case_id": notice.case_id,
            "deadline": notice.deadline.isoformat(),
            "days_overdue": (end - notice.deadline).days,
        }
        for notice in notices
    ]


def _exemptions_ending(county, end: datetime.date) -> list[dict]:
    next_first, next_end = month_bounds(end + datetime.timedelta(days=1))
    requests = (
        ExemptionRequest.objects.filter(
            child__village__township__county=county,
            status=ExemptionRequest.Status.FILED,
            end_date__gte=next_first,
            end_date__lte=next_end,
        )
        .select_related("child__village__township")
        .order_by("end_date", "pk")
    )
    return [
        {
            "township_id": request.child.village.township_id,
            "village_id": request.child.village_id,
            "township": request.child.village.township.name,
            "child": request.child.name,
            "kind": request.kind,
            "end_date": request.end_date.isoformat(),
            "request_id": request.pk,
        }
        for request in requests
    ]


def _empty_counts() -> dict:
    return dict.fromkeys(SUMMED_FIELDS, 0)


def _with_rate(row: dict) -> dict:
    denominator = row["population"] - row["deferred"] - row["suspended"]
    row["rate"] = round(100 * row["enrolled"] / denominator, 2) if denominator else None
    return row


def _breakdowns(named: list[dict]) -> dict:
    causes = dict(DropoutCase.Cause.choices)
    by_cause = Counter(row["cause"] for row in named)
    by_focus = Counter(flag for row in named for flag in row["focus"])
    by_stage = Counter(row["stage"] for row in named)
    return {
        "by_reason": [
            {"key": key, "count": by_cause[key]}
            for key in [*causes, UNRECORDED_CAUSE]
            if by_cause[key]
        ],
        "by_focus": [{"key": key, "count": by_focus[key]} for key, _label in FOCUS_FLAGS],
        "by_stage": [{"key": key, "count": by_stage[key]} for key, _label in STAGES],
    }


def compute_month(county: County, month: datetime.date) -> dict:
    """{"county": figures, <township id>: figures, …} for the month containing `month`."""
    first, end = month_bounds(month)
    earliest, latest = school_age_birth_range(end)
    cohort = Child.objects.filter(
        village__township__county=county, birth_date__gte=earliest, birth_date__lte=latest
    ).values("pk")

    statuses = _status_counts(cohort, end)
    starts = _dropouts_on(cohort, first - datetime.timedelta(days=1))
    flows = _flows(cohort, first, end)
    named = _outstanding(cohort, end)
    notices = _overdue_notices(county, end)
    ending = _exemptions_ending(county, end)

    villages = list(
        Village.objects.filter(township__county=county)
        .select_related("township")
        .order_by("township__code", "code")
    )
    per_village = {}
    for village in villages:
        row = _empty_counts()
        row.update(statuses.get(village.pk, {}))
        row.pop("exempted", None)
        row["dropouts_start"] = starts.get(village.pk, 0)
        row.update(flows.get(village.pk, {}))
        per_village[village.pk] = row
    for item in notices:
        per_village[item["village_id"]]["notices_overdue"] += 1
    for item in ending:
        per_village[item["village_id"]]["exemptions_ending"] += 1

    townships = {}
    for village in villages:
        townships.setdefault(village.township_id, (village.township, []))[1].append(village)

    def total(rows):
        summed = _empty_counts()
        for row in rows:
            for key in SUMMED_FIELDS:
                summed[key] += row[key]
        return _with_rate(summed)

    def figures(kind, name, code, rows_by_place, named_rows, notice_rows, ending_rows):
        return {
            "kind": kind,
            "scope_name": name,
            "scope_code": code,
            "month": first.strftime("%Y-%m"),
            "as_of": end.isoformat(),
            "totals": total(row for _place, row in rows_by_place),
            "breakdown": [
                {"name": place.name, "code": place.code, **_with_rate(dict(row))}
                for place, row in rows_by_place
            ],
            **_breakdowns(named_rows),
            "outstanding": named_rows,
            "overdue_notices": notice_rows,
            "exemptions_ending": ending_rows,
        }

    by_township_named = defaultdict(list)
    for row in named:
        by_township_named[row["township_id"]].append(row)
    result = {}
    township_rows = []
    for township_id, (township, township_villages) in townships.items():
        village_rows = [(village, per_village[village.pk]) for village in township_villages]
        result[township_id] = figures(
            "township",
            township.name,
            township.code,
            village_rows,
            by_township_named[township_id],
            [n for n in notices if n["township_id"] == township_id],
            [e for e in ending if e["township_id"] == township_id],
        )
        township_rows.append((township, result[township_id]["totals"]))
    result["county"] = figures(
        "county", county.name, county.code, township_rows, named, notices, ending
    )
    return result
