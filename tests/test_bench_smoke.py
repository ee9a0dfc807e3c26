"""The benchmark harness still works (a tiny run; the real figures come from `make bench`)."""

import json

from django.db import connection

from bench import harness
from bench.run import write_outputs

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

    settings_dict = connection.settings_dict
    monkeypatch.setenv(
        "BENCH_DATABASE_URL",
        f"postgres://{settings_dict['USER']}@{settings_dict['HOST']}:{settings_dict['PORT']}"
        f"/{settings_dict['NAME']}",
    )
    for job in ("ledger_export", "ceiling_export", "peer_export"):
        result = harness.run_job(job, username="township1", kind="township", pk=world.township1.pk)
        assert result["rows"] == 3 and result["peak_mb"] > 0
    report = harness.run_job("monthly_report", username="bureau", county_pk=world.county.pk)
    # The county and two townships; the queries grow with the townships, never with children.
    assert report["rows"] == 3 and report["queries"] <= 60

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
