"""Is a workload measured while something else uses the machine? A disturbance probe around
each measurement, and the rule that measures a disturbed ("noisy") workload once more.

What the probe reads (Linux /proc; CPU times in clock ticks, shown in cores: CPU-seconds per
second of wall time):

- **Foreign CPU**: the machine's busy time (`/proc/stat`, user + nice + system of every CPU)
  minus the benchmark's own and the kernel's threads'. The benchmark's own is its process tree
  (the bench process with its load threads, the gunicorn server and its workers, each job's
  process; a child that ends inside the window counts through its parent's reaped-children
  time) plus the servers it uses: PostgreSQL (every server process; a session counts as
  foreign when its process title names another database than the benchmark's) and Redis.
  Kernel threads (kworker, ksoftirqd…) work for whoever does I/O and count on neither side.
  A PostgreSQL session of another database that *ends* inside the window is reaped by the
  postmaster and its time in the window counts as own: the probe errs towards "clean" there.
- **Steal**: `/proc/stat`'s steal column, the share of all CPU time the hypervisor gave to
  other guests.
- **Load average** (1 minute, `/proc/loadavg`) before and at the end of the workload:
  recorded as context, not a criterion — it counts the benchmark's own threads and decays over
  a minute, so after a saturation run it stays high while the machine is already quiet.

Each workload is watched in two windows: a quiet `before` window (QUIET_SECONDS with the
benchmark idle) and `during` its measurement. It is **noisy** when the foreign CPU of either
window exceeds FOREIGN_CORES of one core, or steal exceeds STEAL_SHARE of the CPU time during it.
"""

import os
import re
import time
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from bench.harness import Result

FOREIGN_CORES = 0.10  # foreign CPU above 10% of one core, before or during: noisy
STEAL_SHARE = 0.05  # more than 5% of the CPU time stolen by the hypervisor during: noisy
QUIET_SECONDS = 1.0  # the `before` window (shorter ones read /proc/stat's ticks unevenly)
# A noisy workload is measured once more at the end only if its first measurement took at
# most this long (seconds): the pages, API lists, jobs and the smaller exports.
AGAIN_WITHIN_SECONDS = 120.0
SERVER_COMMANDS = frozenset({"postgres", "postmaster", "redis-server"})
TICKS = os.sysconf("SC_CLK_TCK")
PROC = Path("/proc")

# A PostgreSQL session's process title: "postgres: [cluster: ]user database host(port) state".
_BACKEND = re.compile(r"^postgres: (?:\S+: )?(\S+) (\S+) (?:\S+\(\d+\)|\[local\])(?: |$)")


def backend_database(title: str) -> str | None:
    """The database a PostgreSQL session serves, from its process title; None for the
    server's own processes (checkpointer, WAL writer, autovacuum…)."""
    match = _BACKEND.match(title)
    return match.group(2) if match else None


@dataclass(frozen=True)
class Proc:
    ppid: int
    comm: str
    ticks: int  # utime + stime + cutime + cstime: its own and its reaped children's
    title: str = ""


@dataclass
class Snapshot:
    at: float  # time.monotonic()
    busy: int  # /proc/stat user + nice + system, every CPU
    steal: int
    total: int  # every column
    load: float  # 1-minute load average
    procs: dict[tuple[int, int], Proc]  # (pid, start time) -> Proc: a reused pid is another


def _cpu_line(text: str) -> tuple[int, int, int]:
    values = [int(value) for value in text.split()[1:]]
    user, nice, system = values[0], values[1], values[2]
    steal = values[7] if len(values) > 7 else 0
    # guest and guest_nice (columns 9-10) are already inside user and nice.
    total = sum(values[:8])
    return user + nice + system, steal, total


def _read_proc(pid: str) -> tuple[tuple[int, int], Proc] | None:
    try:
        text = (PROC / pid / "stat").read_text()
    except OSError:  # ended meanwhile
        return None
    comm = text[text.index("(") + 1 : text.rindex(")")]
    fields = text[text.rindex(")") + 2 :].split()
    # fields[0] is the state (stat field 3): ppid 4, utime 14, stime 15, cutime 16, cstime 17,
    # starttime 22.
    ticks = sum(int(value) for value in fields[11:15])
    title = ""
    if comm in SERVER_COMMANDS:
        try:
            title = (PROC / pid / "cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
        except (OSError, UnicodeDecodeError):
            pass
    return (int(pid), int(fields[19])), Proc(int(fields[1]), comm, ticks, title)


def snapshot() -> Snapshot:
    busy, steal, total = _cpu_line((PROC / "stat").read_text().splitlines()[0])
    load = float((PROC / "loadavg").read_text().split()[0])
    procs = {}
    for entry in os.listdir(PROC):
        if entry.isdigit() and (read := _read_proc(entry)):
            procs[read[0]] = read[1]
    return Snapshot(time.monotonic(), busy, steal, total, load, procs)


def _tree(procs: dict, roots: Collection[int]) -> set[tuple[int, int]]:
    children: dict[int, list[tuple[int, int]]] = {}
    for key, proc in procs.items():
        children.setdefault(proc.ppid, []).append(key)
    found = {key for key in procs if key[0] in roots}
    stack = [key[0] for key in found]
    while stack:
        for child in children.get(stack.pop(), ()):
            if child not in found:
                found.add(child)
                stack.append(child[0])
    return found


def classify(
    procs: dict, *, own_pids: Collection[int], own_databases: Collection[str] | None
) -> tuple[set, set]:
    """(own, kernel) process keys of a snapshot: the trees of `own_pids` and of the servers
    (PostgreSQL, Redis) less PostgreSQL sessions of other databases; the kernel's threads."""
    kernel = {key for key, proc in procs.items() if key[0] == 2 or proc.ppid == 2}
    servers = [key[0] for key, proc in procs.items() if proc.comm in SERVER_COMMANDS]
    own = _tree(procs, set(own_pids)) | _tree(procs, set(servers))
    if own_databases is not None:
        own -= {
            key
            for key in own
            if procs[key].comm in SERVER_COMMANDS
            and (database := backend_database(procs[key].title)) is not None
            and database not in own_databases
            and key[0] not in own_pids
        }
    return own - kernel, kernel


def ticks_of(start: Snapshot, end: Snapshot, keys: set, *, reaped: bool = True) -> int:
    """CPU ticks spent inside the window by the processes `keys` (keys of `end`). A process of
    `start` gone by `end` was reaped by its parent, whose reaped-children time then holds its
    whole life: its ticks before the window are taken back from the parent's share
    (reaped=False: not for kernel threads, whose parent collects no such time)."""
    spent = sum(end.procs[key].ticks - start.procs.get(key, Proc(0, "", 0)).ticks for key in keys)
    if not reaped:
        return max(spent, 0)
    pids = {key[0]: key for key in keys}
    for key, proc in start.procs.items():
        if key not in end.procs and proc.ppid in pids:
            parent = pids[proc.ppid]
            if parent in start.procs:  # the same parent as at the start, not a reused pid
                spent -= proc.ticks
    return max(spent, 0)


@dataclass
class Window:
    seconds: float
    foreign_cpu: float  # cores
    own_cpu: float  # cores
    busy_cpu: float  # cores, the whole machine
    kernel_cpu: float  # cores, the kernel's threads
    steal: float  # share of the CPU time
    load_start: float
    load_end: float


@dataclass
class Reading:
    """What the probe saw around one workload (filled when its `watch` ends)."""

    before: Window | None = None
    during: Window | None = None
    noisy: bool | None = None
    thresholds: dict = field(default_factory=dict)

    def as_json(self) -> dict:
        before, during = self.before, self.during
        return {
            "load_before": before.load_start,
            "load_during": during.load_end,
            "foreign_cpu_before": round(before.foreign_cpu, 3),
            "foreign_cpu_during": round(during.foreign_cpu, 3),
            "own_cpu_during": round(during.own_cpu, 3),
            "steal_during": round(during.steal, 4),
            "seconds": round(during.seconds, 2),
        }

    def mark(self, result: Result) -> Result:
        if self.during is None:  # not watched (Watcher(None)): left as it is
            return result
        result.noisy = self.noisy
        result.disturbance = self.as_json()
        return result


class Probe:
    """Watches the machine around a workload. `own_pids`: the roots of the benchmark's process
    tree (default: this process); `own_databases`: the databases whose PostgreSQL sessions are
    the benchmark's (None: every session). `foreign_pids`: count only these processes' trees
    as the rest of the machine instead of everything that is not the benchmark's (a machine
    whose other users are known; the tests, on a machine shared with other test runs)."""

    def __init__(
        self,
        *,
        own_pids: Collection[int] | None = None,
        own_databases: Collection[str] | None = None,
        foreign_pids: Collection[int] | None = None,
        foreign_cores: float = FOREIGN_CORES,
        steal_share: float = STEAL_SHARE,
        quiet_seconds: float = QUIET_SECONDS,
    ):
        self.own_pids = set(own_pids or [os.getpid()])
        self.own_databases = None if own_databases is None else set(own_databases)
        self.foreign_pids = None if foreign_pids is None else set(foreign_pids)
        self.foreign_cores, self.steal_share = foreign_cores, steal_share
        self.quiet_seconds = quiet_seconds

    def window(self, start: Snapshot, end: Snapshot) -> Window:
        seconds = max(end.at - start.at, 1e-6)
        own, kernel = classify(end.procs, own_pids=self.own_pids, own_databases=self.own_databases)
        own_ticks = ticks_of(start, end, own)
        busy = end.busy - start.busy
        kernel_ticks = ticks_of(start, end, kernel, reaped=False)
        if self.foreign_pids is None:
            foreign = busy - own_ticks - kernel_ticks
        else:
            foreign = ticks_of(start, end, _tree(end.procs, self.foreign_pids) - own)
        total = end.total - start.total
        return Window(
            seconds=seconds,
            foreign_cpu=max(foreign, 0) / TICKS / seconds,
            own_cpu=own_ticks / TICKS / seconds,
            busy_cpu=busy / TICKS / seconds,
            kernel_cpu=kernel_ticks / TICKS / seconds,
            steal=(end.steal - start.steal) / total if total > 0 else 0.0,
            load_start=start.load,
            load_end=end.load,
        )

    @contextmanager
    def watch(self) -> Iterator[Reading]:
        """Around one workload's measurement: a quiet window first, then the measurement."""
        reading = Reading(
            thresholds={"foreign_cores": self.foreign_cores, "steal_share": self.steal_share}
        )
        first = snapshot()
        time.sleep(self.quiet_seconds)
        start = snapshot()
        yield reading
        end = snapshot()
        reading.before, reading.during = self.window(first, start), self.window(start, end)
        reading.noisy = (
            max(reading.before.foreign_cpu, reading.during.foreign_cpu) > self.foreign_cores
            or reading.during.steal > self.steal_share
        )


def faster(result: Result) -> float:
    """What "better" means between two disturbed measurements of a workload: the faster one
    (a disturbance only slows a measurement down) — its p95, or its median if it has none."""
    return result.p95_s if result.p95_s is not None else (result.median_s or float("inf"))


def keep(first: Result, again: Result) -> Result:
    """Of a noisy measurement and the one taken again: the second if it is clean; if both are
    noisy, the faster, still marked noisy."""
    chosen = again if not again.noisy else min(first, again, key=faster)
    chosen.disturbance = {
        **(chosen.disturbance or {}),
        "remeasured": True,
        "kept": "second" if chosen is again else "first",
    }
    return chosen


class Watcher:
    """Measures workloads under a probe (None: unwatched, `noisy` stays None) and keeps how to
    measure each again: `again=False` for those never measured twice (a second run would change
    the data, or takes minutes), and none whose first measurement took longer than
    `again_within` seconds."""

    def __init__(self, probe: Probe | None, *, again_within: float = AGAIN_WITHIN_SECONDS):
        self.probe, self.again_within = probe, again_within
        self.measures: dict[str, Callable[[], Result]] = {}

    @contextmanager
    def watch(self) -> Iterator[Reading]:
        """The probe's watch, for a measurement never measured again (mark its results with
        the reading); without a probe a reading that marks nothing."""
        if self.probe is None:
            yield Reading()
        else:
            with self.probe.watch() as reading:
                yield reading

    def measure(self, measure: Callable[[], Result | list[Result]], *, again: bool = True):
        """The measure's result (or results: a group measured together, e.g. an import with
        its peer), marked with the probe's reading."""
        if self.probe is None:
            return measure()
        with self.probe.watch() as reading:
            measured = measure()
        for result in measured if isinstance(measured, list) else [measured]:
            reading.mark(result)
            if again and reading.during.seconds <= self.again_within:
                self.measures[result.workload] = measure
        return measured

    def measure_again(self, results: list[Result]) -> list[Result]:
        """Each noisy result that can be measured again, measured once more, in place: the
        second measurement kept if it is clean, else the faster of the two (still noisy)."""
        for index, result in enumerate(results):
            measure = self.measures.pop(result.workload, None)
            if not (result.noisy and measure):
                continue
            print(f"Measuring {result.workload} again (noisy)…", flush=True)
            try:
                measured = self.measure(measure, again=False)
            except RuntimeError as error:  # reported, the first measurement stays
                result.notes.append(f"measured again: failed: {error}")
                continue
            again = [
                other
                for other in (measured if isinstance(measured, list) else [measured])
                if other.workload == result.workload
            ]
            if again:
                results[index] = keep(result, again[0])
        return results
