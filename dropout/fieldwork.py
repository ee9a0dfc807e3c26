"""我的走访, the offline visit workbench: who to visit (the worklist a phone downloads before a
trip) and the one write it makes when it is back online (a queued visit, with the persuasion it
recorded for an open case).

An offline entry carries the child's version as the phone saw it when it was prepared. The
version names everything a visit may have been based on: the child's status and its latest
status change, and the open case's status. If any of them moved on meanwhile, the entry is not
silently applied: the sync answers a conflict with both versions, and the official decides
(send it again with `force`, or discard it on the phone)."""

import dataclasses
import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import F, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.errors import DomainError
from core.services import today
from enrollment import services as enrollment_services
from enrollment.extensions import with_priority
from enrollment.models import (
    UNACCOUNTED_STATUSES,
    Child,
    EnrollmentStatus,
    EnrollmentStatusChange,
    HouseholdVisit,
)

from .models import DropoutCase, ExemptionRequest, Persuasion
from .services.cases import log_persuasion
from .transitions import CASE_TRANSITIONS

S = EnrollmentStatus

# Why a child is on the worklist (several may hold at once).
REASONS = {
    "unaccounted": gettext_lazy("Unaccounted"),
    "suspected": gettext_lazy("Suspected dropout"),
    "persuasion_due": gettext_lazy("Persuasion due"),
    "exemption_ending": gettext_lazy("Exemption ending"),
}
# An exemption is "ending" from this many days before its end date (and while still unreturned
# after it).
EXEMPTION_ENDING_DAYS = 30


def persuadable_statuses() -> frozenset:
    """The case states a persuasion may be recorded in (from the transition table)."""
    return CASE_TRANSITIONS.sources("persuade")


def _latest_change_id():
    return Subquery(
        EnrollmentStatusChange.objects.filter(child=OuterRef("pk")).order_by("-pk").values("pk")[:1]
    )


def _last_visit():
    return Subquery(
        HouseholdVisit.objects.filter(children=OuterRef("pk"))
        .order_by("-visit_date")
        .values("visit_date")[:1]
    )


def cases_due_for_persuasion(user, *, day: datetime.date) -> QuerySet:
    """Open cases of the user's scope in a state that takes a persuasion, with none recorded in
    the last VISIT_DUE_DAYS."""
    since = day - datetime.timedelta(days=settings.VISIT_DUE_DAYS)
    last_persuasion = Subquery(
        Persuasion.objects.filter(case=OuterRef("pk")).order_by("-date").values("date")[:1]
    )
    return (
        DropoutCase.objects.for_user(user)
        .filter(status__in=persuadable_statuses())
        .annotate(last_persuasion=last_persuasion)
        .filter(Q(last_persuasion__isnull=True) | Q(last_persuasion__lt=since))
    )


def worklist(user, *, day: datetime.date | None = None) -> QuerySet:
    """Children of the user's scope to visit: unaccounted (school age, on no roll, in no legal
    status), suspected dropouts, those with an open case whose persuasion is due (none in the
    last VISIT_DUE_DAYS), and those whose exemption ends within EXEMPTION_ENDING_DAYS or has
    ended without a return. Each row carries what the visit form and the conflict check need:
    its household's head and address, village, township, county and school as annotations
    (household_head, household_address, village_name, township_id, township_name, county_id,
    school_name)."""
    day = day or today()
    due_cases = cases_due_for_persuasion(user, day=day)
    ending = ExemptionRequest.objects.for_user(user).filter(
        status=ExemptionRequest.Status.FILED,
        end_date__lte=day + datetime.timedelta(days=EXEMPTION_ENDING_DAYS),
        child__status__in=(S.DEFERRED, S.SUSPENDED),
    )
    children = Child.objects.for_user(user)
    unaccounted = children.school_age_on(day).filter(
        Q(status__in=UNACCOUNTED_STATUSES) | Q(status=S.OUTSIDE_COUNTY, outside_verified=False)
    )
    open_cases = DropoutCase.objects.filter(status__in=DropoutCase.OPEN_STATUSES).order_by("-pk")
    rows = (
        children.filter(
            Q(pk__in=unaccounted.values("pk"))
            | Q(status=S.SUSPECTED_DROPOUT)
            | Q(pk__in=due_cases.values("child_id"))
            | Q(pk__in=ending.values("child_id"))
        )
        # The names a row shows, as columns: no household, village, township and school
        # objects built per row (a township's ~6,000 rows).
        .annotate(
            household_head=F("household__head_name"),
            household_address=F("household__address"),
            village_name=F("village__name"),
            township_id=F("village__township_id"),
            township_name=F("village__township__name"),
            county_id=F("village__township__county_id"),
            school_name=F("current_school__name"),
        )
        .prefetch_related(
            Prefetch("dropout_cases", queryset=open_cases, to_attr="open_cases"),
            Prefetch(
                "exemptions",
                queryset=ending.order_by("-end_date"),
                to_attr="ending_exemptions",
            ),
        )
        .annotate(latest_change_id=_latest_change_id(), last_visit=_last_visit())
    )
    # The most urgent first where a module ranks children (enrollment.extensions: the
    # dropout-risk score); then by village and household, as the trip goes.
    return with_priority(rows).order_by("-priority", "village__code", "household_id", "name", "pk")


def reasons_of(child, *, day: datetime.date, due_child_ids: set[int]) -> list[str]:
    """The worklist's reasons for one row of `worklist()`; `due_child_ids`: the children of
    cases_due_for_persuasion() (read once for the whole list)."""
    reasons = []
    if child.status in UNACCOUNTED_STATUSES or (
        child.status == S.OUTSIDE_COUNTY and not child.outside_verified
    ):
        reasons.append("unaccounted")
    if child.status == S.SUSPECTED_DROPOUT:
        reasons.append("suspected")
    if child.pk in due_child_ids:
        reasons.append("persuasion_due")
    if child.ending_exemptions:
        reasons.append("exemption_ending")
    return reasons


# --- the version an offline entry was based on -----------------------------------------------


@dataclasses.dataclass
class ChildState:
    """What a visit of the child is based on. `version` compares; the rest explains."""

    status: str
    status_since: datetime.date | None
    latest_change_id: int | None
    case_id: int | None
    case_status: str

    @property
    def version(self) -> str:
        return f"{self.status}.{self.latest_change_id or 0}.{self.case_id or 0}.{self.case_status}"

    def as_dict(self, *, labels: dict | None = None) -> dict:
        """`labels`: {"status": {value: label}, "case": {value: label}} translated once by a
        caller that builds many rows."""
        if labels is None:
            status_label = str(S(self.status).label) if self.status else ""
            case_label = str(DropoutCase.Status(self.case_status).label) if self.case_status else ""
        else:
            status_label = labels["status"].get(self.status, "")
            case_label = labels["case"].get(self.case_status, "")
        return {
            "version": self.version,
            "status": self.status,
            "status_label": status_label,
            "status_since": self.status_since.isoformat() if self.status_since else None,
            "case_id": self.case_id,
            "case_status": self.case_status,
            "case_status_label": case_label,
        }


def state_of_row(child) -> ChildState:
    """The state of a `worklist()` row (annotated and prefetched: no query)."""
    case = child.open_cases[0] if child.open_cases else None
    return ChildState(
        status=child.status,
        status_since=child.status_since,
        latest_change_id=child.latest_change_id,
        case_id=case.pk if case else None,
        case_status=case.status if case else "",
    )


def _open_case(field: str):
    return Subquery(
        DropoutCase.objects.filter(child=OuterRef("pk"), status__in=DropoutCase.OPEN_STATUSES)
        .order_by("-pk")
        .values(field)[:1]
    )


def with_state(queryset: QuerySet) -> QuerySet:
    """Children annotated with what their ChildState needs (one query, no query per child)."""
    return queryset.annotate(
        latest_change_id=_latest_change_id(),
        open_case_id=_open_case("pk"),
        open_case_status=_open_case("status"),
    )


def locked_for_sync(queryset: QuerySet) -> QuerySet:
    """The children of `queryset` (a for_user() one: outside it, nothing) locked for a sync
    and annotated with their state: scope, lock and version in one query."""
    return with_state(
        queryset.select_for_update(of=("self",)).select_related("household", "village__township")
    )


def current_state(child: Child) -> ChildState:
    """The child's state: from with_state()'s annotations when it has them, else read."""
    if not hasattr(child, "open_case_status"):
        child = with_state(Child.objects.filter(pk=child.pk)).get()
    return ChildState(
        status=child.status,
        status_since=child.status_since,
        latest_change_id=child.latest_change_id,
        case_id=child.open_case_id,
        case_status=child.open_case_status or "",
    )


class OfflineConflict(Exception):
    """The child moved on after the phone was prepared: nothing was written."""

    def __init__(self, *, seen_version: str, current: ChildState):
        super().__init__(seen_version)
        self.seen_version = seen_version
        self.current = current


@dataclasses.dataclass
class SyncResult:
    visit: HouseholdVisit
    persuasion: Persuasion | None
    state: ChildState


@transaction.atomic
def sync_offline_visit(
    *,
    actor,
    child: Child,
    seen_version: str,
    force: bool,
    visit: dict,
    persuasion: dict | None = None,
) -> SyncResult:
    """Apply one queued offline visit of `child` (already in the actor's scope, role checked by
    the caller): the household visit through enrollment's record_visit, and, when the official
    recorded one, the persuasion of the child's open case through log_persuasion — both or
    neither. Refused with OfflineConflict when the child's version is no longer `seen_version`,
    unless the official chose to apply it anyway (`force`).

    `child` as locked_for_sync() read it in the caller's transaction is used as it is (one
    query for scope, lock and state); any other is locked and read here."""
    if not hasattr(child, "open_case_id"):
        child = locked_for_sync(Child.objects.all()).get(pk=child.pk)
    state = current_state(child)
    if state.version != seen_version and not force:
        raise OfflineConflict(seen_version=seen_version, current=state)
    children = visit.pop("children", None) or [child]
    if child.pk not in {other.pk for other in children}:
        raise DomainError(_("The visit must include the child it was entered for."), "children")
    recorded = enrollment_services.record_visit(
        actor=actor, household=child.household, children=children, **visit
    )
    logged = None
    if persuasion is not None:
        if state.case_id is None or state.case_status not in persuadable_statuses():
            raise DomainError(
                _("The child has no open case now: the persuasion cannot be recorded."),
                "persuasion",
            )
        logged = log_persuasion(
            actor=actor,
            case=DropoutCase(pk=state.case_id),  # log_persuasion locks and reads it
            date=visit["visit_date"],
            visitors=visit["visitors"],
            what_was_said=persuasion["what_was_said"],
            family_answer=persuasion["family_answer"],
            result=persuasion["result"],
            officers=persuasion.get("officers") or (),
        )
    if visit.get("new_status") or logged is not None:
        # The status or the case moved: read the new version (else the visit left it as it was).
        state = current_state(Child.objects.get(pk=child.pk))
    return SyncResult(visit=recorded, persuasion=logged, state=state)
