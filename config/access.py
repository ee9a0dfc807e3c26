"""Who may open each page and each API operation: one declaration per route, in one place.

Each view enforces its rule with the app's own role sets and transition tables (scope through
`for_user()` → 404, role → 403, state → 409); this module names, for every route, which of those
rules the view applies, so that `tests/test_route_walk.py` can walk every route as every role,
in and out of scope, and expect the answer the rule gives — never one guessed from the route's
name. A route added without a declaration here fails that walk.

A `Door` says what record the route's parameters name (and so where 404 comes from) and the
`Gate` of each method. A gate holds the role rule, built from the app's own constants:

- `SIGNED_IN`: any signed-in user; what they see is limited by scope alone;
- `any_role(ROLES)`: one of the roles somewhere (a list's "new" page, a county-wide form);
- `role_over(ROLES)`: one of the roles over the record (`user_may`);
- `county_role(ROLES)`: one of the roles with the user's county as scope;
- `shared_catalogue(ROLES)`: a catalogue shared by every county (`may_edit_shared_catalogue`);
- `step(TABLE, action)`: the transition table's answer for the record (`can(...)`: 403 only
  when the role is refused; the state is the service's answer on the form, 409);
- `NOT_ACCEPTED`: the method is not accepted (405).

`first=True` marks a gate the view checks before looking the record up (a user without the
role gets 403 even for a record outside their scope).
"""

from collections.abc import Callable
from dataclasses import dataclass, field, replace

from dropout.ledgers import LEDGERS
from dropout.roles import (
    ABSENCE_ROLES,
    CASE_ROLES,
    EXEMPTION_REGISTER_ROLES,
    MONTHLY_REPORT_ROLES,
    OPEN_CASE_ROLES,
)
from dropout.transitions import CASE_TRANSITIONS, EXEMPTION_TRANSITIONS, REPORT_TRANSITIONS
from enrollment.four_sources import RECHECK_ROLES as FOUR_SOURCE_RECHECK_ROLES
from enrollment.four_sources import RESOLVE_ROLES as FOUR_SOURCE_RESOLVE_ROLES
from enrollment.permissions import (
    has_any_role,
    managed_users,
    may_edit_shared_catalogue,
    user_county,
    user_may,
)
from enrollment.registers import REGISTER_ROLES as POVERTY_REGISTER_ROLES
from enrollment.roles import (
    ASSIGN_PAIRING_ROLES,
    CHANGE_STATUS_ROLES,
    PARTNER_UNIT_ROLES,
    PROMOTION_ROLES,
    RECORD_VISIT_ROLES,
    REGISTER_CHILD_ROLES,
    Role,
)
from inspections.roles import MANAGE_ROLES as INSPECTION_ROLES
from inspections.transitions import ISSUE_TRANSITIONS
from risk.roles import RUN_ROLES as RISK_RUN_ROLES
from risk.roles import WEIGHT_ROLES as RISK_WEIGHT_ROLES
from subsidies.roles import (
    APPROVE_ROLES,
    BATCH_ROLES,
    CATALOGUE_ROLES,
    DONATION_ROLES,
    FUND_ROLES,
    GAP_CHECK_ROLES,
    IDENTIFY_ROLES,
    PUBLIC_FUND_ROLES,
)
from subsidies.transitions import BATCH_TRANSITIONS, GRANT_TRANSITIONS
from teachers.roles import HOME_TEACHING_ROLES
from teachers.roles import MANAGE_TEACHERS_ROLES as TEACHER_ROLES
from transfers.roles import PROPOSE_ROLES as TRANSFER_PROPOSE_ROLES
from transfers.transitions import TRANSFER_TRANSITIONS
from yearend.roles import APPROVE_ROLES as YEAREND_APPROVE_ROLES
from yearend.roles import GENERATE_ROLES as YEAREND_GENERATE_ROLES

# Roles named by a view rather than by its app's roles module (kept here so that each is
# declared once): the county administrator's users page, the Excel log, the audit log.
ACCOUNT_ROLES = frozenset({Role.COUNTY_ADMIN})
EXCEL_LOG_ROLES = frozenset({Role.COUNTY_ADMIN, Role.AUDITOR})
AUDIT_LOG_ROLES = frozenset({Role.COUNTY_ADMIN, Role.AUDITOR})


@dataclass(frozen=True)
class Gate:
    """`allows(user, record, kwargs)`: whether a signed-in user passes (the record is already
    in the user's scope). `accepted`: False when the method answers 405."""

    label: str
    allows: Callable = lambda user, record, kwargs: True
    first: bool = False
    accepted: bool = True
    refusal: int = 403  # 404 where the rule is a matter of scope (nothing of the kind to see)
    then: "Gate | None" = None  # checked after this one passes


SIGNED_IN = Gate("signed in")
NOT_ACCEPTED = Gate("not accepted", accepted=False)


def any_role(roles, *, first=False) -> Gate:
    return Gate(
        f"any of {sorted(roles)}", lambda user, record, kwargs: has_any_role(user, roles), first
    )


def role_over(roles, *, of: Callable = lambda record: record) -> Gate:
    def allows(user, record, kwargs):
        target = of(record)
        return user_may(user, type(target).objects, roles, target)

    return Gate(f"any of {sorted(roles)} over the record", allows)


def then(first: Gate, second: Gate) -> Gate:
    return replace(first, then=second, label=f"{first.label}, then {second.label}")


def _relief_fund(user):
    from subsidies.models import ReliefFund

    county = user_county(user)
    return county and ReliefFund.objects.for_user(user).filter(county=county).first()


# The county's relief fund in the user's scope (404 otherwise), then the fund roles over it.
RELIEF_FUND = Gate("the county's fund in scope", lambda u, r, k: bool(_relief_fund(u)), refusal=404)
FUND_OVER = Gate(
    f"any of {sorted(FUND_ROLES)} over the fund",
    lambda u, r, k: user_may(u, type(_relief_fund(u)).objects, FUND_ROLES, _relief_fund(u)),
)


def _importer_scopes(user, record, kwargs):
    from core.imports import importers

    importer = next(i for i in importers() if i.name == kwargs["name"])
    return bool(importer.scope_choices(user))


# The importer's own rule: a place the user may import into (core.imports).
IMPORT_SCOPES = Gate("a place the importer lets the user import into", _importer_scopes)


def _township_in_scope(user, record, kwargs):
    from enrollment.models import Township

    return Township.objects.for_user(user).exists()


# The cross-check covers whole townships: a village's or a school's scope reaches none (404).
TOWNSHIP_IN_SCOPE = Gate("a township in scope", _township_in_scope, refusal=404)


# A page of the user's county as a whole (the donors' list): a user placed above the counties
# (the city bureau) has no county of its own, so none to show (404).
IN_A_COUNTY = Gate(
    "a county of the user's own", lambda u, r, k: user_county(u) is not None, refusal=404
)


def county_role(roles) -> Gate:
    """One of `roles` with the user's county as scope (the county-wide recording pages)."""
    from enrollment.models import County

    def allows(user, record, kwargs):
        county = user_county(user, roles=roles)
        return county is not None and user_may(user, County.objects, roles, county)

    return Gate(f"any of {sorted(roles)} in the county", allows)


def shared_catalogue(roles) -> Gate:
    return Gate(
        f"any of {sorted(roles)} over every county",
        lambda user, record, kwargs: may_edit_shared_catalogue(user, roles),
    )


def step(table, action=None, *, kwarg="action", steps=None, of=lambda record: record) -> Gate:
    """The transition table's role rule for `action` (or for the step the URL's `kwarg` names,
    through `steps` where the URL's word differs from the table's)."""

    def allows(user, record, kwargs):
        name = action or (steps or {}).get(kwargs[kwarg], kwargs[kwarg])
        return not table.can(of(record), name, user).refused_for_role

    return Gate(f"step {action or kwarg}", allows)


@dataclass(frozen=True)
class Door:
    """A route: the record its parameters name, and the gate of GET and of POST.

    `record`: "app.Model" whose `for_user()` is the scope (404 outside it); `params`: how the
    path's parameters are read from the record (`{"pk": "pk"}`); `query`: the query-string
    parameter naming the record instead; `scope`: the record's scope when it is not
    `for_user()` (`owner`: a field naming the user who owns it); `values`: the words a path
    parameter accepts (each is walked). POST defaults to the GET gate (a page that only reads
    answers a POST as a GET)."""

    get: Gate = SIGNED_IN
    post: Gate | None = None
    record: str | None = None
    params: dict = field(default_factory=lambda: {"pk": "pk"})
    query: str = ""
    owner: str = ""
    scope: Callable | None = None
    values: dict = field(default_factory=dict)
    public: bool = False

    @property
    def post_gate(self) -> Gate:
        return self.post if self.post is not None else self.get


def action_door(gate: Gate, record: str, **kwargs) -> Door:
    """A page that shows a form (GET) and takes it (POST): one gate for both."""
    return Door(get=gate, post=gate, record=record, **kwargs)


def post_only(gate: Gate, record: str | None = None, **kwargs) -> Door:
    return Door(get=NOT_ACCEPTED, post=gate, record=record, **kwargs)


def _issue_events(user):
    from inspections.models import Issue, IssueEvent

    return IssueEvent.objects.filter(issue__in=Issue.objects.for_user(user).values("pk"))


def _inspection_attachments(user):
    from inspections.models import Inspection, InspectionAttachment

    return InspectionAttachment.objects.filter(
        inspection__in=Inspection.objects.for_user(user).values("pk")
    )


def _tokens_of_managed_users(user):
    from core.models import ApiToken

    return ApiToken.objects.filter(user__in=managed_users(user).values("pk"))


CHILD = "enrollment.Child"
CASE = "dropout.DropoutCase"
ISSUE = "inspections.Issue"
COMPLAINT = "inspections.Complaint"
TEACHER = "teachers.Teacher"
TRANSFER = "transfers.Transfer"
LEDGER_KINDS = {"kind": ("township",)}
BATCH_STEPS = {"build": "prepare", "review": "review", "return": "return", "approve": "approve"}


def case_step(name: str) -> Door:
    return action_door(step(CASE_TRANSITIONS, name), CASE)


# Who may do what on the complaint's handling pages: a manager who also sees the complainant.
def _handles_complaint(user, record, kwargs):
    from inspections.services.complaints import sees_complainant

    return user_may(user, type(record).objects, INSPECTION_ROLES, record) and sees_complainant(
        user, record
    )


HANDLES_COMPLAINT = Gate("manages and sees the complainant", _handles_complaint)
ACCOUNT = any_role(ACCOUNT_ROLES)

PAGES: dict[str, Door] = {
    "home": Door(),
    "login": Door(public=True),
    "logout": Door(get=NOT_ACCEPTED, public=True),
    # enrollment: the ledgers read by scope; the export is posted (it starts a job)
    "enrollment:county_ledger": Door(record="enrollment.County"),
    "enrollment:township_ledger": Door(record="enrollment.Township"),
    "enrollment:village_ledger": Door(record="enrollment.Village"),
    "enrollment:school_ledger": Door(record="enrollment.School"),
    # The city bureau's pages: its Prefecture is the scope (404 for everyone else).
    "enrollment:prefecture_overview": Door(record="enrollment.Prefecture"),
    "enrollment:export_ledger": post_only(
        SIGNED_IN, "enrollment.Township", values={"kind": ("township",)}
    ),
    "enrollment:unaccounted": Door(),
    "enrollment:register_child": Door(get=any_role(REGISTER_CHILD_ROLES)),
    "enrollment:register_household": Door(get=any_role(REGISTER_CHILD_ROLES)),
    "enrollment:child_detail": Door(record=CHILD),
    "enrollment:search": Door(),
    "enrollment:change_status": action_door(role_over(CHANGE_STATUS_ROLES), CHILD),
    "enrollment:record_visit": action_door(role_over(RECORD_VISIT_ROLES), CHILD),
    "enrollment:assign_partner": action_door(role_over(ASSIGN_PAIRING_ROLES), CHILD),
    "enrollment:crosscheck_index": Door(get=TOWNSHIP_IN_SCOPE),
    "enrollment:crosscheck": Door(record="enrollment.Township"),
    "enrollment:crosscheck_export": post_only(SIGNED_IN, "enrollment.Township"),
    "enrollment:four_sources": Door(record="enrollment.Township"),
    "enrollment:four_sources_county": Door(record="enrollment.County"),
    "enrollment:four_sources_resolve": post_only(role_over(FOUR_SOURCE_RESOLVE_ROLES), CHILD),
    "enrollment:four_sources_confirm": post_only(
        role_over(FOUR_SOURCE_RECHECK_ROLES), "enrollment.Township"
    ),
    "enrollment:excel_log": Door(get=any_role(EXCEL_LOG_ROLES)),
    # The households a newer poverty register no longer names: read by scope, confirmed by
    # staff who import the registers (404 outside the scope, 403 without the role).
    "enrollment:left_registers": Door(),
    "enrollment:left_register_confirm": post_only(
        role_over(POVERTY_REGISTER_ROLES), "enrollment.PovertyRegisterEntry"
    ),
    "enrollment:visit_attachment": Door(record="enrollment.HouseholdVisit"),
    # core: a user's own exports, imports, notifications and tokens
    "core:export_list": Door(),
    "core:export_detail": Door(record="core.ExportJob", owner="requested_by"),
    "core:export_download": Door(record="core.ExportJob", owner="requested_by"),
    "core:import_list": Door(),
    "core:import_detail": Door(record="core.ImportJob", owner="uploaded_by"),
    "core:import_commit": post_only(SIGNED_IN, "core.ImportJob", owner="uploaded_by"),
    "core:import_new": Door(get=IMPORT_SCOPES, values={"name": ("police_extract",)}),
    "core:import_template": Door(values={"name": ("police_extract",)}),
    "core:audit_list": Door(get=any_role(AUDIT_LOG_ROLES)),
    "core:audit_export": post_only(any_role(AUDIT_LOG_ROLES)),
    "core:token_list": Door(),
    "core:token_revoke": post_only(SIGNED_IN, "core.ApiToken", owner="user"),
    "core:notification_list": Door(),
    "core:notification_open": Door(record="core.Notification", owner="recipient"),
    "core:notification_read_all": post_only(SIGNED_IN),
    # A county administrator's users (managed_users: nobody else manages any).
    "enrollment:account_list": Door(get=ACCOUNT),
    "enrollment:account_security": Door(get=ACCOUNT, record="auth.User", scope=managed_users),
    "enrollment:account_revoke_token": post_only(
        ACCOUNT,
        "core.ApiToken",
        scope=_tokens_of_managed_users,
        params={"pk": "user_id", "token_pk": "pk"},
    ),
    "enrollment:account_revoke_all": post_only(ACCOUNT, "auth.User", scope=managed_users),
    "enrollment:account_unlock": post_only(ACCOUNT, "auth.User", scope=managed_users),
    # enrollment: 帮扶单位 (a county catalogue kept by the bureau), 帮扶活动, 学年升级
    "enrollment:partner_unit_list": Door(),
    "enrollment:partner_unit_new": action_door(county_role(PARTNER_UNIT_ROLES), None),
    "enrollment:partner_unit_edit": action_door(
        role_over(PARTNER_UNIT_ROLES), "enrollment.PartnerUnit"
    ),
    "enrollment:help_activity_list": Door(),
    "enrollment:help_activity_export": post_only(SIGNED_IN),
    "enrollment:child_help_activity": action_door(role_over(ASSIGN_PAIRING_ROLES), CHILD),
    "enrollment:household_help_activity": action_door(
        role_over(ASSIGN_PAIRING_ROLES), "enrollment.Household"
    ),
    "enrollment:promotion": action_door(county_role(PROMOTION_ROLES), None),
    # dropout: the case steps come from the case's transition table
    "dropout:case_list": Door(),
    "dropout:case_export": post_only(SIGNED_IN),  # the cases of the user's scope
    # The ledgers page and the document register read by scope; each ledger's export is posted.
    "dropout:ledger_index": Door(post=NOT_ACCEPTED),
    "dropout:document_register": Door(post=NOT_ACCEPTED),
    "dropout:ledger_export": post_only(SIGNED_IN, values={"name": tuple(LEDGERS)}),
    # 我的走访: the offline workbench's page (its data come through the API, by scope) and the
    # service worker and manifest every browser may fetch.
    "fieldwork:app": Door(post=NOT_ACCEPTED),
    "fieldwork:service_worker": Door(post=NOT_ACCEPTED, public=True),
    "fieldwork:manifest": Door(post=NOT_ACCEPTED, public=True),
    "dropout:open_case": action_door(role_over(OPEN_CASE_ROLES), CHILD, query="child"),
    "dropout:case_detail": Door(record=CASE),
    "dropout:case_persuasion": case_step("persuade"),
    "dropout:case_notice": case_step("issue_notice"),
    "dropout:case_prior_notice": case_step("issue_prior_notice"),
    "dropout:case_reply": case_step("record_reply"),
    "dropout:case_reply_review": case_step("review_reply"),
    "dropout:case_hearing_request": case_step("request_hearing"),
    "dropout:case_hearing": case_step("hold_hearing"),
    "dropout:case_legal_review": case_step("legal_review"),
    "dropout:case_penalty": case_step("decide_penalty"),
    "dropout:case_serve_decision": case_step("serve_decision"),
    "dropout:case_measure": case_step("add_measure"),
    "dropout:case_return": case_step("return"),
    "dropout:case_close": case_step("close"),
    "dropout:case_edit": case_step("edit"),
    "dropout:case_assign": case_step("reassign"),
    "dropout:document_page": Door(record="dropout.OfficialDocument"),
    "dropout:document_pdf": Door(record="dropout.OfficialDocument"),
    "dropout:document_correct": action_door(
        role_over(CASE_ROLES, of=lambda document: document.case), "dropout.OfficialDocument"
    ),
    "dropout:exemption_list": Door(),
    "dropout:exemption_new": action_door(role_over(EXEMPTION_REGISTER_ROLES), CHILD, query="child"),
    "dropout:exemption_detail": Door(record="dropout.ExemptionRequest"),
    "dropout:exemption_action": post_only(
        step(EXEMPTION_TRANSITIONS),
        "dropout.ExemptionRequest",
        values={"action": ("approve", "file", "reject", "return", "resubmit")},
    ),
    "dropout:exemption_file": Door(
        record="dropout.ExemptionRequest", values={"which": ("application",)}
    ),
    "dropout:report_list": Door(),
    "dropout:report_generate": post_only(any_role(MONTHLY_REPORT_ROLES)),
    "dropout:report_run": Door(record="dropout.ReportRun"),
    "dropout:report_detail": Door(record="dropout.MonthlyReport"),
    "dropout:prefecture_reports": Door(record="enrollment.Prefecture"),
    "dropout:report_workbook": Door(record="dropout.MonthlyReport"),
    "dropout:report_approve": post_only(
        step(REPORT_TRANSITIONS, "approve"), "dropout.MonthlyReport"
    ),
    "dropout:absence_list": Door(),
    "dropout:absence_new": action_door(role_over(ABSENCE_ROLES), CHILD, query="child"),
    "dropout:absence_back": action_door(role_over(ABSENCE_ROLES), "dropout.AbsenceReport"),
    "dropout:suspected_ledger": Door(record="enrollment.Township", values=LEDGER_KINDS),
    "dropout:dropout_ledger": Door(record="enrollment.Township", values=LEDGER_KINDS),
    # subsidies
    "subsidies:programme_list": Door(),
    "subsidies:programme_new": Door(get=shared_catalogue(CATALOGUE_ROLES)),
    "subsidies:programme_edit": action_door(
        shared_catalogue(CATALOGUE_ROLES), "subsidies.Programme"
    ),
    "subsidies:batch_list": Door(),
    "subsidies:batch_new": Door(get=any_role(BATCH_ROLES)),
    "subsidies:batch_detail": Door(record="subsidies.Batch"),
    "subsidies:batch_add_line": post_only(step(BATCH_TRANSITIONS, "prepare"), "subsidies.Batch"),
    "subsidies:batch_action": post_only(
        step(BATCH_TRANSITIONS, steps={**BATCH_STEPS, "mark-paid": "pay"}),
        "subsidies.Batch",
        values={"action": (*BATCH_STEPS, "mark-paid")},
    ),
    "subsidies:payment_list": Door(),
    "subsidies:payment_remove": post_only(
        step(BATCH_TRANSITIONS, "prepare", of=lambda payment: payment.batch), "subsidies.Payment"
    ),
    "subsidies:payment_correct": action_door(
        step(BATCH_TRANSITIONS, "correct", of=lambda payment: payment.batch),
        "subsidies.Payment",
        values={"kind": ("reverse", "supplement")},
    ),
    "subsidies:totals": Door(),
    "subsidies:gap_runs": Door(post=any_role(GAP_CHECK_ROLES)),
    "subsidies:gap_detail": Door(record="subsidies.GapRun"),
    "subsidies:identification_list": Door(),
    "subsidies:identification_apply": Door(get=any_role(IDENTIFY_ROLES)),
    "subsidies:identification_notice": Door(record="enrollment.School", query="school"),
    "subsidies:identification_school_action": post_only(
        any_role(IDENTIFY_ROLES), values={"action": ("file",)}
    ),
    "subsidies:identification_decide": action_door(
        role_over(IDENTIFY_ROLES), "subsidies.DifficultyIdentification"
    ),
    "subsidies:fund_ledger": Door(get=RELIEF_FUND),
    "subsidies:fund_new": Door(
        get=then(RELIEF_FUND, FUND_OVER), values={"kind": ("inflow", "grant")}
    ),
    "subsidies:fund_decide": post_only(
        step(GRANT_TRANSITIONS, kwarg="decision"),
        "subsidies.FundEntry",
        values={"decision": ("approve", "reject")},
    ),
    "subsidies:donation_list": Door(),
    "subsidies:donation_new": Door(get=any_role(DONATION_ROLES)),
    "subsidies:donor_list": Door(get=IN_A_COUNTY),
    "subsidies:public_fund_list": Door(),
    "subsidies:public_fund_new": Door(get=any_role(PUBLIC_FUND_ROLES)),
    "subsidies:public_fund_edit": action_door(
        role_over(PUBLIC_FUND_ROLES), "subsidies.PublicFundAllocation"
    ),
    "subsidies:export": post_only(SIGNED_IN, values={"name": ("payments", "public_funds")}),
    # inspections
    "inspections:ledger": Door(),
    "inspections:ledger_export": post_only(SIGNED_IN),
    "inspections:issue_new": Door(get=county_role(INSPECTION_ROLES)),
    "inspections:issue_detail": Door(record=ISSUE),
    "inspections:issue_edit": action_door(step(ISSUE_TRANSITIONS, "edit"), ISSUE),
    "inspections:issue_link": action_door(role_over(INSPECTION_ROLES), ISSUE),
    "inspections:issue_evidence": Door(record=ISSUE),
    "inspections:issue_event_evidence": Door(
        record="inspections.IssueEvent",
        scope=_issue_events,
        params={"pk": "issue_id", "event_pk": "pk"},
    ),
    "inspections:issue_action": action_door(
        step(ISSUE_TRANSITIONS),
        ISSUE,
        values={"action": ("start", "progress", "submit", "verify")},
    ),
    "inspections:inspection_list": Door(),
    "inspections:inspection_new": Door(get=county_role(INSPECTION_ROLES)),
    "inspections:inspection_detail": Door(record="inspections.Inspection"),
    "inspections:inspection_attach": action_door(
        role_over(INSPECTION_ROLES), "inspections.Inspection"
    ),
    "inspections:inspection_attachment": Door(
        record="inspections.InspectionAttachment",
        scope=_inspection_attachments,
        params={"pk": "inspection_id", "attachment_pk": "pk"},
    ),
    "inspections:campaign_list": Door(post=county_role(INSPECTION_ROLES)),
    "inspections:summary": Door(),
    "inspections:group_list": Door(post=county_role(INSPECTION_ROLES)),
    "inspections:area_list": Door(post=county_role(INSPECTION_ROLES)),
    "inspections:complaint_list": Door(),
    "inspections:complaint_export": post_only(SIGNED_IN),
    "inspections:complaint_new": Door(get=county_role(INSPECTION_ROLES)),
    "inspections:complaint_detail": Door(record=COMPLAINT),
    "inspections:complaint_step": action_door(HANDLES_COMPLAINT, COMPLAINT),
    "inspections:complaint_conclude": action_door(HANDLES_COMPLAINT, COMPLAINT),
    "inspections:complaint_handlers": action_door(HANDLES_COMPLAINT, COMPLAINT),
    "inspections:complaint_link": action_door(HANDLES_COMPLAINT, COMPLAINT),
    # teachers
    "teachers:teacher_list": Door(),
    "teachers:teacher_export": post_only(SIGNED_IN),
    "teachers:teacher_new": Door(get=any_role(TEACHER_ROLES)),
    "teachers:teacher_detail": Door(record=TEACHER),
    "teachers:teacher_edit": action_door(role_over(TEACHER_ROLES), TEACHER),
    "teachers:teacher_transfer": action_door(role_over(TEACHER_ROLES), TEACHER),
    "teachers:teacher_convert": action_door(role_over(TEACHER_ROLES), TEACHER),
    "teachers:teacher_leave": action_door(role_over(TEACHER_ROLES), TEACHER),
    "teachers:special_posts": Door(),
    "teachers:staffing": Door(),
    "teachers:staffing_export": post_only(SIGNED_IN),
    "teachers:exchange_list": Door(),
    "teachers:exchange_export": post_only(SIGNED_IN),
    "teachers:exchange_new": Door(get=any_role(TEACHER_ROLES)),
    "teachers:exchange_end": action_door(role_over(TEACHER_ROLES), "teachers.Exchange"),
    "teachers:rotation": Door(),
    "teachers:allowance_list": Door(),
    "teachers:batch_new": Door(get=county_role(TEACHER_ROLES)),
    "teachers:tiers": Door(post=county_role(TEACHER_ROLES)),
    "teachers:allowance_unpaid": Door(),
    "teachers:allowance_unpaid_export": post_only(SIGNED_IN),
    "teachers:allowance_payments_export": post_only(SIGNED_IN),
    "teachers:batch_detail": Door(record="teachers.AllowanceBatch"),
    "teachers:batch_paid": post_only(role_over(TEACHER_ROLES), "teachers.AllowanceBatch"),
    "teachers:batch_add_payment": action_door(role_over(TEACHER_ROLES), "teachers.AllowanceBatch"),
    "teachers:payment_remove": post_only(
        role_over(TEACHER_ROLES, of=lambda payment: payment.batch), "teachers.AllowancePayment"
    ),
    "teachers:training_list": Door(),
    "teachers:training_export": post_only(SIGNED_IN),
    "teachers:training_new": Door(get=county_role(TEACHER_ROLES)),
    "teachers:training_hours": Door(),
    "teachers:training_detail": Door(
        record="teachers.TrainingEvent", post=role_over(TEACHER_ROLES)
    ),
    "teachers:recruitment": Door(),
    "teachers:home_teaching_list": Door(),
    "teachers:home_teaching_export": post_only(SIGNED_IN),
    # ?child= from the child's page: a child outside the scope is a 404 (after the role).
    "teachers:home_teaching_new": Door(get=any_role(HOME_TEACHING_ROLES)),
    # risk: the list, help and backtest read by scope; the points are the county admin's
    "risk:list": Door(),
    "risk:export": post_only(SIGNED_IN),
    "risk:help": Door(),
    "risk:backtest": Door(),
    "risk:weights": action_door(county_role(RISK_WEIGHT_ROLES), None),
    "risk:run_new": post_only(county_role(RISK_RUN_ROLES)),
    "risk:run": Door(record="risk.RiskRun"),
    # yearend: the annual summary (a township's is read by its officials, the county's by the
    # county's roles); approval locks the year: the bureau over the summary's county
    "yearend:summary_list": Door(),
    "yearend:summary_generate": post_only(any_role(YEAREND_GENERATE_ROLES)),
    "yearend:summary_run": Door(record="yearend.SummaryRun"),
    "yearend:summary_detail": Door(record="yearend.AnnualSummary"),
    "yearend:prefecture_summaries": Door(record="enrollment.Prefecture"),
    "yearend:summary_approve": post_only(
        role_over(YEAREND_APPROVE_ROLES, of=lambda summary: summary.county),
        record="yearend.AnnualSummary",
    ),
    "yearend:summary_workbook": Door(record="yearend.AnnualSummary"),
    "yearend:summary_document": Door(record="yearend.AnnualSummary"),
    # transfers: both sides read (for_user covers the sender's and the receiver's places); each
    # step is its side's (the transition table); the sending side proposes from the child
    "transfers:list": Door(),
    "transfers:detail": Door(record=TRANSFER),
    "transfers:letter": Door(record=TRANSFER),
    "transfers:step": action_door(
        step(TRANSFER_TRANSITIONS),
        TRANSFER,
        values={"action": ("accept", "return", "confirm")},
    ),
    "transfers:propose": action_door(
        role_over(TRANSFER_PROPOSE_ROLES), CHILD, params={"child_pk": "pk"}
    ),
    "transfers:move_out": action_door(
        role_over(TRANSFER_PROPOSE_ROLES), CHILD, params={"child_pk": "pk"}
    ),
}


# --- the API -----------------------------------------------------------------------------------
# Per router basename, the gate of each write operation ("create", "update", "partial_update",
# "destroy" and the viewset's POST actions by name); reads need only scope (`for_user()`, 404
# outside it). `first=True`: the permission class (`write_roles`) or the view refuses the role
# before reading the body, so even an empty body answers 403; other gates are the service's,
# checked on a valid body.
def _api_case_step(name: str) -> Gate:
    return step(CASE_TRANSITIONS, name)


API: dict[str, dict[str, Gate]] = {
    "township": {},
    "village": {},
    "school": {},
    "household": {"create": any_role(REGISTER_CHILD_ROLES, first=True)},
    "child": {
        "create": any_role(REGISTER_CHILD_ROLES, first=True),
        "change_status": any_role(CHANGE_STATUS_ROLES, first=True),
    },
    "visit": {"create": any_role(RECORD_VISIT_ROLES, first=True)},
    "exemption": {
        "create": any_role(EXEMPTION_REGISTER_ROLES),
        **{
            method: step(EXEMPTION_TRANSITIONS, name)
            for method, name in (
                ("approve", "approve"),
                ("file_request", "file"),
                ("reject", "reject"),
                ("return_request", "return"),
            )
        },
    },
    "dropout-case": {
        "create": any_role(OPEN_CASE_ROLES, first=True),
        "persuasions": _api_case_step("persuade"),
        "issue_notice": _api_case_step("issue_notice"),
        "decide_penalty": _api_case_step("decide_penalty"),
        "serve_decision": _api_case_step("serve_decision"),
        "prior_notice": _api_case_step("issue_prior_notice"),
        "replies": _api_case_step("record_reply"),
        "reply_reviews": _api_case_step("review_reply"),
        "hearing_requests": _api_case_step("request_hearing"),
        "hearings": _api_case_step("hold_hearing"),
        "legal_reviews": _api_case_step("legal_review"),
        "measures": _api_case_step("add_measure"),
        "return_to_school": _api_case_step("return"),
        "close": _api_case_step("close"),
    },
    "document": {},
    "monthly-report": {
        "generate": any_role(MONTHLY_REPORT_ROLES),
        "approve": step(REPORT_TRANSITIONS, "approve"),
    },
    "report-run": {},
    "programme": {
        "create": any_role(CATALOGUE_ROLES, first=True),
        "update": any_role(CATALOGUE_ROLES, first=True),
        "partial_update": any_role(CATALOGUE_ROLES, first=True),
    },
    "batch": {
        "create": any_role(BATCH_ROLES | APPROVE_ROLES, first=True),
        **{
            name: then(
                any_role(BATCH_ROLES | APPROVE_ROLES, first=True), step(BATCH_TRANSITIONS, table)
            )
            for name, table in (
                ("build", "prepare"),
                ("lines", "prepare"),
                ("review", "review"),
                ("approve", "approve"),
                ("mark_paid", "pay"),
            )
        },
    },
    "payment": {name: any_role(BATCH_ROLES, first=True) for name in ("reverse", "supplement")},
    "gap": {},
    "fund-entry": {
        name: any_role(FUND_ROLES, first=True) for name in ("create", "approve", "reject")
    },
    "donation": {"create": any_role(DONATION_ROLES, first=True)},
    "teacher": {
        name: any_role(TEACHER_ROLES, first=True)
        for name in ("create", "update", "partial_update", "convert")
    },
    "exchange": {"create": any_role(TEACHER_ROLES, first=True)},
    "allowance": {},
    "training": {name: any_role(TEACHER_ROLES, first=True) for name in ("create", "attendances")},
    "inspection": {"create": county_role(INSPECTION_ROLES)},
    "issue": {
        "create": county_role(INSPECTION_ROLES),
        "submit": step(ISSUE_TRANSITIONS, "submit"),
        "verify": step(ISSUE_TRANSITIONS, "verify"),
        "reopen": step(ISSUE_TRANSITIONS, "reopen"),
    },
    "complaint": {"create": county_role(INSPECTION_ROLES)},
    "annual-summary": {
        "generate": any_role(YEAREND_GENERATE_ROLES, first=True),
        "approve": role_over(YEAREND_APPROVE_ROLES, of=lambda summary: summary.county),
    },
    "summary-run": {},
    "risk-score": {},
    "risk-backtest": {},
    "transfer": {
        method: step(TRANSFER_TRANSITIONS, name)
        for method, name in (
            ("accept", "accept"),
            ("return_transfer", "return"),
            ("confirm", "confirm"),
        )
    },
    # The caller's own notifications (another user's answers 404).
    "notification": {"read": SIGNED_IN, "read_all": SIGNED_IN},
}
