"""Scope at every door: every page route and every API route, for the roles that matter.

Each route of the project must have a rule below (a new route without one fails the first
test). With a small demo county holding every module's data:
- a township official asking for an object of another township gets 404 (GET and POST);
- an auditor posting to any route writes nothing (no create/update/delete in the audit log)
  and gets a refusal (403, or 404/405 where the route has nothing to post to);
- an anonymous visitor is sent to the login page (API: 401/403);
- no route answers 500 to any of them.
"""

import datetime
from dataclasses import dataclass, field, replace

import pytest
from django.apps import apps
from django.db import transaction
from django.test import Client
from django.urls import URLResolver, get_resolver, reverse
from rest_framework.test import APIClient

from config.api_urls import router
from core.models import ApiToken, AuditEvent, ExportJob, ImportJob, Notification
from enrollment import demo
from enrollment.extensions import DEMO_LOADERS

from .conftest import restore_catalogues


@dataclass(frozen=True)
class Rule:
    model: str | None = None  # "app.Model" of the object the `pk` names
    kwargs: dict = field(default_factory=dict)  # fixed values of the route's other parameters
    public: bool = False
    owned: bool = False  # the object is the requester's own (an export, an import, a message)
    unscoped: bool = False  # county-wide catalogue rows every official may read
    # A second parameter naming a child object: (parameter, "app.Model", its parent field).
    nested: tuple[str, str, str] | None = None


LEDGER = {"kind": "township"}
PAGES = {
    "home": Rule(),
    "login": Rule(public=True),
    "logout": Rule(public=True),
    # enrollment
    "enrollment:county_ledger": Rule("enrollment.County"),
    "enrollment:township_ledger": Rule("enrollment.Township"),
    "enrollment:village_ledger": Rule("enrollment.Village"),
    "enrollment:school_ledger": Rule("enrollment.School"),
    "enrollment:export_ledger": Rule("enrollment.Township", LEDGER),
    "enrollment:unaccounted": Rule(),
    "enrollment:register_child": Rule(),
    "enrollment:register_household": Rule(),
    "enrollment:child_detail": Rule("enrollment.Child"),
    "enrollment:search": Rule(),
    "enrollment:change_status": Rule("enrollment.Child"),
    "enrollment:record_visit": Rule("enrollment.Child"),
    "enrollment:assign_partner": Rule("enrollment.Child"),
    "enrollment:crosscheck_index": Rule(),
    "enrollment:crosscheck": Rule("enrollment.Township"),
    "enrollment:crosscheck_export": Rule("enrollment.Township"),
    "enrollment:excel_log": Rule(),
    "enrollment:visit_attachment": Rule("enrollment.HouseholdVisit"),
    # core
    "core:export_list": Rule(),
    "core:export_detail": Rule("core.ExportJob", owned=True),
    "core:export_download": Rule("core.ExportJob", owned=True),
    "core:import_list": Rule(),
    "core:import_detail": Rule("core.ImportJob", owned=True),
    "core:import_commit": Rule("core.ImportJob", owned=True),
    "core:import_new": Rule(kwargs={"name": "police_extract"}),
    "core:import_template": Rule(kwargs={"name": "police_extract"}),
    "core:audit_list": Rule(),
    "core:audit_export": Rule(),
    "core:token_list": Rule(),
    "core:token_revoke": Rule("core.ApiToken", owned=True),
    # A county administrator's users (enrollment.permissions.managed_users, not for_user):
    # their scope is tested in tests/security/test_tokens.py.
    "enrollment:account_list": Rule(),
    "enrollment:account_security": Rule("auth.User", unscoped=True),
    "enrollment:account_revoke_token": Rule("auth.User", {"token_pk": 1}, unscoped=True),
    "enrollment:account_revoke_all": Rule("auth.User", unscoped=True),
    "enrollment:account_unlock": Rule("auth.User", unscoped=True),
    "core:notification_list": Rule(),
    "core:notification_open": Rule("core.Notification", owned=True),
    "core:notification_read_all": Rule(),
    # dropout
    "dropout:case_list": Rule(),
    "dropout:open_case": Rule(),
    "dropout:case_detail": Rule("dropout.DropoutCase"),
    "dropout:case_persuasion": Rule("dropout.DropoutCase"),
    "dropout:case_notice": Rule("dropout.DropoutCase"),
    "dropout:case_penalty": Rule("dropout.DropoutCase"),
    "dropout:case_prior_notice": Rule("dropout.DropoutCase"),
    "dropout:case_reply": Rule("dropout.DropoutCase"),
    "dropout:case_reply_review": Rule("dropout.DropoutCase"),
    "dropout:case_hearing_request": Rule("dropout.DropoutCase"),
    "dropout:case_hearing": Rule("dropout.DropoutCase"),
    "dropout:case_legal_review": Rule("dropout.DropoutCase"),
    "dropout:case_measure": Rule("dropout.DropoutCase"),
    "dropout:case_return": Rule("dropout.DropoutCase"),
    "dropout:case_close": Rule("dropout.DropoutCase"),
    "dropout:case_edit": Rule("dropout.DropoutCase"),
    "dropout:case_assign": Rule("dropout.DropoutCase"),
    "dropout:document_page": Rule("dropout.OfficialDocument"),
    "dropout:document_pdf": Rule("dropout.OfficialDocument"),
    "dropout:document_correct": Rule("dropout.OfficialDocument"),
    "dropout:exemption_list": Rule(),
    "dropout:exemption_new": Rule(),
    "dropout:exemption_detail": Rule("dropout.ExemptionRequest"),
    "dropout:exemption_action": Rule("dropout.ExemptionRequest", {"action": "approve"}),
    "dropout:exemption_file": Rule("dropout.ExemptionRequest", {"which": "application"}),
    "dropout:report_list": Rule(),
    "dropout:report_generate": Rule(),
    "dropout:report_run": Rule("dropout.ReportRun"),
    "dropout:report_detail": Rule("dropout.MonthlyReport"),
    "dropout:report_workbook": Rule("dropout.MonthlyReport"),
    "dropout:absence_list": Rule(),
    "dropout:absence_new": Rule(),
    "dropout:absence_back": Rule("dropout.AbsenceReport"),
    "dropout:suspected_ledger": Rule("enrollment.Township", LEDGER),
    "dropout:dropout_ledger": Rule("enrollment.Township", LEDGER),
    # subsidies
    "subsidies:programme_list": Rule(),
    "subsidies:programme_new": Rule(),
    "subsidies:programme_edit": Rule("subsidies.Programme", unscoped=True),
    "subsidies:batch_list": Rule(),
    "subsidies:batch_new": Rule(),
    "subsidies:batch_detail": Rule("subsidies.Batch"),
    "subsidies:batch_add_line": Rule("subsidies.Batch"),
    "subsidies:batch_action": Rule("subsidies.Batch", {"action": "approve"}),
    "subsidies:payment_list": Rule(),
    "subsidies:payment_remove": Rule("subsidies.Payment"),
    "subsidies:payment_correct": Rule("subsidies.Payment", {"kind": "reverse"}),
    "subsidies:totals": Rule(),
    "subsidies:gap_runs": Rule(),
    "subsidies:gap_detail": Rule("subsidies.GapRun", unscoped=True),  # a run is county-wide
    "subsidies:identification_list": Rule(),
    "subsidies:identification_apply": Rule(),
    "subsidies:identification_notice": Rule(),
    "subsidies:identification_school_action": Rule(kwargs={"action": "file"}),
    "subsidies:identification_decide": Rule("subsidies.DifficultyIdentification"),
    "subsidies:fund_ledger": Rule(),
    "subsidies:fund_new": Rule(kwargs={"kind": "grant"}),
    "subsidies:fund_decide": Rule("subsidies.FundEntry", {"decision": "approve"}),
    "subsidies:donation_list": Rule(),
    "subsidies:donation_new": Rule(),
    "subsidies:donor_list": Rule(),
    "subsidies:export": Rule(kwargs={"name": "payments"}),
    # inspections
    "inspections:ledger": Rule(),
    "inspections:ledger_export": Rule(),
    "inspections:issue_new": Rule(),
    "inspections:issue_detail": Rule("inspections.Issue"),
    "inspections:issue_edit": Rule("inspections.Issue"),
    "inspections:issue_link": Rule("inspections.Issue"),
    "inspections:issue_evidence": Rule("inspections.Issue"),
    "inspections:issue_event_evidence": Rule(
        "inspections.Issue", nested=("event_pk", "inspections.IssueEvent", "issue")
    ),
    "inspections:issue_action": Rule("inspections.Issue", {"action": "submit"}),
    "inspections:inspection_list": Rule(),
    "inspections:inspection_new": Rule(),
    "inspections:inspection_detail": Rule("inspections.Inspection"),
    "inspections:inspection_attach": Rule("inspections.Inspection"),
    "inspections:inspection_attachment": Rule(
        "inspections.Inspection",
        nested=("attachment_pk", "inspections.InspectionAttachment", "inspection"),
    ),
    "inspections:campaign_list": Rule(),
    "inspections:summary": Rule(),
    "inspections:group_list": Rule(),
    "inspections:area_list": Rule(),
    "inspections:complaint_list": Rule(),
    "inspections:complaint_export": Rule(),
    "inspections:complaint_new": Rule(),
    "inspections:complaint_detail": Rule("inspections.Complaint"),
    "inspections:complaint_step": Rule("inspections.Complaint"),
    "inspections:complaint_conclude": Rule("inspections.Complaint"),
    "inspections:complaint_handlers": Rule("inspections.Complaint"),
    "inspections:complaint_link": Rule("inspections.Complaint"),
    # teachers
    "teachers:teacher_list": Rule(),
    "teachers:teacher_export": Rule(),
    "teachers:teacher_new": Rule(),
    "teachers:teacher_detail": Rule("teachers.Teacher"),
    "teachers:teacher_edit": Rule("teachers.Teacher"),
    "teachers:teacher_transfer": Rule("teachers.Teacher"),
    "teachers:teacher_convert": Rule("teachers.Teacher"),
    "teachers:teacher_leave": Rule("teachers.Teacher"),
    "teachers:special_posts": Rule(),
    "teachers:staffing": Rule(),
    "teachers:staffing_export": Rule(),
    "teachers:exchange_list": Rule(),
    "teachers:exchange_export": Rule(),
    "teachers:exchange_new": Rule(),
    "teachers:exchange_end": Rule("teachers.Exchange"),
    "teachers:rotation": Rule(),
    "teachers:allowance_list": Rule(),
    "teachers:batch_new": Rule(),
    "teachers:tiers": Rule(),
    "teachers:allowance_unpaid": Rule(),
    "teachers:allowance_unpaid_export": Rule(),
    "teachers:allowance_payments_export": Rule(),
    "teachers:batch_detail": Rule("teachers.AllowanceBatch"),
    "teachers:batch_paid": Rule("teachers.AllowanceBatch"),
    "teachers:batch_add_payment": Rule("teachers.AllowanceBatch"),
    "teachers:payment_remove": Rule("teachers.AllowancePayment"),
    "teachers:training_list": Rule(),
    "teachers:training_export": Rule(),
    "teachers:training_new": Rule(),
    "teachers:training_hours": Rule(),
    # A county training event: every official whose teachers attended reads it.
    "teachers:training_detail": Rule("teachers.TrainingEvent", unscoped=True),
    "teachers:recruitment": Rule(),
}
# API resources: the model of each router basename (detail routes and their actions).
API = {
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
}
UNSCOPED_API = {"programme", "training"}  # the catalogue: every official reads it
SKIPPED_PREFIXES = ("admin/", "i18n/", "api/")
WRITES = (AuditEvent.Action.CREATE, AuditEvent.Action.UPDATE, AuditEvent.Action.DELETE)


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
    small = replace(
        demo.SCALES["demo"], townships=2, villages_per_township=3, children_per_village=60
    )
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            restore_catalogues()  # in case a transactional test emptied them earlier
            place, _created = demo.load_demo("demo")
            demo.ensure_demo_users(place)
            accounts = demo.demo_accounts(place)
            for loader in DEMO_LOADERS:
                loader(place, accounts, small)
            _own_records(place, accounts)
            yield accounts
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


def _own_records(county, accounts):
    """Records that belong to one user (an export, an import, a message) and the few kinds the
    demo makes in one township only."""
    from django.core.files.base import ContentFile

    from dropout.models import AbsenceReport, ReportRun
    from enrollment.models import Child, EnrollmentStatus

    bureau = accounts["bureau"]
    ExportJob.objects.create(requested_by=bureau, exporter="ledger", title="台账", params={})
    ImportJob.objects.create(
        uploaded_by=bureau,
        importer="police_extract",
        title="户籍花名册",
        scope_key="township:0",
        scope_label="某镇",
        file=ContentFile(b"x", name="extract.xlsx"),
        original_name="extract.xlsx",
    )
    Notification.objects.create(recipient=bureau, message="月报已发布", link="/")
    ApiToken.objects.create(user=bureau)
    ReportRun.objects.create(county=county, month=datetime.date(2026, 1, 1), requested_by=bureau)
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


def outside(model_label: str, user, *, owned=False):
    """An object the user must not reach: another township's (or another user's own)."""
    model = apps.get_model(model_label)
    if owned:
        owner = {
            "core.ExportJob": "requested_by",
            "core.ImportJob": "uploaded_by",
            "core.ApiToken": "user",
        }.get(model_label, "recipient")
        return model.objects.exclude(**{owner: user}).order_by("pk").first()
    if not hasattr(model.objects, "for_user"):
        return None  # not scoped by place: a catalogue
    return model.objects.exclude(pk__in=model.objects.for_user(user).values("pk")).first()


def any_object(model_label: str):
    return apps.get_model(model_label).objects.order_by("pk").first()


def url_for(name, rule, obj, nested_obj=None):
    kwargs = dict(rule.kwargs)
    if rule.model:
        kwargs["pk"] = obj.pk
    if rule.nested:
        kwargs[rule.nested[0]] = nested_obj.pk
    return reverse(name, kwargs=kwargs)


def client(user):
    browser = Client()
    browser.force_login(user)
    return browser


# --- the tests -------------------------------------------------------------------------------


def test_every_page_route_and_api_resource_has_a_rule():
    assert set(page_routes()) - set(PAGES) == set(), "routes without a rule: add them to PAGES"
    basenames = {basename for _prefix, _viewset, basename in router.registry}
    assert basenames - set(API) == set(), "API resources without a rule: add them to API"


def _nested_outside(rule, user):
    _parameter, child_model, parent_field = rule.nested
    parents = apps.get_model(rule.model).objects.for_user(user).values("pk")
    return (
        apps.get_model(child_model)
        .objects.exclude(**{f"{parent_field}__in": parents})
        .order_by("pk")
        .first()
    )


@pytest.mark.parametrize("name", sorted(n for n, r in PAGES.items() if r.model))
def test_a_township_official_gets_404_for_another_townships_object(county, db, name):
    rule = PAGES[name]
    user = county["township1"]
    if rule.nested:
        nested_obj = _nested_outside(rule, user)
        assert nested_obj is not None, f"no {rule.nested[1]} outside the scope in the data"
        obj = getattr(nested_obj, rule.nested[2])
    else:
        nested_obj = None
        obj = outside(rule.model, user, owned=rule.owned)
    if obj is None:
        assert rule.unscoped, f"{name}: no {rule.model} outside township1's scope in the data"
        return
    url = url_for(name, rule, obj, nested_obj)
    browser = client(user)
    got = browser.get(url).status_code
    assert got in (404, 405), f"GET {url}: {got}"
    got = browser.post(url, {}).status_code
    assert got in (403, 404), f"POST {url}: {got}"


@pytest.mark.parametrize("name", sorted(n for n, r in PAGES.items() if not r.public))
def test_an_auditor_writes_nothing_through_any_page(county, db, name):
    rule = PAGES[name]
    auditor = county["auditor"]
    url = reverse(name, kwargs=rule.kwargs) if not rule.model else None
    if rule.model:
        if rule.owned:
            obj = outside(rule.model, auditor, owned=True)
        else:
            obj = any_object(rule.model)
        if obj is None:
            pytest.fail(f"{name}: the data hold no {rule.model}")
        nested_obj = None
        if rule.nested:
            nested_obj = apps.get_model(rule.nested[1]).objects.order_by("pk").first()
            assert nested_obj is not None, f"{name}: the data hold no {rule.nested[1]}"
            obj = getattr(nested_obj, rule.nested[2])
        url = url_for(name, rule, obj, nested_obj)
    before = AuditEvent.objects.filter(action__in=WRITES).count()
    jobs = ExportJob.objects.count()
    response = client(auditor).post(url, {})
    assert response.status_code != 500, url
    assert AuditEvent.objects.filter(action__in=WRITES).count() == before, url
    assert ImportJob.objects.filter(uploaded_by=auditor).count() == 0
    if is_write_route(name):
        assert response.status_code in (403, 404, 405), (
            f"{name}: an auditor's POST got {response.status_code}"
        )
    else:  # a page that reads (or an export, which an auditor may run)
        assert response.status_code in (200, 302, 403, 404, 405), url
    del jobs


# Routes whose POST changes something: an auditor is refused before any form is read.
WRITE_WORDS = (
    "new",
    "edit",
    "action",
    "add",
    "remove",
    "correct",
    "decide",
    "apply",
    "paid",
    "end",
    "transfer",
    "convert",
    "leave",
    "link",
    "step",
    "conclude",
    "handlers",
    "attach",
    "evidence",
    "persuasion",
    "notice",
    "penalty",
    "measure",
    "return",
    "close",
    "status",
    "visit",
    "partner",
    "register",
    "generate",
    "commit",
    "back",
    "open_case",
    "tiers",
    "revoke",
    "unlock",
)
NOT_WRITES = {"subsidies:identification_notice", "dropout:case_notice_page"}


def is_write_route(name: str) -> bool:
    short = name.split(":")[-1]
    return name not in NOT_WRITES and any(
        word in short.split("_") or short == word for word in WRITE_WORDS
    )


@pytest.mark.parametrize("name", sorted(n for n, r in PAGES.items() if not r.public))
def test_an_anonymous_visitor_is_sent_to_the_login_page(county, db, name):
    rule = PAGES[name]
    kwargs = dict(rule.kwargs)
    if rule.model:
        kwargs["pk"] = 1
    if rule.nested:
        kwargs[rule.nested[0]] = 1
    response = Client().get(reverse(name, kwargs=kwargs))
    assert response.status_code == 302 and "/accounts/login/" in response.url


@pytest.mark.parametrize("basename", sorted(API))
def test_the_api_answers_404_outside_the_scope_and_403_to_auditor_writes(county, db, basename):
    prefix, viewset = next((p, v) for p, v, b in router.registry if b == basename)
    township1, auditor = county["township1"], county["auditor"]
    api = APIClient()
    api.force_authenticate(township1)
    obj = outside(API[basename], township1)
    if obj is None:
        assert basename in UNSCOPED_API, f"no {API[basename]} outside township1's scope"
    else:
        assert api.get(f"/api/v1/{prefix}/{obj.pk}/").status_code == 404
        for action in viewset.get_extra_actions():
            if action.detail:
                path = f"/api/v1/{prefix}/{obj.pk}/{action.url_path}/"
                # 404, or 403 where the role is refused before the object is looked up
                assert api.post(path, {}, format="json").status_code in (403, 404, 405), path
    api.force_authenticate(auditor)
    before = AuditEvent.objects.filter(action__in=WRITES).count()
    # Refused, or (a create whose role is checked with the object it names) invalid: either way
    # nothing is written, which the audit log below confirms.
    assert api.post(f"/api/v1/{prefix}/", {}, format="json").status_code in (400, 403, 405)
    target = any_object(API[basename])
    if target is not None:
        for method in ("put", "patch", "delete"):
            status = getattr(api, method)(f"/api/v1/{prefix}/{target.pk}/", {}, format="json")
            assert status.status_code in (403, 405), (method, prefix)
        for action in viewset.get_extra_actions():
            if action.detail and "post" in action.mapping:
                path = f"/api/v1/{prefix}/{target.pk}/{action.url_path}/"
                # refused (403), or the empty body refused first (400/409): nothing written
                assert api.post(path, {}, format="json").status_code in (400, 403, 405, 409), path
    assert AuditEvent.objects.filter(action__in=WRITES).count() == before
    anonymous = APIClient().get(f"/api/v1/{prefix}/")
    assert anonymous.status_code in (401, 403)
