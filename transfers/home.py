"""The home-page queue of transfers under way: both sides see theirs — the receiving side what
it has to decide, the sending side what it waits for (a decision, a destination's confirmation)."""

from django.urls import reverse
from django.utils.translation import gettext as _

from core.home import QUEUE_ITEMS, HomeQueue, QueueItem, first_items

from . import selectors
from .models import Transfer
from .roles import COUNTY_ACCEPT_ROLES, PROPOSE_ROLES, TOWNSHIP_ACCEPT_ROLES

QUEUE_ROLES = PROPOSE_ROLES | TOWNSHIP_ACCEPT_ROLES | COUNTY_ACCEPT_ROLES


def pending_transfers_queue(user, roles, day) -> list[HomeQueue]:
    if not roles & QUEUE_ROLES:
        return []
    pending = (
        selectors.transfer_rows(user)
        .filter(status__in=Transfer.PENDING_STATUSES)
        .order_by("proposed_on", "pk")
    )

    def item(transfer):
        where = transfer.to_township.name if transfer.to_township_id else transfer.destination
        return QueueItem(
            label=f"{transfer.child.name}：{transfer.from_township.name} → {where}",
            url=reverse("transfers:detail", args=[transfer.pk]),
            detail=transfer.get_status_display(),
            due=transfer.confirm_by,
            overdue=bool(transfer.confirm_by and transfer.confirm_by < day),
        )

    # One query while few are waiting (the usual case): the count only when the page is full.
    items = first_items(pending, item)
    count = len(items) if len(items) < QUEUE_ITEMS else pending.count()
    if not count:  # a rare event: the queue shows only while a transfer is under way
        return []
    return [
        HomeQueue(
            key="transfers_pending",
            title=_("Transfers under way"),
            count=count,
            items=items,
            more_url=reverse("transfers:list") + "?status=pending",
            more_label=_("All transfers under way"),
            empty=_("No transfer is under way."),
        )
    ]
