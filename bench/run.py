"""`make bench`: build the county-scale data set once in its own PostgreSQL database, then
measure pages, API lists and jobs, and write docs/benchmarks.md and bench/results.json.

    python bench/run.py [--scale county] [--port 8799] [--quick] [--growth | --growth-only]
                        [--only jobs,imports,exports]

--growth also measures how cost grows with the data (1×, 3×, 10× and 30× the county, in a
database of its own: BENCH_GROWTH_DATABASE_URL, default county_edu_growth); --growth-only
measures only that and adds it to the results already written (--growth-steps: some steps
only, the others kept from the earlier run). A run without either keeps the growth rows the
previous results.json holds, marked with the date they were measured. --only measures some
groups of workloads again (after a change to them) and keeps every other row of the earlier run.
"""

import argparse
import datetime
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.bench")

# After the path and the settings: the modules below import the project. (growth_lines is not
# used here: tests/test_bench_smoke.py imports it from this module.)
from bench.data import ROOT, build_data, targets_of  # noqa: E402
from bench.growth import GROWTH_STEPS, growth_lines, measure_growth  # noqa: E402, F401
from bench.harness import Result, Server  # noqa: E402
from bench.job_measures import (  # noqa: E402
    measure_exports,
    measure_import,
    measure_jobs,
    measure_roster_import,
)
from bench.noise import Probe, Watcher  # noqa: E402
from bench.pages import (  # noqa: E402
    load_plan,
    log_in_crowd,
    measure_mixed_load,
    measure_pages,
    measure_soak,
)
from bench.report import carried_growth, previous_results, write_outputs  # noqa: E402
from bench.sync_visits import measure_sync_visits, measure_worklist  # noqa: E402


def own_databases() -> set[str]:
    """The databases whose PostgreSQL sessions are the benchmark's own (bench/noise.py): the
    benchmark's and the growth measurement's."""
    from django.conf import settings

    from bench.growth import GROWTH_DATABASE_URL

    growth = os.environ.get("BENCH_GROWTH_DATABASE_URL", GROWTH_DATABASE_URL)
    return {settings.DATABASES["default"]["NAME"], growth.rsplit("/", 1)[1]}


def measure_main(args, password) -> tuple[list[Result], dict]:
    """Every workload watched for disturbance (bench/noise.py); the noisy ones measured once
    more: the pages, API lists and mixed loads after the mixed loads (before anything writes
    to what they read), sync.worklist before the server stops, the jobs and exports at the
    very end."""
    print(f"Building the {args.scale} data set (once)…", flush=True)
    data = build_data(args.scale)
    print(data["output"], flush=True)
    targets = targets_of(None)
    results = []
    data["load_plan"] = load_plan(args.quick)
    watcher = Watcher(Probe(own_pids=[os.getpid()], own_databases=own_databases()))
    with Server(args.port) as server:
        print("Measuring pages…", flush=True)
        crowd = log_in_crowd(server, quick=args.quick, password=password)
        results += measure_pages(
            server, targets, quick=args.quick, password=password, crowd=crowd, watcher=watcher
        )
        for think in (True, False):

            def mixed(think=think):
                result = measure_mixed_load(
                    server, targets, quick=args.quick, password=password, think=think, crowd=crowd
                )
                result.peak_mb = server.worker_peak_mb()
                return result

            results.append(watcher.measure(mixed))
        # The noisy pages again now: sync.visits and the soak below write visits, which leave
        # the visited villages' cached summaries stale.
        watcher.measure_again(results)
        print("Measuring sync.visits…", flush=True)
        try:  # never measured again: it records visits
            results.append(
                watcher.measure(
                    lambda: measure_sync_visits(
                        server.base_url,
                        password,
                        officials=10 if args.quick else 50,
                        visits_each=5 if args.quick else 20,
                    ),
                    again=False,
                )
            )
        except RuntimeError as error:  # reported, not hidden: the rest of the figures still count
            print(f"sync.visits benchmark failed: {error}", flush=True)
        print("Measuring sync.worklist…", flush=True)
        results.append(
            watcher.measure(
                lambda: measure_worklist(server.base_url, password, requests=3 if args.quick else 5)
            )
        )
        if args.soak_seconds:
            print(f"Soak: 50 users for {args.soak_seconds} s…", flush=True)
            results.append(
                watcher.measure(
                    lambda: measure_soak(
                        server, targets, seconds=args.soak_seconds, password=password
                    ),
                    again=False,
                )
            )
        watcher.measure_again(results)  # sync.worklist, while the server runs
    print("Measuring jobs…", flush=True)
    results += measure_jobs(targets, watcher=watcher)
    print("Measuring the import…", flush=True)
    try:  # never measured again: three imports of 100,000-row files each
        results += watcher.measure(lambda: measure_import(targets), again=False)
        results += watcher.measure(lambda: measure_roster_import(targets), again=False)
    except RuntimeError as error:  # reported, not hidden: the rest of the figures still count
        print(f"import benchmark failed: {error}", flush=True)
    print("Measuring exports…", flush=True)
    results += measure_exports(targets, quick=args.quick, watcher=watcher)
    watcher.measure_again(results)  # the jobs and exports
    return results, data


# The groups `--only` measures again, each with what measure_main measures of it.
ONLY_GROUPS = ("jobs", "imports", "exports")


def measure_only(args, groups: set[str]) -> list[Result]:
    """Some groups of workloads again, on the data set an earlier run built, watched and
    measured again when disturbed as in a whole run."""
    build_data(args.scale)  # already there: checked, vacuumed and checkpointed
    targets = targets_of(None)
    watcher = Watcher(Probe(own_pids=[os.getpid()], own_databases=own_databases()))
    results = []
    if "jobs" in groups:
        results += measure_jobs(targets, watcher=watcher)
    if "imports" in groups:
        results += watcher.measure(lambda: measure_import(targets), again=False)
        results += watcher.measure(lambda: measure_roster_import(targets), again=False)
    if "exports" in groups:
        results += measure_exports(targets, quick=args.quick, watcher=watcher)
    watcher.measure_again(results)
    return results


def merged(earlier: list[Result], fresh: list[Result], note: str) -> list[Result]:
    """The earlier rows with the fresh ones in their places (new workloads at the end), each
    fresh row's size saying when and how it was measured."""
    by_name = {result.workload: result for result in fresh}
    for result in fresh:
        result.size += note
    rows = [by_name.pop(result.workload, result) for result in earlier]
    return rows + list(by_name.values())


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
        "run over every county, at 1×, 3×, 10× and 30× the county (BENCH_GROWTH_DATABASE_URL)",
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
    parser.add_argument(
        "--growth-steps",
        default=",".join(str(step) for step in GROWTH_STEPS),
        help="the growth steps to measure, in counties (default: all of them); with "
        "--growth-only, an earlier run's rows at the other steps are kept",
    )
    parser.add_argument(
        "--only",
        default="",
        help=f"measure only these groups again ({', '.join(ONLY_GROUPS)}; comma-separated) on "
        "the data set an earlier run built; every other row is kept from its results.json",
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
    if args.only:
        groups = set(args.only.split(","))
        if not groups <= set(ONLY_GROUPS):
            parser.error(f"--only: each one of {', '.join(ONLY_GROUPS)}")
        scale, earlier, data = previous_results(output / "bench" / "results.json")
        fresh = measure_only(args, groups)
        today = datetime.date.today().isoformat()
        results = merged(earlier, fresh, f" (measured again {today}: --only {args.only})")
        growth, carried = carried_growth(output / "bench" / "results.json")
        results += growth
        data.update(carried)
    elif args.growth_only:
        scale, results, data = previous_results(output / "bench" / "results.json")
        scale = scale or args.growth_scale
    else:
        results, data = measure_main(args, DEMO_PASSWORD)
        if not args.growth:  # keep the growth rows an earlier run measured, marked so
            growth, carried = carried_growth(output / "bench" / "results.json")
            results += growth
            data.update(carried)
    if args.growth or args.growth_only:
        steps = tuple(sorted(int(step) for step in args.growth_steps.split(",")))
        if not set(steps) <= set(GROWTH_STEPS):
            parser.error(f"--growth-steps: each one of {GROWTH_STEPS}")
        earlier, carried = carried_growth(output / "bench" / "results.json")
        kept = [r for r in earlier if int(r.workload.rsplit("@", 1)[1][:-1]) not in steps]
        for result in kept:  # an earlier run's rows at the steps not measured now
            result.size += f" (measured {carried['growth_date']} by an earlier run)"
        growth, data["growth_loads"] = measure_growth(
            scale=args.growth_scale,
            port=args.port,
            quick=args.quick,
            password=DEMO_PASSWORD,
            watcher=Watcher(Probe(own_pids=[os.getpid()], own_databases=own_databases())),
            steps=steps,
            earlier=earlier,
        )
        for counties, seconds in carried.get("growth_loads", {}).items():
            if int(counties) not in steps:
                data["growth_loads"].setdefault(int(counties), seconds)
        data["growth_loads"] = dict(sorted(data["growth_loads"].items()))
        data["growth_date"] = datetime.date.today().isoformat()
        results += kept + growth
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
