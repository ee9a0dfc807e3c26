"""The demo as `make demo` runs it: the embedded SQLite database, the local settings, debug off.

The rest of the suite runs on PostgreSQL; here a subprocess migrates and seeds a temporary
SQLite file once, and each test runs a short script against it:
- seed_demo succeeds without a traceback, and the entitlement-gap check finds on SQLite exactly
  the deliberate errors it finds on PostgreSQL (tests/subsidies/test_demo.py);
- every demo user opens every link of their menu and home page: all answer 200;
- the error pages are the product's, in Chinese, and static files still serve;
- every shipped example import file dry-runs as documented against the demo county.
"""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _environment(database: Path, media: Path) -> dict:
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "DJANGO_DEBUG", "CI"}
    }
    environment.update(
        DJANGO_SETTINGS_MODULE="config.settings.local",
        DATABASE_URL=f"sqlite:///{database}",
        MEDIA_ROOT=str(media),
        DJANGO_ALLOWED_HOSTS="testserver",  # the test client's host
        PYTHONPATH=str(ROOT),
    )
    return environment


def _run(demo, script: str, timeout: int = 600) -> dict:
    """Run `script` (Django set up) against the demo database; it prints one JSON object."""
    program = "import django, json\ndjango.setup()\n" + textwrap.dedent(script)
    done = subprocess.run(
        [sys.executable, "-c", program],
        cwd=ROOT,
        env=demo["environment"],
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    directory = tmp_path_factory.mktemp("sqlite-demo")
    demo = {"environment": _environment(directory / "db.sqlite3", directory / "media")}
    seeded = _run(
        demo,
        """
        import io, sys
        from django.core.management import call_command
        from django.utils import timezone
        call_command("migrate", verbosity=0)
        output = io.StringIO()
        call_command("seed_demo", stdout=output)
        from enrollment.models import County
        from subsidies.demo import DEMO_MANIFEST, demo_years
        from subsidies.models import GapRun, terms_of_year
        from subsidies.services.gaps import find_gaps
        county = County.objects.get(code="519901")
        found = set()
        for year in demo_years(timezone.localdate()):
            for term in terms_of_year(year):
                found |= {
                    (gap.kind, gap.child_id, gap.programme.code, gap.period)
                    for gap in find_gaps(county, term)
                }
        run = GapRun.objects.get(county=county)
        print(json.dumps({
            "output": output.getvalue(),
            "manifest": sorted(list(item) for item in DEMO_MANIFEST[county.pk]),
            "found": sorted(list(item) for item in found),
            "run": [run.status, run.counts.get("total"), run.error],
        }))
        """,
    )
    demo["seeded"] = seeded
    return demo


def test_seed_demo_on_sqlite_runs_the_gap_check_and_finds_the_deliberate_errors(demo):
    seeded = demo["seeded"]
    assert "Traceback" not in seeded["output"]
    status, total, error = seeded["run"]
    assert status == "done" and error == ""
    assert seeded["manifest"] and seeded["found"] == seeded["manifest"]
    last_term = max(item[3] for item in seeded["manifest"])
    assert total == sum(1 for item in seeded["manifest"] if item[3] == last_term) > 0
    assert f"gap check {last_term}: {total} gaps" in seeded["output"]


def test_every_demo_user_opens_every_link_of_menu_and_home_page(demo):
    result = _run(
        demo,
        """
        import re
        from django.conf import settings
        from django.contrib.auth import get_user_model
        from django.test import Client
        from enrollment.demo import DEMO_USERS
        assert not settings.DEBUG
        refused = {}
        opened = {}
        for username, _role, _place in DEMO_USERS:
            client = Client()
            client.force_login(get_user_model().objects.get(username=username))
            home = client.get("/")
            links = {"/"} | {
                link.replace("&amp;", "&")
                for link in re.findall(r'href="(/[^"]*)"', home.content.decode())
                if not link.startswith(("/static/", "/media/"))
            }
            opened[username] = len(links)
            for link in sorted(links):
                answer = client.get(link, follow=True)
                if answer.status_code != 200:
                    refused.setdefault(username, []).append([link, answer.status_code])
        print(json.dumps({"refused": refused, "opened": opened}))
        """,
    )
    assert result["refused"] == {}
    # The walk saw the menus (ledgers, cases, subsidies, …), not just a login page.
    assert all(count >= 10 for count in result["opened"].values()), result["opened"]


def test_the_demo_answers_with_its_own_chinese_error_pages_and_serves_static_files(demo):
    result = _run(
        demo,
        """
        from django.contrib.auth import get_user_model
        from django.test import Client
        client = Client()
        client.force_login(get_user_model().objects.get(username="village1"))
        missing = client.get("/no-such-page/")
        fund = client.get("/subsidies/fund/")
        forbidden = client.get("/admin/", follow=True)
        static = Client().get("/static/vendor/bootstrap/css/bootstrap.min.css")
        from django.template.loader import render_to_string
        from django.utils import translation
        with translation.override("zh-hans"):
            server_error = render_to_string("500.html")
        print(json.dumps({
            "missing": [missing.status_code, missing.content.decode()],
            "fund": fund.status_code,
            "static": [static.status_code, b"".join(static.streaming_content)[:20].decode()
                       if static.streaming else static.content[:20].decode()],
            "server_error": server_error,
        }))
        """,
    )
    status, page = result["missing"]
    assert status == 404
    assert "URLconf" not in page and "Page not found" not in page
    assert "页面不存在" in page and "返回首页" in page
    assert result["fund"] == 404  # the fund is the county's; the menu no longer offers it
    assert result["static"][0] == 200 and result["static"][1]
    assert "服务器" in result["server_error"] and "县教育局管理员" in result["server_error"]


def test_every_shipped_example_file_dry_runs_as_documented_against_the_demo_county(demo):
    result = _run(
        demo,
        """
        import tempfile
        from pathlib import Path
        from django.contrib.auth import get_user_model
        from django.contrib.staticfiles import finders
        from core.imports import check_workbook, get_importer, importers, read_rows, write_template
        from enrollment.models import County, School
        users = get_user_model().objects
        county = County.objects.get(code="519901")
        township = county.townships.order_by("code").first()
        scopes = {
            "police_extract": [
                (users.get(username="bureau"), f"county:{county.pk}"),
                (users.get(username="township1"), f"township:{township.pk}"),
            ],
            "xueji_roster": [
                (users.get(username="bureau"), f"county:{county.pk}"),
                (users.get(username="township1"), f"township:{township.pk}"),
            ],
            "poverty_registers": [
                (users.get(username="bureau"), f"county:{county.pk}"),
                (users.get(username="township1"), f"township:{township.pk}"),
            ],
            "disability_certificates": [
                (users.get(username="bureau"), f"county:{county.pk}"),
                (users.get(username="township1"), f"township:{township.pk}"),
            ],
        }
        def dry_run(importer, path, user, key):
            scope = importer.resolve_scope(user, key)
            scan = check_workbook(path, filename=Path(path).name)
            rows, sheet_errors = read_rows(path, importer.columns, scan)
            assert not sheet_errors, sheet_errors
            plan = importer.plan(rows, scope=scope, user=user)
            return sorted({error.message for error in plan.errors}), len(plan.errors)
        report = {}
        for importer in importers():
            if importer.name == "school_roll":
                school = School.objects.filter(township=township).order_by("code").first()
                user = users.get(username="school1")
                keys = [(user, key) for key, _label in importer.scope_choices(user)]
            else:
                keys = scopes.get(importer.name, [])
            for label, static_path in importer.examples:
                path = finders.find(static_path)
                for user, key in keys:
                    report[f"{Path(static_path).name} @ {key}"] = dry_run(importer, path, user, key)
            if importer.name in scopes:
                with tempfile.TemporaryDirectory() as directory:
                    path = Path(directory) / "template.xlsx"
                    write_template(path, importer)
                    for user, key in keys:
                        report[f"template {importer.name} @ {key}"] = dry_run(
                            importer, path, user, key
                        )
        print(json.dumps(report))
        """,
    )
    messy = {key: value for key, value in result.items() if "messy" in key}
    clean = {key: value for key, value in result.items() if "messy" not in key}
    assert any("police-extract-clean" in key and "county:" in key for key in clean)
    assert any("school-roll" in key for key in clean)
    assert any(key.startswith("template police_extract") for key in clean)
    assert any("xueji-roster" in key and "township:" in key for key in clean)
    assert any(key.startswith("template xueji_roster") for key in clean)
    for example in ("poverty-registers", "disability-certificates"):
        assert any(example in key and "township:" in key for key in clean)
    assert any(key.startswith("template poverty_registers") for key in clean)
    assert any(key.startswith("template disability_certificates") for key in clean)
    assert {key: count for key, (_messages, count) in clean.items()} == dict.fromkeys(clean, 0)
    # The messy extract shows one row per fault it was written with, and nothing else.
    for messages, count in messy.values():
        assert count == 8, messages
