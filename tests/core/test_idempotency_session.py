"""An Idempotency-Key sent by a browser's session (CSRF token in the header), not a token: the
middleware's look-up of the user reads the body for the CSRF check; the view must still see the
user and the body, and a retry must be answered once."""

import json

from django.test import Client
from django.utils import timezone

from enrollment.models import HouseholdVisit


def _session_client(user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    token = client.get("/api/v1/visit-session/").json()["csrf_token"]
    return client, token


def test_a_multipart_post_of_a_session_with_a_key_is_answered_once(world):
    client, token = _session_client(world.village1_user)
    version = client.get("/api/v1/visit-worklist/").json()["children"][0]["state"]["version"]
    body = {
        "child": world.sibling1.pk,
        "seen_version": version,
        "visit_date": timezone.localdate().isoformat(),
        "visitors": "村干部甲",
        "findings": "孩子在家",
        "outcome": "at_home",
    }
    headers = {"HTTP_X_CSRFTOKEN": token, "HTTP_IDEMPOTENCY_KEY": "session-multipart-1"}
    first = client.post("/api/v1/visit-sync/", body, **headers)
    again = client.post("/api/v1/visit-sync/", body, **headers)
    assert first.status_code == again.status_code == 201, first.content
    assert again["Idempotent-Replayed"] == "true"
    assert HouseholdVisit.objects.count() == 1


def test_a_json_post_of_a_session_with_a_key_is_answered_once(world):
    client, token = _session_client(world.township1_user)
    body = json.dumps(
        {
            "visit_date": timezone.localdate().isoformat(),
            "household": world.household1.pk,
            "children": [world.sibling1.pk],
            "visitors": "乡镇干部甲",
            "findings": "孩子在家",
            "outcome": "at_home",
        }
    )
    headers = {"HTTP_X_CSRFTOKEN": token, "HTTP_IDEMPOTENCY_KEY": "session-json-1"}
    first = client.post("/api/v1/visits/", body, content_type="application/json", **headers)
    again = client.post("/api/v1/visits/", body, content_type="application/json", **headers)
    assert first.status_code == again.status_code == 201, first.content
    assert again["Idempotent-Replayed"] == "true"
    assert HouseholdVisit.objects.count() == 1


def test_a_session_post_without_the_csrf_token_is_refused_and_keeps_no_key(world):
    client, _token = _session_client(world.township1_user)
    response = client.post(
        "/api/v1/visits/",
        json.dumps({"visit_date": timezone.localdate().isoformat()}),
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="session-json-2",
    )
    assert response.status_code == 403
    assert HouseholdVisit.objects.count() == 0
