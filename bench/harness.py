"""Measurements of the benchmark: pages and API through a real HTTP server, jobs in a fresh
process each (peak memory), and the export side by side with its peer and ceiling."""

import http.cookiejar
import json
import os
import random
import re
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Result:
    workload: str
    size: str
    unit: str = "request"
    median_s: float | None = None
    p95_s: float | None = None
    rate_per_s: float | None = None
    peak_mb: float | None = None
    queries: int | None = None
    peer: str | None = None
    peer_ratio: float | None = None
    ceiling: str | None = None
    ceiling_ratio: float | None = None
    target: str = ""
    met: bool | None = None
    # Measured while other work shared the machine (bench/noise.py); None: not watched.
    noisy: bool | None = None
    disturbance: dict | None = None  # the probe's readings (bench/noise.py, Reading.as_json)
    notes: list[str] = field(default_factory=list)

    def as_json(self) -> dict:
        data = asdict(self)
        data.pop("notes")
        return data


def percentile(values, fraction):
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


# --- HTTP clients ----------------------------------------------------------------------------


class Browser:
    """A logged-in user: cookies kept, CSRF token taken from the login form."""

    def __init__(self, base_url: str, username: str, password: str | None = None, *, cookies=None):
        self.base_url = base_url
        self.cookies = cookies if cookies is not None else http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies))
        if cookies is None:
            self._login(username, password)

    def clone(self) -> "Browser":
        """Another client of the same logged-in session (logins are not what is measured)."""
        return Browser(self.base_url, "", cookies=self.cookies)

    def _login(self, username, password):
        base_url = self.base_url
        page = self.opener.open(f"{base_url}/accounts/login/").read().decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        data = urllib.parse.urlencode(
            {"username": username, "password": password, "csrfmiddlewaretoken": token}
        ).encode()
        request = urllib.request.Request(
            f"{base_url}/accounts/login/",
            data=data,
            headers={"Referer": f"{base_url}/accounts/login/"},
        )
        response = self.opener.open(request)
        if "/accounts/login/" in response.geturl():
            raise RuntimeError(f"login failed for {username}")

    def get(self, path: str) -> tuple[int, float]:
        started = time.perf_counter()
        try:
            with self.opener.open(f"{self.base_url}{path}", timeout=60) as response:
                response.read()
                status = response.status
        except urllib.error.HTTPError as error:
            status = error.code
        return status, time.perf_counter() - started

    def post_form(self, form_path: str, data: dict, post_path: str | None = None):
        """GET the form (its CSRF token), then POST it as a browser would; (status, seconds)
        of the POST, a redirect (302) being success."""
        with self.opener.open(f"{self.base_url}{form_path}", timeout=60) as response:
            page = response.read().decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        body = urllib.parse.urlencode({**data, "csrfmiddlewaretoken": token}, doseq=True).encode()
        request = urllib.request.Request(
            f"{self.base_url}{post_path or form_path}",
            data=body,
            headers={"Referer": f"{self.base_url}{form_path}"},
        )
        opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.cookies), _NoRedirect()
        )
        started = time.perf_counter()
        try:
            with opener.open(request, timeout=60) as response:
                response.read()
                status = response.status
        except urllib.error.HTTPError as error:
            status = error.code
        return status, time.perf_counter() - started


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def measure_sequential(browser: Browser, path: str, *, requests: int = 30, warmup: int = 3):
    for _ in range(warmup):
        browser.get(path)
    timings, errors = [], 0
    for _ in range(requests):
        status, elapsed = browser.get(path)
        timings.append(elapsed)
        errors += status != 200
    return timings, errors


# A user's pause between requests, seconds, drawn uniformly as locust's `between(1, 5)`.
THINK_TIME = (1.0, 5.0)


def measure_concurrent(
    browsers: list[Browser],
    path: str,
    *,
    requests_each: int = 10,
    think: tuple[float, float] | None = None,
    seed: int = 0,
):
    """Each browser a user in its own thread requesting the same page `requests_each` times:
    latency under load, and requests per second over the run.

    think=None: back to back, no pause, all users at once: the server's saturation
    throughput (latency is then mostly queueing). think=(low, high): a user as a load tool
    models one (locust's `wait_time = between(low, high)`): a pause drawn uniformly from
    [low, high] seconds between requests, each user's first request at a random moment within
    the first `high` seconds so that they do not all fire at once; the draws come from a
    random generator seeded per user (seed, user's index), the same from run to run."""
    timings, errors, lock = [], [0], threading.Lock()

    def user(index, browser):
        rng = random.Random(seed * 100_000 + index)
        if think:
            time.sleep(rng.uniform(0, think[1]))
        for step in range(requests_each):
            if think and step:
                time.sleep(rng.uniform(*think))
            status, elapsed = browser.get(path)
            with lock:
                timings.append(elapsed)
                errors[0] += status != 200

    threads = [threading.Thread(target=user, args=pair) for pair in enumerate(browsers)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    return timings, errors[0], len(timings) / wall


# --- gunicorn --------------------------------------------------------------------------------


class Server:
    def __init__(self, port: int, workers: int = 4, settings: str = "config.settings.bench"):
        self.port, self.workers, self.settings = port, workers, settings
        self.base_url = f"http://127.0.0.1:{port}"

    def __enter__(self):
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "config.wsgi:application",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(self.workers),
                "--log-level",
                "warning",
                "--env",
                f"DJANGO_SETTINGS_MODULE={self.settings}",
            ],
            cwd=ROOT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"{self.base_url}/accounts/login/", timeout=2)
                return self
            except OSError:
                time.sleep(0.3)
        self.process.kill()
        raise RuntimeError("gunicorn did not start")

    def worker_peak_mb(self) -> float | None:
        """The largest peak resident size (VmHWM) among gunicorn's worker processes."""
        try:
            children = (
                Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
                .read_text()
                .split()
            )
        except OSError:
            return None
        peaks = []
        for pid in children:
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            match = re.search(r"VmHWM:\s+(\d+) kB", status)
            if match:
                peaks.append(int(match.group(1)) / 1024)
        return round(max(peaks), 1) if peaks else None

    def __exit__(self, *exc):
        self.process.terminate()
        self.process.wait(timeout=30)


# --- jobs in a fresh process -----------------------------------------------------------------


def run_job(name: str, **params) -> dict:
    """Run bench/jobs.py in its own process so that its peak memory is its own."""
    completed = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "jobs.py"), name, json.dumps(params)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.bench"},
    )
    if completed.returncode != 0:
        raise RuntimeError(f"job {name} failed:\n{completed.stderr[-3000:]}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def summarise(timings):
    return statistics.median(timings), percentile(timings, 0.95)
