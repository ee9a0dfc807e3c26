"""`sync.visits`: officials back from a trip syncing their queued offline visits at once (我的走访,
POST /api/v1/visit-sync/ with an Idempotency-Key each), then a retry of some of them, as a
flaky connection sends them again. Measured per visit; every error and every duplicate (a
visit recorded twice) is counted."""

import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

from .harness import Browser, Result, percentile

TARGET_P95_S = 0.3


def _get_json(browser: Browser, path: str) -> dict:
    with browser.opener.open(f"{browser.base_url}{path}", timeout=120) as response:
        return json.loads(response.read().decode())


def _post(browser: Browser, path: str, data: dict, *, csrf: str, key: str) -> tuple[int, float]:
    body = urllib.parse.urlencode(data, doseq=True).encode()
    request = urllib.request.Request(
        f"{browser.base_url}{path}",
        data=body,
        headers={
            "X-CSRFToken": csrf,
            "Idempotency-Key": key,
            "Referer": f"{browser.base_url}/visits/",
            "Accept": "application/json",
        },
    )
    started = time.perf_counter()
    try:
        with browser.opener.open(request, timeout=120) as response:
            response.read()
            status = response.status
    except urllib.error.HTTPError as error:
        status = error.code
    return status, time.perf_counter() - started


def measure_sync_visits(
    base_url: str,
    password: str,
    *,
    username: str = "township1",
    officials: int = 50,
    visits_each: int = 20,
    retried_each: int = 5,
) -> Result:
    """`officials` sessions of `username` (as the page load's crowd) each sync `visits_each`
    queued visits of children of the worklist, all at once; then each sends its first
    `retried_each` again with the same keys. Visits found on the server beyond one per entry
    are duplicates."""
    from enrollment.models import HouseholdVisit

    crowd = [Browser(base_url, username, password) for _ in range(officials)]
    children = _get_json(crowd[0], "/api/v1/visit-worklist/")["children"]
    if not children:
        raise RuntimeError(f"the worklist of {username} is empty")
    tokens = [_get_json(browser, "/api/v1/visit-session/")["csrf_token"] for browser in crowd]
    run = uuid.uuid4().hex[:10]
    today = time.strftime("%Y-%m-%d")
    entries = []  # per official: (key, body)
    for official in range(officials):
        own = []
        for number in range(visits_each):
            child = children[(official * visits_each + number) % len(children)]
            body = {
                "child": child["id"],
                "seen_version": child["state"]["version"],
                "visit_date": today,
                "visitors": "基准测试",
                "findings": f"bench sync {run} {official}-{number}",
                "outcome": "not_found",
            }
            own.append((f"bench-{run}-{official}-{number}", body))
        entries.append(own)

    timings, statuses, lock = [], [], threading.Lock()
    barrier = threading.Barrier(officials)

    def sync(official: int, batch):
        barrier.wait()
        for key, body in batch:
            status, seconds = _post(
                crowd[official], "/api/v1/visit-sync/", body, csrf=tokens[official], key=key
            )
            with lock:
                timings.append(seconds)
                statuses.append(status)

    def run_all(batches):
        threads = [
            threading.Thread(target=sync, args=(official, batch))
            for official, batch in enumerate(batches)
        ]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return time.perf_counter() - started

    elapsed = run_all(entries)
    run_all([batch[:retried_each] for batch in entries])
    errors = sum(status != 201 for status in statuses)
    recorded = HouseholdVisit.objects.filter(findings__startswith=f"bench sync {run} ").count()
    duplicates = max(0, recorded - officials * visits_each)
    missing = max(0, officials * visits_each - recorded)
    p95 = percentile(timings, 0.95)
    result = Result(
        workload="sync.visits",
        size=f"{officials} officials × {visits_each} queued visits at once, "
        f"{retried_each} each sent again; {errors} errors, {duplicates} duplicates",
        unit="visit",
        median_s=round(percentile(timings, 0.5), 4),
        p95_s=round(p95, 4),
        rate_per_s=round(officials * visits_each / elapsed, 1) if elapsed else None,
        target=f"0 errors, 0 duplicates, p95 ≤ {TARGET_P95_S * 1000:.0f} ms per visit",
        met=errors == 0 and duplicates == 0 and missing == 0 and p95 <= TARGET_P95_S,
    )
    result.notes.append(
        f"sync.visits: {len(statuses)} requests, {errors} errors, {duplicates} duplicates, "
        f"{missing} missing"
    )
    return result
