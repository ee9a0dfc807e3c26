"""The backtest on a small county built by hand: scores as of a month's first day use only
what was recorded before it, judged against the next three months' new dropouts."""

import datetime

from django.utils import timezone

from enrollment.models import EnrollmentStatus
from risk.models import RiskBacktest
from risk.services import month_starts, run_backtest

from .conftest import absence, backdate, history, pupil

S = EnrollmentStatus
DAY = datetime.timedelta(days=1)


def at(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(10)))


def test_backtest_counts_by_hand_and_never_looks_ahead(world, today):
    month = month_starts(today, 1)[0]  # the latest month whose three months have passed
    long_ago = at(month - 700 * DAY)
    children = [pupil(world) for _ in range(20)]
    for child in children:
        backdate(child, recorded=long_ago)
    a, b, c, d = children[:4]
    # A: absent 10 days before the month, reported then → 30 points; drops out within 3 months
    absence(world, a, since=month - 10 * DAY, reported=at(month - 9 * DAY))
    history(a, S.DROPPED_OUT, month + 20 * DAY, recorded=at(month + 21 * DAY))
    # B: left-behind → 10 points; stays in school
    b.is_left_behind = True
    b.save(update_fields=["is_left_behind"])
    # C: no sign that morning; drops out
    history(c, S.DROPPED_OUT, month + 40 * DAY, recorded=at(month + 41 * DAY))
    # D: absent before the month, but the report was only entered after the 1st: the score of
    # the 1st cannot know it (it would tie with A at 30 and take B's place in the top 10 %)
    absence(world, d, since=month - 10 * DAY, reported=at(month + 2 * DAY))
    history(d, S.DROPPED_OUT, month + 30 * DAY, recorded=at(month + 31 * DAY))
    # a dropout after the three months is not counted
    history(children[5], S.DROPPED_OUT, month + 100 * DAY)
    # a status change effective before the month but recorded after it is not seen: this
    # child's enrollment was entered late, so it was not in the population that morning
    late = pupil(world)
    backdate(late, recorded=at(month + 3 * DAY))

    run_backtest(county=world.county, months=1, day=today)

    county = RiskBacktest.objects.get(county=world.county, township__isnull=True, month=month)
    # 20 children scored (world's own pupils and `late` were recorded after the 1st)
    assert (county.population, county.dropouts) == (20, 3)
    assert (county.top5_flagged, county.top5_hits) == (1, 1)  # A
    assert (county.top10_flagged, county.top10_hits) == (2, 1)  # A and B
    assert (county.top5_recall, county.top5_precision) == (33.3, 100.0)
    assert (county.top10_recall, county.top10_precision) == (33.3, 50.0)
    township = RiskBacktest.objects.get(township=world.township1, month=month)
    assert (township.population, township.dropouts, township.top10_hits) == (20, 3, 1)
    assert not RiskBacktest.objects.filter(township=world.township2).exists()


def test_backtest_months_end_three_months_before_today():
    starts = month_starts(datetime.date(2026, 12, 7), 24)
    assert (starts[0], starts[-1], len(starts)) == (
        datetime.date(2024, 10, 1),
        datetime.date(2026, 9, 1),
        24,
    )


def test_rerunning_a_month_replaces_its_rows(world, today):
    run_backtest(county=world.county, months=2, day=today)
    first = RiskBacktest.objects.count()
    run_backtest(county=world.county, months=2, day=today)
    assert RiskBacktest.objects.count() == first
