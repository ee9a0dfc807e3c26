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
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.bench")

# After the path and the settings: the modules below import the project. (growth_lines is not
# used here: tests/test_bench_smoke.py imports it from this module.)
from bench.data import ROOT, build_data, targets_of  # noqa: E402
from bench.growth import growth_lines, measure_growth  # noqa: E402, F401
from bench.harness import Result, Server  # noqa: E402
from bench.job_measures import measure_exports, measure_import, measure_jobs  # noqa: E402
from bench.pages import (  # noqa: E402
    load_plan,
    log_in_crowd,
    measure_mixed_load,
    measure_pages,
    measure_soak,
)
from bench.report import carried_growth, previous_results, write_outputs  # noqa: E402
from bench.sync_visits import measure_sync_visits  # noqa: E402


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
        print("Measuring sync.visits…", flush=True)
        try:
            results.append(
                measure_sync_visits(
                    server.base_url,
                    password,
                    officials=10 if args.quick else 50,
                    visits_each=5 if args.quick else 20,
                )
            )
        except RuntimeError as error:  # reported, not hidden: the rest of the figures still count
            print(f"sync.visits benchmark failed: {error}", flush=True)
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
