"""How cost grows with the data: the same measures on 1, 3, 10 and 30 counties in a database of
its own (--growth), and the scheduled runs over every county through one and two real Celery
workers."""

import json
import os
import signal
import subprocess
import sys
import time

from bench.data import GROWTH_PAGE_TARGET, ROOT, ensure_database, manage, vacuum_analyze
from bench.harness import Browser, Result, Server, measure_sequential, run_job, summarise
from bench.noise import Watcher

GROWTH_STEPS = (1, 3, 10, 30)  # counties in the growth database; the first one is measured
GROWTH_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/county_edu_growth"
# Not the main benchmark's cache (14) nor the tests' Redis databases (13, 15).
GROWTH_REDIS_URL = "redis://127.0.0.1:6379/12"
# "Flat": at most this many times the 1× figure (one user on 2 shared cores is noisy).
GROWTH_FLAT = 1.5
# The scheduled runs over every county, through real Celery workers (a chord of one task per
# county): the row's name, the task beat sends, and what it does.
WORKER_RUNS = {
    "monthly_report_all_counties": (
        "dropout.tasks.generate_monthly_reports",
        "last month's report of every county",
    ),
    "daily_dropout_all_counties": (
        "dropout.tasks.daily_dropout_run",
        "the daily absence escalation of every county",
    ),
}
# Two workers should halve one worker's wall time; this much is "halved" on 2 shared cores.
WORKERS_HALVED = 0.6


def _baseline(earlier, lowest: int) -> dict:
    """The "flat" and "near-linear" references from an earlier run's rows at the smallest
    step below `lowest` (when this run measures only the larger steps)."""
    steps: dict[int, dict[str, float]] = {}
    keys = {
        "growth.county_ledger": "page",
        "growth.monthly_report": "report",
        "growth.annual_summary": "annual",
        "growth.monthly_report_all_counties": "everywhere",
    }
    for result in earlier:
        name, _at, step = result.workload.partition("@")
        if name in keys and step.endswith("x") and int(step[:-1]) < lowest:
            value = result.median_s
            if keys[name] == "everywhere":
                value /= int(step[:-1])  # per county
            steps.setdefault(int(step[:-1]), {})[keys[name]] = value
    return dict(steps[min(steps)]) if steps else {}


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


def run_through_workers(task: str, workers: int) -> dict:
    """`task` (a scheduled run: a chord of one task per county) through `workers` real Celery
    workers, each prefork with concurrency 1 and prefetching one task at a time, on the growth
    Redis database (BENCH_REDIS_URL, set by measure_growth; its queue purged first): the wall
    time from sending the task to its summary (bench/chord_run.py). The workers are stopped
    after, whatever happened."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.bench",
        "REDIS_URL": os.environ["BENCH_REDIS_URL"],
    }
    celery = [sys.executable, "-m", "celery", "-A", "config"]
    subprocess.run([*celery, "purge", "-f"], cwd=ROOT, env=env, check=True, capture_output=True)
    log = open(f"/tmp/bench-growth-workers-{os.getpid()}.log", "a")  # noqa: SIM115
    started = []
    try:
        for number in range(workers):
            started.append(
                subprocess.Popen(
                    [
                        *celery,
                        "worker",
                        "--pool=prefork",
                        "--concurrency=1",
                        "--prefetch-multiplier=1",
                        "--loglevel=WARNING",
                        "--without-heartbeat",
                        "--without-gossip",
                        "--without-mingle",
                        "-n",
                        f"growth{number}-{os.getpid()}@%h",
                    ],
                    cwd=ROOT,
                    env=env,
                    stdout=log,
                    stderr=log,
                )
            )
        completed = subprocess.run(
            [sys.executable, str(ROOT / "bench" / "chord_run.py"), task, str(workers)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
        )
        if completed.returncode != 0:
            raise RuntimeError(
                f"{task} through {workers} workers failed:\n{completed.stderr[-3000:]}"
            )
        return json.loads(completed.stdout.strip().splitlines()[-1])
    finally:
        for process in started:
            process.send_signal(signal.SIGTERM)  # warm shutdown: the task at hand finishes
        for process in started:
            try:
                process.wait(timeout=120)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        log.close()


def _worker_runs(data, counties, *, watcher) -> list[Result]:
    """growth.<run>_1worker@Nx and growth.<run>_2workers@Nx: each scheduled run over every county
    through one worker, then two (one untimed run first: the daily run changes what it finds
    on its first pass, then finds the same each time; the reports replace the same snapshots)."""
    results = []
    for name, (task, what) in WORKER_RUNS.items():
        run_through_workers(task, 2)  # warm-up, untimed
        by_workers = {}
        for workers in (1, 2):
            with watcher.watch() as reading:
                run = run_through_workers(task, workers)
            by_workers[workers] = run["seconds"]
            label = "1worker" if workers == 1 else f"{workers}workers"
            one = by_workers[1]
            target = (
                "the 1-worker baseline"
                if workers == 1
                else f"≤ {WORKERS_HALVED}× the 1-worker wall time (halved, on 2 shared cores)"
            )
            results.append(
                reading.mark(
                    Result(
                        workload=f"growth.{name}_{label}@{counties}x",
                        size=f"{data}; {what} through {workers} Celery worker"
                        f"{'s' if workers > 1 else ''} (prefork, concurrency 1 each), a chord of "
                        f"{run['summary']['counties']} county tasks; wall time to the summary",
                        unit="job",
                        median_s=run["seconds"],
                        rate_per_s=1 / run["seconds"],
                        target=target,
                        met=None if workers == 1 else run["seconds"] <= WORKERS_HALVED * one,
                        notes=[f"{workers}w/1w = {run['seconds'] / one:.2f}"]
                        if workers > 1
                        else [],
                    )
                )
            )
            if run["summary"]["failed"]:
                raise RuntimeError(f"{task}: counties failed: {run['summary']['failed']}")
    return results


def _prefecture_overview(port, password, facts, data, counties, *, quick, watcher) -> Result:
    """page.prefecture_overview: the city bureau's overview of every county of the database
    (the demo's prefecture holds them all), one GROUP BY over all their children; its p95 is
    held to the page target at every step, 10 counties included."""
    path = f"/prefecture/{facts['prefecture_pk']}/"
    with watcher.watch() as reading, Server(port) as server:
        browser = Browser(server.base_url, "prefecture", password)
        timings, errors = measure_sequential(browser, path, requests=10 if quick else 30)
    median, p95 = summarise(timings)
    result = Result(
        workload=f"page.prefecture_overview@{counties}x",
        size=f"{data}; one row per county, 1 user",
        median_s=median,
        p95_s=p95,
        rate_per_s=1 / median,
        queries=run_job("page_queries", username="prefecture", path=path)["rows"],
        target=f"p95 ≤ {GROWTH_PAGE_TARGET * 1000:.0f} ms",
        met=errors == 0 and p95 <= GROWTH_PAGE_TARGET,
        notes=[f"{errors} errors"] if errors else [],
    )
    return reading.mark(result)


def measure_growth(
    *,
    scale: str,
    port: int,
    quick: bool,
    password: str,
    watcher: Watcher | None = None,
    steps=GROWTH_STEPS,
    earlier=(),
):
    """growth.*: the first county's ledger page (its bureau user, page of 50), the city
    bureau's overview of every county (page.prefecture_overview), the first county's monthly
    report, and the schedule's report run over every county, with 1, 3 and 10 counties in a
    database of their own. The first county stays as it is while the database grows, so its
    paginated page and its report should stay flat; the run over every county grows with the
    counties (near-linear at worst). Counties are added by `seed_demo --counties N` (at county
    scale the city scale's loader), which keeps those present; a database left with more
    counties than the first step (an earlier run) is dropped first. Returns the results and
    each step's load time in seconds. Each measurement is watched for disturbance
    (bench/noise.py: `watcher`), never measured again. At every step of more than one county,
    the schedule's report run and daily absence escalation also go through one, then two real
    Celery workers (_worker_runs). `steps`: a subset of GROWTH_STEPS may be measured (the
    database then grows from what it holds, up to the first step); "flat" and "near-linear"
    are then judged against `earlier` rows (an earlier run's) at a smaller step."""
    watcher = watcher or Watcher(None)
    url = os.environ.get("BENCH_GROWTH_DATABASE_URL", GROWTH_DATABASE_URL)
    saved = {name: os.environ.get(name) for name in ("BENCH_DATABASE_URL", "BENCH_REDIS_URL")}
    # The subprocesses (manage.py, jobs, gunicorn) read the database and cache from here.
    os.environ["BENCH_DATABASE_URL"] = url
    os.environ["BENCH_REDIS_URL"] = os.environ.get("BENCH_GROWTH_REDIS_URL", GROWTH_REDIS_URL)
    loader_scale = "city" if scale == "county" else scale
    repeats = 1 if quick else 3
    results, loads, first = [], {}, _baseline(earlier, steps[0])
    try:
        drop_grown_database(url, steps[0])
        ensure_database(url)
        manage("migrate", "--noinput")
        for counties in steps:
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
            with watcher.watch() as reading, Server(port) as server:
                browser = Browser(server.base_url, "bureau", password)
                timings, errors = measure_sequential(browser, path, requests=10 if quick else 30)
            median, p95 = summarise(timings)
            first.setdefault("page", median)
            results.append(
                reading.mark(
                    Result(
                        workload=f"growth.county_ledger@{counties}x",
                        size=f"{data}; the first county's ledger "
                        f"({facts['county_children']:,} children), page of 50, 1 user",
                        median_s=median,
                        p95_s=p95,
                        rate_per_s=1 / median,
                        queries=run_job("page_queries", username="bureau", path=path)["rows"],
                        target=f"p95 ≤ {GROWTH_PAGE_TARGET * 1000:.0f} ms; flat: median ≤ "
                        f"{GROWTH_FLAT}× the 1× one",
                        met=errors == 0
                        and p95 <= GROWTH_PAGE_TARGET
                        and median <= GROWTH_FLAT * first["page"],
                        notes=[f"{errors} errors"] if errors else [],
                    )
                )
            )
            if facts["prefecture_pk"]:
                results.append(
                    _prefecture_overview(
                        port, password, facts, data, counties, quick=quick, watcher=watcher
                    )
                )
            with watcher.watch() as reading:
                report = _median_job(
                    repeats, "monthly_report", username="bureau", county_pk=facts["county_pk"]
                )
            first.setdefault("report", report["seconds"])
            results.append(
                reading.mark(
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
            )
            with watcher.watch() as reading:
                annual = _median_job(
                    repeats, "annual_summary", username="bureau", county_pk=facts["county_pk"]
                )
            first.setdefault("annual", annual["seconds"])
            results.append(
                reading.mark(
                    Result(
                        workload=f"growth.annual_summary@{counties}x",
                        size=f"{data}; the first county's annual summary "
                        f"({facts['county_children']:,} children)",
                        unit="job",
                        median_s=annual["seconds"],
                        rate_per_s=1 / annual["seconds"],
                        peak_mb=annual["peak_mb"],
                        queries=annual["queries"],
                        target=f"≤ 10 s, ≤ 300 queries; flat: ≤ {GROWTH_FLAT}× the 1× one",
                        met=annual["seconds"] <= 10
                        and annual["queries"] <= 300
                        and annual["seconds"] <= GROWTH_FLAT * first["annual"],
                    )
                )
            )
            with watcher.watch() as reading:
                everywhere = _median_job(repeats, "monthly_report_everywhere", username="bureau")
            first.setdefault("everywhere", everywhere["seconds"] / counties)
            results.append(
                reading.mark(
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
            )
            if counties > 1:
                results += _worker_runs(data, counties, watcher=watcher)
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    return results, loads


def line_fit(points: dict[int, float]) -> tuple[float, float]:
    """Least squares: (intercept, slope) of seconds against counties."""
    n = len(points)
    mean_x = sum(points) / n
    mean_y = sum(points.values()) / n
    spread = sum((x - mean_x) ** 2 for x in points)
    slope = sum((x - mean_x) * (y - mean_y) for x, y in points.items()) / spread if spread else 0
    return mean_y - slope * mean_x, slope


PROVINCE = 100  # counties: the estimate the growth section makes from the measured curve


def growth_lines(results, duration, *, measured=None, carried=False) -> list[str]:
    """How each growth workload's cost grew from the smallest to the largest database, the
    estimate at a province's 100 counties from a line fit of the measured points, and what two
    Celery workers did to the scheduled runs' wall time; `measured`: the date the growth rows
    were measured, `carried`: by an earlier run."""
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
    counts = sorted({step for by_step in steps.values() for step in by_step})
    lines = [
        "Growth (`--growth`, a database of its own loaded with "
        + ", then ".join(str(step) for step in counts)
        + f" counties; the first county stays the same{when}): cost at the largest step against "
        f"the smallest, and an **estimate** at {PROVINCE} counties (a province) from a least-"
        "squares line through the measured points (an extrapolation, not a measurement).",
        "",
    ]
    for name, by_step in steps.items():
        if len(by_step) < 2:  # one step (the workers' rows: their ratio is below)
            continue
        low, high = min(by_step), max(by_step)
        before, after = by_step[low].median_s, by_step[high].median_s
        shape = f"linear would be {high / low:.0f}" if "all_counties" in name else "flat would be 1"
        line = (
            f"- `{name}`: {duration(before)} at {low}× → {duration(after)} at {high}×, "
            f"ratio {high}×/{low}× = {after / before:.2f} ({shape})"
        )
        intercept, slope = line_fit({step: r.median_s for step, r in by_step.items()})
        line += f"; estimate at {PROVINCE}×: {duration(max(intercept + slope * PROVINCE, 0))}"
        lines.append(line + ".")
    workers = []
    for name, by_step in steps.items():
        if not name.endswith("_2workers"):
            continue
        one = steps.get(name[: -len("_2workers")] + "_1worker", {})
        for step in sorted(by_step):
            if step in one:
                ratio = by_step[step].median_s / one[step].median_s
                workers.append(
                    f"- `{name[: -len('_2workers')]}` at {step}×: 1 worker "
                    f"{duration(one[step].median_s)}, 2 workers "
                    f"{duration(by_step[step].median_s)}: ratio 2/1 = {ratio:.2f} "
                    f"(halved would be 0.50)."
                )
    if workers:
        lines += [
            "",
            "The scheduled runs over every county through real Celery workers (a chord of one "
            "task per county; each worker prefork, concurrency 1; wall time from sending the run "
            "to its summary):",
            "",
            *workers,
        ]
    return lines + [""]
