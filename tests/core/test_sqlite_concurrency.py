"""The demo's SQLite under concurrent writes (issue 16, points 10 and 11).

Each scenario runs in a subprocess with the demo's own settings (config.settings.local) on a
file-based SQLite database (WAL, busy timeout, immediate transactions), where real threads send
the same request at the same moment: the loser of a transition gets the 409 it gets on
PostgreSQL, never a 500 "database is locked"; a double submit creates one record.
"""

import json
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
THREADS = 4


def _environment(database: Path, media: Path) -> dict:
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("DJANGO_") and name not in ("DATABASE_URL", "REDIS_URL", "CI")
    }
    environment.update(
        DJANGO_SETTINGS_MODULE="config.settings.local",
        DJANGO_DEBUG="false",
        DATABASE_URL=f"sqlite:///{database}",
        MEDIA_ROOT=str(media),
    )
    return environment


@pytest.fixture(scope="module")
def migrated(tmp_path_factory) -> Path:
    """One migrated demo database, copied for each scenario."""
    directory = tmp_path_factory.mktemp("sqlite")
    database = directory / "template.sqlite3"
    result = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--verbosity", "0"],
        cwd=ROOT,
        env=_environment(database, directory / "media"),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return database


def _run(scenario: str, migrated: Path, tmp_path: Path) -> dict:
    database = tmp_path / "demo.sqlite3"
    shutil.copyfile(migrated, database)
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            f"from tests.core.test_sqlite_concurrency import main; main({scenario!r})",
        ],
        cwd=ROOT,
        env=_environment(database, tmp_path / "media"),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_the_demo_database_runs_in_wal_mode_with_immediate_transactions(migrated, tmp_path):
    settings = _run("settings", migrated, tmp_path)
    assert settings == {"journal_mode": "wal", "transaction_mode": "IMMEDIATE", "timeout": 20}


def test_two_notices_on_one_case_at_once_one_wins_the_others_get_409(migrated, tmp_path):
    outcome = _run("notice", migrated, tmp_path)
    winners = [status for status in outcome["statuses"] if status != 409]
    assert len(winners) == 1 and winners[0] in (200, 201), outcome  # 201 or 200 (issue 16.8)
    assert outcome["documents"] == 1 and outcome["numbers"] == [1]


def test_two_approvals_of_one_exemption_at_once_one_wins_the_others_get_409(migrated, tmp_path):
    outcome = _run("approve", migrated, tmp_path)
    assert sorted(outcome["statuses"]) == [200] + [409] * (THREADS - 1), outcome
    assert outcome["steps"] == 1


def test_a_visit_form_posted_twice_at_once_creates_one_visit(migrated, tmp_path):
    outcome = _run("visit_form", migrated, tmp_path)
    assert outcome["statuses"] == [302] * THREADS, outcome
    assert len(set(outcome["locations"])) == 1 and outcome["visits"] == 1


def test_api_posts_with_one_idempotency_key_at_once_create_one_visit(migrated, tmp_path):
    outcome = _run("visit_api", migrated, tmp_path)
    assert outcome["statuses"] == [201] * THREADS, outcome
    assert len(set(outcome["bodies"])) == 1 and outcome["visits"] == 1


# --- what runs in the subprocess -------------------------------------------------------------


def _at_once(send) -> list:
    from django.db import connections

    barrier = threading.Barrier(THREADS)
    results, errors = [], []

    def run():
        try:
            barrier.wait()
            results.append(send())
        except Exception as error:  # reported by the parent
            errors.append(repr(error))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise RuntimeError(errors)
    return results


def _world():
    from dropout.models import CountyLegalTexts
    from enrollment.models import EnrollmentStatus
    from enrollment.roles import Role
    from enrollment.services import change_status, grant_role
    from tests.factories import (
        ChildFactory,
        CountyFactory,
        HouseholdFactory,
        SchoolFactory,
        TownshipFactory,
        UserFactory,
        VillageFactory,
    )

    from ..dropout.conftest import days_ago

    class World:
        pass

    w = World()
    w.county = CountyFactory(code="510300", name="测试县")
    w.township = TownshipFactory(county=w.county, name="一镇")
    w.village = VillageFactory(township=w.township, name="一村")
    w.school = SchoolFactory(township=w.township, village=w.village, name="一镇小学")
    w.household = HouseholdFactory(village=w.village, head_name="王一")
    w.child = ChildFactory(household=w.household, name="王小一")
    w.official = UserFactory(username="township1")
    grant_role(user=w.official, role=Role.TOWNSHIP_OFFICIAL, place=w.township)
    w.colleague = UserFactory(username="township1b")  # approves what the official registered
    grant_role(user=w.colleague, role=Role.TOWNSHIP_OFFICIAL, place=w.township)
    change_status(
        actor=w.official,
        child=w.child,
        status=EnrollmentStatus.IN_SCHOOL,
        effective_date=days_ago(300),
        reason="学籍注册",
        school=w.school,
        grade=3,
    )
    CountyLegalTexts.objects.create(
        county=w.county,
        notice_legal_basis="《中华人民共和国义务教育法》第五十八条",
        penalty_legal_basis="《某省义务教育条例》第四十条",
        default_penalty="警告",
        review_authority="测试县人民政府",
        court="测试县人民法院",
    )
    return w


def _api(user):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(user)
    return client


def _scenario_settings(w):
    from django.conf import settings
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        (journal_mode,) = cursor.fetchone()
    options = settings.DATABASES["default"]["OPTIONS"]
    return {
        "journal_mode": journal_mode,
        "transaction_mode": connection.transaction_mode,
        "timeout": options["timeout"],
    }


def _scenario_notice(w):
    from core.models import DocumentSequence
    from dropout.models import DropoutCase
    from dropout.services import cases

    from ..dropout.conftest import days_ago

    case = cases.open_case(
        actor=w.official,
        child=w.child,
        cause=DropoutCase.Cause.WORK,
        opened_on=days_ago(40),
        cause_detail="",
        responsible_persons="",
    )
    for day in (35, 30):
        cases.log_persuasion(
            actor=w.official,
            case=case,
            date=days_ago(day),
            visitors="",
            officers=[w.official, w.colleague],
            what_was_said="宣讲",
            family_answer="不返校",
            result="refused",
        )
    body = {
        "served_to": "王大",
        "service_method": "in_person",
        "served_by": "李四",
        "service_place": "一村1组",
        "served_on": days_ago(20).isoformat(),
    }
    responses = _at_once(
        lambda: _api(w.official).post(
            f"/api/v1/dropout-cases/{case.pk}/issue-notice/", body, format="json"
        )
    )
    numbers = list(DocumentSequence.objects.values_list("last_number", flat=True))
    return {
        "statuses": [response.status_code for response in responses],
        "documents": case.documents.count(),
        "numbers": numbers,
    }


def _scenario_approve(w):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from dropout.services import exemptions

    from ..dropout.conftest import PDF_BYTES, days_ago

    exemption = exemptions.register_exemption(
        actor=w.official,
        child=w.child,
        kind="suspended",
        reason="illness",
        reason_detail="住院",
        start_date=days_ago(5),
        end_date=days_ago(-100),
        school=None,
        application_scan=SimpleUploadedFile("a.pdf", PDF_BYTES, content_type="application/pdf"),
        evidence=SimpleUploadedFile("e.pdf", PDF_BYTES, content_type="application/pdf"),
    )
    responses = _at_once(
        lambda: _api(w.colleague).post(f"/api/v1/exemptions/{exemption.pk}/approve/", {})
    )
    return {
        "statuses": [response.status_code for response in responses],
        "steps": exemption.steps.filter(action="approve").count(),
    }


def _scenario_visit_form(w):
    import re

    from django.test import Client
    from django.urls import reverse
    from django.utils import timezone

    from enrollment.models import HouseholdVisit

    opener = Client()
    opener.force_login(w.official)
    url = reverse("enrollment:record_visit", args=[w.child.pk])
    (key,) = re.findall(r'name="submission_key" value="([^"]+)"', opener.get(url).content.decode())
    data = {
        "visit_date": timezone.localdate().isoformat(),
        "children": [w.child.pk],
        "visitors": "乡镇干部甲",
        "findings": "孩子在家",
        "outcome": "at_home",
        "submission_key": key,
    }

    def send():
        client = Client()
        client.cookies = opener.cookies
        return client.post(url, data)

    responses = _at_once(send)
    return {
        "statuses": [response.status_code for response in responses],
        "locations": [response.get("Location") for response in responses],
        "visits": HouseholdVisit.objects.count(),
    }


def _scenario_visit_api(w):
    from django.utils import timezone

    from enrollment.models import HouseholdVisit

    body = {
        "visit_date": timezone.localdate().isoformat(),
        "household": w.household.pk,
        "children": [w.child.pk],
        "visitors": "村干部甲",
        "findings": "均在家",
        "outcome": "at_home",
    }
    responses = _at_once(
        lambda: _api(w.official).post(
            "/api/v1/visits/", body, format="json", headers={"Idempotency-Key": "one-visit"}
        )
    )
    return {
        "statuses": [response.status_code for response in responses],
        "bodies": [response.content.decode() for response in responses],
        "visits": HouseholdVisit.objects.count(),
    }


def main(scenario: str) -> None:
    import django
    from django.test.utils import setup_test_environment

    django.setup()
    setup_test_environment()  # the test client's host, e-mail kept in memory
    world = _world()
    print(json.dumps(globals()[f"_scenario_{scenario}"](world)))
