"""Writes of 帮扶单位 (the county's catalogue, kept by the bureau) and 帮扶活动 (recorded by the
roles that pair children with a responsible person)."""

import datetime
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from core.errors import DomainError
from core.services import full_clean, saved_by, today

from .help_models import HelpActivity, PartnerUnit
from .models import County
from .permissions import require_county_role
from .roles import ASSIGN_PAIRING_ROLES, PARTNER_UNIT_ROLES

PARTNER_UNIT_FIELDS = ("name", "kind", "contact_person", "phone", "is_active")


@transaction.atomic
def save_partner_unit(*, actor, county: County, unit: PartnerUnit | None = None, **values):
    """Add a unit to the county's catalogue, or change one (`unit`); county admin and bureau
    staff of that county only (403)."""
    require_county_role(actor, county.pk, PARTNER_UNIT_ROLES)
    unknown = set(values) - set(PARTNER_UNIT_FIELDS)
    if unknown:
        raise DomainError(_("These fields cannot be changed here: %s") % ", ".join(sorted(unknown)))
    if unit is None:
        unit = PartnerUnit(county=county)
    else:
        unit = PartnerUnit.objects.select_for_update().get(pk=unit.pk)
        if unit.county_id != county.pk:
            raise DomainError(_("The partner unit is not of this county."))
    for field, value in values.items():
        setattr(unit, field, value.strip() if isinstance(value, str) else value)
    if not unit.name:
        raise DomainError(_("Enter the unit's name."), field="name")
    duplicate = PartnerUnit.objects.filter(county=county, name=unit.name).exclude(pk=unit.pk)
    if duplicate.exists():
        raise DomainError(_("The county already has a partner unit of this name."), field="name")
    full_clean(unit)
    return saved_by(unit, actor)


@transaction.atomic
def record_help_activity(
    *,
    actor,
    date: datetime.date,
    kind: str,
    content: str,
    responsible_name: str,
    child=None,
    household=None,
    unit: PartnerUnit | None = None,
    amount: Decimal | None = None,
) -> HelpActivity:
    """Record what was done for a child or a household (at least one; a child's household is
    always its own). The actor needs ASSIGN_PAIRING_ROLES over the child, or over
    the household's village (403)."""
    from core.services import require_role

    if child is None and household is None:
        raise DomainError(_("Choose the child or the household that was helped."), field="child")
    if child is not None and household is not None and child.household_id != household.pk:
        raise DomainError(_("The child is not of this household."), field="household")
    if child is not None and household is None:
        household = child.household  # the child's own: the ledger shows whose home it was
    target = child if child is not None else household
    require_role(actor, target, ASSIGN_PAIRING_ROLES)
    if date is None or date > today():
        raise DomainError(_("The date cannot be in the future."), field="date")
    if amount is not None and amount < 0:
        raise DomainError(_("The amount cannot be negative."), field="amount")
    village = target.village
    if unit is not None and unit.county_id != village.township.county_id:
        raise DomainError(_("The partner unit is not of this county."), field="unit")
    activity = HelpActivity(
        date=date,
        kind=kind,
        content=(content or "").strip(),
        responsible_name=(responsible_name or "").strip(),
        child=child,
        household=household,
        village=village,
        unit=unit,
        amount=amount,
        recorded_by=actor,
    )
    full_clean(activity, exclude=["recorded_by"])
    return saved_by(activity, actor)
