"""Issue 16, point 6: no request log the product writes or configures holds a full resident ID
or mobile number. A real gunicorn (the production config, config/gunicorn.py) and a real
runserver are started, asked for a search by ID and a path holding a mobile number, and their
output is read; nginx's access log format is checked for the query string."""

import datetime
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import yaml

from core.resident_id import make_resident_id

ROOT = Path(__file__).resolve().parents[2]
CHILD_ID = make_resident_id(
    place_code="510304", birth_date=datetime.date(2015, 3, 4), sequence=123, sex="M"
)
MOBILE = "13812345678"
SEARCH = f"/api/v1/children/?q={CHILD_ID}"
PAGES = [SEARCH, f"/enrollment/guardians/{MOBILE}/", f"/no-such-page/{CHILD_ID}/"]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def test_database_url(db) -> str | None:
    """The test run's own database, for the server started here (runserver checks it)."""
    from django.db import connection

    db = connection.settings_dict
    if connection.vendor != "postgresql":
        return None
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def _environment(database_url: str | None) -> dict[str, str]:
    # The test settings (this machine's database and Redis) with the product's logging.
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "PYTHONUNBUFFERED": "1",
    }
    if database_url:
        environment["DATABASE_URL"] = database_url
    return environment


def _serve_and_read_logs(command: list[str], port: int, tmp_path: Path, database_url) -> str:
    out, err = tmp_path / "stdout.log", tmp_path / "stderr.log"
    with out.open("wb") as stdout, err.open("wb") as stderr:
        server = subprocess.Popen(
            command, cwd=ROOT, env=_environment(database_url), stdout=stdout, stderr=stderr
        )
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    assert server.poll() is None, err.read_text()[-3000:]
                    assert time.monotonic() < deadline, "the server did not start"
                    time.sleep(0.2)
            statuses = []
            for path in PAGES:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=30) as r:
                        statuses.append(r.status)
                except urllib.error.HTTPError as answer:
                    statuses.append(answer.code)
            assert all(400 <= status < 500 for status in statuses), statuses
            time.sleep(0.5)  # the access line is written after the answer
        finally:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
    return out.read_text(errors="replace") + err.read_text(errors="replace")


def _assert_no_personal_data(log: str) -> None:
    assert CHILD_ID not in log and MOBILE not in log, log[-3000:]
    # …but the requests were logged, masked: the access lines and Django's 404 warnings.
    assert "/api/v1/children/" in log, log[-3000:]
    assert "138****5678" in log and CHILD_ID[:4] + "*" * 10 + CHILD_ID[-4:] in log, log[-3000:]


def test_gunicorn_with_the_production_config_logs_no_id_or_mobile(tmp_path, test_database_url):
    port = _free_port()
    web = _compose_gunicorn_command()
    # The compose command as deployed, on a free local port with one worker.
    web[web.index("--bind") + 1] = f"127.0.0.1:{port}"
    web[web.index("--workers") + 1] = "1"
    log = _serve_and_read_logs([sys.executable, "-m", *web], port, tmp_path, test_database_url)
    _assert_no_personal_data(log)
    assert re.search(r'"GET /api/v1/children/ HTTP/1\.1" 40\d', log), log[-3000:]


def test_runserver_logs_no_id_or_mobile(tmp_path, test_database_url):
    port = _free_port()
    command = [
        sys.executable,
        "manage.py",
        "runserver",
        "--noreload",
        "--skip-checks",
        f"127.0.0.1:{port}",
    ]
    log = _serve_and_read_logs(command, port, tmp_path, test_database_url)
    _assert_no_personal_data(log)


def _compose_gunicorn_command() -> list[str]:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    command = compose["services"]["web"]["command"]
    return shlex.split(command) if isinstance(command, str) else [str(w) for w in command]


def test_every_gunicorn_the_product_starts_uses_the_masking_config():
    dockerfile = (ROOT / "Dockerfile").read_text()
    (cmd,) = re.findall(r"^CMD (\[.*\])$", dockerfile, re.MULTILINE)
    for words in (_compose_gunicorn_command(), yaml.safe_load(cmd)):
        assert words[0] == "gunicorn"
        assert words[words.index("--config") + 1] == "python:config.gunicorn", words
        # A log file option of its own would add a handler beside the configured ones.
        assert not {"--access-logfile", "--error-logfile", "--log-config"} & set(words), words
    from config import gunicorn as gunicorn_config

    loggers = gunicorn_config.logconfig_dict["loggers"]
    for name in ("gunicorn.access", "gunicorn.error"):
        assert "mask_personal_data" in loggers[name]["filters"]
    assert "%(r)s" not in gunicorn_config.access_log_format  # the request line with its query
    assert "%(q)s" not in gunicorn_config.access_log_format and "%(f)s" not in (
        gunicorn_config.access_log_format
    )


# --- nginx ----------------------------------------------------------------------------------------

NGINX = (ROOT / "deploy" / "nginx.conf").read_text()
# Variables that hold the query string (or a whole address with one).
QUERY_VARIABLES = ("$request", "$request_uri", "$args", "$query_string", "$arg_", "$http_referer")


def _log_formats() -> dict[str, str]:
    formats = {}
    for name, body in re.findall(r"^\s*log_format\s+(\S+)\s+(.*?);", NGINX, re.M | re.S):
        formats[name] = "".join(re.findall(r"'([^']*)'", body))
    return formats


def test_nginx_access_log_format_has_no_query_string():
    formats = _log_formats()
    assert formats
    for name, text in formats.items():
        for variable in QUERY_VARIABLES:
            # $request_method and $request_time are fine; $request itself is not.
            assert not re.search(re.escape(variable) + r"(?![a-z_])", text), (name, variable)
    # Every server logs with one of these formats (nginx's default "combined" has $request).
    servers = NGINX.count("server {")
    uses = re.findall(r"^\s*access_log\s+\S+\s+(\S+);", NGINX, re.M)
    assert len(uses) == servers and set(uses) <= set(formats), uses
    # Its error lines quote the request with its query and have no format: critical ones only.
    assert re.findall(r"^\s*error_log\s+\S+\s+(\S+);", NGINX, re.M) == ["crit"] * servers


def _nginx_maps() -> list[tuple[str, str]]:
    return re.findall(r'^\s*"~(.+?)"\s+"(.+?)";', NGINX, re.M)


@pytest.mark.parametrize(
    "path, logged",
    [
        (f"/x/{MOBILE}/", "/x/***/"),
        (f"/x/{CHILD_ID}/y/{MOBILE}", "/x/***/y/***"),
        ("/dropout/cases/12345/", "/dropout/cases/12345/"),
    ],
)
def test_nginx_masks_long_numbers_in_the_logged_path(path, logged):
    """The map's regular expressions, run as nginx runs them (PCRE named groups, applied once
    per map, the second map on the first one's result)."""
    maps = _nginx_maps()
    assert len(maps) == 2
    for pattern, replacement in maps:
        match = re.match(pattern.replace("(?<", "(?P<"), path)
        if match:
            path = re.sub(r"\$\{(\w+)\}", lambda m, g=match: g.group(m.group(1)), replacement)
    assert path == logged
