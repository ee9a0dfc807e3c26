"""The backtest's scores: the county's pupils scored as of many months' first days from one
read. Each chunk of children is read once — the children, their whole status history, their
absences — and scored for every month in Python, each month seeing only what was effective and
recorded before its first day; the county's dropouts by household are read once. What is kept
per month is two compact arrays (a sortable key per scored child and its township), not rows."""

import datetime
from array import array

from enrollment.models import Child, EnrollmentStatus, EnrollmentStatusChange
from enrollment.selectors import school_age_birth_range

from .scoring import (
    CHUNK,
    _history,
    absence_days,
    absence_rows,
    chunks,
    dropouts_by_household,
    factors_of,
    rows_on,
)

ID_BITS = 40  # a child's id below, 32767 − score above: ascending keys rank by score, then id
ID_MASK = (1 << ID_BITS) - 1


def ranked_by_month(
    county, *, months: list[datetime.date], points: dict, chunk: int = CHUNK
) -> dict[datetime.date, tuple[array, array]]:
    """Per month: the scored children's keys (ascending = highest score first, ties by id)
    and their townships, in the same order once sorted by `sorted_keys()`."""
    last_end, first_end = max(months), min(months)
    ranges = [school_age_birth_range(month - datetime.timedelta(days=1)) for month in months]
    children = Child.objects.filter(
        village__township__county=county,
        birth_date__gte=min(low for low, _high in ranges),
        birth_date__lte=max(high for _low, high in ranges),
    )
    dropouts = dropouts_by_household(county, end=last_end)
    out = {month: (array("q"), array("q")) for month in months}
    for batch in chunks(children, chunk):
        ids = [child["pk"] for child in batch]
        history = _history(ids, end=last_end, known=False)
        absences = absence_rows(ids, end=last_end, first_end=first_end)
        for month in months:
            rows = rows_on(batch, history, dropouts, end=month, as_of=True)
            if not rows:
                continue
            days = absence_days(absences, end=month)
            keys, townships = out[month]
            for row in rows:
                found = factors_of(row, days.get(row["pk"], (0, 0, 0)), end=month, explain=False)
                score = min(sum(points[key] for key, _detail in found), 32767)
                keys.append(((32767 - score) << ID_BITS) | row["pk"])
                townships.append(row["village__township_id"])
    return out


def new_dropouts(county, *, start: datetime.date, until: datetime.date) -> set[int]:
    """Children of the county who became dropouts (a status change to 辍学 effective in the
    window) — the outcome the scores are judged by, whenever it was recorded."""
    return set(
        EnrollmentStatusChange.objects.filter(
            child__village__township__county=county,
            status=EnrollmentStatus.DROPPED_OUT,
            effective_date__gte=start,
            effective_date__lt=until,
        ).values_list("child_id", flat=True)
    )


def _figures(ranked: list[int], dropped: set[int]) -> dict:
    """Recall and precision counts at the top 5 % and 10 % (at least one child when any)."""
    ids = [key & ID_MASK for key in ranked]
    outcome = dropped.intersection(ids)
    figures = {"population": len(ids), "dropouts": len(outcome)}
    for name, share in (("top5", 0.05), ("top10", 0.10)):
        flagged = ids[: max(1, round(len(ids) * share))] if ids else []
        figures[f"{name}_flagged"] = len(flagged)
        figures[f"{name}_hits"] = len(outcome.intersection(flagged))
    return figures


def month_figures(keys: array, townships: array, dropped: set[int]) -> dict:
    """The figures of one month for the county (key None) and each township."""
    order = sorted(range(len(keys)), key=keys.__getitem__)
    by_township: dict[int, list[int]] = {}
    for index in order:
        by_township.setdefault(townships[index], []).append(keys[index])
    figures = {None: _figures([keys[index] for index in order], dropped)}
    for township_id, ranked in by_township.items():
        figures[township_id] = _figures(ranked, dropped)
    return figures
