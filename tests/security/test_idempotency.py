"""Double submits create one record (issue 16, point 10): a create form's one-time submission
key, the API's Idempotency-Key, and both under two requests sent at the same moment."""

import datetime
import re
import threading

import pytest
from django.db import connection, connections
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from core.idempotency import API_HEADER, FORM_FIELD, REPLAYED_HEADER
from core.models import IdempotencyKey
from enrollment.models import HouseholdVisit

from ..conftest import api_for, client_for, visit_form

KEY = re.compile(r'name="submission_key" value="([^"]+)"')


def _visit_api_body(world, **overrides):
    body = {
        "visit_date": timezone.localdate().isoformat(),
        "household": world.household1.pk,
        "children": [world.child1.pk],
        "visitors": "村干部甲",
        "findings": "均在家",
        "outcome": "at_home",
    }
    body.update(overrides)
    return body


def _form_key(client, url) -> str:
    page = client.get(url)
    assert page.status_code == 200
    (key,) = KEY.findall(page.content.decode())
    return key


# --- forms -----------------------------------------------------------------------------------


def test_a_resubmitted_visit_form_creates_one_visit_and_leads_to_the_first(world):
    client = client_for(world.village1_user)
    url = reverse("enrollment:record_visit", args=[world.child1.pk])
    data = visit_form(world, **{FORM_FIELD: _form_key(client, url)})
    first = client.post(url, data)
    again = client.post(url, data)
    assert first.status_code == again.status_code == 302
    assert again["Location"] == first["Location"]
    assert HouseholdVisit.objects.count() == 1
    page = client.get(again["Location"])
    assert "已提交" in page.content.decode()


def test_each_opening_of_the_form_gets_its_own_key(world):
    client = client_for(world.village1_user)
    url = reverse("enrollment:record_visit", args=[world.child1.pk])
    for _ in range(2):
        client.post(url, visit_form(world, **{FORM_FIELD: _form_key(client, url)}))
    assert HouseholdVisit.objects.count() == 2  # two visits recorded on purpose


def test_a_refused_submission_keeps_its_key_free_for_the_corrected_one(world):
    client = client_for(world.village1_user)
    url = reverse("enrollment:record_visit", args=[world.child1.pk])
    key = _form_key(client, url)
    refused = client.post(url, visit_form(world, visitors="", **{FORM_FIELD: key}))
    assert refused.status_code == 200 and HouseholdVisit.objects.count() == 0
    assert KEY.findall(refused.content.decode()) == [key]  # the form shown again keeps it
    assert client.post(url, visit_form(world, **{FORM_FIELD: key})).status_code == 302
    assert HouseholdVisit.objects.count() == 1


def test_one_users_key_does_not_answer_for_another_user(world):
    url = reverse("enrollment:record_visit", args=[world.child1.pk])
    mine = client_for(world.village1_user)
    key = _form_key(mine, url)
    mine.post(url, visit_form(world, **{FORM_FIELD: key}))
    client_for(world.township1_user).post(url, visit_form(world, **{FORM_FIELD: key}))
    assert HouseholdVisit.objects.count() == 2


def test_a_key_is_forgotten_after_its_lifetime(world, settings):
    client = client_for(world.village1_user)
    url = reverse("enrollment:record_visit", args=[world.child1.pk])
    data = visit_form(world, **{FORM_FIELD: _form_key(client, url)})
    client.post(url, data)
    IdempotencyKey.objects.update(
        created_at=timezone.now() - datetime.timedelta(seconds=settings.IDEMPOTENCY_KEY_TTL + 1)
    )
    client.post(url, data)
    assert HouseholdVisit.objects.count() == 2
    assert IdempotencyKey.objects.count() == 1  # the expired one was purged


# Every create form of the product, with a user allowed to open it (and its query: ?child=).
CHILD = {"query": "child"}
CREATE_FORMS = [
    ("enrollment:register_child", [], "township1_user"),
    ("enrollment:register_household", [], "township1_user"),
    ("enrollment:record_visit", ["child1"], "village1_user"),
    ("enrollment:assign_partner", ["child1"], "township1_user"),
    ("enrollment:change_status", ["child1"], "township1_user"),
    ("dropout:exemption_new", [], "township1_user", CHILD),
    ("dropout:open_case", [], "township1_user", CHILD),
    ("dropout:absence_new", [], "school1_user", CHILD),
    ("subsidies:programme_new", [], "bureau"),
    ("subsidies:batch_new", [], "bureau"),
    ("subsidies:fund_new", [], "bureau", {"kwargs": {"kind": "grant"}}),
    ("subsidies:donation_new", [], "bureau"),
    ("subsidies:gap_runs", [], "bureau"),
    ("teachers:teacher_new", [], "bureau"),
    ("teachers:exchange_new", [], "bureau"),
    ("teachers:training_new", [], "bureau"),
    ("teachers:batch_new", [], "bureau"),
    ("inspections:inspection_new", [], "inspector"),
    ("inspections:issue_new", [], "inspector"),
    ("inspections:complaint_new", [], "inspector"),
    ("inspections:campaign_list", [], "inspector"),
    ("inspections:group_list", [], "inspector"),
    ("core:import_new", [], "township1_user", {"kwargs": {"name": "police_extract"}}),
    ("dropout:report_list", [], "bureau"),
]


@pytest.mark.parametrize("route", CREATE_FORMS, ids=[route[0] for route in CREATE_FORMS])
def test_every_create_form_carries_a_one_time_key(world, route):
    from subsidies.models import ReliefFund

    ReliefFund.objects.create(county=world.county, name="教育救助基金", founded_on="2020-01-01")
    name, args, username, *extra = route
    extra = extra[0] if extra else {}
    url = reverse(name, args=[getattr(world, arg).pk for arg in args], kwargs=extra.get("kwargs"))
    if "query" in extra:
        url += f"?{extra['query']}={world.child1.pk}"
    page = client_for(getattr(world, username)).get(url)
    assert page.status_code == 200
    assert len(KEY.findall(page.content.decode())) >= 1


# --- the API ---------------------------------------------------------------------------------


def test_an_api_post_sent_twice_with_one_key_creates_one_visit_and_replays_the_answer(world):
    api = api_for(world.village1_user)
    body = _visit_api_body(world)
    headers = {API_HEADER: "visit-2026-0001"}
    first = api.post("/api/v1/visits/", body, format="json", headers=headers)
    again = api.post("/api/v1/visits/", body, format="json", headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.content == first.content and again[REPLAYED_HEADER] == "true"
    assert HouseholdVisit.objects.count() == 1


def test_without_a_key_two_api_posts_are_two_visits(world):
    api = api_for(world.village1_user)
    for _ in range(2):
        api.post("/api/v1/visits/", _visit_api_body(world), format="json")
    assert HouseholdVisit.objects.count() == 2


def test_the_same_key_with_another_body_is_refused_with_409(world):
    api = api_for(world.village1_user)
    headers = {API_HEADER: "visit-2026-0002"}
    api.post("/api/v1/visits/", _visit_api_body(world), format="json", headers=headers)
    other = api.post(
        "/api/v1/visits/", _visit_api_body(world, findings="另一次"), format="json", headers=headers
    )
    assert other.status_code == 409 and "Idempotency-Key" in other.json()["detail"]
    assert HouseholdVisit.objects.count() == 1


def test_a_refused_api_post_keeps_nothing_so_the_corrected_retry_runs(world):
    api = api_for(world.village1_user)
    headers = {API_HEADER: "visit-2026-0003"}
    bad = api.post(
        "/api/v1/visits/", _visit_api_body(world, outcome="maybe"), format="json", headers=headers
    )
    assert bad.status_code == 400 and not IdempotencyKey.objects.exists()
    fixed = api.post("/api/v1/visits/", _visit_api_body(world), format="json", headers=headers)
    assert fixed.status_code == 201 and HouseholdVisit.objects.count() == 1


def test_keys_are_per_user_and_a_malformed_key_is_400(world):
    body = _visit_api_body(world)
    headers = {API_HEADER: "shared-key"}
    api_for(world.village1_user).post("/api/v1/visits/", body, format="json", headers=headers)
    api_for(world.township1_user).post("/api/v1/visits/", body, format="json", headers=headers)
    assert HouseholdVisit.objects.count() == 2
    bad = api_for(world.village1_user).post(
        "/api/v1/visits/", body, format="json", headers={API_HEADER: "has space"}
    )
    assert bad.status_code == 400 and HouseholdVisit.objects.count() == 2


def test_a_multipart_create_is_replayed_too(world, tmp_path, settings):
    from ..dropout.conftest import exemption_body

    settings.MEDIA_ROOT = tmp_path
    api = api_for(world.township1_user)

    def post():
        return api.post(
            "/api/v1/exemptions/",
            exemption_body(world),
            format="multipart",
            headers={API_HEADER: "exemption-1"},
        )

    first, again = post(), post()
    assert first.status_code == 201, first.content
    assert again.status_code == 201 and again[REPLAYED_HEADER] == "true"
    from dropout.models import ExemptionRequest

    assert ExemptionRequest.objects.count() == 1


def test_the_token_endpoint_never_stores_its_answer(world):
    from ..conftest import PASSWORD

    world.village1_user.set_password(PASSWORD)
    world.village1_user.save()
    response = APIClient().post(
        "/api/v1/auth/token/",
        {"username": "village1", "password": PASSWORD},
        format="json",
        headers={API_HEADER: "token-1"},
    )
    assert response.status_code in (200, 201)
    assert not IdempotencyKey.objects.exists()


# --- at the same moment (PostgreSQL; SQLite: tests/core/test_sqlite_concurrency.py) ----------


def _at_once(count, send):
    barrier = threading.Barrier(count)
    results, errors = [], []

    def run():
        try:
            barrier.wait()
            results.append(send())
        except Exception as error:  # reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    return results


@pytest.mark.postgres
def test_two_visit_forms_posted_at_once_create_one_visit(transactional_db, world):
    if connection.vendor != "postgresql":
        pytest.fail("This test needs PostgreSQL; run it with DATABASE_URL set.")
    url = reverse("enrollment:record_visit", args=[world.child1.pk])
    opener = client_for(world.village1_user)
    data = visit_form(world, **{FORM_FIELD: _form_key(opener, url)})
    session = opener.cookies

    def send():
        client = Client()
        client.cookies = session
        return client.post(url, data)

    responses = _at_once(3, send)
    assert [response.status_code for response in responses] == [302, 302, 302]
    assert len({response["Location"] for response in responses}) == 1
    assert HouseholdVisit.objects.count() == 1


@pytest.mark.postgres
def test_two_api_posts_at_once_with_one_key_create_one_visit(transactional_db, world):
    if connection.vendor != "postgresql":
        pytest.fail("This test needs PostgreSQL; run it with DATABASE_URL set.")
    body = _visit_api_body(world)

    def send():
        return api_for(world.village1_user).post(
            "/api/v1/visits/", body, format="json", headers={API_HEADER: "at-once"}
        )

    responses = _at_once(2, send)
    assert sorted(response.status_code for response in responses) == [201, 201]
    assert responses[0].content == responses[1].content
    assert HouseholdVisit.objects.count() == 1


def test_the_schema_documents_the_header_on_creates_but_not_on_the_token_endpoint(world):
    schema = api_for(world.admin).get("/api/schema/", HTTP_ACCEPT="application/json").json()

    def headers(path):
        parameters = schema["paths"][path]["post"].get("parameters", [])
        return {p["name"] for p in parameters if p["in"] == "header"}

    assert API_HEADER in headers("/api/v1/visits/")
    assert API_HEADER in headers("/api/v1/dropout-cases/{id}/issue-notice/")
    assert API_HEADER not in headers("/api/v1/auth/token/")
