"""The unit an inspection, issue or complaint is about: a school, a township or a section of the
county bureau, always of the record's own county."""

from django.utils.translation import gettext as _

from core.errors import DomainError
from enrollment.models import School, Township

from ..models import BureauSection


def unit_county_id(unit) -> int:
    if isinstance(unit, School):
        return unit.township.county_id
    if isinstance(unit, Township):
        return unit.county_id
    if isinstance(unit, BureauSection):
        return unit.county_id
    raise DomainError(_("Choose the unit."), field="unit")


def check_unit(unit, county, field="unit") -> None:
    if unit is None:
        raise DomainError(_("Choose the unit."), field=field)
    if unit_county_id(unit) != county.pk:
        raise DomainError(_("The unit is not in this county."), field=field)
