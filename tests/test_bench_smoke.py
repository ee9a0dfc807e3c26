"""The benchmark harness still works (a tiny run; the real figures come from `make bench`)."""

import json
import resource
import sys
import time

from django.db import connection

from bench import harness
from bench.run import carried_growth, merged, write_outputs

from .conftest import PASSWORD


def test_harness_measures_pages_and_jobs_at_a_tiny_scale(
    transactional_db, world, live_server, monkeypatch, tmp_path
):
    browser = harness.Browser(live_server.url, "township1", PASSWORD)
    path = f"/ledger/township/{world.township1.pk}/"
    timings, errors = harness.measure_sequential(browser, path, requests=3, warmup=1)
    assert len(timings) == 3 and errors == 0
    crowd = [harness.Browser(live_server.url, "township1", PASSWORD) for _ in range(3)]
    timings, errors, rate = harness.measure_concurrent(crowd, path, requests_each=2)
    assert len(timings) == 6 and errors == 0 and rate > 0
    # Users with think time: staggered starts and a pause between requests (short here). The
    # pauses the harness asks for are recorded (the clock would only bound their sum).
    pauses, real_sleep = [], time.sleep

    def recording_sleep(seconds):
        if sys._getframe(1).f_globals.get("__name__") == harness.__name__:
            pauses.append(seconds)
        real_sleep(seconds)

    monkeypatch.setattr(harness.time, "sleep", recording_sleep)
    timings, errors, rate = harness.measure_concurrent(
        crowd, path, requests_each=2, think=(0.05, 0.1), seed=1
    )
    monkeypatch.setattr(harness.time, "sleep", real_sleep)
    assert len(timings) == 6 and errors == 0 and rate > 0
    # Per user: a staggered start within [0, 0.1] s, then one pause in [0.05, 0.1] s between
    # its two requests.
    assert len(pauses) == 6 and all(0 <= pause <= 0.1 for pause in pauses)
    assert sum(0.05 <= pause <= 0.1 for pause in pauses) >= 3

    settings_dict = connection.settings_dict
    monkeypatch.setenv(
        "BENCH_DATABASE_URL",
        f"postgres://{settings_dict['USER']}@{settings_dict['HOST']}:{settings_dict['PORT']}"
        f"/{settings_dict['NAME']}",
    )
    for job in ("ledger_export", "ceiling_export", "peer_export"):
        result = harness.run_job(job, username="township1", kind="township", pk=world.township1.pk)
        assert result["rows"] == 3 and result["peak_mb"] > 0
    # A job's peak memory is its own, not the high-water mark of the process that started it.
    ballast = bytearray(600 * 1024 * 1024)
    ballast[:: resource.getpagesize()] = b"\x01" * len(
        range(0, len(ballast), resource.getpagesize())
    )
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 > 600
    assert harness.run_job("staffing", username="bureau")["peak_mb"] < 400
    del ballast
    report = harness.run_job("monthly_report", username="bureau", county_pk=world.county.pk)
    # The county and two townships; the queries grow with the townships, never with children.
    assert report["rows"] == 3 and report["queries"] <= 60
    # The annual summary: every section's figures (rows), within the 300 queries.
    summary = harness.run_job("annual_summary", username="bureau", county_pk=world.county.pk)
    assert summary["rows"] >= 40 and summary["queries"] <= 300
    # The risk scores: the county's school-age pupils in school (two in the shared world),
    # a handful of queries per chunk; the backtest stores a county row per judged month.
    scores = harness.run_job("risk_scores", username="bureau", county_pk=world.county.pk)
    assert scores["rows"] == 2 and scores["queries"] <= 20
    backtest = harness.run_job(
        "risk_backtest", username="bureau", county_pk=world.county.pk, months=3
    )
    assert backtest["rows"] == 3 and backtest["queries"] <= 3 * 12

    # The soak's write: a household visit recorded through its form, as a browser does.
    status, _elapsed = browser.post_form(
        f"/children/{world.child1.pk}/visits/new/",
        {
            "visit_date": "2026-01-05",
            "children": [world.child1.pk],
            "visitors": "乡镇干部",
            "findings": "在校",
            "outcome": "confirmed_in_school",
        },
    )
    assert status == 302 and world.child1.household.visits.count() == 1

    median, p95 = harness.summarise(timings)
    results = [
        harness.Result(
            workload="page.township_ledger",
            size="tiny",
            median_s=median,
            p95_s=p95,
            rate_per_s=rate,
            queries=9,
            target="x",
            met=True,
        )
    ]
    (tmp_path / "docs").mkdir()
    write_outputs(
        "tiny", results, {"seconds": 1.0}, tmp_path / "docs" / "b.md", tmp_path / "r.json"
    )
    data = json.loads((tmp_path / "r.json").read_text())
    assert data["results"][0]["workload"] == "page.township_ledger"
    assert set(data["results"][0]) >= {
        "workload",
        "size",
        "unit",
        "median_s",
        "p95_s",
        "rate_per_s",
        "peak_mb",
        "queries",
        "peer",
        "peer_ratio",
        "ceiling",
        "ceiling_ratio",
        "target",
        "met",
    }
    assert "page.township_ledger" in (tmp_path / "docs" / "b.md").read_text()


def test_growth_jobs_and_the_growth_line_at_a_tiny_scale(
    transactional_db, world, monkeypatch, tmp_path
):
    from bench.run import growth_lines
    from enrollment.models import Child

    settings_dict = connection.settings_dict
    monkeypatch.setenv(
        "BENCH_DATABASE_URL",
        f"postgres://{settings_dict['USER']}@{settings_dict['HOST']}:{settings_dict['PORT']}"
        f"/{settings_dict['NAME']}",
    )
    facts = harness.run_job("growth_facts", username="bureau")["rows"]
    assert facts["county_pk"] == world.county.pk and facts["counties"] == 1
    assert facts["children"] == facts["county_children"] == Child.objects.count()
    assert facts["database_mb"] > 0
    queries = harness.run_job(
        "page_queries", username="bureau", path=f"/ledger/county/{world.county.pk}/"
    )["rows"]
    assert 0 < queries <= 15
    # page.prefecture_overview: the city bureau's overview, once a city is above the county.
    from enrollment.models import Prefecture
    from enrollment.roles import Role
    from enrollment.services import grant_role

    from .factories import UserFactory

    assert facts["prefecture_pk"] is None
    prefecture = Prefecture.objects.create(code="5103", name="测试市")
    world.county.prefecture = prefecture
    world.county.save(update_fields=["prefecture"])
    city = UserFactory(username="prefecture")
    grant_role(user=city, role=Role.PREFECTURE_VIEWER, place=prefecture)
    facts = harness.run_job("growth_facts", username="bureau")["rows"]
    assert facts["prefecture_pk"] == prefecture.pk
    queries = harness.run_job(
        "page_queries", username="prefecture", path=f"/prefecture/{prefecture.pk}/"
    )["rows"]
    assert 0 < queries <= 15
    # The schedule's run over every county: the county and its two townships.
    assert harness.run_job("monthly_report_everywhere", username="bureau")["rows"] == 3

    results = [
        harness.Result(workload=f"growth.county_ledger@{step}x", size="tiny", median_s=seconds)
        for step, seconds in ((1, 0.020), (3, 0.021), (10, 0.022))
    ]
    results.append(
        harness.Result(workload="growth.monthly_report_all_counties@1x", size="", median_s=1.0)
    )
    results.append(
        harness.Result(workload="growth.monthly_report_all_counties@10x", size="", median_s=9.0)
    )
    lines = growth_lines(results, lambda seconds: f"{seconds * 1000:.0f} ms")
    assert "- `growth.county_ledger`: 20 ms at 1× → 22 ms at 10×, ratio 10×/1× = 1.10" in lines[2]
    assert "ratio 10×/1× = 9.00 (linear would be 10)" in lines[3]
    for result in results:
        result.rate_per_s = 1.0
    write_outputs(
        "demo",
        results,
        {"seconds": None, "growth_loads": {1: 12.0, 3: None}},
        tmp_path / "b.md",
        tmp_path / "r.json",
    )
    text = (tmp_path / "b.md").read_text()
    assert "ratio 10×/1×" in text and "to 1× 12 s, to 3× already loaded" in text
    assert json.loads((tmp_path / "r.json").read_text())["growth_load_seconds"] == {
        "1x": 12.0,
        "3x": None,
    }


def test_a_run_without_growth_keeps_the_growth_rows_of_the_previous_results(tmp_path):
    """A plain `make bench` after `--growth-only` must not drop the growth rows: they are
    carried into the new files, with their load times and the date they were measured."""
    previous = tmp_path / "results.json"
    growth = [
        harness.Result(
            workload=f"growth.county_ledger@{step}x",
            size=f"{step} counties",
            median_s=0.02,
            rate_per_s=50.0,
            target="flat",
            met=True,
        )
        for step in (1, 3, 10)
    ]
    page = harness.Result(workload="page.child", size="one child", median_s=0.05, rate_per_s=20)
    write_outputs(
        "county",
        [page, *growth],
        {"seconds": 300.0, "growth_loads": {1: 310.0, 3: 600.0, 10: 2000.0}},
        tmp_path / "old.md",
        previous,
    )
    written = json.loads(previous.read_text())
    written["date"] = written["growth_date"] = "2026-12-01"  # as if written days ago
    previous.write_text(json.dumps(written))

    rows, data = carried_growth(previous)
    assert [r.workload for r in rows] == [r.workload for r in growth]
    assert data == {
        "growth_date": "2026-12-01",
        "growth_carried": True,
        "growth_loads": {1: 310.0, 3: 600.0, 10: 2000.0},
    }
    new = harness.Result(workload="page.child", size="one child", median_s=0.04, rate_per_s=25)
    write_outputs("county", [new, *rows], {"seconds": None, **data}, tmp_path / "b.md", previous)
    kept = json.loads(previous.read_text())
    assert [r["workload"] for r in kept["results"]] == [
        "page.child",
        "growth.county_ledger@1x",
        "growth.county_ledger@3x",
        "growth.county_ledger@10x",
    ]
    assert kept["growth_date"] == "2026-12-01"
    assert kept["growth_load_seconds"] == {"1x": 310.0, "3x": 600.0, "10x": 2000.0}
    text = (tmp_path / "b.md").read_text()
    assert "measured 2026-12-01 by an earlier run and carried over" in text
    assert "(measured 2026-12-01, carried from an earlier run)" in text
    assert text.count("carried from an earlier run") == 3
    # A second plain run carries them again, still with their own date.
    rows, data = carried_growth(previous)
    assert len(rows) == 3 and data["growth_date"] == "2026-12-01"
    # Without growth rows in the previous file there is nothing to carry.
    (tmp_path / "none.json").write_text(json.dumps({"date": "x", "results": [new.as_json()]}))
    assert carried_growth(tmp_path / "none.json") == ([], {})
    assert carried_growth(tmp_path / "missing.json") == ([], {})


def test_roster_import_and_four_source_jobs_at_a_tiny_scale(
    transactional_db, world, monkeypatch, tmp_path
):
    """import.xueji_roster and job.four_source_crosscheck on the small test county: the roster
    of its four children (plus two pupils it does not know) imports and is rolled back; the
    peer imports the known ones; the cross-check counts every township."""
    from enrollment.models import Child

    settings_dict = connection.settings_dict
    monkeypatch.setenv(
        "BENCH_DATABASE_URL",
        f"postgres://{settings_dict['USER']}@{settings_dict['HOST']}:{settings_dict['PORT']}"
        f"/{settings_dict['NAME']}",
    )
    path = str(tmp_path / "roster.xlsx")
    written = harness.run_job(
        "write_roster", username="bureau", path=path, county_code=world.county.code, rows=6
    )
    assert written["rows"] == 6
    scope = f"county:{world.county.pk}"
    ours = harness.run_job("xueji_import", username="bureau", path=path, scope=scope)
    assert ours["rows"] == 6 and ours["queries"] <= 60
    assert not Child.objects.exclude(student_number=None).exists()  # rolled back
    peer = harness.run_job("peer_xueji_import", username="bureau", path=path, scope=scope)
    assert peer["rows"] == 4
    check = harness.run_job("four_source_crosscheck", username="bureau", county_pk=world.county.pk)
    assert check["rows"] == 2 and check["queries"] <= 10 + 12 * 2


def test_only_puts_the_fresh_rows_in_the_places_of_the_earlier_ones():
    """`--only` keeps the earlier run's order and rows, each fresh row in its place (a new
    workload at the end), saying that it was measured again."""

    def row(name, seconds):
        return harness.Result(workload=name, size="s", median_s=seconds, target="t", met=True)

    earlier = [row("page.a", 1.0), row("import.x", 9.0), row("export.y", 2.0)]
    fresh = [row("export.y", 0.5), row("import.x", 4.0), row("import.z", 3.0)]
    rows = merged(earlier, fresh, " (measured again)")
    assert [(r.workload, r.median_s) for r in rows] == [
        ("page.a", 1.0),
        ("import.x", 4.0),
        ("export.y", 0.5),
        ("import.z", 3.0),
    ]
    assert [r.size for r in rows] == ["s", "s (measured again)", "s (measured again)"] + [
        "s (measured again)"
    ]
