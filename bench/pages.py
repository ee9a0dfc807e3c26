"""Pages and API lists measured as people use them: one user, fifty at once, a mixed crowd with
think time, and a long soak."""

import datetime
import threading
import time
from urllib.parse import quote

from bench.data import (
    MIXED_TARGET,
    PAGE_TARGET_1,
    PAGE_TARGET_50,
    QUERY_TARGET,
    SATURATION_TARGET,
    query_count,
)
from bench.harness import (
    THINK_TIME,
    Browser,
    Result,
    measure_concurrent,
    measure_sequential,
    summarise,
)
from bench.noise import Watcher


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
        ("page.risk_list", "township1", "/risk/", "the township's high-risk children, page of 50"),
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


def measure_pages(
    server, targets, *, quick: bool, password: str, crowd=None, watcher: Watcher | None = None
) -> list[Result]:
    """Each page at 1 user (back to back), at `users` users with think time (the @50 target),
    and at the same users back to back (@50_no_think: the saturation throughput); each of the
    three watched for disturbance on its own (bench/noise.py) and measurable again."""
    results = []
    watcher = watcher or Watcher(None)
    sequential = 10 if quick else 30
    plan = load_plan(quick)
    concurrency, think = plan["users"], plan["think"]
    browsers = {}
    for name in ("township1", "school1", "bureau"):
        browsers[name] = Browser(server.base_url, name, password)
    crowd = crowd or log_in_crowd(server, quick=quick, password=password)
    for index, (workload, username, path, size) in enumerate(page_workloads(targets)):
        queries = query_count(username, path)

        def one_user(workload=workload, username=username, path=path, size=size, queries=queries):
            timings, errors = measure_sequential(browsers[username], path, requests=sequential)
            median, p95 = summarise(timings)
            met = p95 <= PAGE_TARGET_1 and queries <= QUERY_TARGET and errors == 0
            return Result(
                workload=workload,
                size=f"{size}; 1 user",
                median_s=median,
                p95_s=p95,
                rate_per_s=1 / median,
                queries=queries,
                target=f"p95 ≤ {PAGE_TARGET_1 * 1000:.0f} ms, ≤ {QUERY_TARGET} queries",
                met=met,
            )

        def with_think(
            workload=workload, username=username, path=path, size=size, queries=queries, seed=index
        ):
            timings, errors, rate = measure_concurrent(
                crowd[username], path, requests_each=plan["each"], think=think, seed=seed
            )
            median, p95 = summarise(timings)
            return Result(
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

        def back_to_back(
            workload=workload, username=username, path=path, size=size, queries=queries
        ):
            timings, errors, rate = measure_concurrent(
                crowd[username], path, requests_each=plan["each_no_think"]
            )
            median, p95 = summarise(timings)
            return Result(
                workload=f"{workload}@{concurrency}_no_think",
                size=f"{size}; {concurrency} users back to back, no think time: saturation "
                f"throughput {rate:.1f} requests/s",
                median_s=median,
                p95_s=p95,
                rate_per_s=rate,
                queries=queries,
                target=f"≥ {SATURATION_TARGET:.0f} requests/s, 0 errors",
                met=errors == 0 and rate >= SATURATION_TARGET,
                notes=[f"{errors} errors"] if errors else [],
            )

        for measure in (one_user, with_think, back_to_back):
            results.append(watcher.measure(measure))
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
            target=f"0 errors, p95 ≤ {MIXED_TARGET * 1000:.0f} ms",
            met=errors[0] == 0 and p95 <= MIXED_TARGET,
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
