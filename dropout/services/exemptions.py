"""缓学/休学/免学申请: guardian's application → township approval → filed with the bureau."""

import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils.translation import gettext as _

from core.errors import DomainError
from core.notifications import notify
from core.services import check_upload, require_role, saved_by, today
from enrollment.models import Child, EnrollmentStatus
from enrollment.roles import Role
from enrollment.selectors import county_users, officials_by_township
from enrollment.services import set_status_by_procedure

from ..models import ExemptionRequest, ExemptionStep
from ..roles import EXEMPTION_REGISTER_ROLES
from ..transitions import EXEMPTION_TRANSITIONS

R = ExemptionRequest
STATUS_OF_KIND = {
    R.Kind.DEFERRED: EnrollmentStatus.DEFERRED,
    R.Kind.SUSPENDED: EnrollmentStatus.SUSPENDED,
    R.Kind.HOME_DELIVERED: EnrollmentStatus.HOME_DELIVERED,
    R.Kind.SPECIAL_SCHOOL: EnrollmentStatus.SPECIAL_SCHOOL,
}
PENDING = (R.Status.SUBMITTED, R.Status.TOWNSHIP_APPROVED, R.Status.RETURNED)


def _step(request, *, actor, action, from_status, note=""):
    ExemptionStep.objects.create(
        request=request,
        action=action,
        from_status=from_status,
        to_status=request.status,
        note=note,
        actor=actor,
    )


@transaction.atomic
def register_exemption(
    *,
    actor,
    child: Child,
    kind: str,
    reason: str,
    reason_detail: str,
    start_date: datetime.date,
    end_date: datetime.date,
    application_scan,
    evidence=None,
    school=None,
) -> ExemptionRequest:
    require_role(actor, child, EXEMPTION_REGISTER_ROLES)
    child = Child.objects.select_for_update().get(pk=child.pk)
    if end_date < start_date:
        raise DomainError(_("The period ends before it starts."), field="end_date")
    if not application_scan:
        raise DomainError(_("Upload the guardian's written application."), field="application_scan")
    application_scan = check_upload(application_scan, "application_scan")
    if evidence:
        evidence = check_upload(evidence, "evidence")
    if reason in (R.Reason.ILLNESS, R.Reason.DISABILITY) and not evidence:
        raise DomainError(
            _("Illness or disability needs evidence, e.g. a medical certificate."), field="evidence"
        )
    if kind in (R.Kind.HOME_DELIVERED, R.Kind.SPECIAL_SCHOOL):
        if not child.is_disabled:
            raise DomainError(
                _(
                    "Home-delivered education and special school are for children "
                    "whose disability makes ordinary schooling impossible; record "
                    "the disability first."
                ),
                field="kind",
            )
        if school is None:
            raise DomainError(_("Name the school that delivers the education."), field="school")
    else:
        school = None
    if kind == R.Kind.SUSPENDED:
        if (end_date - start_date).days > settings.SUSPENSION_MAX_DAYS:
            raise DomainError(
                _("A suspension is at most one school year; a renewal is a new request."),
                field="end_date",
            )
        earlier = child.exemptions.filter(kind=R.Kind.SUSPENDED, status=R.Status.FILED).count()
        if earlier > settings.SUSPENSION_MAX_RENEWALS:
            raise DomainError(
                _("A suspension may be extended only once; this child has had %(count)d.")
                % {"count": earlier},
                field="kind",
            )
    if child.exemptions.filter(status__in=PENDING).exists():
        raise DomainError(_("This child already has a request being decided."), field="child")
    request = R(
        child=child,
        kind=kind,
        reason=reason,
        reason_detail=reason_detail.strip(),
        start_date=start_date,
        end_date=end_date,
        school=school,
        application_scan=application_scan,
        evidence=evidence or "",
        registered_by=actor,
    )
    saved_by(request, actor)
    _step(request, actor=actor, action="submit", from_status="")
    return request


def _locked(request) -> ExemptionRequest:
    return (
        R.objects.select_for_update().select_related("child__village__township").get(pk=request.pk)
    )


def _transition(request, *, actor, action, note="", note_required=False) -> ExemptionRequest:
    """Lock the request, check the step against the table (role, then state), record it."""
    request = _locked(request)
    transition = EXEMPTION_TRANSITIONS.require(request, action, actor)
    if note_required and not note.strip():
        raise DomainError(_("Give the reason."), field="note")
    previous = request.status
    request.status = transition.target
    saved_by(request, actor)
    _step(request, actor=actor, action=action, from_status=previous, note=note.strip())
    return request


@transaction.atomic
def township_approve(*, actor, request, note: str = "") -> ExemptionRequest:
    # Four eyes: whoever registered the request does not approve it, unless the county runs
    # one-person townships (setting); the step then says so. Checked after the table's scope,
    # role and state checks, in their order.
    request = _locked(request)
    EXEMPTION_TRANSITIONS.require(request, "approve", actor)
    if request.registered_by_id == actor.pk:
        if not settings.EXEMPTION_SELF_APPROVAL_ALLOWED:
            raise DomainError(
                _("You registered this request; another official of the township must approve it.")
            )
        note = " ".join(
            part
            for part in (
                str(_("Approved by the official who registered it (one-person township).")),
                note.strip(),
            )
            if part
        )
    request = _transition(request, actor=actor, action="approve", note=note)
    bureau = county_users(request.child.village.township.county_id, (Role.BUREAU_STAFF,))
    notify(
        bureau,
        _("Exemption request of %(child)s awaits filing.") % {"child": request.child.name},
        link=f"/dropout/exemptions/{request.pk}/",
        key=f"exemption-filing:{request.pk}:{request.steps.count()}",
    )
    return request


@transaction.atomic
def file_exemption(*, actor, request, note: str = "") -> ExemptionRequest:
    """报县教育局备案: the child takes the exemption's status for its period."""
    request = _transition(request, actor=actor, action="file", note=note)
    if request.start_date > today():
        return request  # the status starts with the period (start_due_exemptions, daily)
    _apply_status(request, actor=actor)
    return request


def _apply_status(request, *, actor) -> None:
    """The child takes the exemption's status from the first day of its approved period."""
    set_status_by_procedure(
        actor=actor,
        child=request.child,
        status=STATUS_OF_KIND[request.kind],
        effective_date=request.start_date,
        school=request.school,
        grade=request.child.grade if request.school else None,
        reason=_(
            "%(kind)s approved by the township and filed with the county bureau, "
            "%(start)s to %(end)s"
        )
        % {
            "kind": request.get_kind_display(),
            "start": request.start_date.isoformat(),
            "end": request.end_date.isoformat(),
        },
    )


def start_due_exemptions(*, day: datetime.date | None = None, county=None) -> int:
    """The daily step: a request filed before its period starts gives the child its status on
    the period's first day. Idempotent: a child that holds the status, or whose status changed
    since the period started, is left alone. `county`: only its children."""
    day = day or today()
    started = 0
    filed = (
        R.objects.filter(status=R.Status.FILED, start_date__lte=day, end_date__gte=day)
        .filter(Q(child__status_since__isnull=True) | Q(child__status_since__lt=F("start_date")))
        .select_related("child", "school")
        .order_by("start_date", "pk")
    )
    if county is not None:
        filed = filed.filter(child__village__township__county=county)
    for request in filed:
        if request.child.status == STATUS_OF_KIND[request.kind]:
            continue
        filing = request.steps.filter(action="file").order_by("-pk").first()
        with transaction.atomic():
            _apply_status(request, actor=filing.actor if filing else None)
        started += 1
    return started


@transaction.atomic
def reject_exemption(*, actor, request, note: str) -> ExemptionRequest:
    """By whoever decides the current step (the table says who)."""
    return _transition(request, actor=actor, action="reject", note=note, note_required=True)


@transaction.atomic
def return_exemption(*, actor, request, note: str) -> ExemptionRequest:
    """Back to the previous step for more evidence: the township returns a submitted request to
    whoever registered it; the bureau returns an approved one to the township."""
    return _transition(request, actor=actor, action="return", note=note, note_required=True)


@transaction.atomic
def resubmit_exemption(*, actor, request, note: str = "", evidence=None) -> ExemptionRequest:
    if evidence:
        check_upload(evidence, "evidence")
    request = _transition(request, actor=actor, action="resubmit", note=note)
    if evidence:
        request.evidence = evidence
        saved_by(request, actor)
    return request


def due_back(queryset=None, *, day: datetime.date | None = None):
    """Filed requests whose period has ended while the child still holds their status."""
    day = day or today()
    queryset = queryset if queryset is not None else R.objects.all()
    still_exempted = Q()
    for kind, status in STATUS_OF_KIND.items():
        still_exempted |= Q(kind=kind, child__status=status)
    return (
        queryset.filter(status=R.Status.FILED, end_date__lt=day)
        .filter(still_exempted)
        .select_related("child__village__township")
        .order_by("end_date", "pk")
    )


@transaction.atomic
def notify_due_back(*, day: datetime.date | None = None, county=None) -> int:
    """Tell the township officials of each child expected back (once per request). `county`:
    only its children."""
    day = day or today()
    requests = due_back(day=day).filter(due_back_notified_on__isnull=True)
    if county is not None:
        requests = requests.filter(child__village__township__county=county)
    requests = list(requests)
    officials = officials_by_township(r.child.village.township_id for r in requests)
    for request in requests:
        notify(
            officials[request.child.village.township_id],
            _("%(child)s's %(kind)s ended on %(end)s: expected back in school.")
            % {
                "child": request.child.name,
                "kind": request.get_kind_display(),
                "end": request.end_date.isoformat(),
            },
            link=f"/dropout/exemptions/{request.pk}/",
            key=f"exemption-due:{request.pk}",
        )
    R.objects.filter(pk__in=[r.pk for r in requests]).update(due_back_notified_on=day)
    return len(requests)
