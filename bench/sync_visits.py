"""我的走访 under load.

`sync.visits`: officials back from a trip syncing their queued offline visits at once, as the
app does: each official's queue goes in order in one or a few batches (POST
/api/v1/visit-sync/batch/, each entry with its own client_entry as idempotency key); then some
batches are sent again whole, as a flaky connection does. The time per visit is a request's
time divided by the visits in it; every error and every duplicate (a visit recorded twice) is
counted.

`sync.worklist`: the download a township official makes before a trip
(/api/v1/visit-worklist/): its time, and its size as nginx sends it — gzip at nginx's level
(deploy/nginx.conf sets no gzip_comp_level: nginx's default, 1).
"""

import gzip
import json
import threading
import time
import urllib.error
import urllib.request
import uuid

from .harness import Browser, Result, percentile

TARGET_P95_S = 0.3
WORKLIST = "/api/v1/visit-worklist/"
BATCH = "/api/v1/visit-sync/batch/"
WORKLIST_TARGET_BYTES = 2 * 1024 * 1024
WORKLIST_TARGET_S = 2.0
NGINX_GZIP_LEVEL = 1  # nginx's default gzip_comp_level (deploy/nginx.conf sets none)


def _get(browser: Browser, path: str) -> tuple[bytes, float]:
    started = time.perf_counter()
    with browser.opener.open(f"{browser.base_url}{path}", timeout=120) as response:
        body = response.read()
    return body, time.perf_counter() - started


def _post_batch(browser: Browser, entries: list, *, csrf: str) -> tuple[int, float, list]:
    request = urllib.request.Request(
        f"{browser.base_url}{BATCH}",
        data=json.dumps({"entries": entries}).encode(),
        headers={
            "Content-Type": "application/json",
            "X-CSRFToken": csrf,
            "Referer": f"{browser.base_url}/visits/",
            "Accept": "application/json",
        },
    )
    started = time.perf_counter()
    try:
        with browser.opener.open(request, timeout=300) as response:
            body = response.read()
            status = response.status
    except urllib.error.HTTPError as error:
        body, status = b"", error.code
    seconds = time.perf_counter() - started
    results = json.loads(body)["results"] if status == 200 else []
    return status, seconds, results


def measure_sync_visits(
    base_url: str,
    password: str,
    *,
    username: str = "township1",
    officials: int = 50,
    visits_each: int = 20,
    batches_each: int = 1,
    retried_each: int = 1,
) -> Result:
    """`officials` sessions of `username` (as the page load's crowd) each sync `visits_each`
    queued visits of children of the worklist in `batches_each` batches, all officials at
    once; then each sends its first `retried_each` batches again, whole (those entries must
    be replayed, not recorded again). Visits found on the server beyond one per entry are
    duplicates; an entry not answered `synced` is an error."""
    from enrollment.models import HouseholdVisit

    crowd = [Browser(base_url, username, password) for _ in range(officials)]
    children = json.loads(_get(crowd[0], WORKLIST)[0])["children"]
    if not children:
        raise RuntimeError(f"the worklist of {username} is empty")
    tokens = [json.loads(_get(b, "/api/v1/visit-session/")[0])["csrf_token"] for b in crowd]
    run = uuid.uuid4().hex[:10]
    today = time.strftime("%Y-%m-%d")
    size = -(-visits_each // batches_each)
    queues = []  # per official: its batches, in order
    for official in range(officials):
        entries = []
        for number in range(visits_each):
            child = children[(official * visits_each + number) % len(children)]
            entries.append(
                {
                    "client_entry": f"bench-{run}-{official}-{number}",
                    "child": child["id"],
                    "seen_version": child["state"]["version"],
                    "visit_date": today,
                    "visitors": "基准测试",
                    "teacher_visitors": number % 2,
                    "findings": f"bench sync {run} {official}-{number}",
                    "outcome": "not_found",
                }
            )
        queues.append([entries[start : start + size] for start in range(0, visits_each, size)])

    per_visit, outcomes, statuses, lock = [], [], [], threading.Lock()
    barrier = threading.Barrier(officials)

    def sync(official: int, batches):
        barrier.wait()
        for batch in batches:
            status, seconds, results = _post_batch(crowd[official], batch, csrf=tokens[official])
            with lock:
                statuses.append(status)
                per_visit.extend([seconds / len(batch)] * len(batch))
                outcomes.extend(result["outcome"] for result in results)
                outcomes.extend(["error"] * (len(batch) - len(results)))

    def run_all(plan):
        threads = [
            threading.Thread(target=sync, args=(official, batches))
            for official, batches in enumerate(plan)
        ]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return time.perf_counter() - started

    elapsed = run_all(queues)
    run_all([batches[:retried_each] for batches in queues])
    errors = sum(outcome != "synced" for outcome in outcomes)
    recorded = HouseholdVisit.objects.filter(findings__startswith=f"bench sync {run} ").count()
    duplicates = max(0, recorded - officials * visits_each)
    missing = max(0, officials * visits_each - recorded)
    p95 = percentile(per_visit, 0.95)
    result = Result(
        workload="sync.visits",
        size=f"{officials} officials × {visits_each} queued visits at once in {batches_each} "
        f"batch(es) each, {retried_each} batch(es) each sent again; {errors} errors, "
        f"{duplicates} duplicates",
        unit="visit",
        median_s=round(percentile(per_visit, 0.5), 4),
        p95_s=round(p95, 4),
        rate_per_s=round(officials * visits_each / elapsed, 1) if elapsed else None,
        target=f"0 errors, 0 duplicates, p95 ≤ {TARGET_P95_S * 1000:.0f} ms per visit",
        met=errors == 0 and duplicates == 0 and missing == 0 and p95 <= TARGET_P95_S,
    )
    result.notes.append(
        f"sync.visits: {len(statuses)} requests, {len(outcomes)} entries, {errors} errors, "
        f"{duplicates} duplicates, {missing} missing"
    )
    return result


def measure_worklist(
    base_url: str, password: str, *, username: str = "township1", requests: int = 5
) -> Result:
    """A township official's download of the worklist: `requests` times one after the other
    (after one warm-up), its gzip size at nginx's level."""
    browser = Browser(base_url, username, password)
    body, _seconds = _get(browser, WORKLIST)
    timings = [_get(browser, WORKLIST)[1] for _ in range(requests)]
    compressed = len(gzip.compress(body, compresslevel=NGINX_GZIP_LEVEL))
    rows = len(json.loads(body)["children"])
    p95 = percentile(timings, 0.95)
    result = Result(
        workload="sync.worklist",
        size=f"{rows} children of {username}'s worklist: {len(body) / 1e6:.2f} MB JSON, "
        f"{compressed / 1e6:.2f} MB gzip level {NGINX_GZIP_LEVEL}",
        median_s=round(percentile(timings, 0.5), 4),
        p95_s=round(p95, 4),
        target=f"≤ {WORKLIST_TARGET_BYTES / 1024 / 1024:.0f} MB compressed, "
        f"≤ {WORKLIST_TARGET_S:.0f} s",
        met=compressed <= WORKLIST_TARGET_BYTES and p95 <= WORKLIST_TARGET_S,
    )
    result.notes.append(
        f"sync.worklist: {rows} children, {len(body)} bytes, {compressed} bytes compressed"
    )
    return result
