"""Point 1 of issue 16: API tokens are stored hashed (django-rest-knox), shown once, expire
after a setting's idleness and absolute lifetime, are revoked by their user (page and API), by
the county administrator of their county, by logout and by deactivation; and no secret (a
token, its digest, a session key, a CSRF token, a password hash) reaches an audit row, the
audit page or its export, an API answer or a log line."""

import datetime
import io
import logging
import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from knox.crypto import hash_token
from openpyxl import load_workbook
from rest_framework.test import APIClient

from core.models import ApiToken, AuditEvent, ExportJob
from enrollment.roles import Role
from enrollment.services import grant_role

from ..conftest import PASSWORD, api_token_for, client_for
from ..factories import CountyFactory, TownshipFactory, UserFactory

TOKEN_URL = "/api/v1/auth/token/"


@pytest.fixture(autouse=True)
def _fresh_throttle_cache():
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


def _api(token=None, address="10.20.0.1"):
    api = APIClient(REMOTE_ADDR=address)
    if token:
        api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return api


def _obtain(username, address="10.20.0.1"):
    answer = _api(address=address).post(TOKEN_URL, {"username": username, "password": PASSWORD})
    assert answer.status_code == 200, answer.content
    return answer.json()


# --- issue: hashed, shown once, with its expiry ------------------------------------------------


def test_the_token_endpoint_answers_the_token_and_its_expiry_and_keeps_only_a_hash(world):
    before = timezone.now()
    body = _obtain("township1")
    token = body["token"]
    stored = ApiToken.objects.get(user=world.township1_user)
    assert stored.digest == hash_token(token) != token
    assert token not in {stored.token_key, str(stored.pk)} and stored.token_key in token
    expiry = datetime.datetime.fromisoformat(body["expiry"])
    assert (
        before + datetime.timedelta(hours=8)
        <= expiry
        <= timezone.now() + datetime.timedelta(hours=8)
    )
    assert _api(token).get("/api/v1/children/").status_code == 200


def test_the_token_list_never_shows_a_token_again(world):
    token = _obtain("township1")["token"]
    answer = _api(token).get("/api/v1/auth/tokens/")
    assert answer.status_code == 200
    (row,) = answer.json()
    assert row["current"] is True and token.startswith(row["prefix"]) and len(row["prefix"]) == 8
    assert token not in answer.content.decode()
    assert hash_token(token) not in answer.content.decode()


def test_the_expiry_settings_are_eight_idle_hours_and_seven_days(settings):
    assert settings.API_TOKEN_IDLE_HOURS == 8 and settings.API_TOKEN_MAX_DAYS == 7
    assert settings.REST_KNOX["AUTO_REFRESH"] is True
    assert settings.REST_KNOX["TOKEN_TTL"] == datetime.timedelta(hours=8)
    assert settings.REST_KNOX["AUTO_REFRESH_MAX_TTL"] == datetime.timedelta(days=7)


# --- expiry: idle and absolute ----------------------------------------------------------------


def _age(token: str, *, created_ago=datetime.timedelta(0), expires_in):
    now = timezone.now()
    ApiToken.objects.filter(digest=hash_token(token)).update(
        created=now - created_ago, expiry=now + expires_in
    )


def test_using_a_token_moves_its_idle_expiry_forward(world):
    token = api_token_for(world.township1_user)
    _age(token, created_ago=datetime.timedelta(hours=7), expires_in=datetime.timedelta(hours=1))
    assert _api(token).get("/api/v1/children/").status_code == 200
    expiry = ApiToken.objects.get(digest=hash_token(token)).expiry
    assert expiry > timezone.now() + datetime.timedelta(hours=7, minutes=59)


def test_a_token_idle_for_longer_than_the_setting_is_refused_and_deleted(world):
    token = api_token_for(world.township1_user)
    _age(token, created_ago=datetime.timedelta(hours=9), expires_in=-datetime.timedelta(hours=1))
    assert _api(token).get("/api/v1/children/").status_code == 401
    assert not ApiToken.objects.filter(digest=hash_token(token)).exists()


def test_a_busy_token_still_dies_at_the_absolute_lifetime(world):
    token = api_token_for(world.township1_user)
    lived = datetime.timedelta(days=7) - datetime.timedelta(minutes=30)
    _age(token, created_ago=lived, expires_in=datetime.timedelta(minutes=5))
    assert _api(token).get("/api/v1/children/").status_code == 200
    stored = ApiToken.objects.get(digest=hash_token(token))
    assert stored.expiry == stored.created + datetime.timedelta(days=7), "capped, not +8 hours"
    ApiToken.objects.filter(pk=stored.pk).update(
        created=timezone.now() - datetime.timedelta(days=7, seconds=1),
        expiry=timezone.now() - datetime.timedelta(seconds=1),
    )
    assert _api(token).get("/api/v1/children/").status_code == 401


# --- revocation -------------------------------------------------------------------------------


def test_api_logout_revokes_the_token_it_was_sent_with_only(world):
    laptop, script = api_token_for(world.township1_user), api_token_for(world.township1_user)
    assert _api(laptop).post("/api/v1/auth/logout/").status_code == 204
    assert _api(laptop).get("/api/v1/children/").status_code == 401
    assert _api(script).get("/api/v1/children/").status_code == 200
    revoked = AuditEvent.objects.filter(action="logout", object_type="core.apitoken")
    assert revoked.get().detail == {"reason": "api logout"}


def test_a_user_revokes_their_own_token_by_api_but_not_anothers(world):
    mine, other = api_token_for(world.township1_user), api_token_for(world.township2_user)
    other_id = ApiToken.objects.get(digest=hash_token(other)).pk
    assert _api(mine).delete(f"/api/v1/auth/tokens/{other_id}/").status_code == 404
    assert _api(other).get("/api/v1/children/").status_code == 200
    mine_id = ApiToken.objects.get(digest=hash_token(mine)).pk
    assert _api(mine).delete(f"/api/v1/auth/tokens/{mine_id}/").status_code == 204
    assert _api(mine).get("/api/v1/children/").status_code == 401


def test_the_my_tokens_page_issues_a_token_once_and_revokes_it(world):
    browser = client_for(world.village1_user)
    issued = browser.post(reverse("core:token_list"))
    assert issued.status_code == 200
    token = issued.context["issued"]
    assert token in issued.content.decode()
    assert _api(token).get("/api/v1/children/").status_code == 200

    listing = browser.get(reverse("core:token_list"))
    stored = ApiToken.objects.get(user=world.village1_user)
    assert token not in listing.content.decode(), "shown once"
    assert stored.shown_prefix in listing.content.decode()
    other = ApiToken.objects.get(digest=hash_token(api_token_for(world.township1_user)))
    assert browser.post(reverse("core:token_revoke", args=[other.pk])).status_code == 404
    assert ApiToken.objects.filter(pk=other.pk).exists()
    assert browser.post(reverse("core:token_revoke", args=[stored.pk])).status_code == 302
    assert _api(token).get("/api/v1/children/").status_code == 401


def test_web_logout_revokes_every_token_of_the_user_only(world):
    token = api_token_for(world.township1_user)
    colleague = api_token_for(world.township2_user)
    browser = Client()
    browser.post(reverse("login"), {"username": "township1", "password": PASSWORD})
    browser.post(reverse("logout"))
    assert _api(token).get("/api/v1/children/").status_code == 401
    assert _api(colleague).get("/api/v1/children/").status_code == 200


def test_deactivating_a_user_revokes_their_tokens(world):
    token = api_token_for(world.village1_user)
    world.village1_user.is_active = False
    world.village1_user.save()
    assert not ApiToken.objects.filter(user=world.village1_user).exists()
    assert _api(token).get("/api/v1/children/").status_code == 401


@pytest.fixture
def other_county(world):
    county = CountyFactory(code="510400", name="邻县")
    township = TownshipFactory(county=county, name="邻镇")
    official = UserFactory(username="neighbour")
    grant_role(user=official, role=Role.TOWNSHIP_OFFICIAL, place=township)
    admin = UserFactory(username="neighbour-admin")
    grant_role(user=admin, role=Role.COUNTY_ADMIN, place=county)
    return official, admin


def test_the_county_admin_revokes_the_tokens_of_a_user_of_their_county(world, other_county):
    token = api_token_for(world.township1_user)
    stored = ApiToken.objects.get(digest=hash_token(token))
    admin = client_for(world.admin)
    listing = admin.get(reverse("enrollment:account_list")).content.decode()
    assert "township1" in listing and "neighbour" not in listing
    page = admin.get(reverse("enrollment:account_security", args=[world.township1_user.pk]))
    assert page.status_code == 200 and stored.shown_prefix in page.content.decode()
    assert token not in page.content.decode() and stored.digest not in page.content.decode()
    url = reverse("enrollment:account_revoke_token", args=[world.township1_user.pk, stored.pk])
    assert admin.post(url).status_code == 302
    assert _api(token).get("/api/v1/children/").status_code == 401
    event = AuditEvent.objects.get(action="logout", object_id=str(stored.pk))
    assert event.username == "admin" and event.detail == {"reason": "revoked by the administrator"}


def test_the_county_admin_cannot_reach_another_countys_user_nor_may_other_roles(
    world, other_county
):
    neighbour, neighbour_admin = other_county
    token = api_token_for(neighbour)
    admin = client_for(world.admin)
    for name in ("account_security", "account_revoke_all", "account_unlock"):
        url = reverse(f"enrollment:{name}", args=[neighbour.pk])
        assert admin.post(url).status_code == 404, name
    assert _api(token).get("/api/v1/townships/").status_code == 200

    township = client_for(world.township1_user)
    assert township.get(reverse("enrollment:account_list")).status_code == 403
    url = reverse("enrollment:account_revoke_all", args=[world.township2_user.pk])
    assert township.post(url).status_code == 404

    # The neighbouring county's administrator does reach them.
    mine = client_for(neighbour_admin)
    assert mine.post(reverse("enrollment:account_revoke_all", args=[neighbour.pk])).status_code
    assert _api(token).get("/api/v1/townships/").status_code == 401


# --- no secret anywhere -----------------------------------------------------------------------


def _csrf_login(username, address):
    browser = Client(enforce_csrf_checks=True, REMOTE_ADDR=address)
    form = browser.get(reverse("login"))
    csrf = form.cookies["csrftoken"].value
    answer = browser.post(
        reverse("login"),
        {"username": username, "password": PASSWORD, "csrfmiddlewaretoken": csrf},
        HTTP_X_CSRFTOKEN=csrf,
    )
    assert answer.status_code == 302
    return browser, browser.cookies["csrftoken"].value  # rotated at login


def test_no_secret_reaches_an_audit_row_the_audit_page_or_export_an_api_answer_or_a_log(
    world, settings, tmp_path, caplog, capfd, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = tmp_path
    caplog.set_level(logging.DEBUG)
    secrets = {}

    # Tokens issued through the API (the auditor's and the administrator's) and the web page.
    for username in ("auditor", "admin"):
        token = _obtain(username)["token"]
        secrets[f"{username} token"] = token
        secrets[f"{username} token digest"] = hash_token(token)
    issued = client_for(world.township1_user).post(reverse("core:token_list")).context["issued"]
    secrets["web token"], secrets["web token digest"] = issued, hash_token(issued)
    api_answers = [
        _api(secrets["admin token"]).get(path).content.decode()
        for path in ("/api/v1/children/", "/api/v1/auth/tokens/", "/api/v1/townships/")
    ]

    # Sessions with CSRF tokens; a password changed; a failed login; a token used and revoked.
    browser, csrf = _csrf_login("bureau", "10.30.0.1")
    secrets["bureau session"] = browser.cookies["sessionid"].value
    secrets["bureau csrf"] = csrf
    user = get_user_model().objects.get(username="inspector")
    user.set_password("Another-Horse-10")
    user.save()
    secrets["inspector password hash"] = user.password
    Client().post(reverse("login"), {"username": "auditor", "password": "Wrong-Horse-1"})
    _api(secrets["web token"]).post("/api/v1/auth/logout/")

    auditor, auditor_csrf = _csrf_login("auditor", "10.30.0.2")
    secrets["auditor session"] = auditor.cookies["sessionid"].value
    secrets["auditor csrf"] = auditor_csrf
    for session in Session.objects.all():
        secrets[f"session {session.pk[:4]}"] = session.session_key
    pages = [
        auditor.get(reverse("core:audit_list"), {"page": page}).content.decode()
        for page in (1, 2, 3)
    ]
    with django_capture_on_commit_callbacks(execute=True):
        auditor.post(reverse("core:audit_export"), HTTP_X_CSRFTOKEN=auditor_csrf)
    job = ExportJob.objects.get(exporter="audit", requested_by=world.auditor)
    job.refresh_from_db()
    assert job.status == ExportJob.Status.DONE, job.error
    download = auditor.get(reverse("core:export_download", args=[job.pk]))
    sheet = load_workbook(io.BytesIO(b"".join(download.streaming_content))).active
    export_text = "\n".join(
        " ".join(str(cell) for cell in row if cell is not None)
        for row in sheet.iter_rows(values_only=True)
    )

    audit_rows = [
        " ".join(str(value) for value in row)
        for row in AuditEvent.objects.values_list(
            *[field.attname for field in AuditEvent._meta.concrete_fields]
        )
    ]
    assert len(audit_rows) > 5
    assert any("core.apitoken" in row for row in audit_rows), "tokens are audited, by number"
    logs = caplog.text + "\n".join(capfd.readouterr())
    places = {
        "audit rows": "\n".join(audit_rows),
        "audit page": "\n".join(pages),
        "audit export": export_text,
        "API answers": "\n".join(api_answers),
        "logs": logs,
    }
    found = [
        f"{what} in the {place}"
        for what, secret in secrets.items()
        for place, text in places.items()
        if secret and (secret in text or _fragment(secret) in text)
    ]
    assert found == []


def _fragment(secret: str) -> str:
    """The part of a secret after any algorithm prefix (a password hash's salt and hash)."""
    return re.split(r"\$", secret)[-1] if "$" in secret else secret
