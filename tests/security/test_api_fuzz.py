"""Item 13 of issue 10 and item 8 of issue 16 (the API's own contract): the OpenAPI schema
generates without a warning or an error, and a property-based run (schemathesis) of every
operation in it, as every role, with valid and invalid input, finds no server error, no status
code the operation does not document and no answer that breaks the schema. An auditor never
writes: every write the auditor sends is refused, and one that another role's write shows to be
valid is refused with 403 (the role is checked before the object's state: never 409).

The run is bounded (a few examples per operation and generation mode) and derandomised, so it is
the same every time; the data are a small demo county loaded with every module's demo loader,
each of which must succeed."""

import io
import json
import logging
from dataclasses import replace

import hypothesis
import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.management import call_command
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from enrollment import demo
from enrollment.extensions import DEMO_LOADERS

from ..conftest import api_token_for

POSITIVE_EXAMPLES = 2  # the first sent as every role, the others as one role each, in turn
NEGATIVE_EXAMPLES = 2  # each sent as one role, in turn
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    response_schema_conformance,
    content_type_conformance,
]
WRITES = {"POST", "PUT", "PATCH", "DELETE"}
# Not fuzzed: the token endpoint (its lockout and throttle are tested in test_login.py) and the
# calls that revoke tokens, the fuzzer's own among them (tests/security/test_tokens.py).
SKIPPED = {
    ("POST", "/api/v1/auth/token/"),
    ("POST", "/api/v1/auth/logout/"),
    ("DELETE", "/api/v1/auth/tokens/{id}/"),
}
# The caller's own inbox, not a record of the county: everyone marks their own notifications
# read, the auditor too (as on the notifications page).
OWN_INBOX = {
    ("POST", "/api/v1/notifications/{id}/read/"),
    ("POST", "/api/v1/notifications/read-all/"),
}
ROLES = ["admin", "bureau", "township1", "village1", "school1", "inspector", "auditor", "nobody"]


def test_the_openapi_schema_generates_without_warnings_or_errors(tmp_path):
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "spectacular",
        "--validate",
        "--fail-on-warn",
        "--file",
        str(tmp_path / "schema.yml"),
        stdout=out,
        stderr=err,
    )
    assert "Warning" not in err.getvalue() and "Error" not in err.getvalue(), err.getvalue()
    assert (tmp_path / "schema.yml").stat().st_size > 10_000


@pytest.fixture
def demo_county(db, monkeypatch):
    """A small demo county with every module's demo data and one user per role."""
    small = replace(
        demo.SCALES["demo"], townships=2, villages_per_township=2, children_per_village=25
    )
    monkeypatch.setitem(demo.SCALES, "demo", small)
    county, _created = demo.load_demo("demo")
    demo.ensure_demo_users(county)
    accounts = demo.demo_accounts(county)
    loader_errors = []
    for loader in DEMO_LOADERS:
        # Every module's loader must build its data on so small a county too: a loader that
        # failed would leave its endpoints fuzzed against empty lists only.
        try:
            with transaction.atomic():
                loader(county, accounts, small)
        except Exception as error:
            loader_errors.append(f"{loader.__module__}: {type(error).__name__}: {error}")
    assert loader_errors == []
    from tests.factories import UserFactory

    accounts["nobody"] = UserFactory(username="nobody")
    return county, accounts


@pytest.fixture
def wsgi_app():
    """Django's WSGI application inside the test transaction: it must not close the connection
    at the start and end of each request (Django's own test client does the same)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield WSGIHandler()
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def _real_ids(app, token: str, operation) -> list:
    """Ids of existing objects for an operation on /…/{id}/…: read from its collection."""
    if "{id}" not in operation.path:
        return []
    collection = operation.path.split("{id}")[0]
    from werkzeug.test import Client

    answer = Client(app).get(
        f"/api/v1{collection}" if not collection.startswith("/api") else collection,
        headers={"Authorization": f"Token {token}"},
    )
    if answer.status_code != 200:
        return []
    body = json.loads(answer.get_data())
    rows = body.get("results", body) if isinstance(body, dict) else body
    return [row["id"] for row in rows if isinstance(row, dict) and "id" in row][:3]


def _describe(case, role: str) -> str:
    kwargs = case.as_transport_kwargs()
    body = kwargs.get("json", kwargs.get("data", ""))
    return (
        f"{role}: {kwargs['method']} {kwargs['path']}"
        f"{'?' + str(kwargs['query_string']) if kwargs.get('query_string') else ''}"
        f" body={body!r:.300}"
    )


@pytest.fixture
def quiet_request_log():
    """Thousands of expected 400/403/404 answers would each log a warning."""
    logger = logging.getLogger("django.request")
    level = logger.level
    logger.setLevel(logging.ERROR)
    yield
    logger.setLevel(level)


@pytest.mark.django_db
@pytest.mark.usefixtures("quiet_request_log")
def test_every_operation_as_every_role_answers_without_server_error_or_schema_breach(
    demo_county, wsgi_app, settings
):
    settings.AXES_ENABLED = True
    _county, accounts = demo_county
    tokens = {role: api_token_for(accounts[role]) for role in ROLES}
    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", wsgi_app)
    failures: dict[tuple, str] = {}  # (method, path template, what) → one exact request
    operations = 0

    def record(case, role, what):
        key = (case.method.upper(), case.operation.path, what)
        failures.setdefault(key, _describe(case, role))

    def exercise(strategy, examples, roles_for):
        counter = iter(range(1_000_000))

        @hypothesis.settings(
            max_examples=examples,
            deadline=None,
            database=None,
            derandomize=True,
            phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],
            suppress_health_check=list(hypothesis.HealthCheck),
        )
        @hypothesis.given(case=strategy)
        def run(case):
            roles = roles_for(next(counter))
            write = case.method.upper() in WRITES
            if write:  # every write is sent as the auditor too, first: before another changes
                roles = ["auditor", *[role for role in roles if role != "auditor"]]
            answers = {}
            for role in roles:
                headers = {"Authorization": f"Token {tokens[role]}"}
                try:
                    # A savepoint per request: an error inside one cannot break the test's
                    # transaction for the next.
                    with transaction.atomic():
                        response = case.call(headers=headers)
                    answers[role] = response.status_code
                    case.validate_response(response, checks=CHECKS, headers=headers)
                except FailureGroup as group:
                    for failure in group.exceptions:
                        first_line = failure.message.strip().splitlines()[0][:200]
                        record(case, role, f"{failure.title}: {first_line}")
                except Exception as error:  # an exception escaping the view is a 500
                    record(case, role, f"{type(error).__name__}: {str(error)[:200]}")
            if write and "auditor" in answers and (case.method.upper(), case.path) not in OWN_INBOX:
                auditor = answers.pop("auditor")
                if auditor < 300 or auditor == 409:
                    record(case, "auditor", f"the auditor's write answered {auditor}")
                elif auditor != 403 and any(code < 300 for code in answers.values()):
                    # Another role's write of the same request succeeded: it was valid.
                    record(case, "auditor", f"the auditor's valid write answered {auditor}")

        try:
            run()
        except hypothesis.errors.Unsatisfiable:
            pass  # nothing to vary in this mode (e.g. no invalid value for a fixed id)

    for result in schema.get_all_operations():
        operation = result.ok()
        if (operation.method.upper(), operation.path) in SKIPPED:
            continue
        operations += 1
        ids = _real_ids(wsgi_app, tokens["admin"], operation)
        path_parameters = {"id": ids[0]} if ids else None
        # Valid input as every role, then as one role per example; invalid input as one role
        # per example, in turn. An
        # operation with nothing but its (fixed) id has one possible request and no invalid one.
        varies = bool(len(operation.query) or list(operation.body))
        exercise(
            operation.as_strategy(GenerationMode.POSITIVE, path_parameters=path_parameters),
            POSITIVE_EXAMPLES if varies else 1,
            lambda n: ROLES if n == 0 else [ROLES[n % len(ROLES)]],
        )
        if varies:
            exercise(
                operation.as_strategy(GenerationMode.NEGATIVE, path_parameters=path_parameters),
                NEGATIVE_EXAMPLES,
                lambda n: [ROLES[n % len(ROLES)]],
            )

    assert operations > 50
    print(f"fuzzed {operations} operations")
    report = [
        f"{m} {path}: {what}\n    e.g. {example}"
        for (m, path, what), example in sorted(failures.items())
    ]
    assert report == [], f"{len(report)} failures:\n" + "\n".join(report)
