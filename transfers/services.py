"""The transfer's steps: each a service that locks the row, asks the transition table (role 403,
state 409), writes inside one transaction and notifies on commit. Views, the API and the daily
task all call these; nobody edits `status` directly.

A transfer never loses a child: until the acceptance commits the child is in the sending
village's ledger; the acceptance moves the child (and its open dropout case) in the same
transaction that marks the transfer accepted, so no moment sees the child in both ledgers or
in none."""

import datetime

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from core.errors import DomainError, TransitionRefused
from core.notifications import notify
from core.numbering import format_document_number, take_next_number
from core.services import full_clean, not_future, required_text, saved_by, today
from dropout.models import DropoutCase
from enrollment.models import DEPARTED_STATUSES, Child, EnrollmentStatus, RoleAssignment
from enrollment.services import set_status_by_procedure
from enrollment.transfers import relocate_child

from .models import Transfer
from .roles import COUNTY_ACCEPT_ROLES, PROPOSE_ROLES, TOWNSHIP_ACCEPT_ROLES
from .transitions import TRANSFER_TRANSITIONS

T = Transfer.Status
K = Transfer.Kind
LETTER_KIND = "transfer_letter"


def letter_prefix(township) -> str:
    return f"{township.name}教转字"


def _link(transfer) -> str:
    return reverse("transfers:detail", args=[transfer.pk])


def _officials(*, roles, township=None, county=None):
    from django.contrib.auth import get_user_model

    place = {"township": township} if township is not None else {"county": county}
    return get_user_model().objects.filter(
        pk__in=RoleAssignment.objects.filter(role__in=roles, user__is_active=True, **place).values(
            "user"
        )
    )


def receivers(transfer):
    """Who decides the transfer on the receiving side (notified of the proposal)."""
    if transfer.kind == K.TOWNSHIP:
        return _officials(roles=TOWNSHIP_ACCEPT_ROLES, township=transfer.to_township)
    return _officials(roles=COUNTY_ACCEPT_ROLES, county=transfer.to_county)


def senders(transfer):
    return _officials(roles=PROPOSE_ROLES, township=transfer.from_township)


def _require_proposer(actor, child) -> None:
    """Scope was the caller's (the child came through for_user: 404); the role is here (403)."""
    if actor is None or actor.is_superuser:
        return
    if not Child.objects.for_user(actor, roles=PROPOSE_ROLES).filter(pk=child.pk).exists():
        raise PermissionDenied


def _lock_movable_child(child) -> Child:
    child = (
        Child.objects.select_for_update()
        .select_related("village__township__county", "household")
        .get(pk=child.pk)
    )
    if child.status in DEPARTED_STATUSES:
        raise TransitionRefused(
            _("The child is “%(status)s”: there is nobody to transfer.")
            % {"status": child.get_status_display()}
        )
    if Transfer.objects.filter(child=child, status__in=Transfer.PENDING_STATUSES).exists():
        raise TransitionRefused(_("The child already has a transfer under way."))
    return child


def _sender_fields(child) -> dict:
    return {
        "child": child,
        "from_village": child.village,
        "from_township": child.village.township,
        "from_county": child.village.township.county,
        "from_household": child.household,
    }


def _save_new(transfer) -> Transfer:
    """The one-pending-transfer constraint decides between two proposals racing each other."""
    try:
        with transaction.atomic():
            transfer.save()
    except IntegrityError as error:
        raise TransitionRefused(_("The child already has a transfer under way.")) from error
    return transfer


@transaction.atomic
def propose_transfer(
    *,
    actor,
    child: Child,
    to_village,
    reason: str,
    new_address: str,
    new_household_head: str = "",
) -> Transfer:
    """The sending side proposes a move to a village of another township of the county, or of
    another county of the deployment; the child stays in its ledger until the receiver accepts."""
    _require_proposer(actor, child)
    child = _lock_movable_child(child)
    reason = required_text(reason, "reason", _("Give the reason for the transfer."))
    new_address = required_text(new_address, "new_address", _("Give the new address."))
    if to_village is None:
        raise DomainError(_("Choose the receiving village."), field="to_village")
    to_township = to_village.township
    if to_township.pk == child.village.township_id:
        raise DomainError(
            _(
                "The village is in the child's own township: a move inside a township is a "
                "change of household, not a transfer."
            ),
            field="to_village",
        )
    same_county = to_township.county_id == child.village.township.county_id
    transfer = Transfer(
        **_sender_fields(child),
        kind=K.TOWNSHIP if same_county else K.COUNTY,
        status=T.PROPOSED,
        to_village=to_village,
        to_township=to_township,
        to_county=to_township.county,
        new_address=new_address,
        new_household_head=new_household_head.strip(),
        reason=reason,
        proposed_by=actor,
        proposed_on=today(),
    )
    full_clean(transfer)
    _save_new(transfer)
    notify(
        receivers(transfer),
        _("%(township)s proposes to transfer %(child)s to %(village)s.")
        % {"township": transfer.from_township.name, "child": child.name, "village": to_village},
        link=_link(transfer),
        key=f"transfer-proposed-{transfer.pk}",
    )
    return transfer


@transaction.atomic
def move_out(
    *,
    actor,
    child: Child,
    destination: str,
    reason: str,
    destination_school: str = "",
    new_address: str = "",
    on: datetime.date | None = None,
) -> Transfer:
    """转出: the child leaves the deployment. It is marked moved away at once, with a numbered
    transfer letter (转学联系函) to the destination; it counts as accounted for once the
    destination confirms, and returns to the unaccounted list when no confirmation comes within
    TRANSFER_CONFIRM_DAYS (lapse_overdue). `on`: the day of the move when it is recorded
    afterwards (today by default; never in the future)."""
    _require_proposer(actor, child)
    child = _lock_movable_child(child)
    destination = required_text(destination, "destination", _("Name the destination."))
    reason = required_text(reason, "reason", _("Give the reason for the transfer."))
    day = on or today()
    not_future(day, "on")
    township = child.village.township
    sequence = take_next_number(issuer=f"township:{township.pk}", kind=LETTER_KIND, year=day.year)
    transfer = Transfer(
        **_sender_fields(child),
        kind=K.OUT,
        status=T.AWAITING_CONFIRMATION,
        destination=destination,
        destination_school=destination_school.strip(),
        new_address=new_address.strip(),
        reason=reason,
        letter_number=format_document_number(letter_prefix(township), day.year, sequence),
        letter_issued_on=day,
        confirm_by=day + datetime.timedelta(days=settings.TRANSFER_CONFIRM_DAYS),
        proposed_by=actor,
        proposed_on=day,
    )
    full_clean(transfer)
    _save_new(transfer)
    set_status_by_procedure(
        actor=actor,
        child=child,
        status=EnrollmentStatus.MOVED_AWAY,
        effective_date=day,
        reason=_("Moved out to %(destination)s (transfer letter %(number)s)")
        % {"destination": destination, "number": transfer.letter_number},
    )
    return transfer


def _lock(transfer) -> Transfer:
    return (
        Transfer.objects.select_for_update(of=("self",))
        .select_related("child", "to_village", "to_township", "from_township")
        .get(pk=transfer.pk)
    )


def _decided(transfer, actor, status) -> None:
    transfer.status = status
    transfer.decided_by = actor
    transfer.decided_on = today()
    transfer.version += 1


@transaction.atomic
def accept_transfer(*, actor, transfer: Transfer, household=None) -> Transfer:
    """The receiving side accepts: the child joins `household` of the receiving village (or a
    new one at the proposed address), and its open dropout case moves to the receiving township
    with its whole history. Closed cases, exemptions' own records, visits and documents stay
    what they were; exemptions and absences follow the child's village by their scope."""
    transfer = _lock(transfer)
    TRANSFER_TRANSITIONS.require(transfer, "accept", actor)
    child = Child.objects.select_for_update().get(pk=transfer.child_id)
    if child.village_id != transfer.from_village_id:
        raise TransitionRefused(
            _("The child is no longer in the village the transfer was proposed from.")
        )
    relocate_child(
        actor=actor,
        child=child,
        village=transfer.to_village,
        household=household,
        address=transfer.new_address,
        head_name=transfer.new_household_head,
    )
    child.refresh_from_db(fields=["household"])
    for case in DropoutCase.objects.select_for_update().filter(
        child_id=child.pk, status__in=DropoutCase.OPEN_STATUSES
    ):
        case.township = transfer.to_township
        case.version += 1
        saved_by(case, actor)
    transfer.to_household_id = child.household_id
    _decided(transfer, actor, T.ACCEPTED)
    saved_by(transfer, actor)
    notify(
        [transfer.proposed_by] if transfer.proposed_by else [],
        _("%(township)s accepted the transfer of %(child)s.")
        % {"township": transfer.to_township.name, "child": transfer.child.name},
        link=_link(transfer),
        key=f"transfer-accepted-{transfer.pk}",
    )
    return transfer


@transaction.atomic
def return_transfer(*, actor, transfer: Transfer, reason: str) -> Transfer:
    """The receiving side returns the proposal with a reason; the child never left."""
    transfer = _lock(transfer)
    TRANSFER_TRANSITIONS.require(transfer, "return", actor)
    transfer.return_reason = required_text(
        reason, "reason", _("Give the reason for returning the transfer.")
    )
    _decided(transfer, actor, T.RETURNED)
    saved_by(transfer, actor)
    notify(
        [transfer.proposed_by] if transfer.proposed_by else [],
        _("%(township)s returned the transfer of %(child)s: %(reason)s")
        % {
            "township": transfer.to_township.name,
            "child": transfer.child.name,
            "reason": transfer.return_reason,
        },
        link=_link(transfer),
        key=f"transfer-returned-{transfer.pk}",
    )
    return transfer


@transaction.atomic
def confirm_transfer(
    *, actor, transfer: Transfer, confirmed_on: datetime.date, confirmed_by_name: str
) -> Transfer:
    """The destination confirmed the child's arrival (a date and a name): accounted for."""
    transfer = _lock(transfer)
    TRANSFER_TRANSITIONS.require(transfer, "confirm", actor)
    not_future(confirmed_on, "confirmed_on")
    if confirmed_on < transfer.letter_issued_on:
        raise DomainError(
            _("The confirmation cannot come before the letter (%(date)s).")
            % {"date": transfer.letter_issued_on.isoformat()},
            field="confirmed_on",
        )
    transfer.confirmed_by_name = required_text(
        confirmed_by_name, "confirmed_by_name", _("Name who confirmed at the destination.")
    )
    transfer.confirmed_on = confirmed_on
    _decided(transfer, actor, T.CONFIRMED)
    full_clean(transfer)
    saved_by(transfer, actor)
    return transfer


@transaction.atomic
def lapse_transfer(*, transfer: Transfer, on: datetime.date | None = None) -> bool:
    """No confirmation within the setting's days: the child returns to the unaccounted list
    (not yet verified) and the sending township is told. False when there is nothing to do
    (confirmed meanwhile, or still within its window): a rerun changes nothing."""
    on = on or today()
    transfer = _lock(transfer)
    if not TRANSFER_TRANSITIONS.can(transfer, "lapse", None, on=on):
        return False
    child = Child.objects.select_for_update().get(pk=transfer.child_id)
    transfer.status = T.LAPSED
    transfer.version += 1
    saved_by(transfer, None)
    if child.status == EnrollmentStatus.MOVED_AWAY:
        set_status_by_procedure(
            actor=None,
            child=child,
            status=EnrollmentStatus.UNVERIFIED,
            effective_date=on,
            reason=_("The destination did not confirm the transfer %(number)s by %(date)s.")
            % {"number": transfer.letter_number, "date": transfer.confirm_by.isoformat()},
        )
    notify(
        senders(transfer),
        _("%(destination)s has not confirmed %(child)s's arrival: unaccounted for again.")
        % {"destination": transfer.destination, "child": child.name},
        link=_link(transfer),
        key=f"transfer-lapsed-{transfer.pk}",
    )
    return True


def lapse_overdue(*, on: datetime.date | None = None) -> int:
    """The daily task: every move out whose confirmation window has passed, each in its own
    transaction. Idempotent."""
    on = on or today()
    overdue = Transfer.objects.filter(
        status=T.AWAITING_CONFIRMATION, confirm_by__lt=on
    ).values_list("pk", flat=True)
    return sum(1 for pk in list(overdue) if lapse_transfer(transfer=Transfer(pk=pk), on=on))
