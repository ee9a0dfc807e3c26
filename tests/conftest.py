"""One shared world: a county with two townships, their villages, schools, children, and one user
per role and scope (like healthchecks' alice/bob/charlie)."""

import datetime
import importlib

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from dropout.models import CountyLegalTexts
from enrollment.models import EnrollmentStatus
from enrollment.roles import Role
from enrollment.services import change_status, grant_role

from .factories import (
    ChildFactory,
    CountyFactory,
    HouseholdFactory,
    SchoolFactory,
    TownshipFactory,
    UserFactory,
    VillageFactory,
)

PASSWORD = "Correct-Horse-9"


class World:
    pass


@pytest.fixture
def world(db):
    w = World()
    w.county = CountyFactory(code="510300", name="测试县")
    w.township1 = TownshipFactory(county=w.county, name="一镇")
    w.township2 = TownshipFactory(county=w.county, name="二镇")
    w.village1 = VillageFactory(township=w.township1, name="一村")
    w.village1b = VillageFactory(township=w.township1, name="一村乙")
    w.village2 = VillageFactory(township=w.township2, name="二村")
    w.school1 = SchoolFactory(township=w.township1, village=w.village1, name="一镇小学")
    w.school2 = SchoolFactory(township=w.township2, village=w.village2, name="二镇小学")
    w.household1 = HouseholdFactory(village=w.village1, head_name="王一")
    w.household1b = HouseholdFactory(village=w.village1b, head_name="王乙")
    w.household2 = HouseholdFactory(village=w.village2, head_name="李二")

    w.loader = UserFactory(username="loader")
    w.child1 = ChildFactory(household=w.household1, name="王小一")
    w.sibling1 = ChildFactory(household=w.household1, name="王小妹", sex="F")
    w.child1b = ChildFactory(household=w.household1b, name="王乙乙")
    w.child2 = ChildFactory(household=w.household2, name="李小二")
    last_sept = datetime.date(datetime.date.today().year - 1, 9, 1)
    for child, school in ((w.child1, w.school1), (w.child2, w.school2)):
        change_status(
            actor=w.loader,
            child=child,
            status=EnrollmentStatus.IN_SCHOOL,
            effective_date=last_sept,
            reason="学籍注册",
            school=school,
            grade=3,
        )

    def user(username, role, place):
        account = UserFactory(username=username)
        grant_role(user=account, role=role, place=place)
        return account

    w.admin = user("admin", Role.COUNTY_ADMIN, w.county)
    w.bureau = user("bureau", Role.BUREAU_STAFF, w.county)
    w.township1_user = user("township1", Role.TOWNSHIP_OFFICIAL, w.township1)
    w.township2_user = user("township2", Role.TOWNSHIP_OFFICIAL, w.township2)
    w.village1_user = user("village1", Role.VILLAGE_CADRE, w.village1)
    w.school1_user = user("school1", Role.SCHOOL_STAFF, w.school1)
    w.inspector = user("inspector", Role.INSPECTOR, w.county)
    w.auditor = user("auditor", Role.AUDITOR, w.county)
    w.nobody = UserFactory(username="nobody")
    return w


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def visit_form(world, **overrides) -> dict:
    """A valid household-visit form for world.child1 that finds the child working away;
    `overrides` change or add fields."""
    return {
        "visit_date": timezone.localdate().isoformat(),
        "children": [world.child1.pk],
        "visitors": "乡镇干部甲、教师乙",
        "findings": "孩子随父亲在外务工",
        "outcome": "working_away",
        "follow_up": "一周后再访",
        **overrides,
    }


def api_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def api_token_for(user) -> str:
    """A real API token for ``user`` (django-rest-knox, stored hashed), issued the way the token
    endpoint issues one: send it as ``Authorization: Token <token>``."""
    from core.tokens import issue_token

    return issue_token(user=user)[1]


@pytest.fixture
def media(tmp_path, settings):
    """Uploads and exported workbooks written under the test's own directory."""
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def legal_texts(world):
    return CountyLegalTexts.objects.create(
        county=world.county,
        notice_legal_basis="《中华人民共和国义务教育法》第五条第二款、第五十八条",
        penalty_legal_basis="《某省义务教育条例》第四十条",
        default_penalty="警告",
        review_authority="测试县人民政府",
        court="测试县人民法院",
    )


# Rows that data migrations seed (catalogues). A transactional test empties every table when it
# ends, so they are put back after one, for the tests that follow.
CATALOGUE_SEEDS = (
    ("subsidies.migrations.0002_national_programmes", "seed", "subsidies.Programme"),
    ("teachers.migrations.0002_seed_subjects", "seed", "teachers.Subject"),
    ("inspections.migrations.0002_seed_areas", "seed_areas", "inspections.Area"),
)


def restore_catalogues():
    from django.apps import apps

    for module, function, model in CATALOGUE_SEEDS:
        if not apps.get_model(model).objects.exists():
            getattr(importlib.import_module(module), function)(apps, None)


def load_small_demo():
    """The demo county at a small scale with every module's demo data (the walks over every
    route and page, and the role homes): (county, demo accounts by username)."""
    from dataclasses import replace

    from enrollment import demo
    from enrollment.extensions import DEMO_LOADERS

    small = replace(
        demo.SCALES["demo"], townships=2, villages_per_township=3, children_per_village=60
    )
    restore_catalogues()  # in case a transactional test emptied them earlier
    place, _created = demo.load_demo("demo")
    demo.ensure_demo_users(place)
    accounts = demo.demo_accounts(place)
    for loader in DEMO_LOADERS:
        loader(place, accounts, small)
    return place, accounts


_FLUSHED = pytest.StashKey()


@pytest.fixture(autouse=True)
def _catalogues_survive_flushes(request, django_db_blocker):
    """Mark a test whose database pytest-django flushes when it ends; the catalogues are put
    back after that flush, in `pytest_runtest_teardown` below (this fixture's own teardown
    would run before it)."""
    marker = request.node.get_closest_marker("django_db")
    flushed = {"transactional_db", "live_server"} & set(request.fixturenames) or (
        marker is not None and marker.kwargs.get("transaction")
    )
    if flushed:
        request.node.stash[_FLUSHED] = django_db_blocker
    yield


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    result = yield
    blocker = item.stash.get(_FLUSHED, None)
    # With no next test the session's fixtures, the test database with them, are gone too.
    if blocker is not None and nextitem is not None:
        with blocker.unblock():
            restore_catalogues()
    return result


@pytest.fixture
def redis_cache(settings):
    """The default cache on Redis as deployed (caches that every worker must share are kept
    only there), under a key prefix of this test's own, emptied before and after."""
    import uuid

    from django.conf import settings as live
    from django.core.cache import cache

    if not live.REDIS_AVAILABLE:
        pytest.fail(f"Redis is not reachable at {live.TEST_REDIS_URL}")
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": live.TEST_REDIS_URL,
            "KEY_PREFIX": f"test-{uuid.uuid4().hex}",
            "TIMEOUT": 60,
        }
    }
    cache.clear()
    yield
    cache.clear()


# --- the SQLite fallback (README "make test") -----------------------------------------------
# Without a reachable PostgreSQL (and CI unset) config.settings.test runs on in-memory SQLite;
# the tests marked `postgres` need what SQLite lacks (row locks, concurrent sessions, pg_dump,
# storage parameters) and are skipped there, each saying why (-ra prints the reason).

SQLITE_SKIP_REASON = (
    "needs PostgreSQL (row locks, concurrency); this run fell back to in-memory SQLite because "
    "no PostgreSQL was reachable (set DATABASE_URL, or CI=true to make that an error)"
)


def _on_postgres() -> bool:
    from django.conf import settings

    return settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"


def pytest_report_header(config):
    if _on_postgres():
        return "database: PostgreSQL"
    return "database: in-memory SQLite fallback: tests marked `postgres` are skipped"


def pytest_collection_modifyitems(config, items):
    if _on_postgres():
        return
    skip = pytest.mark.skip(reason=SQLITE_SKIP_REASON)
    for item in items:
        if item.get_closest_marker("postgres"):
            item.add_marker(skip)
