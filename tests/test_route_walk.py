"""Every door, as every role: each page route and each API operation, walked by all seven roles
and an anonymous visitor, on a record inside and a record outside the user's scope.

The answer expected comes from the route's declared rule (`config.access`: the app's role sets
and transition tables the view applies), never from the route's name:
- anonymous: the login page (the API: 401/403);
- a method the route does not take: 405;
- a role refused before the record is read: 403;
- a record outside the user's scope: 404;
- a role the rule refuses (for a step: the transition table's `can()` refuses the role): 403;
- a role the rule allows: an answer that is neither refused (403/404/405) nor an error (5xx).
An auditor writes nothing anywhere (no create/update/delete in the audit log), and the API
refuses an auditor's create with a *valid* body (one another role's create shows valid) with 403.

The data: a small demo county with every module's demo data, loaded once for the module; each
route's test runs in its own savepoint, so a step one role takes is undone before the next route.
"""

import datetime
import itertools

import pytest
from django.apps import apps
from django.db import transaction
from django.test import Client
from django.urls import URLResolver, get_resolver, reverse
from rest_framework.test import APIClient

from config import access
from config.api_urls import router
from core.models import ApiToken, AuditEvent, ExportJob, ImportJob, Notification
from enrollment import demo
from enrollment.roles import Role

from .conftest import load_small_demo

SKIPPED_PREFIXES = ("admin/", "i18n/", "api/")
WRITES = (AuditEvent.Action.CREATE, AuditEvent.Action.UPDATE, AuditEvent.Action.DELETE)
ALLOWED = "allowed"
# Records a route serves a file of: pick one that has the file (the others answer 404 by design).
RECORD_FILTERS = {
    "enrollment:visit_attachment": {"attachment__gt": ""},
    "core:export_download": {"file__gt": ""},
    "dropout:exemption_file": {"application_scan__gt": ""},
    "inspections:issue_evidence": {"evidence_file__gt": ""},
    "inspections:issue_event_evidence": {"evidence_file__gt": ""},
    "dropout:report_workbook": {"workbook__gt": ""},
    "transfers:letter": {"letter_number__gt": ""},
}


def _first_scope(user, kwargs):
    from core.imports import importers

    importer = next(i for i in importers() if i.name == kwargs["name"])
    choices = importer.scope_choices(user)
    return {"scope": choices[0][0]} if choices else {}


def _identification_school(user, kwargs):
    from enrollment.models import School
    from subsidies.roles import IDENTIFY_ROLES

    school = School.objects.for_user(user, roles=IDENTIFY_ROLES).order_by("pk").first()
    return {"school": school.pk, "school_year": 2025} if school else {}


# What a POST must carry to reach the rule (a route that names its place or list in the body
# answers 404 without it, for everyone).
POST_BODIES = {
    "core:import_new": _first_scope,
    "enrollment:crosscheck_export": lambda user, kwargs: {"list": "unaccounted"},
    "subsidies:identification_school_action": _identification_school,
}
EXTRA_QUERY = {"subsidies:identification_notice": "&school_year=2025"}


def page_routes():
    def walk(patterns, prefix="", namespace=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = namespace
                if pattern.namespace:
                    inner = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
            elif pattern.name:
                route = prefix + str(pattern.pattern)
                if not route.startswith(SKIPPED_PREFIXES):
                    yield f"{namespace}:{pattern.name}" if namespace else pattern.name

    return sorted(set(walk(get_resolver().url_patterns)))


# --- data: a small county with every module's demo data, loaded once for the module ----------


@pytest.fixture(scope="module")
def county(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            place, accounts = load_small_demo()
            _own_records(place, accounts)
            yield accounts
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


def _own_records(county, accounts):
    """Records that belong to one user (an export, an import, a message, a token) and the few
    kinds the demo makes in one township only."""
    from django.core.files.base import ContentFile

    from dropout.models import AbsenceReport, ReportRun
    from enrollment.models import Child, EnrollmentStatus

    township = accounts["township1"].role_assignments.get().township
    for username in ("bureau", "township1"):
        user = accounts[username]
        job = ExportJob.objects.create(
            requested_by=user, exporter="ledger", title="台账", params={}
        )
        job.file.save("ledger.xlsx", ContentFile(b"x"), save=False)
        job.status = ExportJob.Status.DONE
        job.save()
        ImportJob.objects.create(
            uploaded_by=user,
            importer="police_extract",
            title="户籍花名册",
            scope_key=f"township:{township.pk}",
            scope_label=township.name,
            file=ContentFile(b"x", name="extract.xlsx"),
            original_name="extract.xlsx",
        )
        Notification.objects.create(recipient=user, message="月报已发布", link="/")
        ApiToken.objects.create(user=user)
    ReportRun.objects.create(
        county=county, month=datetime.date(2026, 1, 1), requested_by=accounts["bureau"]
    )
    from risk.models import RiskRun

    RiskRun.objects.create(county=county, kind=RiskRun.Kind.SCORES, requested_by=accounts["bureau"])
    _files(accounts)
    other = (
        Child.objects.exclude(
            village__township=accounts["township1"].role_assignments.get().township
        )
        .filter(village__township__county=county, status=EnrollmentStatus.IN_SCHOOL)
        .first()
    )
    AbsenceReport.objects.create(
        child=other,
        school=other.current_school,
        first_absent_on=datetime.date(2026, 1, 5),
        reported_by=accounts["admin"],
    )


def _files(accounts):
    """A stored file on one record inside township1's scope and one outside it, for each route
    that serves one (the demo stores none)."""
    from django.core.files.base import ContentFile

    from enrollment.models import HouseholdVisit
    from inspections.models import Issue, IssueEvent

    township1 = accounts["township1"]
    for model, field_name in (
        (HouseholdVisit, "attachment"),
        (Issue, "evidence_file"),
        (IssueEvent, "evidence_file"),
    ):
        if model is IssueEvent:
            mine = model.objects.filter(issue__in=Issue.objects.for_user(township1).values("pk"))
        else:
            mine = model.objects.for_user(township1)
        for record in (
            mine.order_by("pk").first(),
            model.objects.exclude(pk__in=mine.values("pk")).order_by("pk").first(),
        ):
            getattr(record, field_name).save("scan.bin", ContentFile(b"scan"), save=False)
            record.save(update_fields=[field_name])


def _role_users(accounts) -> dict:
    """One demo user per role (the county administrator last: a step of theirs, such as revoking
    a user's sessions, must not sign out the users walked after them)."""
    users = {}
    for username, role, _scope in demo.DEMO_USERS:
        users.setdefault(role, accounts[username])
    assert set(users) == set(Role), "a role without a demo user: the walk must cover it"
    return dict(sorted(users.items(), key=lambda item: item[0] == Role.COUNTY_ADMIN))


@pytest.fixture(scope="module")
def browsers(county, django_db_blocker):
    """A signed-in browser and an API client per role, made once for the module."""
    with django_db_blocker.unblock():
        pages, api = {}, {}
        for role, user in _role_users(county).items():
            pages[role] = Client()
            pages[role].force_login(user)
            api[role] = APIClient()
            api[role].force_authenticate(user)
        return _role_users(county), pages, api


# --- records and URLs ------------------------------------------------------------------------


def scope_of(door, user, model):
    if door.scope is not None:
        return door.scope(user)
    if door.owner:
        return model.objects.filter(**{door.owner: user})
    if hasattr(model.objects, "for_user"):
        return model.objects.for_user(user)
    return model.objects.all()  # a catalogue shared by the county: every user reads it


def records_for(name, door, user):
    """(record, inside the user's scope) pairs: one record inside, one outside (when any)."""
    model = apps.get_model(door.record)
    wanted = model.objects.filter(**RECORD_FILTERS.get(name, {})).order_by("pk")
    mine = scope_of(door, user, model).values("pk")
    inside = wanted.filter(pk__in=mine).first()
    outside = wanted.exclude(pk__in=mine).first()
    return [(record, flag) for record, flag in ((inside, True), (outside, False)) if record]


def url_for(name, door, record, values):
    kwargs = dict(values)
    query = ""
    if record is not None:
        if door.query:
            query = f"?{door.query}={record.pk}"
        else:
            for parameter, attribute in door.params.items():
                kwargs[parameter] = getattr(record, attribute)
    return reverse(name, kwargs=kwargs) + query + (EXTRA_QUERY.get(name, "") if query else "")


def value_sets(door):
    names = list(door.values)
    return [
        dict(zip(names, combo, strict=True)) for combo in itertools.product(*door.values.values())
    ]


def inside_url(name, door, user):
    """(URL, record) of the route for a record inside the user's scope (its first accepted
    words), for the walks that read what a user is shown (masking, accessibility); None when
    the user's scope holds no such record."""
    record = None
    if door.record:
        found = [record for record, inside in records_for(name, door, user) if inside]
        if not found:
            return None
        record = found[0]
    return url_for(name, door, record, value_sets(door)[0]), record


def expected(gate, user, record, inside, kwargs):
    if not gate.accepted:
        return 405
    if gate.first and not gate.allows(user, record, kwargs):
        return gate.refusal
    if record is not None and not inside:
        return 404
    while gate is not None:
        if not gate.allows(user, record, kwargs):
            return gate.refusal
        gate = gate.then
    return ALLOWED


def matches(want, got) -> bool:
    if want == ALLOWED:
        return got not in (403, 404, 405) and got < 500
    return got == want


def audit_writes():
    return AuditEvent.objects.filter(action__in=WRITES).count()


# --- the tests -------------------------------------------------------------------------------


def test_every_page_route_and_api_operation_has_a_declared_rule():
    assert set(page_routes()) ^ set(access.PAGES) == set(), "declare each route in config.access"
    for _prefix, viewset, basename in router.registry:
        declared = access.API[basename]
        writes = {
            action.__name__
            for action in viewset.get_extra_actions()
            if set(action.mapping) & {"post", "put", "patch", "delete"}
        }
        for method in ("create", "update", "partial_update", "destroy"):
            if hasattr(viewset, method):
                writes.add(method)
        assert writes == set(declared), f"{basename}: declare exactly its write operations"


@pytest.mark.parametrize("name", sorted(n for n, d in access.PAGES.items() if not d.public))
def test_every_role_gets_the_answer_the_route_declares(county, browsers, db, name):
    door = access.PAGES[name]
    users, pages, _api = browsers
    wrong, walked_inside, walked_outside = [], 0, 0
    for values in value_sets(door):
        for role, user in users.items():
            pairs = records_for(name, door, user) if door.record else [(None, True)]
            for record, inside in pairs:
                walked_inside += record is not None and inside
                walked_outside += not inside
                url = url_for(name, door, record, values)
                for method, gate in (("get", door.get), ("post", door.post_gate)):
                    want = expected(gate, user, record, inside, values)
                    before = audit_writes()
                    body = POST_BODIES.get(name, lambda u, k: {})(user, values)
                    got = getattr(pages[role], method)(url, body).status_code
                    if not matches(want, got):
                        wrong.append(f"{role} {method.upper()} {url}: {got}, declared {want}")
                    if role == Role.AUDITOR and audit_writes() != before:
                        wrong.append(f"auditor {method.upper()} {url} wrote to the audit log")
    if door.record:
        assert walked_inside, f"{name}: no {door.record} inside any role's scope in the data"
        scoped = (
            door.scope or door.owner or hasattr(apps.get_model(door.record).objects, "for_user")
        )
        if scoped and door.record not in UNSCOPED_RECORDS:
            assert walked_outside, f"{name}: no {door.record} outside any role's scope"
    assert wrong == [], "\n".join(wrong)


# County-wide records every official reads (a gap run of the county, the catalogue, a county
# training): inside every role's scope.
UNSCOPED_RECORDS = {
    "subsidies.Programme",
    "subsidies.GapRun",
    "teachers.TrainingEvent",
    "enrollment.PartnerUnit",  # the county's catalogue of partner units
}


@pytest.mark.parametrize("name", sorted(access.PAGES))
def test_an_anonymous_visitor_is_sent_to_the_login_page(county, db, name):
    door = access.PAGES[name]
    values = value_sets(door)[0]
    record = None
    if door.record:
        record = apps.get_model(door.record).objects.filter(**RECORD_FILTERS.get(name, {})).first()
    url = url_for(name, door, record, values)
    response = Client().get(url)
    if door.public:
        assert response.status_code in (200, 405), url
    else:
        assert response.status_code == 302 and "/accounts/login/" in response.url, url


def _api_operations(viewset):
    """(name, HTTP method, detail) of every operation of the viewset."""
    operations = [
        (name, "get", detail)
        for name, detail in (("list", False), ("retrieve", True))
        if hasattr(viewset, name)
    ]
    for method_name, verb in (("create", "post"), ("update", "put"), ("partial_update", "patch")):
        if hasattr(viewset, method_name):
            operations.append((method_name, verb, method_name != "create"))
    if hasattr(viewset, "destroy"):
        operations.append(("destroy", "delete", True))
    for action in viewset.get_extra_actions():
        for verb in action.mapping:
            operations.append((action.__name__, verb, action.detail))
    return operations


@pytest.mark.parametrize("basename", sorted(access.API))
def test_every_role_gets_the_answer_each_api_operation_declares(county, browsers, db, basename):
    prefix, viewset = next((p, v) for p, v, b in router.registry if b == basename)
    label = _API_MODELS[basename]
    model = apps.get_model(label)
    users, _pages, api = browsers
    declared = access.API[basename]
    wrong = []
    for role, user in users.items():
        door = access.Door(record=label, owner=_API_OWNERS.get(basename, ""))
        mine = scope_of(door, user, model).values("pk")
        inside = model.objects.filter(pk__in=mine).order_by("pk").first()
        outside = model.objects.exclude(pk__in=mine).order_by("pk").first()
        for name, verb, detail in _api_operations(viewset):
            action = next((a for a in viewset.get_extra_actions() if a.__name__ == name), None)
            path = "" if action is None else f"{action.url_path}/"
            targets = [(inside, True), (outside, False)] if detail else [(None, True)]
            for record, in_scope in targets:
                if detail and record is None:
                    continue
                url = f"/api/v1/{prefix}/" + (f"{record.pk}/" if detail else "") + path
                before = audit_writes()
                got = getattr(api[role], verb)(url, {}, format="json").status_code
                if verb == "get":
                    want = 404 if detail and not in_scope else 200
                    ok = got == want
                else:
                    gate = declared[name]
                    if gate.first and not gate.allows(user, record, {}):
                        want = 403
                    elif detail and not in_scope:
                        want = 404
                    elif expected(gate, user, record, True, {}) == 403:
                        want = 403 if gate.first and gate.then else "400/403"
                    elif gate.allows(user, record, {}):
                        want = ALLOWED
                    else:
                        # A rule the service checks on a valid body: the empty body is refused
                        # by the rule or as invalid, never taken (the valid body: see below).
                        want = "400/403"
                    ok = matches(want, got) if want != "400/403" else got in (400, 403)
                if not ok:
                    wrong.append(f"{role} {verb.upper()} {url}: {got}, declared {want}")
                if role == Role.AUDITOR and audit_writes() != before:
                    wrong.append(f"auditor {verb.upper()} {url} wrote to the audit log")
    anonymous = APIClient().get(f"/api/v1/{prefix}/")
    if anonymous.status_code not in (401, 403):
        wrong.append(f"anonymous GET /api/v1/{prefix}/: {anonymous.status_code}")
    assert wrong == [], "\n".join(wrong)


# Records that belong to one user rather than to a place: the field naming the owner.
_API_OWNERS = {"notification": "recipient"}
# The model each router basename serves.
_API_MODELS = {
    "township": "enrollment.Township",
    "village": "enrollment.Village",
    "school": "enrollment.School",
    "household": "enrollment.Household",
    "child": "enrollment.Child",
    "visit": "enrollment.HouseholdVisit",
    "exemption": "dropout.ExemptionRequest",
    "dropout-case": "dropout.DropoutCase",
    "document": "dropout.OfficialDocument",
    "monthly-report": "dropout.MonthlyReport",
    "report-run": "dropout.ReportRun",
    "programme": "subsidies.Programme",
    "batch": "subsidies.Batch",
    "payment": "subsidies.Payment",
    "gap": "subsidies.Gap",
    "fund-entry": "subsidies.FundEntry",
    "donation": "subsidies.Donation",
    "teacher": "teachers.Teacher",
    "exchange": "teachers.Exchange",
    "allowance": "teachers.AllowancePayment",
    "training": "teachers.TrainingEvent",
    "inspection": "inspections.Inspection",
    "issue": "inspections.Issue",
    "complaint": "inspections.Complaint",
    "notification": "core.Notification",
    "risk-score": "risk.RiskScore",
    "risk-backtest": "risk.RiskBacktest",
    "annual-summary": "yearend.AnnualSummary",
    "summary-run": "yearend.SummaryRun",
    "transfer": "transfers.Transfer",
}


def _valid_creates(accounts) -> dict:
    """A valid body for API creates (the county administrator's create of it answers 201)."""
    from django.utils import timezone

    from enrollment.models import PovertyStatus, School, Village
    from inspections.models import Area, Complaint, Issue
    from subsidies.models import Donation, FundEntry

    admin = accounts["admin"]
    today = timezone.localdate().isoformat()
    school = School.objects.for_user(admin).order_by("pk").first()
    area = Area.objects.filter(is_active=True).order_by("pk").first()
    return {
        "fund-entry": {
            "kind": FundEntry.Kind.DONATION,
            "amount": "1000.00",
            "date": today,
            "counterparty": "某企业",
            "purpose": "捐资助学",
        },
        "inspection": {"date": today, "unit": f"school:{school.pk}", "areas": [area.pk]},
        "issue": {
            "unit": f"school:{school.pk}",
            "area": area.pk,
            "category": Issue.Category.values[0],
            "description": "控辍保学台账未及时更新",
            "responsible_person": "王五",
            "measures": "一周内更新台账",
            "deadline": today,
        },
        "household": {
            "village": Village.objects.for_user(admin).order_by("pk").first().pk,
            "address": "一组1号",
            "head_name": "张三",
            "poverty_status": PovertyStatus.NONE,
        },
        "donation": {
            "donor": "某公司",
            "donor_kind": Donation.DonorKind.values[0],
            "kind": Donation.Kind.values[0],
            "value": "1000.00",
            "description": "助学金",
            "purpose": "资助困难学生",
            "date": today,
        },
        "complaint": {
            "channel": Complaint.Channel.values[0],
            "received_on": today,
            "content": "反映某校收费问题",
            "is_anonymous": True,
            "handlers": [admin.pk],
        },
    }


@pytest.mark.parametrize(
    "basename", ["household", "donation", "complaint", "fund-entry", "inspection", "issue"]
)
def test_an_auditors_valid_api_create_is_refused_with_403(county, browsers, db, basename):
    prefix = next(p for p, _v, b in router.registry if b == basename)
    _users, _pages, api = browsers
    body = _valid_creates(county)[basename]
    model = apps.get_model(_API_MODELS[basename])
    with transaction.atomic():
        created = api[Role.COUNTY_ADMIN].post(f"/api/v1/{prefix}/", body, format="json")
        assert created.status_code == 201, created.content  # the body is valid
        transaction.set_rollback(True)
    count, before = model.objects.count(), audit_writes()
    refused = api[Role.AUDITOR].post(f"/api/v1/{prefix}/", body, format="json")
    assert refused.status_code == 403, refused.content
    assert model.objects.count() == count and audit_writes() == before
