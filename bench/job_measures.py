"""Exports, the police-list import and the background jobs, timed one at a time."""

from bench.harness import Result, run_job


def measure_exports(targets, *, quick: bool) -> list[Result]:
    results = []
    # (workload, user, what is exported, whether django-import-export is measured too)
    cases = [
        (
            "export.township_ledger",
            "township1",
            {"kind": "township", "pk": targets["township"].pk},
            True,
        ),
        ("export.county_ledger", "bureau", {"kind": "county", "pk": targets["county"].pk}, True),
        # The 150,000-row export: one school year of the county's subsidy payments
        # (the peer would take minutes and gigabytes here; the county ledger measures it).
        ("export.payments_ledger", "bureau", {"period": PAYMENTS_EXPORT_YEAR}, False),
        ("export.cases_ledger", "bureau", {"kind": "cases"}, False),
    ]
    for workload, username, what, with_peer in cases[:1] if quick else cases:
        ours = run_job("ledger_export", username=username, **what)
        ceiling = run_job("ceiling_export", username=username, **what)
        peer = run_job("peer_export", username=username, **what) if with_peer else None
        size = f"{ours['rows']:,} rows"
        if "period" in what:
            size += f" (payments of school year {what['period']})"
        results.append(
            Result(
                workload=workload,
                size=size,
                unit="export",
                median_s=ours["seconds"],
                p95_s=None,
                rate_per_s=ours["rows"] / ours["seconds"],
                peak_mb=ours["peak_mb"],
                queries=ours["queries"],
                peer=(
                    f"django-import-export {peer['seconds']:.1f} s, {peer['peak_mb']:.0f} MB"
                    if peer
                    else None
                ),
                peer_ratio=round(peer["seconds"] / ours["seconds"], 2) if peer else None,
                ceiling=f"xlsxwriter constant_memory, no database work {ceiling['seconds']:.1f} s",
                ceiling_ratio=round(ours["seconds"] / ceiling["seconds"], 2),
                target="≤ 1.5× the ceiling, peak ≤ 200 MB",
                met=ours["seconds"] <= 1.5 * ceiling["seconds"] and ours["peak_mb"] <= 200,
            )
        )
    return results


PAYMENTS_EXPORT_YEAR = "2024"  # 159,518 payments in the county data set


# (workload, job in bench/jobs.py, its params from the targets, size, seconds target, queries)
def job_workloads(t) -> list[tuple]:
    return [
        (
            "job.monthly_report",
            "monthly_report",
            {"username": "bureau", "county_pk": t["county"].pk},
            f"county + {t['county'].townships.count()} townships, {t['children']:,} children",
            10.0,  # the target
            # A handful of aggregate queries for the figures; storing and notifying is a few
            # per township (never per child).
            10 + 10 * t["county"].townships.count(),
        ),
        (
            "job.entitlement_gaps",
            "entitlement_gaps",
            {"username": "bureau", "county_pk": t["county"].pk, "period": "2025-2"},
            f"{t['children']:,} children × every checked programme, term 2025-2",
            10.0,  # the target
            40,
        ),
        (
            "job.staffing",
            "staffing",
            {"username": "bureau"},
            "every school of the county: rolls by stage against teachers in post",
            10.0,
            15,
        ),
    ]


IMPORT_ROWS, PEER_IMPORT_ROWS = 100_000, 1_000  # the file size; the peer is ~50× slower


def measure_import(targets) -> list[Result]:
    """import.police_extract: dry run + commit of a police extract, side by side with
    django-import-export (default settings, on a smaller file: it is ~90× slower) and raw COPY."""
    import tempfile

    county = targets["county"]
    with tempfile.TemporaryDirectory() as directory:
        big, small = f"{directory}/extract.xlsx", f"{directory}/small.xlsx"
        run_job(
            "write_extract", username="bureau", path=big, county_code=county.code, rows=IMPORT_ROWS
        )
        run_job(
            "write_extract",
            username="bureau",
            path=small,
            county_code=county.code,
            rows=PEER_IMPORT_ROWS,
        )
        scope = f"county:{county.pk}"
        ours = run_job("police_import", username="bureau", path=big, scope=scope)
        peer = run_job("peer_police_import", username="bureau", path=small, scope=scope)
        ceiling = run_job("copy_police_rows", username="bureau", path=big)
    ours_rate = IMPORT_ROWS / ours["seconds"]
    peer_rate = PEER_IMPORT_ROWS / peer["seconds"]
    ceiling_rate = IMPORT_ROWS / ceiling["seconds"]
    return [
        Result(
            workload="import.police_extract",
            size=f"{IMPORT_ROWS:,} rows (peer {PEER_IMPORT_ROWS:,}), dry run + commit",
            unit="import",
            median_s=ours["seconds"],
            rate_per_s=ours_rate,
            peak_mb=ours["peak_mb"],
            queries=ours["queries"],
            peer=f"django-import-export {peer_rate:.0f} rows/s",
            peer_ratio=round(ours_rate / peer_rate, 1),
            ceiling=f"PostgreSQL COPY {ceiling_rate:,.0f} rows/s",
            ceiling_ratio=round(ceiling_rate / ours_rate, 1),
            target="≥ 10,000 rows/s and ≥ 20× the peer",
            met=ours_rate >= 10_000 and ours_rate >= 20 * peer_rate,
        )
    ]


def measure_jobs(targets) -> list[Result]:
    results = []
    for workload, job, params, size, seconds, queries in job_workloads(targets):
        ours = run_job(job, **params)
        results.append(
            Result(
                workload=workload,
                size=size,
                unit="job",
                median_s=ours["seconds"],
                rate_per_s=1 / ours["seconds"],
                peak_mb=ours["peak_mb"],
                queries=ours["queries"],
                target=f"≤ {seconds:.0f} s, ≤ {queries} queries",
                met=ours["seconds"] <= seconds and ours["queries"] <= queries,
            )
        )
    return results
