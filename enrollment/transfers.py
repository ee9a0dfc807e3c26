"""The registry's one step of a transfer (the transfers app decides when): a child moves to a
household of another village, and with it to that village's township and county ledgers. The
child's row is updated, never copied; its history (django-simple-history) records the move, and
the household it leaves keeps its own history and visits."""

from django.db import transaction
from django.utils.translation import gettext as _

from core.cache import bump_version
from core.errors import DomainError
from core.services import full_clean, saved_by

from .models import Child, Household, PovertyStatus, Village
from .selectors import LEDGER_SUMMARY_CACHE


@transaction.atomic
def relocate_child(
    *,
    actor,
    child: Child,
    village: Village,
    household: Household | None = None,
    address: str = "",
    head_name: str = "",
) -> Child:
    """Move `child` (locked here) into `household` of `village`, or into a new household there
    (at `address`, headed by `head_name`, the guardian by default). A new household keeps the
    poverty registration of the one the child leaves: the family's status moves with it until
    the registers say otherwise. Scope is the caller's to check."""
    child = Child.objects.select_for_update().select_related("household").get(pk=child.pk)
    if household is not None:
        if household.village_id != village.pk:
            raise DomainError(
                _("The household is not in the receiving village."), field="household"
            )
    else:
        if not address.strip():
            raise DomainError(_("Give the new address."), field="new_address")
        old = child.household
        household = Household(
            village=village,
            address=address.strip(),
            head_name=(head_name or child.guardian_name).strip(),
            poverty_status=old.poverty_status,
            poverty_registration_number=old.poverty_registration_number,
            poverty_registered_on=old.poverty_registered_on,
        )
        if household.poverty_status == PovertyStatus.NONE:
            household.poverty_registration_number, household.poverty_registered_on = "", None
        full_clean(household)
        saved_by(household, actor)
    child.household = household
    child.village = village
    if address.strip():
        child.current_address = address.strip()
    full_clean(child)
    saved_by(child, actor)
    transaction.on_commit(lambda: bump_version(LEDGER_SUMMARY_CACHE))
    return child
