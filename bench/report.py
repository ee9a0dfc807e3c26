"""docs/benchmarks.md and bench/results.json: writing them, and reading back a previous run's
results (growth rows measured earlier are carried with their date)."""

import datetime
import json

from bench import noise
from bench.growth import growth_lines
from bench.harness import Result


def noisy_cell(result: Result) -> str:
    """The table's noisy column: "no", "**yes**", "(measured again)" when it was, "—" when the
    probe did not watch it (carried growth rows, an older results.json)."""
    if result.noisy is None:
        return "—"
    again = " (measured again)" if (result.disturbance or {}).get("remeasured") else ""
    return f"**yes**{again}" if result.noisy else f"no{again}"


def disturbance_lines(results: list[Result]) -> list[str]:
    """Which figures are clean, what noisy means, and which workloads are measured again."""
    watched = [r for r in results if r.noisy is not None]
    if not watched:
        return []
    noisy = [r.workload for r in watched if r.noisy]
    again = [r.workload for r in watched if (r.disturbance or {}).get("remeasured")]
    lines = [
        f"**Disturbance.** {len(watched) - len(noisy)} of the {len(watched)} watched figures "
        "are clean (column *noisy*: no); a noisy one was measured while other work shared the "
        "machine and reads slower than the code is. The probe (`bench/noise.py`) watches each "
        f"workload in a quiet window of {noise.QUIET_SECONDS:g} s before it and during its "
        "measurement. *Foreign CPU* is the machine's busy time (`/proc/stat` user + nice + "
        "system) less the benchmark's own — its process tree (this process and its load "
        "threads, gunicorn and its workers, each job's process) and the servers it uses "
        "(PostgreSQL, whose sessions of other databases count as foreign, and Redis) — and "
        "less the kernel's threads. A workload is **noisy** when the foreign CPU before or "
        f"during it exceeds {noise.FOREIGN_CORES:.0%} of one core, or the hypervisor's steal "
        f"exceeds {noise.STEAL_SHARE:.0%} of the CPU time during it. The JSON gives each "
        "row's `noisy` and readings (`disturbance`: 1-minute load average before and at the "
        "end, foreign and own CPU in cores, steal share, seconds watched); the load average is "
        "context, not a criterion (it counts the benchmark's own threads and lags a minute "
        "behind). Rows marked — were not watched (rows carried from a run before the probe).",
        "",
        "**Measured again.** Each noisy workload is measured once more, later in the run, "
        "and the second measurement is kept if it is clean; otherwise the faster of the two "
        "(a disturbance only slows a measurement down) is kept and stays noisy. Measured "
        "again: the pages and API lists (each of their 1-user, with-think-time and "
        "back-to-back rows) and the mixed loads once all of them are measured (before "
        "`sync.visits` and the soak write visits), `sync.worklist` before the server stops, "
        "the `job.*` rows and each export with its peer and ceiling together at the end of the "
        f"run — each only if its first measurement took ≤ {noise.AGAIN_WITHIN_SECONDS:.0f} s. "
        "Never measured again: `sync.visits` (it records visits: a second run changes the "
        "data), the soak (minutes) and the imports (three imports of 100,000-row files, "
        "minutes) and the growth rows (`--growth`: each step's database is loaded in turn).",
        "",
        "**Ratios side by side.** Every peer and ceiling ratio comes from the same run, "
        "measured right after ours in the same watched window: an export, its xlsxwriter "
        "ceiling and its django-import-export peer one after the other (measured again "
        "together); an import, its peer and `COPY` likewise.",
        "",
    ]
    if noisy:
        lines += ["Noisy (disturbed) figures: " + ", ".join(f"`{w}`" for w in noisy) + ".", ""]
    if again:
        lines += ["Measured again: " + ", ".join(f"`{w}`" for w in again) + ".", ""]
    return lines


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
        " | ceiling (ratio ours/ceiling) | target | met | noisy |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
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
            f"{'—' if r.rate_per_s is None else f'{r.rate_per_s:.1f}'} | {r.peak_mb or '—'} | "
            f"{'—' if r.queries is None else r.queries}"
            f" | {peer} | {ceiling} | {r.target} | {'yes' if r.met else 'NO'} |"
            f" {noisy_cell(r)} |"
        )
    lines += [""]
    lines += disturbance_lines(results)
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
        "from the database beforehand: only the writing is timed. The product's export is "
        "timed after one untimed run in its process (as the ceiling's read warms its own); an "
        "export under a second is timed five times, the median shown, the ceiling likewise. "
        "Each import workload starts from the imported tables compacted (VACUUM FULL) and "
        "each import run from a vacuumed, checkpointed database: the benchmark's imports are "
        "rolled back, and the dead rows they leave would slow the next one.",
        "",
    ]
    path_md.write_text("\n".join(lines), encoding="utf-8")


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
