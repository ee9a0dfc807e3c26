"""The monthly dropout report (失辍学儿童月报告): a month's figures for a county and each of its
townships, computed as of the month's end from the dated status and case history.

The whole county is a handful of aggregate queries grouped by village; townships and the county
are sums of their villages, so a report for March made in May gives March's figures.
"""

import datetime
from collections import Counter, defaultdict

from django.conf import settings
from django.db import connection, connections, transaction
from django.db.models import F, OuterRef, Q, Subquery
from django.utils.translation import gettext_lazy as _

from core.masking import mask_resident_id
from core.replica import reading, replica_alias
from enrollment.models import (
    DEPARTED_STATUSES,
    ENROLLED_STATUSES,
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


_CHANGES = EnrollmentStatusChange._meta.db_table


def _in(values) -> tuple[str, list]:
    return "(" + ", ".join(["%s"] * len(values)) + ")", list(values)


def _latest_entry_join(day: datetime.date) -> tuple[str, list]:
    """FROM-clause tail joining each cohort row `c` (columns cohort_child, cohort_village) to
    `e`, the child's status entry in force on `day` (the last one effective on or before it;
    children without one drop out of the join).

    Driven by the children: one backward step down the (child, effective_date, id) index per
    child, so a county's figures cost the same however many other counties share the table.
    PostgreSQL gets a LATERAL (a plain join to the latest entry is planned as a scan of the
    whole table hashed against the county's children); other databases a correlated id."""
    latest = (
        f"FROM {_CHANGES} s WHERE s.child_id = c.cohort_child AND s.effective_date <= %s "
        "ORDER BY s.effective_date DESC, s.id DESC LIMIT 1"
    )
    if connection.vendor == "postgresql":
        columns = "s.id, s.status, s.outside_verified, s.effective_date"
        return f"CROSS JOIN LATERAL (SELECT {columns} {latest}) e", [day]
    return f"JOIN {_CHANGES} e ON e.id = (SELECT s.id {latest})", [day]


def _village_figures(cohort, first: datetime.date, end: datetime.date):
    """The month's figures of each village from the cohort's status history, and the ids of
    the entries of the children out of school at the month's end (for the named list).

    One pass over the cohort: each child's entry in force at the month's end; the entry in force
    the day before the month only for children whose end entry is dated inside the month (for
    the others it is the same entry), and their changes inside the month likewise."""
    out = S.DROPPED_OUT
    enrolled_in, enrolled_params = _in(ENROLLED_STATUSES)
    departed_in, departed_params = _in(DEPARTED_STATUSES)
    unaccounted_in, unaccounted_params = _in(UNACCOUNTED_STATUSES)
    cohort_sql, cohort_params = (
        cohort.order_by()
        .values(cohort_child=F("pk"), cohort_village=F("village_id"))
        .query.sql_with_params()
    )
    join_sql, join_params = _latest_entry_join(end)

    def in_month(condition: str, params: list) -> tuple[str, list]:
        # A child's changes effective inside the month, only looked up for children whose
        # entry at the month's end is dated inside it (no entry inside: no change inside).
        return (
            "CASE WHEN e.effective_date >= %s THEN EXISTS (SELECT 1 FROM "
            f"{_CHANGES} m WHERE m.child_id = c.cohort_child AND m.effective_date >= %s "
            f"AND m.effective_date <= %s AND {condition}) ELSE FALSE END",
            [first, first, end, *params],
        )

    new_sql, new_params = in_month("m.status = %s AND NOT m.previous_status = %s", [out, out])
    returned_sql, returned_params = in_month(
        f"m.previous_status = %s AND m.status IN {enrolled_in}", [out, *enrolled_params]
    )
    left_sql, left_params = in_month(
        f"m.previous_status = %s AND NOT m.status IN {enrolled_in} AND NOT m.status = %s",
        [out, *enrolled_params, out],
    )
    per_child = (
        "SELECT c.cohort_village AS village_id, e.id, e.status, e.outside_verified, "
        # Out of school the day before the month (dropouts at the start).
        "CASE WHEN e.effective_date < %s THEN e.status = %s ELSE COALESCE(("
        f"SELECT p.status = %s FROM {_CHANGES} p WHERE p.child_id = c.cohort_child "
        "AND p.effective_date < %s ORDER BY p.effective_date DESC, p.id DESC LIMIT 1"
        "), FALSE) END AS out_at_start, "
        f"{new_sql} AS dropped_new, {returned_sql} AS returned, {left_sql} AS left_list "
        f"FROM ({cohort_sql}) c {join_sql}"
    )
    per_child_params = [
        first,
        out,
        out,
        first,
        *new_params,
        *returned_params,
        *left_params,
        *cohort_params,
        *join_params,
    ]
    present = f"NOT status IN {departed_in}"
    unverified_outside = "(status = %s AND NOT outside_verified)"
    counted = [
        ("population", present, departed_params),
        (
            "enrolled",
            f"{present} AND status IN {enrolled_in} AND NOT {unverified_outside}",
            [*departed_params, *enrolled_params, S.OUTSIDE_COUNTY],
        ),
        ("deferred", f"{present} AND status = %s", [*departed_params, S.DEFERRED]),
        ("suspended", f"{present} AND status = %s", [*departed_params, S.SUSPENDED]),
        ("home_delivered", f"{present} AND status = %s", [*departed_params, S.HOME_DELIVERED]),
        ("special_school", f"{present} AND status = %s", [*departed_params, S.SPECIAL_SCHOOL]),
        ("outside_county", f"{present} AND status = %s", [*departed_params, S.OUTSIDE_COUNTY]),
        ("suspected", f"{present} AND status = %s", [*departed_params, S.SUSPECTED_DROPOUT]),
        (
            "unaccounted",
            f"{present} AND (status IN {unaccounted_in} OR {unverified_outside})",
            [*departed_params, *unaccounted_params, S.OUTSIDE_COUNTY],
        ),
        ("dropouts_end", f"{present} AND status = %s", [*departed_params, out]),
        ("dropouts_start", "out_at_start", []),
        ("dropouts_new", "dropped_new", []),
        ("dropouts_returned", "returned", []),
        ("dropouts_left", "left_list", []),
    ]
    # Grouped by village and, for the children out at the month's end only, by their entry:
    # a row per village plus one per such child, whose ids the named list reads.
    sql = (
        "SELECT village_id, CASE WHEN status = %s THEN id END AS dropout_entry, "
        + ", ".join(
            f"COUNT(*) FILTER (WHERE {condition}) AS {key}" for key, condition, _p in counted
        )
        + f" FROM ({per_child}) x GROUP BY 1, 2"
    )
    params = [out, *(p for _key, _condition, ps in counted for p in ps), *per_child_params]
    figures: dict[int, dict] = {}
    dropout_entries = []
    alias = replica_alias()  # the replica inside compute_month (core.replica)
    with transaction.atomic(using=alias, savepoint=False), connections[alias].cursor() as cursor:
        if connection.vendor == "postgresql":
            # The planner prices the in-month look-ups as if they ran for every child (they run
            # for those with an entry dated in the month), so the estimate crosses the JIT
            # thresholds and compiling the expressions costs more than the whole query (1.5 s
            # of 2.5 s). Off for this query only: set_config(…, true) lasts at most until the
            # transaction ends, and the previous value is put back right after the query.
            cursor.execute("SELECT current_setting('jit'), set_config('jit', 'off', true)")
            previous_jit = cursor.fetchone()[0]
        cursor.execute(sql, params)
        rows = cursor.fetchall()
        if connection.vendor == "postgresql":
            cursor.execute("SELECT set_config('jit', %s, true)", [previous_jit])
    for village_id, dropout_entry, *counts in rows:
        row = figures.setdefault(village_id, dict.fromkeys((k for k, _c, _p in counted), 0))
        for (key, _condition, _params), count in zip(counted, counts, strict=True):
            row[key] += count
        if dropout_entry is not None:
            dropout_entries.append(dropout_entry)
    return figures, dropout_entries


def _outstanding(entry_ids: list[int], end: datetime.date) -> list[dict]:
    """The named list: children out of school at the month's end (their status entries in
    force then, `entry_ids`), with their case as it was."""
    case = DropoutCase.objects.filter(child=OuterRef("child"), opened_on__lte=end).order_by(
        "-opened_on", "-pk"
    )
    entries = (
        EnrollmentStatusChange.objects.filter(pk__in=entry_ids)
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


@reading()
def compute_month(county: County, month: datetime.date) -> dict:
    """{"county": figures, <township id>: figures, …} for the month containing `month`.

    Read from the replica when there is one (core.replica): the figures are a picture of the
    data, and report_lock's look-back margin covers the replica's bounded lag."""
    first, end = month_bounds(month)
    earliest, latest = school_age_birth_range(end)
    cohort = Child.objects.filter(
        village__township__county=county, birth_date__gte=earliest, birth_date__lte=latest
    )

    counts, dropout_entries = _village_figures(cohort, first, end)
    named = _outstanding(dropout_entries, end)
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
        row.update(counts.get(village.pk, {}))
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
