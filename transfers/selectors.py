"""Reads of transfers: the list with what its rows show, and the queues of each side."""

from django.db.models import Q

from .models import Transfer
from .roles import COUNTY_ACCEPT_ROLES, TOWNSHIP_ACCEPT_ROLES

ROW_RELATIONS = ("child", "from_village", "from_township", "to_village", "to_township")


def transfer_rows(user):
    return Transfer.objects.for_user(user).select_related(*ROW_RELATIONS)


def incoming_q(user) -> Q:
    """Transfers the user decides as the receiving side (their township or county)."""
    from enrollment.scoping import role_assignments

    condition = Q(pk__in=[])
    for assignment in role_assignments(user):
        if assignment.role in TOWNSHIP_ACCEPT_ROLES and assignment.township_id:
            condition |= Q(kind=Transfer.Kind.TOWNSHIP, to_township_id=assignment.township_id)
        if assignment.role in COUNTY_ACCEPT_ROLES and assignment.county_id:
            condition |= Q(kind=Transfer.Kind.COUNTY, to_county_id=assignment.county_id)
    return condition


def filtered(rows, *, status="", kind="", direction="", user=None):
    if status == "pending":
        rows = rows.filter(status__in=Transfer.PENDING_STATUSES)
    elif status:
        rows = rows.filter(status=status)
    if kind:
        rows = rows.filter(kind=kind)
    if direction == "incoming":
        rows = rows.filter(incoming_q(user))
    elif direction == "outgoing":
        rows = rows.exclude(incoming_q(user))
    return rows
