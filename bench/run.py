"""`make bench`: build the county-scale data set once in its own PostgreSQL database, then
measure pages, API lists and jobs, and write docs/benchmarks.md and bench/results.json.

    python bench/run.py [--scale county] [--port 8799] [--quick] [--growth | --growth-only]

--growth also measures how cost grows with the data (1×, 3× and 10× the county, in a database of
its own: BENCH_GROWTH_DATABASE_URL, default county_edu_growth); --growth-only measures only that
and adds it to the results already written. A run without either keeps the growth rows the
previous results.json holds, marked with the date they were measured.
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
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.bench")

from bench.harness import (  # noqa: E402
    THINK_TIME,
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


def ensure_database(url: str | None = None):
    import psycopg

    url = url or os.environ.get(
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
    vacuum_analyze()
    return {"seconds": seconds, "output": output}


def vacuum_analyze():
    """Planner statistics and visibility maps as a running server's autovacuum keeps them (it
    may be off on a benchmark machine): a freshly bulk-loaded table has none, and an earlier
    run's writes leave dead rows that every index scan then reads through."""
    import psycopg

    url = os.environ.get(
        "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/county_edu_bench"
    )
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("VACUUM ANALYZE")
        # Write the load's dirty pages out now, not during the first measurements (a timed
        # checkpoint flushing 2 GB put 190 ms requests into a page's p95). Needs the
        # pg_checkpoint role or a superuser; without it the server flushes in its own time.
        try:
            connection.execute("CHECKPOINT")
        except psycopg.errors.InsufficientPrivilege:
            pass


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
        "child_id_tail": (child.resident_id or "")[-6:],
        "child_surname": child.name[:1],
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
        # The header's search: the county's whole registry for the bureau, by surname (the
        # broadest a person types) and by the last digits of an ID.
        (
            "page.search_surname",
            "bureau",
            f"/search/?q={quote(t['child_surname'])}",
            f"{t['children']:,} children, surname",
        ),
        (
            "page.search_id_tail",
            "bureau",
            f"/search/?q={t['child_id_tail']}",
            "last 6 digits of an ID",
        ),
    ]


def load_plan(quick: bool) -> dict:
    """How many users the @50 rows run, how many requests each makes with think time and back
    to back, and the think time (seconds, low and high). Quick (smoke) runs: 5 users and short
    pauses."""
    if quick:
        return {"users": 5, "each": 2, "each_no_think": 2, "think": (0.2, 1.0)}
    return {"users": 50, "each": 4, "each_no_think": 2, "think": THINK_TIME}


def think_label(think) -> str:
    return f"think time {think[0]:g}–{think[1]:g} s"


def log_in_crowd(server, *, quick: bool, password: str) -> dict[str, list[Browser]]:
    """The load's users: for each demo official, as many logged-in sessions as the load has
    users, logged in once and shared by the page and the mixed-load runs (logins are not what
    is measured)."""
    users = load_plan(quick)["users"]
    return {
        name: [Browser(server.base_url, name, password) for _ in range(users)]
        for name in ("township1", "school1", "bureau")
    }


def measure_pages(server, targets, *, quick: bool, password: str, crowd=None) -> list[Result]:
    """Each page at 1 user (back to back), at `users` users with think time (the @50 target),
    and at the same users back to back (@50_no_think: the saturation throughput)."""
    results = []
    sequential = 10 if quick else 30
    plan = load_plan(quick)
    concurrency, think = plan["users"], plan["think"]
    browsers = {}
    for name in ("township1", "school1", "bureau"):
        browsers[name] = Browser(server.base_url, name, password)
    crowd = crowd or log_in_crowd(server, quick=quick, password=password)
    for index, (workload, username, path, size) in enumerate(page_workloads(targets)):
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
        timings, errors, rate = measure_concurrent(
            crowd[username], path, requests_each=plan["each"], think=think, seed=index
        )
        median, p95 = summarise(timings)
        results.append(
            Result(
                workload=f"{workload}@{concurrency}",
                size=f"{size}; {concurrency} users, {think_label(think)}",
                median_s=median,
                p95_s=p95,
                rate_per_s=rate,
                queries=queries,
                target=f"p95 ≤ {PAGE_TARGET_50 * 1000:.0f} ms, 0 errors",
                met=p95 <= PAGE_TARGET_50 and errors == 0,
                notes=[f"{errors} errors"] if errors else [],
            )
        )
        timings, errors, rate = measure_concurrent(
            crowd[username], path, requests_each=plan["each_no_think"]
        )
        median, p95 = summarise(timings)
        results.append(
            Result(
                workload=f"{workload}@{concurrency}_no_think",
                size=f"{size}; {concurrency} users back to back, no think time: saturation "
                f"throughput {rate:.1f} requests/s",
                median_s=median,
                p95_s=p95,
                rate_per_s=rate,
                queries=queries,
                target="0 errors",
                met=errors == 0,
                notes=[f"{errors} errors"] if errors else [],
            )
        )
    return results


def measure_mixed_load(
    server, targets, *, quick: bool, password: str, think: bool = True, crowd=None
) -> Result:
    """load.mixed_50_users: 50 users, each logged in as one of the demo officials and walking
    once through that official's pages of the mix (1 to 8 pages), with the think time of the
    @50 rows between pages and first requests spread over the first think time; think=False:
    the same walks back to back (load.mixed_50_users_no_think, the saturation figure)."""
    import random

    plan = load_plan(quick)
    users, pause = plan["users"], plan["think"] if think else None
    paths = [(user, path) for _w, user, path, _s in page_workloads(targets)]
    timings, errors, lock = [], [0], threading.Lock()
    sessions = crowd or log_in_crowd(server, quick=quick, password=password)
    crowd = [
        (sessions[user][index], path)
        for index in range(users)
        for user, path in [paths[index % len(paths)]]
    ]

    def walk(index, browser, first):
        rng = random.Random(1_000_000 + index)
        if pause:
            time.sleep(rng.uniform(0, pause[1]))
        requested = 0
        for step in range(len(paths)):
            user, path = paths[(paths.index(first) + step) % len(paths)]
            if user != first[0]:
                continue
            if pause and requested:
                time.sleep(rng.uniform(*pause))
            status, elapsed = browser.get(path)
            requested += 1
            with lock:
                timings.append(elapsed)
                errors[0] += status != 200

    started = time.perf_counter()
    threads = [
        threading.Thread(target=walk, args=(index, b, (u, p)))
        for index, ((b, p), (u, _p)) in enumerate(
            zip(crowd, [paths[i % len(paths)] for i in range(users)], strict=True)
        )
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    median, p95 = summarise(timings)
    rate = len(timings) / wall
    if pause:
        return Result(
            workload=f"load.mixed_{users}_users",
            size=f"{len(timings)} requests, {think_label(pause)}",
            median_s=median,
            p95_s=p95,
            rate_per_s=rate,
            target="0 errors, p95 ≤ 500 ms",
            met=errors[0] == 0 and p95 <= PAGE_TARGET_50,
            notes=[f"{errors[0]} errors"],
        )
    return Result(
        workload=f"load.mixed_{users}_users_no_think",
        size=f"{len(timings)} requests back to back, no think time: saturation throughput "
        f"{rate:.1f} requests/s",
        median_s=median,
        p95_s=p95,
        rate_per_s=rate,
        target="0 errors",
        met=errors[0] == 0,
        notes=[f"{errors[0]} errors"],
    )


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


GROWTH_STEPS = (1, 3, 10)  # counties in the growth database; the first one is measured
GROWTH_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/county_edu_growth"
# Not the main benchmark's cache (14) nor the tests' Redis databases (13, 15).
GROWTH_REDIS_URL = "redis://127.0.0.1:6379/12"
# "Flat": at most this many times the 1× figure (one user on 2 shared cores is noisy).
GROWTH_FLAT = 1.5


def _median_job(repeats: int, job: str, **params) -> dict:
    runs = sorted((run_job(job, **params) for _ in range(repeats)), key=lambda r: r["seconds"])
    return runs[len(runs) // 2]


def drop_grown_database(url: str, counties: int) -> None:
    """Drop the growth database if it holds more than `counties` counties: its steps can only
    be measured growing from there."""
    import psycopg

    name = url.rsplit("/", 1)[1]
    try:
        with psycopg.connect(url) as connection:
            table = connection.execute("SELECT to_regclass('enrollment_county')").fetchone()[0]
            held = (
                table and connection.execute("SELECT count(*) FROM enrollment_county").fetchone()[0]
            )
    except psycopg.OperationalError:  # no such database yet
        return
    if held and held > counties:
        print(f"The growth database holds {held} counties: dropping it to start at {counties}.")
        with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as connection:
            connection.execute(f'DROP DATABASE "{name}"')


def measure_growth(*, scale: str, port: int, quick: bool, password: str):
    """growth.*: the first county's ledger page (its bureau user, page of 50) and its monthly
    report, and the schedule's report run over every county, with 1, 3 and 10 counties in a
    database of their own. The first county stays as it is while the database grows, so its
    paginated page and its report should stay flat; the run over every county grows with the
    counties (near-linear at worst). Counties are added by `seed_demo --counties N` (at county
    scale the city scale's loader), which keeps those present; a database left with more
    counties than the first step (an earlier run) is dropped first. Returns the results and
    each step's load time in seconds."""
    url = os.environ.get("BENCH_GROWTH_DATABASE_URL", GROWTH_DATABASE_URL)
    saved = {name: os.environ.get(name) for name in ("BENCH_DATABASE_URL", "BENCH_REDIS_URL")}
    # The subprocesses (manage.py, jobs, gunicorn) read the database and cache from here.
    os.environ["BENCH_DATABASE_URL"] = url
    os.environ["BENCH_REDIS_URL"] = os.environ.get("BENCH_GROWTH_REDIS_URL", GROWTH_REDIS_URL)
    loader_scale = "city" if scale == "county" else scale
    repeats = 1 if quick else 3
    results, loads, first = [], {}, {}
    try:
        drop_grown_database(url, GROWTH_STEPS[0])
        ensure_database(url)
        manage("migrate", "--noinput")
        for counties in GROWTH_STEPS:
            print(f"Growth: {counties} × the {scale} county…", flush=True)
            started = time.monotonic()
            output = manage("seed_demo", "--scale", loader_scale, "--counties", str(counties))
            loads[counties] = None if "Already present" in output else time.monotonic() - started
            vacuum_analyze()  # of the growth database (BENCH_DATABASE_URL, set above)
            facts = run_job("growth_facts", username="bureau")["rows"]
            if facts["counties"] != counties:
                raise RuntimeError(f"the growth database holds {facts['counties']} counties")
            run_job("clear_cache", username="bureau")
            data = (
                f"{facts['counties']} count{'y' if facts['counties'] == 1 else 'ies'}, "
                f"{facts['children']:,} children, {facts['database_mb']:,} MB"
            )
            path = f"/ledger/county/{facts['county_pk']}/"
            with Server(port) as server:
                browser = Browser(server.base_url, "bureau", password)
                timings, errors = measure_sequential(browser, path, requests=10 if quick else 30)
            median, p95 = summarise(timings)
            first.setdefault("page", median)
            results.append(
                Result(
                    workload=f"growth.county_ledger@{counties}x",
                    size=f"{data}; the first county's ledger "
                    f"({facts['county_children']:,} children), page of 50, 1 user",
                    median_s=median,
                    p95_s=p95,
                    rate_per_s=1 / median,
                    queries=run_job("page_queries", username="bureau", path=path)["rows"],
                    target=f"p95 ≤ {PAGE_TARGET_1 * 1000:.0f} ms; flat: median ≤ "
                    f"{GROWTH_FLAT}× the 1× one",
                    met=errors == 0
                    and p95 <= PAGE_TARGET_1
                    and median <= GROWTH_FLAT * first["page"],
                    notes=[f"{errors} errors"] if errors else [],
                )
            )
            report = _median_job(
                repeats, "monthly_report", username="bureau", county_pk=facts["county_pk"]
            )
            first.setdefault("report", report["seconds"])
            results.append(
                Result(
                    workload=f"growth.monthly_report@{counties}x",
                    size=f"{data}; the first county's report "
                    f"({facts['county_children']:,} children)",
                    unit="job",
                    median_s=report["seconds"],
                    rate_per_s=1 / report["seconds"],
                    peak_mb=report["peak_mb"],
                    queries=report["queries"],
                    target=f"≤ 10 s; flat: ≤ {GROWTH_FLAT}× the 1× one",
                    met=report["seconds"] <= 10
                    and report["seconds"] <= GROWTH_FLAT * first["report"],
                )
            )
            everywhere = _median_job(repeats, "monthly_report_everywhere", username="bureau")
            first.setdefault("everywhere", everywhere["seconds"])
            results.append(
                Result(
                    workload=f"growth.monthly_report_all_counties@{counties}x",
                    size=f"{data}; the schedule's run: every county's report "
                    f"({everywhere['rows']} reports)",
                    unit="job",
                    median_s=everywhere["seconds"],
                    rate_per_s=1 / everywhere["seconds"],
                    peak_mb=everywhere["peak_mb"],
                    queries=everywhere["queries"],
                    target=f"near-linear: ≤ {GROWTH_FLAT}× {counties} × the 1× one",
                    met=everywhere["seconds"] <= GROWTH_FLAT * counties * first["everywhere"],
                )
            )
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    return results, loads


def growth_lines(results, duration, *, measured=None, carried=False) -> list[str]:
    """How each growth workload's cost grew from the smallest to the largest database;
    `measured`: the date the growth rows were measured, `carried`: by an earlier run."""
    steps: dict[str, dict[int, Result]] = {}
    for result in results:
        name, _at, step = result.workload.partition("@")
        if name.startswith("growth.") and step.endswith("x"):
            steps.setdefault(name, {})[int(step[:-1])] = result
    if not steps:
        return []
    when = ""
    if measured and carried:
        when = (
            f", measured {measured} by an earlier run and carried over: this run did not "
            "measure growth"
        )
    elif measured:
        when = f", measured {measured}"
    lines = [
        "Growth (`--growth`, a database of its own loaded with 1, then 3, then 10 counties; "
        f"the first county stays the same{when}): cost at the largest step against the "
        "smallest.",
        "",
    ]
    for name, by_step in steps.items():
        low, high = min(by_step), max(by_step)
        before, after = by_step[low].median_s, by_step[high].median_s
        shape = (
            f"linear would be {high / low:.0f}"
            if name.endswith("all_counties")
            else "flat would be 1"
        )
        lines.append(
            f"- `{name}`: {duration(before)} at {low}× → {duration(after)} at {high}×, "
            f"ratio {high}×/{low}× = {after / before:.2f} ({shape})."
        )
    return lines + [""]


def load_model_lines(plan) -> list[str]:
    """What the 1-user, @N, @N_no_think and mixed rows measure (the load model)."""
    users, low, high = plan["users"], *plan["think"]
    offered = users / ((low + high) / 2)
    return [
        f"**How the pages are loaded.** `page.X` (1 user): one logged-in user requesting the "
        f"page back to back. `page.X@{users}`: {users} users, each a logged-in session of its "
        f"own in a thread, requesting the page {plan['each']} times with a think time drawn "
        f"uniformly from {low:g}–{high:g} s between requests (as locust's "
        f"`wait_time = between({low:g}, {high:g})`; seeded, the same draws every run), their "
        f"first requests spread at random over the first {high:g} s so that they do not all "
        f"fire at once. If the server keeps up they offer about {users} / "
        f"{(low + high) / 2:g} s ≈ {offered:.0f} requests/s — more than officials reading "
        "each page for half a minute would send (200 of them: about 7 requests/s). Where a "
        "page's throughput (its `_no_think` row) is below that, requests queue and its p95 "
        f"says so. `page.X@{users}_no_think`: the same {users} users with no pause, all at "
        f"once, {plan['each_no_think']} requests each — the server's saturation throughput "
        "(rate/s) on these 2 cores with the load generator beside it; its latency is "
        f"queueing (Little's law: {users} requests in flight / throughput), not what a user "
        "waits at this load, so it is held only to 0 errors. "
        f"`load.mixed_{users}_users`: {users} users each walking once through the pages of "
        "the mix that its official (township, school or bureau user) opens, with the same "
        f"think time; `load.mixed_{users}_users_no_think` the same walks back to back. The "
        "soak (`load.soak_*`) is back to back too: a stress run held to 0 errors.",
        "",
    ]


def write_outputs(scale, results, data, path_md, path_json):
    today = datetime.date.today().isoformat()
    measured = data.get("date") or today  # --growth-only keeps the earlier run's date
    has_growth = any(r.workload.startswith("growth.") for r in results)
    growth_date = (data.get("growth_date") or today) if has_growth else None
    carried = has_growth and bool(data.get("growth_carried"))
    path_json.write_text(
        json.dumps(
            {
                "scale": scale,
                "date": measured,
                **({"growth_date": growth_date} if growth_date else {}),
                **({"load_plan": data["load_plan"]} if data.get("load_plan") else {}),
                "load_seconds": None if data["seconds"] is None else round(data["seconds"], 1),
                **(
                    {
                        "growth_load_seconds": {
                            f"{counties}x": None if seconds is None else round(seconds, 1)
                            for counties, seconds in data["growth_loads"].items()
                        }
                    }
                    if data.get("growth_loads")
                    else {}
                ),
                "results": [result.as_json() for result in results],
            },
            ensure_ascii=False,
            indent=2,
        )
    )
    lines = [
        "# Benchmarks",
        "",
        f"Scale `{scale}`, measured {measured} on this machine (2 cores, PostgreSQL 15, gunicorn "
        "with 4 workers on loopback, the load generated by Python threads in another process "
        "on the same 2 cores). Produced by `make bench`; the JSON is `bench/results.json`.",
        "",
        f"Data set load (`seed_demo --scale {scale}`, bulk inserts): {data['seconds']:.0f} s."
        if data["seconds"] is not None
        else "Data set load: not measured in this run.",
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
        size = r.size
        if carried and r.workload.startswith("growth."):
            size = f"{size} (measured {growth_date}, carried from an earlier run)"
        peer = f"{r.peer} ({r.peer_ratio}×)" if r.peer else "—"
        ceiling = f"{r.ceiling} ({r.ceiling_ratio}×)" if r.ceiling else "—"
        lines.append(
            f"| {r.workload} | {size} | {ms(r.median_s)} | {ms(r.p95_s)} | "
            f"{r.rate_per_s:.1f} | {r.peak_mb or '—'} | {'—' if r.queries is None else r.queries}"
            f" | {peer} | {ceiling} | {r.target} | {'yes' if r.met else 'NO'} |"
        )
    lines += [""]
    if data.get("load_plan"):
        lines += load_model_lines(data["load_plan"])
    lines += growth_lines(results, ms, measured=growth_date, carried=carried)
    if data.get("growth_loads"):
        lines += [
            "Growth data set loads (adding counties"
            + (f", measured {growth_date} by an earlier run" if carried else "")
            + "): "
            + ", ".join(
                f"to {counties}× " + ("already loaded" if seconds is None else f"{seconds:.0f} s")
                for counties, seconds in data["growth_loads"].items()
            )
            + ".",
            "",
        ]
    lines += [
        "Ledger summaries and the overview's trend are cached on Redis until the next status "
        "change; the benchmark's reads come from the cache after the first request. The "
        "soak's writes (household visits) make the visited villages' summaries stale. The "
        "import's peer runs on a smaller file (it is ~90× slower); ratios compare rates. An "
        "export's ceiling is xlsxwriter's constant-memory mode writing the same rows, read "
        "from the database beforehand: only the writing is timed.",
        "",
    ]
    path_md.write_text("\n".join(lines), encoding="utf-8")


def measure_main(args, password) -> tuple[list[Result], dict]:
    print(f"Building the {args.scale} data set (once)…", flush=True)
    data = build_data(args.scale)
    print(data["output"], flush=True)
    targets = targets_of(None)
    results = []
    data["load_plan"] = load_plan(args.quick)
    with Server(args.port) as server:
        print("Measuring pages…", flush=True)
        crowd = log_in_crowd(server, quick=args.quick, password=password)
        results += measure_pages(server, targets, quick=args.quick, password=password, crowd=crowd)
        for think in (True, False):
            mixed = measure_mixed_load(
                server, targets, quick=args.quick, password=password, think=think, crowd=crowd
            )
            mixed.peak_mb = server.worker_peak_mb()
            results.append(mixed)
        if args.soak_seconds:
            print(f"Soak: 50 users for {args.soak_seconds} s…", flush=True)
            results.append(
                measure_soak(server, targets, seconds=args.soak_seconds, password=password)
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
    return results, data


def previous_results(path_json) -> tuple[str | None, list[Result], dict]:
    """The results an earlier run wrote, without their growth rows (--growth-only replaces
    those and keeps the rest, with the date they were measured)."""
    if not path_json.exists():
        return None, [], {"seconds": None}
    previous = json.loads(path_json.read_text())
    results = [
        Result(**item) for item in previous["results"] if not item["workload"].startswith("growth.")
    ]
    data = {"seconds": previous.get("load_seconds"), "date": previous.get("date")}
    if previous.get("load_plan"):
        data["load_plan"] = previous["load_plan"]
    return previous.get("scale"), results, data


def carried_growth(path_json) -> tuple[list[Result], dict]:
    """The growth rows an earlier run wrote (--growth or --growth-only), for a run that does
    not measure growth: kept rather than dropped, with their load times and the date they were
    measured (the earlier file's growth_date, or its date if it had none), marked as carried.
    ([], {}) if there are none."""
    if not path_json.exists():
        return [], {}
    previous = json.loads(path_json.read_text())
    rows = [
        Result(**item) for item in previous["results"] if item["workload"].startswith("growth.")
    ]
    if not rows:
        return [], {}
    data = {
        "growth_date": previous.get("growth_date") or previous.get("date"),
        "growth_carried": True,
    }
    if previous.get("growth_load_seconds"):
        data["growth_loads"] = {
            int(step.removesuffix("x")): seconds
            for step, seconds in previous["growth_load_seconds"].items()
        }
    return rows, data


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
    parser.add_argument(
        "--growth",
        action="store_true",
        help="also measure the first county's ledger page and monthly report, and the report "
        "run over every county, at 1×, 3× and 10× the county (BENCH_GROWTH_DATABASE_URL)",
    )
    parser.add_argument(
        "--growth-only",
        action="store_true",
        help="only the growth measurement, added to the results an earlier run wrote",
    )
    parser.add_argument(
        "--growth-scale",
        default="county",
        help="the county the growth steps multiply (demo: a smoke run in minutes)",
    )
    parser.add_argument("--output", default=str(ROOT))
    args = parser.parse_args()
    import django

    django.setup()
    from enrollment.demo import DEMO_PASSWORD

    output = Path(args.output)
    (output / "docs").mkdir(exist_ok=True)
    (output / "bench").mkdir(exist_ok=True)
    scale = args.scale
    if args.growth_only:
        scale, results, data = previous_results(output / "bench" / "results.json")
        scale = scale or args.growth_scale
    else:
        results, data = measure_main(args, DEMO_PASSWORD)
        if not args.growth:  # keep the growth rows an earlier run measured, marked so
            growth, carried = carried_growth(output / "bench" / "results.json")
            results += growth
            data.update(carried)
    if args.growth or args.growth_only:
        growth, data["growth_loads"] = measure_growth(
            scale=args.growth_scale, port=args.port, quick=args.quick, password=DEMO_PASSWORD
        )
        data["growth_date"] = datetime.date.today().isoformat()
        results += growth
    write_outputs(
        scale,
        results,
        data,
        output / "docs" / "benchmarks.md",
        output / "bench" / "results.json",
    )
    print((output / "docs" / "benchmarks.md").read_text())


if __name__ == "__main__":
    main()
