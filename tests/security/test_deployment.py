"""Item 12 of issue 10 and the production stack: `check --deploy` is clean with the production
settings and the variables of `.env.example`; docker-compose.yml has every service with a health
check, volumes for data and uploads, one beat, and commands that exist in the project;
deploy/nginx.conf serves static files and limits uploads."""

import importlib
import json
import os
import re
import secrets
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.core.management import get_commands, load_command_class

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
NGINX = (ROOT / "deploy" / "nginx.conf").read_text()


def _env_example() -> dict[str, str]:
    values = {}
    for line in (ROOT / ".env.example").read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            values[name.strip()] = value.strip()
    return values


def _compose_environment(example: dict[str, str]) -> dict[str, str]:
    """The app containers' environment: .env (env_file) overridden by compose's `environment`."""
    environment = dict(example)
    for name, value in SERVICES["web"]["environment"].items():
        environment[name] = re.sub(r"\$\{(\w+)\}", lambda m: example[m.group(1)], str(value))
    return environment


def _filled(example: dict[str, str]) -> dict[str, str]:
    """The example with every change-me placeholder replaced, as the README tells the admin."""
    return {
        name: (secrets.token_urlsafe(50) if "change-me" in value else value)
        for name, value in example.items()
    }


def _manage(args: list[str], environment: dict[str, str], code: str | None = None):
    # Only the variables given: nothing from this machine's DJANGO_*/DATABASE_URL leaks in.
    base = {k: os.environ[k] for k in ("PATH", "HOME", "LANG") if k in os.environ}
    command = [sys.executable, "-c", code] if code else [sys.executable, "manage.py", *args]
    return subprocess.run(
        command,
        cwd=ROOT,
        env={**base, **environment},
        capture_output=True,
        text=True,
        timeout=120,
    )


# --- check --deploy ----------------------------------------------------------------------------


def test_check_deploy_is_clean_with_the_production_settings_and_env_example():
    environment = _compose_environment(_filled(_env_example()))
    assert environment["DJANGO_SETTINGS_MODULE"] == "config.settings.production"
    result = _manage(["check", "--deploy", "--fail-level", "WARNING"], environment)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_check_deploy_refuses_the_placeholders_of_env_example_left_in_place():
    environment = _compose_environment(_env_example())
    result = _manage(["check", "--deploy", "--fail-level", "WARNING"], environment)
    assert result.returncode != 0
    assert "core.E001" in result.stderr
    assert "DJANGO_SECRET_KEY" in result.stderr and "DATABASE_URL" in result.stderr


PRODUCTION_PROBE = """
import json, django
django.setup()
from django.conf import settings
from django.test import Client, override_settings
# No collectstatic here: the manifest storage of production would have no entries.
override_settings(STORAGES={**settings.STORAGES, "staticfiles": {
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}).enable()
client = Client()
plain = client.get("/accounts/login/", HTTP_HOST="edu.example.gov.cn")
secure = client.get("/accounts/login/", HTTP_HOST="edu.example.gov.cn", secure=True)
csrf = secure.cookies.get(settings.CSRF_COOKIE_NAME)
print(json.dumps({
    "plain_status": plain.status_code, "plain_location": plain.get("Location", ""),
    "status": secure.status_code, "headers": dict(secure.headers),
    "csrf_cookie_secure": bool(csrf and csrf["secure"]),
    "session_cookie_secure": settings.SESSION_COOKIE_SECURE,
    "session_cookie_httponly": settings.SESSION_COOKIE_HTTPONLY,
    "debug": settings.DEBUG,
}))
"""


def test_production_answers_with_https_only_headers_and_secure_cookies(tmp_path):
    environment = _compose_environment(_filled(_env_example()))
    environment["DATABASE_URL"] = f"sqlite:///{tmp_path / 'empty.sqlite3'}"
    environment["REDIS_URL"] = settings.TEST_REDIS_URL
    result = _manage([], environment, code=PRODUCTION_PROBE)
    assert result.returncode == 0, result.stderr
    probe = json.loads(result.stdout.strip().splitlines()[-1])
    assert probe["debug"] is False
    assert probe["plain_status"] == 301
    assert probe["plain_location"].startswith("https://edu.example.gov.cn/")
    assert probe["status"] == 200
    headers = probe["headers"]
    hsts = headers["Strict-Transport-Security"]
    assert int(re.search(r"max-age=(\d+)", hsts).group(1)) >= 365 * 24 * 3600
    assert "includeSubDomains" in hsts
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "same-origin"
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert probe["csrf_cookie_secure"] and probe["session_cookie_secure"]
    assert probe["session_cookie_httponly"]


@pytest.mark.parametrize("unset", [["DATABASE_URL"], ["REDIS_URL"], ["DATABASE_URL", "REDIS_URL"]])
def test_production_refuses_to_start_without_its_database_or_redis(unset):
    """No quiet fallback to SQLite, in-process Celery or a per-process cache in production."""
    environment = _compose_environment(_filled(_env_example()))
    for name in unset:
        environment.pop(name)
    result = _manage(["check"], environment)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert f"Production settings need {' and '.join(unset)} in the environment" in result.stderr


def test_production_starts_with_both_set():
    environment = _compose_environment(_filled(_env_example()))
    assert {"DATABASE_URL", "REDIS_URL"} <= set(environment)
    result = _manage(["check"], environment)
    assert result.returncode == 0, result.stderr


def test_every_variable_compose_interpolates_is_in_env_example():
    text = (ROOT / "docker-compose.yml").read_text()
    interpolated = set(re.findall(r"(?<!\$)\$\{(\w+)\}", text))
    assert interpolated, "compose takes its secrets from .env"
    assert interpolated <= set(_env_example())


# --- docker-compose.yml structure --------------------------------------------------------------

LONG_RUNNING = ["db", "redis", "web", "worker", "beat", "nginx"]


def test_the_stack_has_every_service():
    assert set(LONG_RUNNING) | {"migrate"} <= set(SERVICES)
    assert SERVICES["db"]["image"].startswith("postgres:")
    assert SERVICES["redis"]["image"].startswith("redis:")
    assert SERVICES["nginx"]["image"].startswith("nginx:")
    assert SERVICES["web"]["command"][0] == "gunicorn"


@pytest.mark.parametrize("service", LONG_RUNNING)
def test_every_long_running_service_has_a_health_check(service):
    check = SERVICES[service].get("healthcheck")
    assert check and check["test"], f"{service} has no health check"
    assert check["test"][0] in ("CMD", "CMD-SHELL")


def test_there_is_exactly_one_beat():
    beats = [name for name, service in SERVICES.items() if "beat" in _words(service.get("command"))]
    assert beats == ["beat"]
    assert SERVICES["beat"].get("deploy", {}).get("replicas", 1) == 1
    assert "--beat" not in _words(SERVICES["worker"]["command"]), "a worker must not embed beat"


def test_data_and_uploads_live_on_named_volumes():
    volumes = set(COMPOSE["volumes"])

    def mounts(service):
        return dict(m.split(":")[:2] for m in SERVICES[service].get("volumes", []))

    assert mounts("db")["pgdata"] == "/var/lib/postgresql/data"
    assert mounts("redis")["redisdata"] == "/data"
    media_root = SERVICES["web"]["environment"]["MEDIA_ROOT"]
    for service in ("web", "worker", "migrate"):
        assert mounts(service).get("media") == media_root, service
    schedule = _words(SERVICES["beat"]["command"])
    schedule_file = schedule[schedule.index("--schedule") + 1]
    assert any(schedule_file.startswith(path + "/") for path in mounts("beat").values())
    static_in_app = mounts("migrate")["static"]
    assert static_in_app == "/app/staticfiles"
    assert f"alias {mounts('nginx')['static']}/;" in NGINX
    used = {
        name for s in SERVICES.values() for name in (v.split(":")[0] for v in s.get("volumes", []))
    }
    assert {"pgdata", "redisdata", "media", "static", "beat"} <= volumes
    assert volumes <= used


def test_only_nginx_is_published():
    published = [name for name, service in SERVICES.items() if service.get("ports")]
    assert published == ["nginx"]


def test_services_start_in_order():
    assert SERVICES["web"]["depends_on"]["migrate"]["condition"] == (
        "service_completed_successfully"
    )
    assert SERVICES["db"]["healthcheck"]
    assert SERVICES["migrate"]["depends_on"]["db"]["condition"] == "service_healthy"
    assert SERVICES["nginx"]["depends_on"]["web"]["condition"] == "service_healthy"


# --- every command refers to something that exists ---------------------------------------------


def _words(command) -> list[str]:
    if command is None:
        return []
    return shlex.split(command) if isinstance(command, str) else [str(w) for w in command]


def _commands_of(service: dict) -> list[list[str]]:
    """The service's command and its health check, with `sh -c "a && b"` split into a and b."""
    found = []
    candidates = [_words(service.get("command"))]
    test = service.get("healthcheck", {}).get("test")
    if test:
        candidates.append(
            shlex.split(test[1].replace("$$", "$")) if test[0] == "CMD-SHELL" else test[1:]
        )
    for words in candidates:
        if words[:2] == ["sh", "-c"]:
            found += [shlex.split(part) for part in words[2].split("&&")]
        elif words:
            found.append(words)
    return found


def _assert_exists(words: list[str]) -> None:
    program = words[0]
    if program == "python":
        assert words[1] == "manage.py"
        name, args = words[2], words[3:]
        commands = get_commands()
        assert name in commands, f"no management command {name}"
        parser = load_command_class(commands[name], name).create_parser("manage.py", name)
        parser.parse_args(args)  # unknown options fail here (SystemExit)
    elif program == "gunicorn":
        module, _, attribute = words[1].partition(":")
        assert hasattr(importlib.import_module(module), attribute), words[1]
    elif program == "celery":
        assert words[1] == "-A"
        app = importlib.import_module(f"{words[2]}.celery").app
        assert words[3] in {"worker", "beat", "inspect"}
        if words[3] == "beat":
            assert app.conf.beat_schedule is not None
    elif program in {"pg_isready", "redis-cli", "redis-server", "curl"}:
        pass  # ship with the official images used
    else:
        raise AssertionError(f"unknown program in a compose command: {words}")


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_every_command_of_the_service_exists_in_the_project(service):
    commands = _commands_of(SERVICES[service])
    if service not in ("db",):
        assert commands, f"{service} runs nothing of ours and checks nothing"
    for words in commands:
        _assert_exists(words)


def test_the_beat_schedule_names_tasks_that_exist(settings):
    from celery import Task

    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        module, _, name = entry["task"].rpartition(".")
        task = getattr(importlib.import_module(module), name, None)
        assert isinstance(task, Task) and task.name == entry["task"], entry["task"]


# --- nginx --------------------------------------------------------------------------------------


def _nginx_size(directive: str) -> int:
    value = re.search(rf"^\s*{directive}\s+(\d+)([km]?);", NGINX, re.MULTILINE | re.IGNORECASE)
    number, unit = int(value.group(1)), value.group(2).lower()
    return number * {"": 1, "k": 1024, "m": 1024 * 1024}[unit]


def test_nginx_limits_uploads_just_above_the_largest_upload_the_product_takes(settings):
    from core import imports

    largest = max(imports.MAX_UPLOAD_BYTES, settings.VISIT_ATTACHMENT_MAX_BYTES)
    limit = _nginx_size("client_max_body_size")
    assert largest <= limit <= largest * 2


def test_nginx_proxies_to_gunicorn_and_tells_django_the_scheme():
    web = _words(SERVICES["web"]["command"])
    port = web[web.index("--bind") + 1].rsplit(":", 1)[1]
    # Every container of `web` (--scale), found again through Docker's DNS as they change.
    assert f"server web:{port} resolve;" in NGINX
    assert "resolver 127.0.0.11" in NGINX
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in NGINX
    assert "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;" in NGINX
    assert "proxy_set_header Host $host;" in NGINX


def test_nginx_serves_static_files_but_never_uploads():
    assert re.search(r"location /static/ \{\s*alias /srv/static/;", NGINX)
    assert "/media" not in NGINX, "uploads hold personal data: only scoped views serve them"


def test_nginx_health_check_path_exists():
    assert "location = /nginx-health" in NGINX
    assert "/nginx-health" in SERVICES["nginx"]["healthcheck"]["test"][-1]


def test_the_image_never_takes_secrets_or_personal_data_from_the_checkout():
    ignored = {
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert {".env", "backups/", "deploy/certs/", "media/", "*.sqlite3", ".venv"} <= ignored
