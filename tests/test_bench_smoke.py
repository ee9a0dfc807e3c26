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
