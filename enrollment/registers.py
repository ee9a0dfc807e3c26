"""The poverty registers (脱贫户, 监测户, 低保, 特困供养) as the product reads them: a household's
poverty status is its entries' (the register of greatest need wins), with the register as its
source and the register's date; the product never decides poverty itself.

A household that a newly imported full list no longer names is not changed: its entry waits
(`missing_since`) on the "left a register" list until staff confirm (`confirm_left_register`).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from core.errors import DomainError

from .models import (
    POVERTY_REGISTER_RANK,
    Household,
    PovertyRegister,
    PovertyRegisterEntry,
    PovertyStatus,
)
from .permissions import get_scoped_or_404, user_may
from .roles import Role

REGISTER_ROLES = frozenset({Role.COUNTY_ADMIN, Role.BUREAU_STAFF, Role.TOWNSHIP_OFFICIAL})
REGISTER_REASON = "贫困户名单导入"
LEFT_REASON = "确认退出名单"
# Each register's status on the household (the values are shared with PovertyStatus).
REGISTER_STATUS = {register: PovertyStatus(register.value) for register in PovertyRegister}
HOUSEHOLD_POVERTY_FIELDS = [
    "poverty_status",
    "poverty_source",
    "poverty_registration_number",
    "poverty_registered_on",
]


def household_poverty(household: dict, entries: list[dict]) -> dict:
    """The household's poverty fields given its entries (dicts with register, number,
    listed_on, left_on): the active entry of greatest need decides. A household on no register
    keeps a typed-in status; one whose status came from a register it has left has none."""
    active = {entry["register"]: entry for entry in entries if entry["left_on"] is None}
    for register in POVERTY_REGISTER_RANK:
        entry = active.get(register)
        if entry is not None:
            return {
                "poverty_status": str(REGISTER_STATUS[register]),
                "poverty_source": str(register),
                "poverty_registration_number": entry["number"]
                or household["poverty_registration_number"],
                "poverty_registered_on": entry["listed_on"] or household["poverty_registered_on"],
            }
    if not household["poverty_source"]:
        return {name: household[name] for name in HOUSEHOLD_POVERTY_FIELDS}
    return {
        "poverty_status": str(PovertyStatus.NONE),
        "poverty_source": "",
        "poverty_registration_number": "",
        "poverty_registered_on": None,
    }


def left_register_entries(user) -> QuerySet:
    """The entries a newer full list no longer names, awaiting confirmation, in scope."""
    return (
        PovertyRegisterEntry.objects.for_user(user)
        .filter(missing_since__isnull=False, left_on__isnull=True)
        .select_related("household__village__township")
        .order_by("household__village__code", "household__head_name", "register", "pk")
    )


def confirm_left_register(*, actor, entry_pk: int) -> PovertyRegisterEntry:
    """Staff confirm that a household has left a register: the entry ends on the day of the
    list that no longer named it and the household's status follows its other registers.
    404 outside the actor's scope, 403 without a role that imports registers, 409 (DomainError)
    when the entry is not (or no longer) awaiting confirmation."""
    entry = get_scoped_or_404(PovertyRegisterEntry.objects, actor, pk=entry_pk)
    if not user_may(actor, PovertyRegisterEntry.objects, REGISTER_ROLES, entry):
        raise PermissionDenied
    with transaction.atomic():
        household = Household.objects.select_for_update().get(pk=entry.household_id)
        entry = PovertyRegisterEntry.objects.select_for_update().get(pk=entry.pk)
        if entry.left_on is not None:
            raise DomainError(_("This household's leaving has been confirmed already."))
        if entry.missing_since is None:
            raise DomainError(_("A newer list names this household again: nothing to confirm."))
        entry.left_on = entry.missing_since
        entry._history_user = actor
        entry._change_reason = LEFT_REASON
        entry.save(update_fields=["left_on"])
        entries = list(
            household.register_entries.values("register", "number", "listed_on", "left_on")
        )
        fields = household_poverty(
            {name: getattr(household, name) for name in HOUSEHOLD_POVERTY_FIELDS}, entries
        )
        if any(getattr(household, name) != value for name, value in fields.items()):
            for name, value in fields.items():
                setattr(household, name, value)
            household._history_user = actor
            household._change_reason = LEFT_REASON
            household.save(update_fields=HOUSEHOLD_POVERTY_FIELDS)
    return entry
