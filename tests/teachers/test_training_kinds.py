"""Training kinds (入职培训、岗位培训、全员培训、专题培训) and programmes (国培计划…): recorded,
refused when unknown, filtered and shown on the list, exported, in the API; existing trainings
get the kind their title names."""

import datetime
import importlib

import pytest
from django.apps import apps
from django.urls import reverse

from core.errors import DomainError
from teachers.models import TrainingEvent
from teachers.selectors import training_totals
from teachers.services import trainings

from ..conftest import api_for, client_for
from .conftest import export_and_read

START = datetime.date(2025, 4, 1)


def create(world, title, kind, programme="", start=START):
    return trainings.create_training(
        actor=world.admin,
        county=world.county,
        title=title,
        level="county",
        kind=kind,
        programme=programme,
        start_date=start,
        end_date=start,
        hours=8,
        provider="县教师进修学校",
    )


@pytest.fixture
def kinds(world, staff):
    t = type("Kinds", (), {})()
    t.induction = create(world, "新教师入职", "induction", "乡村教师能力素质提升工程")
    t.special = create(world, "心理健康专题", "special", "国培计划")
    t.other = create(world, "读书分享", "other")
    trainings.record_attendance(
        actor=world.admin, event=t.induction, teachers=[staff.teacher1, staff.teacher2]
    )
    trainings.record_attendance(actor=world.admin, event=t.special, teachers=[staff.teacher2])
    return t


def test_the_form_records_kind_and_programme(world):
    response = client_for(world.bureau).post(
        reverse("teachers:training_new"),
        {
            "title": "岗位练兵",
            "level": "county",
            "kind": "on_the_job",
            "programme": "  乡村教师能力素质提升工程 ",
            "start_date": "2025-05-01",
            "end_date": "2025-05-02",
            "hours": "12",
            "provider": "县教师进修学校",
        },
    )
    assert response.status_code == 302
    event = TrainingEvent.objects.get()
    assert (event.kind, event.programme) == ("on_the_job", "乡村教师能力素质提升工程")


def test_an_unknown_kind_is_refused_with_nothing_recorded(world):
    response = client_for(world.bureau).post(
        reverse("teachers:training_new"),
        {
            "title": "某培训",
            "level": "county",
            "kind": "secret",
            "start_date": "2025-05-01",
            "end_date": "2025-05-02",
            "hours": "12",
            "provider": "县教师进修学校",
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors["kind"]
    with pytest.raises(DomainError, match="培训类型"):
        create(world, "某培训", "secret")
    assert not TrainingEvent.objects.exists()


def test_totals_by_kind(world, kinds):
    totals = training_totals(
        world.admin, start=datetime.date(2025, 1, 1), end=datetime.date(2025, 12, 31)
    )
    by_kind = {row["kind"]: (row["events"], row["person_times"]) for row in totals["kinds"]}
    assert by_kind == {
        "induction": (1, 2),
        "on_the_job": (0, 0),
        "all_staff": (0, 0),
        "special": (1, 1),
        "other": (1, 0),
    }
    township1 = training_totals(
        world.admin,
        start=datetime.date(2025, 1, 1),
        end=datetime.date(2025, 12, 31),
        township=world.township1,
    )
    assert (township1["events"], township1["person_times"]) == (1, 1)


def titles(client, **query) -> list[str]:
    query = {"start": "2025-01-01", "end": "2025-12-31", **query}
    response = client.get(reverse("teachers:training_list"), query)
    assert response.status_code == 200
    return sorted(event.title for event in response.context["page"])


def test_the_list_filters_by_kind_programme_and_township(world, kinds):
    client = client_for(world.auditor)
    assert titles(client) == ["心理健康专题", "新教师入职", "读书分享"]
    assert titles(client, kind="induction") == ["新教师入职"]
    assert titles(client, kind="nonsense") == ["心理健康专题", "新教师入职", "读书分享"]
    assert titles(client, programme="国培") == ["心理健康专题"]
    assert titles(client, township=world.township2.pk) == ["心理健康专题", "新教师入职"]
    assert client.get(reverse("teachers:training_list"), {"township": "x"}).status_code == 400
    # A township outside the user's scope is a 404.
    url = reverse("teachers:training_list")
    assert (
        client_for(world.township1_user).get(url, {"township": world.township2.pk}).status_code
        == 404
    )
    page = client.get(url, {"start": "2025-01-01", "end": "2025-12-31"}).content.decode()
    assert "入职培训" in page and "国培计划" in page


def test_the_export_has_kind_and_programme(world, kinds, media):
    sheet = export_and_read(
        client_for(world.auditor),
        reverse("teachers:training_export"),
        {"start": "2025-01-01", "end": "2025-12-31", "kind": "special"},
    )
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][-2:] == ("培训类型", "所属项目")
    assert [(row[1], row[-2], row[-1]) for row in rows[1:]] == [
        ("心理健康专题", "专题培训", "国培计划")
    ]


def test_the_api_shows_and_filters_kind(world, kinds):
    rows = api_for(world.auditor).get("/api/v1/trainings/", {"kind": "induction"}).json()
    results = rows["results"] if isinstance(rows, dict) else rows
    assert [(r["title"], r["kind"], r["programme"]) for r in results] == [
        ("新教师入职", "induction", "乡村教师能力素质提升工程")
    ]
    # Creating without a kind stays possible (additive): the kind is "other".
    response = api_for(world.bureau).post(
        "/api/v1/trainings/",
        {
            "title": "API培训",
            "level": "county",
            "start_date": "2025-06-01",
            "end_date": "2025-06-01",
            "hours": "4",
            "provider": "县教育局",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["kind"] == "other"


def test_existing_trainings_get_the_kind_their_title_names(world):
    migration = importlib.import_module("teachers.migrations.0005_home_teaching_and_training_kind")
    for title in (
        "2024年新教师岗前培训",
        "班主任岗位能力培训",
        "全员远程研修",
        "安全专题讲座",
        "读书会",
    ):
        create(world, title, "other")
    migration.kinds_from_titles(apps, None)
    assert dict(TrainingEvent.objects.values_list("title", "kind")) == {
        "2024年新教师岗前培训": "induction",
        "班主任岗位能力培训": "on_the_job",
        "全员远程研修": "all_staff",
        "安全专题讲座": "special",
        "读书会": "other",
    }
