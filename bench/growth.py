"""How cost grows with the data: the same measures on 1, 3 and 10 counties in a database of its
own (--growth)."""

import os
import time

from bench.data import PAGE_TARGET_1, ensure_database, manage, vacuum_analyze
from bench.harness import Browser, Result, Server, measure_sequential, run_job, summarise

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
