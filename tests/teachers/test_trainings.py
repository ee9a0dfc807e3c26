"""Training: events and attendance; totals of events and person-times for a period; hours per
teacher per year; bad input refused."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from core.errors import DomainError
from teachers.models import TrainingAttendance
from teachers.selectors import hours_per_teacher, training_totals
from teachers.services import trainings

from ..conftest import client_for
from .conftest import export_and_read


def event(world, title, level, start, hours=16):
    return trainings.create_training(
        actor=world.admin,
        county=world.county,
        title=title,
        level=level,
        start_date=start,
        end_date=start + datetime.timedelta(days=1),
        hours=hours,
        provider="县教师进修学校",
    )


@pytest.fixture
def events(world, staff):
    t = type("Events", (), {})()
    t.national = event(world, "国培", "national", datetime.date(2025, 3, 1), hours=40)
    t.county = event(world, "县培", "county", datetime.date(2025, 6, 1))
    t.old = event(world, "旧培训", "school", datetime.date(2024, 11, 1), hours=8)
    trainings.record_attendance(actor=world.admin, event=t.national, teachers=[staff.teacher1])
    trainings.record_attendance(
        actor=world.admin, event=t.county, teachers=[staff.teacher1, staff.teacher2], hours=12
    )
    trainings.record_attendance(actor=world.admin, event=t.old, teachers=[staff.teacher2])
    return t


def test_totals_count_events_and_person_times_of_the_period(world, events):
    totals = training_totals(
        world.admin, start=datetime.date(2025, 1, 1), end=datetime.date(2025, 12, 31)
    )
    assert (totals["events"], totals["person_times"], totals["teachers"]) == (2, 3, 2)
    assert totals["hours"] == Decimal("64.0")
    levels = {row["level"]: row for row in totals["levels"]}
    assert (levels["national"]["events"], levels["national"]["person_times"]) == (1, 1)
    assert (levels["county"]["events"], levels["county"]["person_times"]) == (1, 2)
    assert levels["school"]["events"] == 0
    wider = training_totals(
        world.admin, start=datetime.date(2024, 1, 1), end=datetime.date(2025, 12, 31)
    )
    assert (wider["events"], wider["person_times"]) == (3, 4)


def test_a_township_sees_its_own_teachers_person_times(world, events):
    totals = training_totals(
        world.township2_user, start=datetime.date(2025, 1, 1), end=datetime.date(2025, 12, 31)
    )
    assert (totals["events"], totals["person_times"]) == (1, 1)


def test_hours_per_teacher_per_year(world, events, staff):
    hours = {
        t.name: (t.training_hours, t.training_count)
        for t in hours_per_teacher(world.admin, year=2025)
    }
    assert hours == {"王一师": (Decimal("52.0"), 2), "李二师": (Decimal("12.0"), 1)}
    hours = {t.name: t.training_hours for t in hours_per_teacher(world.admin, year=2024)}
    assert hours == {"王一师": None, "李二师": Decimal("8.0")}


def test_bad_training_input_is_refused(world):
    with pytest.raises(DomainError, match="早于开始日期"):
        trainings.create_training(
            actor=world.admin,
            county=world.county,
            title="x",
            level="county",
            start_date=datetime.date(2025, 3, 2),
            end_date=datetime.date(2025, 3, 1),
            hours=8,
            provider="p",
        )
    with pytest.raises(DomainError, match="大于零"):
        event(world, "零学时", "county", datetime.date(2025, 3, 1), hours=0)


def test_attendance_is_recorded_once_and_within_the_events_hours(world, events, staff):
    with pytest.raises(DomainError, match="已登记参训"):
        trainings.record_attendance(
            actor=world.admin, event=events.county, teachers=[staff.teacher1]
        )
    with pytest.raises(DomainError, match="不能超过"):
        trainings.record_attendance(
            actor=world.admin, event=events.old, teachers=[staff.teacher1], hours=9
        )
    assert TrainingAttendance.objects.count() == 4


def test_training_pages_and_roles(world, events, staff):
    page = client_for(world.auditor).get(
        reverse("teachers:training_list"), {"start": "2025-01-01", "end": "2025-12-31"}
    )
    assert page.context["totals"]["person_times"] == 3
    assert [e.title for e in page.context["page"]] == ["县培", "国培"]
    url = reverse("teachers:training_detail", args=[events.old.pk])
    assert client_for(world.auditor).post(url, {"teachers": [staff.teacher1.pk]}).status_code == 403
    # school1 sees the events its teachers attended only.
    assert client_for(world.school1_user).get(url).status_code == 404
    response = client_for(world.admin).post(url, {"teachers": [staff.teacher1.pk]})
    assert response.status_code == 302
    assert events.old.attendances.count() == 2


def test_training_export_read_back(world, events, media):
    sheet = export_and_read(
        client_for(world.auditor),
        reverse("teachers:training_export"),
        {"start": "2025-01-01", "end": "2025-12-31"},
    )
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == (
        "序号",
        "培训名称",
        "级别",
        "开始日期",
        "结束日期",
        "学时",
        "承办单位",
        "参训人次",
        "培训类型",
        "所属项目",
    )
    assert [row[1:3] + (row[5], row[7]) for row in rows[1:]] == [
        ("县培", "县级", 16, 2),
        ("国培", "国家级", 40, 1),
    ]
