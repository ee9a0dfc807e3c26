"""Point 4 of issue 16: X-Forwarded-For is trusted only from the configured proxy, for the token
throttle, the login lockout and the audit log alike; the token endpoint's lockout is JSON; a
username is locked at an address (colleagues behind the same NAT keep logging in), an address
that tries too many usernames is locked for all; the county administrator unlocks a user."""

from pathlib import Path

import pytest
import yaml
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from rest_framework.test import APIClient

from core.models import AuditEvent
from core.security import ClientAddressThrottleMixin

from ..conftest import PASSWORD, client_for

ROOT = Path(__file__).resolve().parents[2]
TOKEN_URL = "/api/v1/auth/token/"


@pytest.fixture(autouse=True)
def _fresh_throttle_cache():
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


def _token_attempt(username, password, *, address="10.40.0.1", forwarded=None):
    extra = {"REMOTE_ADDR": address}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return APIClient().post(TOKEN_URL, {"username": username, "password": password}, **extra)


def _web_attempt(username, password, *, address="10.40.0.1"):
    return Client(REMOTE_ADDR=address).post(
        reverse("login"), {"username": username, "password": password}
    )


# --- forwarded headers ------------------------------------------------------------------------


def test_rotating_x_forwarded_for_does_not_reset_the_token_throttle(world, settings):
    settings.TRUSTED_PROXY_COUNT = 0  # straight to gunicorn: the header is the client's own
    settings.AXES_USERNAMES_PER_ADDRESS = 1000  # the throttle alone here
    answers = [
        _token_attempt(f"guess-{n}", "Wrong-Horse-1", forwarded=f"203.0.113.{n}").status_code
        for n in range(12)
    ]
    assert answers[:10] == [400] * 10
    assert answers[10:] == [429, 429], "the eleventh attempt of the minute is throttled"


def test_behind_the_proxy_the_throttle_counts_the_address_the_proxy_saw(world, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.AXES_USERNAMES_PER_ADDRESS = 1000
    nginx = "172.18.0.5"
    for n in range(10):
        spoofed = f"198.51.100.{n}, 10.50.0.1"  # the client's own entry, then nginx's
        assert (
            _token_attempt(f"guess-{n}", "x", address=nginx, forwarded=spoofed).status_code == 400
        )
    assert (
        _token_attempt("guess", "x", address=nginx, forwarded="1.2.3.4, 10.50.0.1").status_code
        == 429
    )
    # Another office behind the same nginx has its own allowance.
    assert _token_attempt("guess", "x", address=nginx, forwarded="10.50.0.2").status_code == 400


def test_rotating_x_forwarded_for_does_not_escape_the_lockout(world, settings):
    settings.TRUSTED_PROXY_COUNT = 0
    for n in range(settings.AXES_FAILURE_LIMIT):
        _token_attempt("township1", "Wrong-Horse-1", forwarded=f"203.0.113.{n}")
    locked = _token_attempt("township1", PASSWORD, forwarded="203.0.113.200")
    assert locked.status_code == 429
    assert "token" not in locked.json()


def test_the_lockout_and_the_audit_log_read_the_same_address(world, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    _token_attempt(
        "township1", "Wrong-Horse-1", address="172.18.0.5", forwarded="9.9.9.9, 10.60.0.7"
    )
    event = AuditEvent.objects.get(action="login_failed", username="township1")
    assert event.ip == "10.60.0.7"
    from axes.models import AccessAttempt

    assert AccessAttempt.objects.get(username="township1").ip_address == "10.60.0.7"


def _api_views():
    def walk(patterns):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns)
            elif isinstance(pattern, URLPattern):
                view = getattr(pattern.callback, "cls", None)
                if view is not None and hasattr(view, "throttle_classes"):
                    yield view

    return set(walk(get_resolver().url_patterns))


def test_every_api_throttle_counts_by_the_same_client_address():
    throttles = {throttle for view in _api_views() for throttle in view.throttle_classes}
    assert throttles, "the token endpoint at least is throttled"
    for throttle in throttles:
        assert issubclass(throttle, ClientAddressThrottleMixin), throttle


def test_the_production_stack_trusts_exactly_nginx():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    assert str(compose["x-app"]["environment"]["TRUSTED_PROXY_COUNT"]) == "1"
    nginx = (ROOT / "deploy" / "nginx.conf").read_text()
    assert "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;" in nginx


# --- the lockout's answer ---------------------------------------------------------------------


def test_the_token_endpoints_lockout_is_json_429_with_detail(world, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _token_attempt("auditor", "Wrong-Horse-1")
    locked = _token_attempt("auditor", PASSWORD)
    assert locked.status_code == 429
    assert locked["Content-Type"] == "application/json"
    assert set(locked.json()) == {"detail"} and "锁定" in locked.json()["detail"]
    assert int(locked["Retry-After"]) == settings.AXES_COOLOFF_TIME.total_seconds()


def test_the_login_pages_lockout_stays_a_page(world, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _web_attempt("auditor", "Wrong-Horse-1")
    locked = _web_attempt("auditor", PASSWORD)
    assert locked.status_code == 429 and locked["Content-Type"].startswith("text/html")
    assert "锁定" in locked.content.decode()


# --- an office NAT: per username, plus a cap on usernames per address --------------------------


def test_a_colleague_behind_the_same_nat_is_not_locked_out(world, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT + 2):
        _token_attempt("township1", "Wrong-Horse-1", address="10.70.0.1")
    assert _token_attempt("township1", PASSWORD, address="10.70.0.1").status_code == 429
    assert _token_attempt("township2", PASSWORD, address="10.70.0.1").status_code == 200
    assert _web_attempt("bureau", PASSWORD, address="10.70.0.1").status_code == 302
    # The locked user from home (another address) is not locked either.
    assert _token_attempt("township1", PASSWORD, address="10.70.9.9").status_code == 200


def test_an_address_that_tries_too_many_usernames_is_locked_for_all(world, settings):
    settings.AXES_USERNAMES_PER_ADDRESS = 3
    for username in ("guess-a", "guess-b"):
        assert _token_attempt(username, "Wrong-Horse-1", address="10.80.0.1").status_code == 400
    assert _token_attempt("township2", PASSWORD, address="10.80.0.1").status_code == 200, (
        "two usernames: under the cap"
    )
    # The third username's failure reaches the cap: answered with the lockout, as the failure
    # that reaches a username's own limit is.
    assert _web_attempt("guess-c", "Wrong-Horse-1", address="10.80.0.1").status_code == 429
    assert _token_attempt("township1", PASSWORD, address="10.80.0.1").status_code == 429
    assert _web_attempt("bureau", PASSWORD, address="10.80.0.1").status_code == 429
    assert _token_attempt("township1", PASSWORD, address="10.80.0.2").status_code == 200


def test_the_username_cap_is_a_setting(settings):
    assert settings.AXES_USERNAMES_PER_ADDRESS == 10
    assert settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]


# --- unlocking --------------------------------------------------------------------------------


def _lock(username, address="10.90.0.1", *, limit):
    for _ in range(limit):
        _token_attempt(username, "Wrong-Horse-1", address=address)
    assert _token_attempt(username, PASSWORD, address=address).status_code == 429


def test_the_county_admin_sees_and_unlocks_a_locked_user_of_their_county(world, settings):
    _lock("township1", limit=settings.AXES_FAILURE_LIMIT)
    admin = client_for(world.admin)
    page = admin.get(reverse("enrollment:account_security", args=[world.township1_user.pk]))
    assert "10.90.0.1" in page.content.decode() and page.context["failures"][0]["locked"]

    answer = admin.post(reverse("enrollment:account_unlock", args=[world.township1_user.pk]))
    assert answer.status_code == 302
    assert _token_attempt("township1", PASSWORD, address="10.90.0.1").status_code == 200
    event = AuditEvent.objects.get(action="update", object_type="auth.user", username="admin")
    assert event.object_id == str(world.township1_user.pk) and event.detail["login_unlocked"] == 1


def test_other_roles_cannot_unlock(world, settings):
    _lock("township1", limit=settings.AXES_FAILURE_LIMIT)
    for who in (world.township2_user, world.bureau, world.auditor):
        url = reverse("enrollment:account_unlock", args=[world.township1_user.pk])
        assert client_for(who).post(url).status_code in (403, 404)
    assert _token_attempt("township1", PASSWORD, address="10.90.0.1").status_code == 429
