"""Item 3 of issue 10 (login): lockout after a setting's number of failures that tells nothing
about which usernames exist, password rules, idle timeout and absolute lifetime, and logout and
deactivation ending every session of the user."""

import re
import time

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import translation
from rest_framework.test import APIClient

from core.middleware import SessionTimeoutMiddleware
from core.models import ApiToken
from core.security import character_classes, end_all_sessions

from ..conftest import PASSWORD, api_token_for
from ..page_forms import form_values


def _login(client, username, password, address="10.1.0.1"):
    return client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address
    )


def _logged_in_client(username, address="10.2.0.1"):
    client = Client(REMOTE_ADDR=address)
    response = _login(client, username, PASSWORD, address)
    assert response.status_code == 302, "the right password logs in"
    return client


def _sessions_of(user):
    return [
        s
        for s in Session.objects.all()
        if str(s.get_decoded().get("_auth_user_id")) == str(user.pk)
    ]


def _csrf_free(content: bytes) -> bytes:
    return re.sub(rb'name="csrfmiddlewaretoken" value="[^"]+"', b"", content)


# --- lockout ------------------------------------------------------------------------------------


def test_lockout_comes_after_exactly_the_configured_number_of_failures(world, settings):
    settings.AXES_FAILURE_LIMIT = 3
    client = Client()
    for _ in range(2):
        assert _login(client, "township1", "wrong-password-1").status_code == 200
    assert _login(client, "township1", PASSWORD).status_code == 302, "2 failures: not locked"

    other = Client()
    for _ in range(3):
        _login(other, "bureau", "wrong-password-1", "10.1.0.2")
    locked = _login(other, "bureau", PASSWORD, "10.1.0.2")
    assert locked.status_code == 429
    assert "_auth_user_id" not in other.session


def test_a_locked_out_unknown_username_looks_exactly_like_a_locked_out_real_one(world, settings):
    answers = []
    for username, address in (("township1", "10.1.1.1"), ("no-such-person", "10.1.1.2")):
        client = Client()
        failures = [
            _login(client, username, "wrong-password-1", address)
            for _ in range(settings.AXES_FAILURE_LIMIT)
        ]
        answers.append((failures[0], _login(client, username, PASSWORD, address)))
    (real_failure, real_locked), (unknown_failure, unknown_locked) = answers
    assert real_failure.status_code == unknown_failure.status_code == 200
    assert _csrf_free(real_failure.content).replace(b"township1", b"X") == _csrf_free(
        unknown_failure.content
    ).replace(b"no-such-person", b"X")
    assert real_locked.status_code == unknown_locked.status_code == 429
    assert real_locked.content == unknown_locked.content
    assert "锁定" in real_locked.content.decode()


def test_the_api_token_endpoint_answers_alike_for_unknown_and_real_usernames(world, settings):
    real = APIClient(REMOTE_ADDR="10.1.2.1")
    unknown = APIClient(REMOTE_ADDR="10.1.2.2")
    real_answer = real.post("/api/v1/auth/token/", {"username": "auditor", "password": "bad-1"})
    unknown_answer = unknown.post(
        "/api/v1/auth/token/", {"username": "nobody-here", "password": "bad-1"}
    )
    assert real_answer.status_code == unknown_answer.status_code == 400
    assert real_answer.json() == unknown_answer.json()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        real.post("/api/v1/auth/token/", {"username": "auditor", "password": "bad-1"})
        unknown.post("/api/v1/auth/token/", {"username": "nobody-here", "password": "bad-1"})
    real_locked = real.post("/api/v1/auth/token/", {"username": "auditor", "password": PASSWORD})
    unknown_locked = unknown.post(
        "/api/v1/auth/token/", {"username": "nobody-here", "password": PASSWORD}
    )
    assert real_locked.status_code == unknown_locked.status_code == 429
    assert real_locked.content == unknown_locked.content
    assert not ApiToken.objects.filter(user=world.auditor).exists()


def test_the_api_token_endpoint_gives_a_token_for_the_right_password(world):
    answer = APIClient(REMOTE_ADDR="10.1.2.3").post(
        "/api/v1/auth/token/", {"username": "auditor", "password": PASSWORD}
    )
    assert answer.status_code == 200
    token = answer.json()["token"]
    stored = ApiToken.objects.get(user=world.auditor)
    assert token not in {stored.digest, str(stored.pk)}, "only a hash of the token is kept"
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api.get("/api/v1/children/").status_code == 200


# --- password rules ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "password",
    [
        "Abcdef-12",  # 9 characters: too short
        "abcdefghijk",  # one kind of character
        "abcdefghij12",  # two kinds
        "ABCDEFGH-%!",  # two kinds
        "1234567890",  # numeric, one kind
        "Password123",  # three kinds, but on the common-password list
    ],
)
def test_weak_passwords_are_refused(db, password):
    with pytest.raises(ValidationError):
        validate_password(password)


@pytest.mark.parametrize("password", ["Correct-Horse-9", "yunxi县教育局2026", "tree-BOAT-river"])
def test_long_passwords_with_three_kinds_of_character_pass(db, password):
    validate_password(password)


def test_a_too_simple_password_is_refused_with_a_chinese_message(db):
    with translation.override("zh-hans"), pytest.raises(ValidationError) as refused:
        validate_password("abcdefghij12")
    messages = " ".join(refused.value.messages)
    assert "至少" in messages and "大写字母" in messages


def test_the_password_rules_are_the_configured_validators(settings):
    names = {v["NAME"].rsplit(".", 1)[-1]: v for v in settings.AUTH_PASSWORD_VALIDATORS}
    assert names["MinimumLengthValidator"]["OPTIONS"]["min_length"] >= 10
    assert names["PasswordComplexityValidator"]["OPTIONS"]["min_classes"] >= 3
    assert "CommonPasswordValidator" in names


def test_character_classes_count_chinese_and_punctuation_as_symbols():
    assert character_classes("aB3") == {"upper", "lower", "digit"}
    assert character_classes("a县") == {"lower", "symbol"}
    assert character_classes("a b") == {"lower", "symbol"}


# --- idle timeout and absolute lifetime --------------------------------------------------------


def _age_session(client, *, idle_for=0, started_ago=0):
    session = client.session
    now = int(time.time())
    session[SessionTimeoutMiddleware.LAST_SEEN] = now - idle_for
    session[SessionTimeoutMiddleware.STARTED] = now - started_ago
    session.save()


def test_a_login_idle_for_longer_than_the_setting_is_logged_out_with_a_message(world, settings):
    client = _logged_in_client("township1")
    _age_session(client, idle_for=settings.SESSION_IDLE_TIMEOUT - 60, started_ago=3600)
    assert client.get(reverse("home")).status_code == 200, "still inside the idle limit"

    _age_session(client, idle_for=settings.SESSION_IDLE_TIMEOUT + 1, started_ago=3600)
    response = client.get(reverse("home"), follow=True)
    assert response.redirect_chain[0][0].startswith(reverse("login"))
    assert "_auth_user_id" not in client.session
    minutes = settings.SESSION_IDLE_TIMEOUT // 60
    assert f"{minutes} 分钟" in response.content.decode()


def test_a_busy_login_still_ends_at_the_absolute_lifetime(world, settings):
    client = _logged_in_client("township1")
    _age_session(client, idle_for=0, started_ago=settings.SESSION_ABSOLUTE_LIFETIME - 60)
    assert client.get(reverse("home")).status_code == 200
    _age_session(client, idle_for=0, started_ago=settings.SESSION_ABSOLUTE_LIFETIME + 1)
    response = client.get(reverse("home"), follow=True)
    assert response.redirect_chain[0][0].startswith(reverse("login"))
    assert "_auth_user_id" not in client.session
    assert "请重新登录" in response.content.decode()


def test_an_idle_api_session_is_refused_not_served(world, settings):
    client = _logged_in_client("township1")
    assert client.get("/api/v1/children/").status_code == 200
    _age_session(client, idle_for=settings.SESSION_IDLE_TIMEOUT + 1, started_ago=3600)
    assert client.get("/api/v1/children/").status_code in (401, 403)


def test_requests_keep_an_active_login_alive(world, settings):
    client = _logged_in_client("township1")
    _age_session(client, idle_for=SessionTimeoutMiddleware.TOUCH_EVERY + 5, started_ago=3600)
    client.get(reverse("home"))
    last_seen = client.session[SessionTimeoutMiddleware.LAST_SEEN]
    assert int(time.time()) - last_seen < 5


def test_a_timeout_ends_only_that_browsers_login(world, settings):
    laptop = _logged_in_client("township1", "10.3.0.1")
    phone = _logged_in_client("township1", "10.3.0.2")
    _age_session(laptop, idle_for=settings.SESSION_IDLE_TIMEOUT + 1, started_ago=3600)
    assert laptop.get(reverse("home")).status_code == 302
    assert phone.get(reverse("home")).status_code == 200


def test_the_limits_are_settings(settings):
    assert 0 < settings.SESSION_IDLE_TIMEOUT <= 30 * 60
    assert settings.SESSION_IDLE_TIMEOUT < settings.SESSION_ABSOLUTE_LIFETIME <= 12 * 3600


# --- logout and deactivation end every session -------------------------------------------------


def test_logging_out_in_one_browser_ends_the_users_other_sessions(world):
    laptop = _logged_in_client("township1", "10.4.0.1")
    phone = _logged_in_client("township1", "10.4.0.2")
    colleague = _logged_in_client("township2", "10.4.0.3")
    assert len(_sessions_of(world.township1_user)) == 2

    laptop.post(reverse("logout"))

    assert _sessions_of(world.township1_user) == []
    assert phone.get(reverse("home")).status_code == 302
    assert colleague.get(reverse("home")).status_code == 200


def test_deactivating_a_user_ends_their_sessions_and_revokes_their_token(world):
    phone = _logged_in_client("village1", "10.5.0.1")
    colleague = _logged_in_client("township1", "10.5.0.2")
    api_token_for(world.village1_user)

    admin = Client()
    admin.force_login(get_user_model().objects.create_superuser("root", password=PASSWORD))
    page = reverse("admin:auth_user_change", args=[world.village1_user.pk])
    form = admin.get(page).context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and k != "password"}
    data.update(
        {
            "is_active": "",
            "groups": [g.pk for g in world.village1_user.groups.all()],
            "date_joined_0": world.village1_user.date_joined.strftime("%Y-%m-%d"),
            "date_joined_1": world.village1_user.date_joined.strftime("%H:%M:%S"),
            "last_login_0": "",
            "last_login_1": "",
        }
    )
    data.pop("user_permissions", None)
    data.pop("date_joined", None)
    data.pop("last_login", None)
    data.pop("is_active")
    # The user page's role assignments (an inline), posted back unchanged.
    shown = form_values(admin.get(page))
    data.update({k: v for k, v in shown.items() if k.startswith("role_assignments-")})
    response = admin.post(page, data)
    assert response.status_code == 302, response.context and response.context["adminform"].errors

    world.village1_user.refresh_from_db()
    assert not world.village1_user.is_active
    assert _sessions_of(world.village1_user) == []
    assert not ApiToken.objects.filter(user=world.village1_user).exists()
    assert phone.get(reverse("home")).status_code == 302
    assert colleague.get(reverse("home")).status_code == 200


def test_saving_an_active_user_ends_no_session(world):
    phone = _logged_in_client("village1", "10.6.0.1")
    world.village1_user.first_name = "新名"
    world.village1_user.save()
    assert phone.get(reverse("home")).status_code == 200


def test_end_all_sessions_ignores_unsaved_users(db):
    assert end_all_sessions(get_user_model()(username="ghost")) == 0


def test_the_session_clocks_start_at_login(world):
    client = _logged_in_client("township1", "10.7.0.1")
    now = time.time()
    assert abs(now - client.session[SessionTimeoutMiddleware.STARTED]) < 5
    assert abs(now - client.session[SessionTimeoutMiddleware.LAST_SEEN]) < 5
