"""Campaigns, inspection groups, the list of areas, bureau sections and inspections."""

import datetime

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from core.errors import DomainError
from core.services import check_upload, not_future, require_role, required_text, saved_by
from enrollment.models import County, RoleAssignment
from enrollment.permissions import require_shared_catalogue_role

from ..models import (
    Area,
    BureauSection,
    Campaign,
    Inspection,
    InspectionAttachment,
    InspectionGroup,
)
from ..roles import MANAGE_ROLES
from .units import check_unit

GROUP_MEMBER_ROLES = ("county_admin", "bureau_staff", "inspector")


@transaction.atomic
def create_campaign(
    *,
    actor,
    county: County,
    name: str,
    start_date: datetime.date,
    end_date: datetime.date,
    description: str = "",
) -> Campaign:
    require_role(actor, county, MANAGE_ROLES)
    name = required_text(name, "name", _("Enter the campaign's name."))
    if start_date is None or end_date is None:
        raise DomainError(_("Enter the campaign's period."), field="start_date")
    if end_date < start_date:
        raise DomainError(_("The campaign cannot end before it starts."), field="end_date")
    campaign = Campaign(
        county=county,
        name=name,
        start_date=start_date,
        end_date=end_date,
        description=description.strip(),
        created_by=actor,
    )
    return saved_by(campaign, actor)


def eligible_members(county: County):
    """Users who may sit in an inspection group: county-level staff and inspectors."""
    return (
        get_user_model()
        .objects.filter(
            is_active=True,
            pk__in=RoleAssignment.objects.filter(county=county, role__in=GROUP_MEMBER_ROLES).values(
                "user_id"
            ),
        )
        .order_by("username")
    )


@transaction.atomic
def create_group(
    *,
    actor,
    county: County,
    name: str,
    members,
    leader=None,
    campaign: Campaign | None = None,
) -> InspectionGroup:
    require_role(actor, county, MANAGE_ROLES)
    name = required_text(name, "name", _("Enter the group's name."))
    members = list(members)
    if not members:
        raise DomainError(_("A group needs at least one member."), field="members")
    allowed = set(eligible_members(county).values_list("pk", flat=True))
    if any(member.pk not in allowed for member in members):
        raise DomainError(
            _("Members must be inspectors or county bureau staff of this county."), field="members"
        )
    if leader is not None and leader not in members:
        raise DomainError(_("The leader must be one of the members."), field="leader")
    if campaign is not None and campaign.county_id != county.pk:
        raise DomainError(_("The campaign is not in this county."), field="campaign")
    group = saved_by(
        InspectionGroup(county=county, name=name, leader=leader, campaign=campaign), actor
    )
    group.members.set(members)
    return group


@transaction.atomic
def add_area(*, actor, county: County, name: str) -> Area:
    """Add an area to the list every county shares (or bring a retired one back)."""
    require_shared_catalogue_role(actor, MANAGE_ROLES)
    name = required_text(name, "name", _("Enter the area's name."))
    area = Area.objects.filter(name=name).first()
    if area is not None:
        if area.is_active:
            raise DomainError(_("This area is already in the list."), field="name")
        area.is_active = True
        return saved_by(area, actor)
    return saved_by(Area(name=name), actor)


@transaction.atomic
def retire_area(*, actor, county: County, area: Area) -> Area:
    """An area in use stays on its records; it is only no longer offered."""
    require_shared_catalogue_role(actor, MANAGE_ROLES)
    area.is_active = False
    return saved_by(area, actor)


@transaction.atomic
def add_section(*, actor, county: County, name: str) -> BureauSection:
    require_role(actor, county, MANAGE_ROLES)
    name = required_text(name, "name", _("Enter the section's name."))
    try:
        with transaction.atomic():
            return saved_by(BureauSection(county=county, name=name), actor)
    except IntegrityError as error:
        raise DomainError(_("This section already exists."), field="name") from error


@transaction.atomic
def record_inspection(
    *,
    actor,
    county: County,
    date: datetime.date,
    unit,
    areas,
    summary: str = "",
    group: InspectionGroup | None = None,
    campaign: Campaign | None = None,
    attachments=(),
) -> Inspection:
    require_role(actor, county, MANAGE_ROLES)
    not_future(date, "date")
    check_unit(unit, county)
    areas = list(areas)
    if not areas:
        raise DomainError(_("Choose at least one area checked."), field="areas")
    if group is not None and group.county_id != county.pk:
        raise DomainError(_("The group is not in this county."), field="group")
    if campaign is None and group is not None:
        campaign = group.campaign
    if campaign is not None and campaign.county_id != county.pk:
        raise DomainError(_("The campaign is not in this county."), field="campaign")
    for upload in attachments:
        check_upload(upload, "attachments")
    inspection = Inspection(
        county=county,
        campaign=campaign,
        group=group,
        date=date,
        summary=summary.strip(),
        recorded_by=actor,
    )
    inspection.set_unit(unit)
    saved_by(inspection, actor)
    inspection.areas.set(areas)
    for upload in attachments:
        add_attachment(actor=actor, inspection=inspection, upload=upload)
    return inspection


@transaction.atomic
def add_attachment(*, actor, inspection: Inspection, upload) -> InspectionAttachment:
    require_role(actor, inspection, MANAGE_ROLES)
    if not upload:
        raise DomainError(_("Choose a file."), field="file")
    # The name the user gave is shown; the file kept is the checked one, named by its type.
    name = upload.name[:200]
    return InspectionAttachment.objects.create(
        inspection=inspection, file=check_upload(upload, "file"), name=name, uploaded_by=actor
    )
