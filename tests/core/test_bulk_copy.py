"""COPY-based inserts give the same rows as saving model instances, history included."""

import datetime

import pytest
from django.db import transaction

from core.bulk_copy import copy_insert, copy_upsert, reserve_ids, write_lane
from core.resident_id import make_resident_id
from enrollment.models import Child, EnrollmentStatus, EnrollmentStatusChange, Household

BORN = datetime.date(2016, 3, 4)


def _attributes(world, sequence: int) -> dict:
    return {
        "resident_id": make_resident_id(
            place_code="510302", birth_date=BORN, sequence=sequence, sex="F"
        ),
        "name": f"王{sequence}",
        "sex": "F",
        "birth_date": BORN,
        "village_id": world.village1.pk,
        "household_id": world.household1.pk,
        "guardian_name": "王大",
        "guardian_relation": "母亲",
        "guardian_phone": "13800000000",
        "status": EnrollmentStatus.UNVERIFIED,
        "status_since": BORN,
    }


def _comparable(child: Child) -> dict:
    values = {field.attname: getattr(child, field.attname) for field in Child._meta.concrete_fields}
    for volatile in ("id", "resident_id", "name", "created_at"):
        values.pop(volatile)
    return values


def test_copied_children_equal_saved_ones_and_each_has_its_created_history(world):
    saved = Child(**_attributes(world, 1))
    saved.save()
    ids = copy_insert(
        Child,
        [_attributes(world, 2), _attributes(world, 3)],
        history_user=world.bureau,
        history_reason="导入",
    )
    copied = list(Child.objects.filter(pk__in=ids).order_by("pk"))
    assert [child.pk for child in copied] == ids and ids[0] < ids[1]
    assert [child.name for child in copied] == ["王2", "王3"]
    for child in copied:
        assert _comparable(child) == _comparable(saved)
        assert child.created_at is not None
        (history,) = child.history.all()
        assert (history.history_type, history.history_user, history.history_change_reason) == (
            "+",
            world.bureau,
            "导入",
        )
        assert (history.name, history.household_id, history.status) == (
            child.name,
            child.household_id,
            child.status,
        )
    assert Child.objects.create(**_attributes(world, 4)).pk > ids[1]  # the sequence moved on


def test_rows_without_history_need_no_ids(world):
    before = EnrollmentStatusChange.objects.count()
    returned = copy_insert(
        EnrollmentStatusChange,
        [
            {
                "child_id": world.child1.pk,
                "status": EnrollmentStatus.IN_SCHOOL,
                "effective_date": BORN,
                "reason": "导入",
            }
        ],
        return_ids=False,
    )
    assert returned == []
    change = EnrollmentStatusChange.objects.latest("pk")
    assert EnrollmentStatusChange.objects.count() == before + 1
    assert (change.child, change.status, change.recorded_at is not None) == (
        world.child1,
        EnrollmentStatus.IN_SCHOOL,
        True,
    )
    assert copy_insert(Household, []) == []


def test_rows_can_go_in_without_history_as_bulk_create_leaves_them(world):
    ids = copy_insert(Child, [_attributes(world, 5)], write_history=False)
    assert Child.objects.filter(pk__in=ids).count() == 1
    assert not Child.history.filter(id__in=ids).exists()


def test_a_history_table_of_links_is_copied_as_a_plain_table(world):
    """A history table's own `history` foreign key is no django-simple-history manager."""
    from django.apps import apps

    from enrollment.models import HouseholdVisit

    visit = HouseholdVisit.objects.create(
        visit_date=BORN,
        household=world.household1,
        visitors="村干部",
        findings="在家",
        outcome=HouseholdVisit.Outcome.AT_HOME,
        recorded_by=world.bureau,
    )
    links = apps.get_model("enrollment", "HistoricalHouseholdVisit_children")
    copy_insert(
        links,
        [
            {
                "id": 1,
                "history_id": visit.history.get().history_id,
                "householdvisit_id": visit.pk,
                "child_id": world.child1.pk,
            }
        ],
        return_ids=False,
    )
    assert links.objects.get().child == world.child1


def test_rows_written_through_a_lane_are_the_same_rows_in_the_same_transaction(world):
    with write_lane() as lane:
        ids = copy_insert(
            Child,
            [_attributes(world, 30), _attributes(world, 31)],
            history_user=world.bureau,
            ids=reserve_ids(Child, 2),
            lane=lane,
        )

        def count(cursor):
            cursor.execute(f"SELECT count(*) FROM {Child._meta.db_table} WHERE id IN (%s, %s)", ids)
            return cursor.fetchone()[0]

        counted = lane.submit(count)
    assert counted.result() == 2  # the lane's later work sees its earlier writes
    copied = Child.objects.filter(pk__in=ids).order_by("pk")
    assert [child.name for child in copied] == ["王30", "王31"]
    assert [child.history.get().history_user for child in copied] == [world.bureau] * 2


def test_after_a_lane_fails_its_later_work_is_skipped_and_the_first_error_is_raised(world):
    class Refused(Exception):
        pass

    def refuse(_cursor):
        raise Refused

    ran = []
    before = Child.objects.count()
    with pytest.raises(Refused), transaction.atomic():
        with write_lane() as lane:
            lane.submit(refuse)
            copy_insert(Child, [_attributes(world, 40)], lane=lane)
            lane.submit(lambda _cursor: ran.append("later work"))
    assert ran == []
    assert Child.objects.count() == before


def test_an_upsert_inserts_new_rows_and_updates_existing_ones_json_included(world):
    from risk.models import RiskScore

    kept = RiskScore.objects.create(
        child=world.child1, county=world.county, score=10, computed_on=BORN, factors=[]
    )
    day = datetime.date(2026, 1, 5)
    factors = [{"key": "overage", "label": "超龄2岁", "points": 20, "detail": "两岁"}]
    written = copy_upsert(
        RiskScore,
        [
            {
                "child_id": child.pk,
                "county_id": world.county.pk,
                "score": score,
                "computed_on": day,
                "factors": factors,
                "factor_keys": " overage ",
            }
            for child, score in ((world.child1, 35), (world.child2, 20))
        ],
        unique="child_id",
        fields=["county_id", "score", "computed_on", "factors", "factor_keys"],
    )
    assert written == 2
    rows = {row.child_id: row for row in RiskScore.objects.all()}
    assert set(rows) == {world.child1.pk, world.child2.pk}
    assert rows[world.child1.pk].pk == kept.pk  # updated in place, not a second row
    assert [(rows[c.pk].score, rows[c.pk].computed_on) for c in (world.child1, world.child2)] == [
        (35, day),
        (20, day),
    ]
    assert rows[world.child2.pk].factors == factors  # the JSON as given, Chinese intact
    assert copy_upsert(RiskScore, [], unique="child_id", fields=["score"]) == 0
