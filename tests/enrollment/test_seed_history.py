"""The demo county's status histories tell the same story as the current statuses: a ledger
rebuilt "as of" a past day from the history (enrollment.selectors.with_ledger_status, the
monthly reports' latest_changes_as_of) must never see a graduate back in grade 9 after the
graduation, or a dropout still in school after dropping out; nor a child "never enrolled" or
deferred before grade 1 who was on a school's roll before."""

import datetime
from collections import defaultdict

import pytest
from django.core.management import call_command
from django.utils import timezone

from enrollment.models import Child, County, EnrollmentStatus, EnrollmentStatusChange

S = EnrollmentStatus
# After these nothing more happens to a child of the county.
TERMINAL = {S.GRADUATED, S.MOVED_AWAY, S.DECEASED}
# The history entry's fields and the child's columns they must agree with.
AGREES = {
    "status": "status",
    "effective_date": "status_since",
    "school_id": "current_school_id",
    "grade": "grade",
    "class_name": "class_name",
    "is_inclusive": "is_inclusive",
    "is_boarder": "is_boarder",
    "outside_school_name": "outside_school_name",
    "outside_verified": "outside_verified",
}


def history_contradictions(children, today: datetime.date) -> list[str]:
    """What is wrong with each child's history, one line per child (empty: nothing)."""
    history = defaultdict(list)
    entries = (
        EnrollmentStatusChange.objects.filter(child__in=children)
        .order_by("child_id", "effective_date", "pk")
        .values("child_id", "previous_status", *AGREES)
    )
    for entry in entries:
        history[entry["child_id"]].append(entry)
    problems = []
    for child in children.values("pk", "name", "birth_date", *AGREES.values()):
        entries = history[child["pk"]]
        if not entries:
            problems.append(f"{child['pk']} {child['name']}: no history")
            continue
        wrong = []
        last = entries[-1]
        differ = {
            field: (last[field], child[column])
            for field, column in AGREES.items()
            if last[field] != child[column]
        }
        if differ:
            wrong.append(f"last entry {last['status']} {last['effective_date']} differs: {differ}")
        terminal = [n for n, entry in enumerate(entries) if entry["status"] in TERMINAL]
        if terminal and terminal[0] != len(entries) - 1:
            after = entries[terminal[0] + 1]
            wrong.append(
                f"{after['status']} on {after['effective_date']} after "
                f"{entries[terminal[0]]['status']} on {entries[terminal[0]]['effective_date']}"
            )
        never_on_roll = [e for e in entries if e["status"] in (S.NEVER_ENROLLED, S.DEFERRED)]
        # Before grade 1 only: a deferral of school entry is followed by the entry.
        if never_on_roll and any(
            e["school_id"] for e in entries[: entries.index(never_on_roll[-1])]
        ):
            wrong.append(f"{never_on_roll[0]['status']} after being on a school's roll")
        for before, entry in zip([None, *entries], entries, strict=False):
            expected = before["status"] if before else ""
            if entry["previous_status"] != expected:
                wrong.append(
                    f"{entry['status']} on {entry['effective_date']} follows {expected or '-'} "
                    f"but says {entry['previous_status'] or '-'}"
                )
            if not child["birth_date"] <= entry["effective_date"] <= today:
                wrong.append(f"{entry['status']} dated {entry['effective_date']}")
        if wrong:
            problems.append(f"{child['pk']} {child['name']}: " + "; ".join(wrong))
    return problems


@pytest.mark.postgres
def test_every_seeded_child_history_ends_in_its_current_status(
    transactional_db, tmp_path, settings
):
    settings.MEDIA_ROOT = tmp_path
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # the demo scale, every module
    county = County.objects.get(code="519901")
    children = Child.objects.filter(village__township__county=county)
    assert children.count() == 3780
    assert children.filter(status=S.GRADUATED).exists()
    problems = history_contradictions(children, timezone.localdate())
    assert not problems, f"{len(problems)} children:\n" + "\n".join(problems[:20])


@pytest.mark.postgres
@pytest.mark.parametrize(
    "today",
    [
        datetime.date(2026, 9, 1),  # the first day of a school year: nothing on the roll yet
        datetime.date(2026, 9, 5),
        datetime.date(2026, 12, 6),
        datetime.date(2027, 3, 1),
        datetime.date(2027, 8, 31),
    ],
)
def test_the_seeded_registry_is_consistent_whatever_the_day_it_is_loaded(db, today):
    """The registry alone (no module loaders, no services), built as if on another day: the
    dates it draws are relative to that day and to the start of its school year."""
    from enrollment.demo import DemoCounty, Scale
    from tests.factories import UserFactory

    scale = Scale(townships=2, villages_per_township=3, children_per_village=250, name="days")
    builder = DemoCounty(scale, today=today)
    builder.build_places()
    loader = UserFactory(username="data-loader")
    builder.build_people(loader)
    builder.build_statuses(loader)
    children = Child.objects.filter(village__township__county=builder.county)
    assert children.filter(status=S.GRADUATED).exists()
    assert children.exclude(status__in=(S.IN_SCHOOL, S.NOT_SCHOOL_AGE, S.GRADUATED)).exists()
    problems = history_contradictions(children, today)
    assert not problems, f"{len(problems)} children:\n" + "\n".join(problems[:20])
