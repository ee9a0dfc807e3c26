"""Login throttling, and a production configuration that has no demo users and no default secret."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.urls import reverse

from ..conftest import PASSWORD

ROOT = Path(__file__).resolve().parents[2]


def _login(client, username, password):
    return client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR="10.0.0.9"
    )


def test_login_with_the_right_password_works(world, client):
    response = _login(client, "township1", PASSWORD)
    assert response.status_code == 302


def test_answers_do_not_reveal_whether_a_username_exists(world, client):
    unknown = _login(client, "no-such-user", "whatever-1")
    wrong = _login(client, "township1", "whatever-1")
    assert unknown.status_code == wrong.status_code == 200
    assert unknown.context["form"].errors == wrong.context["form"].errors


def test_repeated_failures_lock_the_account_even_for_the_right_password(world, client, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(client, "township1", "wrong-password")
    locked = _login(client, "township1", PASSWORD)
    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session


def test_the_api_token_endpoint_counts_towards_the_lockout(world, settings):
    from rest_framework.test import APIClient

    api = APIClient(REMOTE_ADDR="10.0.0.10")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        api.post("/api/v1/auth/token/", {"username": "auditor", "password": "x"})
    response = api.post("/api/v1/auth/token/", {"username": "auditor", "password": PASSWORD})
    assert response.status_code == 429
    assert b'"token"' not in response.content


def _run(code: str, **env):
    environment = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    environment.update(env)
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_settings_have_no_default_secret():
    result = _run(
        "import django; django.setup()",
        DJANGO_SETTINGS_MODULE="config.settings.production",
        DATABASE_URL="postgres://u:p@127.0.0.1:5432/x",
        REDIS_URL="redis://127.0.0.1:6379/0",
    )
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


@pytest.mark.django_db
def test_demo_users_are_refused_in_a_production_configuration(tmp_path):
    result = _run(
        "import django; django.setup();"
        "from django.core.management import call_command; call_command('seed_demo')",
        DJANGO_SETTINGS_MODULE="config.settings.production",
        DJANGO_SECRET_KEY="x" * 50,
        DATABASE_URL=f"sqlite:///{tmp_path / 'prod.sqlite3'}",
        REDIS_URL=django_settings.TEST_REDIS_URL,
    )
    assert result.returncode != 0
    assert "refused" in result.stderr
