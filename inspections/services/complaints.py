"""举报/信访: registered, handled in dated steps, concluded with a result and a reply; links to
issues raised from it and to records of other apps."""

import datetime

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from core.concurrency import check_and_bump
from core.errors import DomainError, TransitionRefused
from core.notifications import notify
from core.people import person_name
from core.services import not_future, require_role, required_text, saved_by, today
from enrollment.models import County
from enrollment.permissions import user_may

from ..models import Campaign, Complaint, ComplaintStep, Issue, RecordLink
from ..roles import COMPLAINANT_IDENTITY_ROLES, MANAGE_ROLES
from .inspections import eligible_members
from .units import check_unit

# Records of other apps an issue or a complaint may point at: "app_label.model".
LINKABLE_MODELS = (
    "enrollment.school",
    "enrollment.township",
    "enrollment.village",
    "enrollment.child",
    "enrollment.household",
)


def sees_complainant(user, complaint: Complaint) -> bool:
    """The complainant's name and contact: the complaint's handlers and the county's
    administrators only — not the unit complained about, not auditors, not other inspectors."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    if user_may(user, Complaint.objects, COMPLAINANT_IDENTITY_ROLES, complaint):
        return True
    handler_ids = getattr(complaint, "handler_ids", None)
    if handler_ids is None:
        return complaint.handlers.filter(pk=user.pk).exists()
    return user.pk in handler_ids


def _check_handlers(county, handlers):
    handlers = list(handlers)
    if not handlers:
        raise DomainError(_("Name at least one handler."), field="handlers")
    allowed = set(eligible_members(county).values_list("pk", flat=True))
    if any(handler.pk not in allowed for handler in handlers):
        raise DomainError(
            _("Handlers must be inspectors or county bureau staff of this county."),
            field="handlers",
        )
    return handlers


@transaction.atomic
def register_complaint(
    *,
    actor,
    county: County,
    channel: str,
    received_on: datetime.date,
    content: str,
    is_anonymous: bool,
    handlers,
    complainant_name: str = "",
    complainant_contact: str = "",
    unit=None,
    campaign: Campaign | None = None,
) -> Complaint:
    require_role(actor, county, MANAGE_ROLES)
    if channel not in Complaint.Channel.values:
        raise DomainError(_("Choose the channel."), field="channel")
    not_future(received_on, "received_on")
    content = required_text(content, "content", _("Enter what the complaint says."))
    complainant_name, complainant_contact = complainant_name.strip(), complainant_contact.strip()
    if is_anonymous and (complainant_name or complainant_contact):
        raise DomainError(
            _("An anonymous complaint has no complainant's name or contact."),
            field="complainant_name",
        )
    if not is_anonymous and not complainant_name:
        raise DomainError(
            _("Enter the complainant's name, or mark the complaint anonymous."),
            field="complainant_name",
        )
    if unit is not None:
        check_unit(unit, county)
    if campaign is not None and campaign.county_id != county.pk:
        raise DomainError(_("The campaign is not in this county."), field="campaign")
    handlers = _check_handlers(county, handlers)
    complaint = Complaint(
        county=county,
        campaign=campaign,
        channel=channel,
        received_on=received_on,
        content=content,
        is_anonymous=is_anonymous,
        complainant_name=complainant_name,
        complainant_contact=complainant_contact,
        registered_by=actor,
    )
    complaint.set_unit(unit)
    saved_by(complaint, actor)
    complaint.handlers.set(handlers)
    notify(
        [handler for handler in handlers if handler != actor],
        _("You are a handler of complaint #%(pk)s.") % {"pk": complaint.pk},
        link=reverse("inspections:complaint_detail", args=[complaint.pk]),
    )
    return complaint


def _locked(complaint) -> Complaint:
    return Complaint.objects.select_for_update().get(pk=complaint.pk)


@transaction.atomic
def set_handlers(*, actor, complaint: Complaint, handlers, version: int | None = None) -> Complaint:
    """Replace the handlers. `version`: the one the form was built from; a stale one (someone
    changed the handlers since) is refused, so that their choice is not overwritten."""
    require_role(actor, complaint, MANAGE_ROLES)
    complaint = _locked(complaint)
    check_and_bump(complaint, version)
    handlers = _check_handlers(complaint.county, handlers)
    saved_by(complaint, actor)
    complaint.handlers.set(handlers)
    ComplaintStep.objects.create(
        complaint=complaint,
        on=today(),
        note=_("Handlers changed: %(names)s")
        % {"names": "、".join(person_name(user) for user in handlers)},
        actor=actor,
    )
    return complaint


def _require_handler(actor, complaint):
    """Handling steps are written by the complaint's handlers (or a county administrator)."""
    require_role(actor, complaint, MANAGE_ROLES)
    if not sees_complainant(actor, complaint):
        raise PermissionDenied


@transaction.atomic
def add_step(*, actor, complaint: Complaint, on: datetime.date, note: str) -> ComplaintStep:
    _require_handler(actor, complaint)
    complaint = _locked(complaint)
    if complaint.status == Complaint.Status.CONCLUDED:
        raise TransitionRefused(_("The complaint is concluded: no more handling steps."))
    not_future(on, "on")
    if on < complaint.received_on:
        raise DomainError(_("The date cannot be before the complaint was received."), field="on")
    note = required_text(note, "note", _("Say what was done."))
    if complaint.status == Complaint.Status.RECEIVED:
        complaint.status = Complaint.Status.HANDLING
        saved_by(complaint, actor)
    return ComplaintStep.objects.create(complaint=complaint, on=on, note=note, actor=actor)


@transaction.atomic
def conclude_complaint(
    *, actor, complaint: Complaint, result: str, replied_on: datetime.date | None
) -> Complaint:
    """The handling result and, for a named complainant, the day they were answered."""
    _require_handler(actor, complaint)
    complaint = _locked(complaint)
    if complaint.status == Complaint.Status.CONCLUDED:
        raise TransitionRefused(_("The complaint is already concluded."))
    result = required_text(result, "result", _("Enter the result of the handling."))
    if replied_on is not None:
        not_future(replied_on, "replied_on")
        if replied_on < complaint.received_on:
            raise DomainError(
                _("The reply cannot be before the complaint was received."), field="replied_on"
            )
    elif not complaint.is_anonymous:
        raise DomainError(_("Enter the day the complainant was answered."), field="replied_on")
    complaint.status, complaint.result, complaint.replied_on = (
        Complaint.Status.CONCLUDED,
        result,
        replied_on,
    )
    saved_by(complaint, actor)
    ComplaintStep.objects.create(
        complaint=complaint, on=replied_on or today(), note=_("Concluded: %s") % result, actor=actor
    )
    return complaint


# --- links to records of other apps ----------------------------------------------------------


def linkable_content_types():
    return [
        ContentType.objects.get_for_model(apps.get_model(label))
        for label in LINKABLE_MODELS
        if apps.is_installed(label.split(".")[0])
    ]


@transaction.atomic
def link_record(
    *, actor, content_type: ContentType, object_id: int, issue: Issue | None = None, complaint=None
) -> RecordLink:
    """Point an issue or a complaint at a record of another app the actor can see."""
    owner = issue if issue is not None else complaint
    if owner is None or (issue is not None and complaint is not None):
        raise DomainError(_("Link either an issue or a complaint."))
    require_role(actor, owner, MANAGE_ROLES)
    if content_type not in linkable_content_types():
        raise DomainError(_("Records of this kind cannot be linked."), field="content_type")
    model = content_type.model_class()
    records = model._default_manager
    visible = records.for_user(actor) if hasattr(records, "for_user") else records.all()
    if not visible.filter(pk=object_id).exists():
        raise DomainError(_("There is no such record that you can see."), field="object_id")
    if RecordLink.objects.filter(
        issue=issue, complaint=complaint, content_type=content_type, object_id=object_id
    ).exists():
        raise DomainError(_("This record is already linked."), field="object_id")
    return RecordLink.objects.create(
        issue=issue,
        complaint=complaint,
        content_type=content_type,
        object_id=object_id,
        added_by=actor,
    )
