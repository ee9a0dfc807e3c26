"""`make bench`: build the county-scale data set once in its own PostgreSQL database, then
measure pages, API lists and jobs, and write docs/benchmarks.md and bench/results.json.

    python bench/run.py [--scale county] [--port 8799] [--quick]
"""

import argparse
import datetime
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.bench")

from bench.harness import (  # noqa: E402
    Browser,
    Result,
    Server,
    measure_concurrent,
    measure_sequential,
    run_job,
    summarise,
)

PAGE_TARGET_1 = 0.150
PAGE_TARGET_50 = 0.500
QUERY_TARGET = 15


def ensure_database():
    import psycopg

    url = os.environ.get(
        "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/county_edu_bench"
    )
    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (name,)
        ).fetchone()
        if not exists:
            connection.execute(f'CREATE DATABASE "{name}"')


def manage(*args) -> str:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.bench"},
    ).stdout


def build_data(scale: str) -> dict:
    ensure_database()
    manage("migrate", "--noinput")
    started = time.monotonic()
    output = manage("seed_demo", "--scale", scale)
    seconds = time.monotonic() - started
    if "Already present" in output:  # loaded by an earlier run: keep that run's figure
        previous = ROOT / "bench" / "results.json"
        if previous.exists():
            seconds = json.loads(previous.read_text()).get("load_seconds", seconds)
    return {"seconds": seconds, "output": output}


def query_count(username: str, path: str) -> int:
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(get_user_model().objects.get(username=username))
    client.get(path)  # warm caches of the process, as a running server has
    with CaptureQueriesContext(connection) as queries:
        status = client.get(path).status_code
    assert status == 200, (path, status)
    return len(queries.captured_queries)


def targets_of(context) -> dict:
    """The places and objects the pages are measured on (first county's demo users)."""
    import django

    django.setup()
    from django.contrib.auth import get_user_model

    from dropout.models import DropoutCase
    from enrollment.models import Child

    users = {
        u.username: u
        for u in get_user_model().objects.filter(username__in=["township1", "school1", "bureau"])
    }
    township = users["township1"].role_assignments.first().township
    school = users["school1"].role_assignments.first().school
    county = users["bureau"].role_assignments.first().county
    child = Child.objects.filter(village__township=township).order_by("pk")[100]
    case = DropoutCase.objects.filter(township=township).order_by("pk").first()
    children = Child.objects.count()
    return {
        "township": township,
        "school": school,
        "county": county,
        "child": child,
        "case": case,
        "children": children,
    }


def page_workloads(t) -> list[tuple[str, str, str, str]]:
    """(workload, user, path, size description)"""
    township_children = t["township"].villages.count()
    return [
        (
            "page.township_ledger",
            "township1",
            f"/ledger/township/{t['township'].pk}/",
            f"{township_children} villages, page of 50",
        ),
        ("page.school_ledger", "school1", f"/ledger/school/{t['school'].pk}/", "page of 50"),
        (
            "page.county_ledger",
            "bureau",
            f"/ledger/county/{t['county'].pk}/",
            f"{t['children']:,} children, page of 50",
        ),
        ("page.dashboard", "bureau", "/", f"county overview, {t['children']:,} children"),
        ("page.unaccounted", "township1", "/unaccounted/", "page of 50"),
        ("page.child", "township1", f"/children/{t['child'].pk}/", "one child"),
        ("page.cases", "township1", "/dropout/cases/?queue=all", "page of 50"),
        ("page.case", "township1", f"/dropout/cases/{t['case'].pk}/", "one case"),
        ("api.children", "township1", "/api/v1/children/?page_size=50", "page of 50"),
        ("page.payments", "bureau", "/subsidies/payments/", "page of 50, all payments"),
        ("page.rectification", "bureau", "/inspections/", "rectification ledger"),
        ("page.teachers", "bureau", "/teachers/", "page of 50 teachers"),
        ("page.staffing", "bureau", "/teachers/staffing/", "every school of the county"),
        ("page.monthly_report", "bureau", "/dropout/reports/", "report list"),
        ("api.dropout_cases", "bureau", "/api/v1/dropout-cases/", "page of 50"),
    ]


def measure_pages(server, targets, *, quick: bool, password: str) -> list[Result]:
    results = []
    sequential = 10 if quick else 30
    concurrency, each = (5, 2) if quick else (50, 6)
    browsers = {}
    for name in ("township1", "school1", "bureau"):
        browsers[name] = Browser(server.base_url, name, password)
    crowd = {
        name: [Browser(server.base_url, name, password) for _ in range(concurrency)]
        for name in ("township1", "school1", "bureau")
    }
    for workload, username, path, size in page_workloads(targets):
        timings, errors = measure_sequential(browsers[username], path, requests=sequential)
        median, p95 = summarise(timings)
        queries = query_count(username, path)
        met = p95 <= PAGE_TARGET_1 and queries <= QUERY_TARGET and errors == 0
        results.append(
            Result(
                workload=workload,
                size=f"{size}; 1 user",
                median_s=median,
                p95_s=p95,
                rate_per_s=1 / median,
                queries=queries,
                target=f"p95 ≤ {PAGE_TARGET_1 * 1000:.0f} ms, ≤ {QUERY_TARGET} queries",
                met=met,
            )
        )
        timings, errors, rate = measure_concurrent(crowd[username], path, requests_each=each)
        median, p95 = summarise(timings)
        results.append(
            Result(
                workload=f"{workload}@{concurrency}",
                size=f"{size}; {concurrency} concurrent users",
                median_s=median,
                p95_s=p95,
                rate_per_s=rate,
                queries=queries,
                target=f"p95 ≤ {PAGE_TARGET_50 * 1000:.0f} ms, 0 errors",
                met=p95 <= PAGE_TARGET_50 and errors == 0,
                notes=[f"{errors} errors"] if errors else [],
            )
        )
    return results


def measure_mixed_load(server, targets, *, quick: bool, password: str) -> Result:
    """50 users each walking through the page mix (load.mixed_50_users)."""
    import threading

    users = 5 if quick else 50
    paths = [(user, path) for _w, user, path, _s in page_workloads(targets)]
    timings, errors, lock = [], [0], threading.Lock()
    crowd = [
        (Browser(server.base_url, user, password), path)
        for index in range(users)
        for user, path in [paths[index % len(paths)]]
    ]

    def walk(browser, first):
        for step in range(len(paths)):
            user, path = paths[(paths.index(first) + step) % len(paths)]
            if user != first[0]:
                continue
            status, elapsed = browser.get(path)
            with lock:
                timings.append(elapsed)
                errors[0] += status != 200

    started = time.perf_counter()
    threads = [
        threading.Thread(target=walk, args=(b, (u, p)))
        for (b, p), (u, _p) in zip(
            crowd, [paths[i % len(paths)] for i in range(users)], strict=True
        )
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    median, p95 = summarise(timings)
    return Result(
        workload=f"load.mixed_{users}_users",
        size=f"{len(timings)} requests",
        median_s=median,
        p95_s=p95,
        rate_per_s=len(timings) / wall,
        target="0 errors, p95 ≤ 500 ms",
        met=errors[0] == 0 and p95 <= PAGE_TARGET_50,
        notes=[f"{errors[0]} errors"],
    )


def measure_exports(targets, *, quick: bool) -> list[Result]:
    results = []
    cases = [
        ("export.township_ledger", "township1", "township", targets["township"].pk),
        ("export.county_ledger", "bureau", "county", targets["county"].pk),
    ]
    for workload, username, kind, pk in cases[:1] if quick else cases:
        ours = run_job("ledger_export", username=username, kind=kind, pk=pk)
        ceiling = run_job("ceiling_export", username=username, kind=kind, pk=pk)
        peer = run_job("peer_export", username=username, kind=kind, pk=pk)
        results.append(
            Result(
                workload=workload,
                size=f"{ours['rows']:,} rows",
                unit="export",
                median_s=ours["seconds"],
                p95_s=None,
                rate_per_s=ours["rows"] / ours["seconds"],
                peak_mb=ours["peak_mb"],
                queries=ours["queries"],
                peer=f"django-import-export {peer['seconds']:.1f} s, {peer['peak_mb']:.0f} MB",
                peer_ratio=round(peer["seconds"] / ours["seconds"], 2),
                ceiling=f"xlsxwriter constant_memory {ceiling['seconds']:.1f} s, "
                f"{ceiling['peak_mb']:.0f} MB",
                ceiling_ratio=round(ours["seconds"] / ceiling["seconds"], 2),
                target="≤ 1.5× the ceiling, peak ≤ 200 MB",
                met=ours["seconds"] <= 1.5 * ceiling["seconds"] and ours["peak_mb"] <= 200,
            )
        )
    return results


# (workload, job in bench/jobs.py, its params from the targets, size, seconds target, queries)
def job_workloads(t) -> list[tuple]:
    return [
        (
            "job.monthly_report",
            "monthly_report",
            {"username": "bureau", "county_pk": t["county"].pk},
            f"county + {t['county'].townships.count()} townships, {t['children']:,} children",
            60.0,
            # A handful of aggregate queries for the figures; storing and notifying is a few
            # per township (never per child).
            10 + 10 * t["county"].townships.count(),
        ),
        (
            "job.entitlement_gaps",
            "entitlement_gaps",
            {"username": "bureau", "county_pk": t["county"].pk, "period": "2025-2"},
            f"{t['children']:,} children × every checked programme, term 2025-2",
            120.0,
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
    django-import-export (default settings, on a smaller file: it is ~35× slower) and raw COPY."""
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


def measure_soak(server, targets, *, seconds: float, password: str, users: int = 50) -> Result:
    """load.soak: `users` officials for `seconds` on the real server — pages read and, every
    fifth step, a household visit recorded through its form (a write). No errors allowed, and
    the database connections stay bounded (the most seen at once is reported)."""
    import random

    from django.db import connection

    pages = [(user, path) for _w, user, path, _s in page_workloads(targets)]
    children = list(
        targets["child"]
        .__class__.objects.filter(village__township=targets["township"])
        .order_by("pk")
        .values_list("pk", flat=True)[:200]
    )
    crowd = [Browser(server.base_url, pages[i % len(pages)][0], password) for i in range(users)]
    timings, errors, writes, lock = [], [0], [0], threading.Lock()
    deadline = time.monotonic() + seconds
    today = datetime.date.today().isoformat()

    def walk(index, browser):
        rng = random.Random(index)
        own = [path for user, path in pages if user == pages[index % len(pages)][0]]
        step = 0
        while time.monotonic() < deadline:
            step += 1
            if step % 5 == 0 and pages[index % len(pages)][0] == "township1":
                child = rng.choice(children)
                status, elapsed = browser.post_form(
                    f"/children/{child}/visits/new/",
                    {
                        "visit_date": today,
                        "children": [child],
                        "visitors": "乡镇干部（压测）",
                        "findings": "入户核实，在校就读",
                        "outcome": "confirmed_in_school",
                    },
                )
                ok = status == 302
                with lock:
                    writes[0] += ok
            else:
                status, elapsed = browser.get(rng.choice(own))
                ok = status == 200
            with lock:
                timings.append(elapsed)
                errors[0] += not ok

    threads = [threading.Thread(target=walk, args=pair) for pair in enumerate(crowd)]
    most_connections = 0
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    while any(thread.is_alive() for thread in threads):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            )
            most_connections = max(most_connections, cursor.fetchone()[0])
        time.sleep(1)
    wall = time.perf_counter() - started
    median, p95 = summarise(timings)
    return Result(
        workload=f"load.soak_{users}_users_{seconds / 60:.0f}min",
        size=f"{len(timings):,} requests, {writes[0]:,} visits recorded; "
        f"at most {most_connections} database connections",
        median_s=median,
        p95_s=p95,
        rate_per_s=len(timings) / wall,
        peak_mb=server.worker_peak_mb(),
        target="0 errors",
        met=errors[0] == 0,
        notes=[f"{errors[0]} errors"],
    )


def write_outputs(scale, results, data, path_md, path_json):
    today = datetime.date.today().isoformat()
    path_json.write_text(
        json.dumps(
            {
                "scale": scale,
                "date": today,
                "load_seconds": round(data["seconds"], 1),
                "results": [result.as_json() for result in results],
            },
            ensure_ascii=False,
            indent=2,
        )
    )
    lines = [
        "# Benchmarks",
        "",
        f"Scale `{scale}`, measured {today} on this machine (2 cores, PostgreSQL 15, gunicorn "
        "with 4 workers on loopback, the load generated by Python threads in another process "
        "on the same 2 cores). Produced by `make bench`; the JSON is `bench/results.json`.",
        "",
        f"Data set load (`seed_demo --scale {scale}`, bulk inserts): {data['seconds']:.0f} s.",
        "",
        "| workload | size | median | p95 | rate/s | peak MB | queries | peer (ratio peer/ours)"
        " | ceiling (ratio ours/ceiling) | target | met |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]

    def ms(value):
        return (
            "—" if value is None else (f"{value * 1000:.0f} ms" if value < 10 else f"{value:.1f} s")
        )

    for r in results:
        peer = f"{r.peer} ({r.peer_ratio}×)" if r.peer else "—"
        ceiling = f"{r.ceiling} ({r.ceiling_ratio}×)" if r.ceiling else "—"
        lines.append(
            f"| {r.workload} | {r.size} | {ms(r.median_s)} | {ms(r.p95_s)} | "
            f"{r.rate_per_s:.1f} | {r.peak_mb or '—'} | {'—' if r.queries is None else r.queries}"
            f" | {peer} | {ceiling} | {r.target} | {'yes' if r.met else 'NO'} |"
        )
    lines += [
        "",
        "Ledger summaries and the overview's trend are cached on Redis until the next status "
        "change; the benchmark's reads come from the cache after the first request. The "
        "soak's writes (household visits) make the visited villages' summaries stale. The "
        "import's peer runs on a smaller file (it is ~30× slower); ratios compare rates.",
        "",
    ]
    path_md.write_text("\n".join(lines), encoding="utf-8")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", default="county")
    parser.add_argument("--port", type=int, default=8799)
    parser.add_argument("--quick", action="store_true", help="fewer requests (smoke runs)")
    parser.add_argument(
        "--soak-seconds",
        type=int,
        default=300,
        help="length of the 50-user soak with form posts (0: skip it)",
    )
    parser.add_argument("--output", default=str(ROOT))
    args = parser.parse_args()
    import django

    django.setup()
    from enrollment.demo import DEMO_PASSWORD

    print(f"Building the {args.scale} data set (once)…", flush=True)
    data = build_data(args.scale)
    print(data["output"], flush=True)
    targets = targets_of(None)
    results = []
    with Server(args.port) as server:
        print("Measuring pages…", flush=True)
        results += measure_pages(server, targets, quick=args.quick, password=DEMO_PASSWORD)
        mixed = measure_mixed_load(server, targets, quick=args.quick, password=DEMO_PASSWORD)
        mixed.peak_mb = server.worker_peak_mb()
        results.append(mixed)
        if args.soak_seconds:
            print(f"Soak: 50 users for {args.soak_seconds} s…", flush=True)
            results.append(
                measure_soak(server, targets, seconds=args.soak_seconds, password=DEMO_PASSWORD)
            )
    print("Measuring jobs…", flush=True)
    results += measure_jobs(targets)
    print("Measuring the import…", flush=True)
    try:
        results += measure_import(targets)
    except RuntimeError as error:  # reported, not hidden: the rest of the figures still count
        print(f"import benchmark failed: {error}", flush=True)
    print("Measuring exports…", flush=True)
    results += measure_exports(targets, quick=args.quick)
    output = Path(args.output)
    (output / "docs").mkdir(exist_ok=True)
    (output / "bench").mkdir(exist_ok=True)
    write_outputs(
        args.scale,
        results,
        data,
        output / "docs" / "benchmarks.md",
        output / "bench" / "results.json",
    )
    print((output / "docs" / "benchmarks.md").read_text())


if __name__ == "__main__":
    main()
