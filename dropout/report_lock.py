"""The period lock of the monthly reports (审核锁定): an approved report's figures never change;
a later correction to data dated inside its month is found when a later month of the same
scope is generated — each approved month of the previous twelve is computed again and
compared with its approved figures — and is listed on that report as a post-lock adjustment
(锁定后调整), once: a change already listed by an approved report in between is not listed
again unless it changed once more.

An approved month is computed again only when something its figures are made of was recorded
or changed since its reports were generated (`month_changed_since`: a few EXISTS queries on
the status history and on the history of children, households, places, cases, notices and
exemption requests); a month nothing touched keeps its approved figures without a recompute."""

import datetime
from collections import defaultdict
from functools import reduce
from operator import or_

from django.db.models import Exists, OuterRef, Q, Subquery
from django.utils import translation
from django.utils.translation import gettext as _

from core.periods import difference, figure_differences, flatten_figures
from enrollment.models import (
    Child,
    County,
    EnrollmentStatusChange,
    Household,
    Township,
    Village,
)

from .models import CaseEvent, DropoutCase, ExemptionRequest, MonthlyReport, OfficialDocument
from .reports import (
    COUNT_FIELDS,
    FOCUS_FLAGS,
    STAGES,
    UNRECORDED_CAUSE,
    compute_month,
    month_bounds,
)

# How far back a report looks for approved months to check.
LOOKBACK_MONTHS = 12
# A change recorded shortly before a report was generated may be missing from its figures (a
# transaction still open while they were computed): the check reaches back this much further.
SNAPSHOT_MARGIN = datetime.timedelta(minutes=1)
# The child's fields the figures read (the cohort, the place, the focus groups).
CHILD_FIELDS = (
    "birth_date",
    "village_id",
    "household_id",
    "is_left_behind",
    "is_disabled",
    "is_orphan",
    "is_in_difficulty",
    "is_migrant",
)
# The case events that issue or void a notice to resume schooling (overdue notices).
NOTICE_EVENTS = ("notice_issued", "document_corrected")


def months_before(month: datetime.date, count: int) -> datetime.date:
    index = month.year * 12 + month.month - 1 - count
    return datetime.date(index // 12, index % 12 + 1, 1)


def comparable_figures(figures: dict) -> dict:
    """A report's figures as a flat dict of numbers with stable dotted keys: the totals, each
    place of the breakdown (by its code), and the still-out children by reason, focus group
    and stage (every reason listed, 0 where none)."""
    return flatten_figures(
        {
            "totals": figures["totals"],
            "breakdown": {
                row["code"]: {key: row.get(key) for key, _label in COUNT_FIELDS}
                for row in figures["breakdown"]
            },
            "by_reason": {
                **{key: 0 for key in [*DropoutCase.Cause.values, UNRECORDED_CAUSE]},
                **{item["key"]: item["count"] for item in figures["by_reason"]},
            },
            "by_focus": {item["key"]: item["count"] for item in figures["by_focus"]},
            "by_stage": {item["key"]: item["count"] for item in figures["by_stage"]},
        }
    )


def figure_label(key: str, figures: dict) -> str:
    """The report's own label of a comparable figure's key, in the current language."""
    counts = dict(COUNT_FIELDS)
    group, _dot, rest = key.partition(".")
    if group == "totals":
        return str(counts.get(rest, rest))
    if group == "breakdown":
        code, _dot, field = rest.rpartition(".")
        place = next((row["name"] for row in figures["breakdown"] if row["code"] == code), code)
        return _("%(place)s: %(figure)s") % {"place": place, "figure": counts.get(field, field)}
    if group == "by_reason":
        from .report_workbook import cause_label

        return _("Still out, by reason: %(item)s") % {"item": cause_label(rest)}
    if group == "by_focus":
        return _("Still out, by focus group: %(item)s") % {
            "item": dict(FOCUS_FLAGS).get(rest, rest)
        }
    if group == "by_stage":
        return _("Still out, by stage: %(item)s") % {"item": dict(STAGES).get(rest, rest)}
    return key


def _changed_rows(history, since, place: dict, *, itself: Q, previous: Q) -> bool:
    """Whether a history row recorded after `since` (within `place`) matters: the row itself
    (`itself`, e.g. a deletion) or the row just before it of the same record (`previous`, a Q
    on that row that may compare it with the later one through OuterRef)."""
    before = history.objects.filter(
        id=OuterRef("id"), history_date__lt=OuterRef("history_date")
    ).order_by("-history_date", "-history_id")
    rows = history.objects.filter(history_date__gt=since, **place).annotate(
        previous_id=Subquery(before.values("history_id")[:1])
    )
    matching = history.objects.filter(history_id=OuterRef("previous_id")).filter(previous)
    return rows.filter(itself | Exists(matching)).exists()


def _unequal(*fields) -> Q:
    """The previous row differs from the later one in one of `fields`."""
    return reduce(or_, (~Q(**{field: OuterRef(field)}) for field in fields))


def month_changed_since(county: County, month: datetime.date, since) -> bool:
    """Whether anything that feeds `compute_month(county, month)` was recorded or changed after
    `since`: a status change dated by the month's end; a child's birth date, place, household
    or focus flags, a household's poverty status, a village or a township; a case opened by the
    month's end that was added or deleted, returned or closed by then (or no longer), or whose
    cause or township changed; a notice of such a case issued or corrected; an exemption
    request ending in the next month (or no longer). Conservative: a yes may leave the figures
    as they were, a no means they cannot have changed. At most eight EXISTS queries."""
    end = month_bounds(month)[1]
    next_month = month_bounds(end + datetime.timedelta(days=1))
    deleted = Q(history_type="-")
    dated_by_end = Q(returned_on__lte=end) | Q(closed_on__lte=end)
    county_children = {"village__township__county": county}
    checks = (
        lambda: EnrollmentStatusChange.objects.filter(
            child__village__township__county=county, recorded_at__gt=since, effective_date__lte=end
        ).exists(),
        lambda: _changed_rows(
            Child.history.model,
            since,
            county_children,
            itself=deleted,
            previous=_unequal(*CHILD_FIELDS),
        ),
        lambda: _changed_rows(
            Household.history.model,
            since,
            county_children,
            itself=deleted,
            previous=_unequal("poverty_status"),
        ),
        lambda: (
            Village.history.filter(township__county=county, history_date__gt=since).exists()
            or Township.history.filter(county=county, history_date__gt=since).exists()
        ),
        lambda: _changed_rows(
            DropoutCase.history.model,
            since,
            {"township__county": county, "opened_on__lte": end},
            itself=Q(history_type__in=("+", "-")) | dated_by_end,
            previous=dated_by_end | _unequal("cause", "opened_on", "township_id"),
        ),
        lambda: OfficialDocument.objects.filter(
            township__county=county,
            kind=OfficialDocument.Kind.RESUME_NOTICE,
            issued_on__lte=end,
            deadline__lt=end,
            case__in=CaseEvent.objects.filter(at__gt=since, action__in=NOTICE_EVENTS).values(
                "case_id"
            ),
        ).exists(),
        lambda: _changed_rows(
            ExemptionRequest.history.model,
            since,
            {"child__village__township__county": county},
            itself=deleted | Q(end_date__range=next_month),
            previous=Q(end_date__range=next_month),
        ),
    )
    return any(check() for check in checks)


def scope_key(report: MonthlyReport):
    """The key of the report's scope in `compute_month()`'s answer."""
    return report.township_id if report.township_id else "county"


def post_lock_adjustments(county: County, month: datetime.date) -> dict:
    """{scope key: [adjustment, …]} for the reports of `month`: every figure of an approved
    month of the previous twelve (same scope) whose value now differs from what was approved
    and from what an approved report in between already listed. An adjustment: month
    ("YYYY-MM"), key, label (Chinese), approved (the locked figure), current, difference
    (current − approved)."""
    month = month.replace(day=1)
    approved = list(
        MonthlyReport.objects.filter(
            county=county,
            month__gte=months_before(month, LOOKBACK_MONTHS),
            month__lt=month,
            approved_at__isnull=False,
        ).order_by("month", "township__code", "pk")
    )
    by_month = defaultdict(list)
    for report in approved:
        by_month[report.month].append(report)
    result = defaultdict(list)
    with translation.override("zh-hans"):
        for locked_month, reports in by_month.items():
            # The figures of a report are the data as its generation began (generated_at).
            since = min(report.generated_at for report in reports) - SNAPSHOT_MARGIN
            if not month_changed_since(county, locked_month, since):
                continue  # nothing behind the approved figures changed: no adjustment
            recomputed = compute_month(county, locked_month)
            label = locked_month.strftime("%Y-%m")
            for report in reports:
                current_figures = recomputed.get(scope_key(report))
                if current_figures is None:
                    continue
                locked = comparable_figures(report.figures)
                baseline = dict(locked)
                # What approved reports of the months in between listed already.
                for later in approved:
                    if scope_key(later) == scope_key(report) and locked_month < later.month:
                        for item in later.adjustments:
                            if item["month"] == label:
                                baseline[item["key"]] = item["current"]
                current = comparable_figures(current_figures)
                for change in figure_differences(baseline, current):
                    key = change["key"]
                    result[scope_key(report)].append(
                        {
                            "month": label,
                            "key": key,
                            "label": figure_label(key, current_figures),
                            "approved": locked.get(key),
                            "current": change["current"],
                            "difference": difference(locked.get(key), change["current"]),
                        }
                    )
    return dict(result)
