"""The subsidies module's home-page queue (registered with core.home in hooks.register()):
payment batches reviewed and waiting for the bureau's approval, and relief-fund grants
awaiting a decision."""

from django.urls import reverse
from django.utils.translation import gettext as _

from core.home import HomeQueue, QueueItem, counted_items

from .models import Batch, FundEntry
from .roles import APPROVE_ROLES, FUND_ROLES


def approval_queues(user, roles, day) -> list[HomeQueue]:
    queues = []
    if roles & APPROVE_ROLES:
        batches = (
            Batch.objects.for_user(user)
            .filter(status=Batch.Status.REVIEWED)
            .select_related("school", "programme")
            .order_by("created_at", "pk")
        )
        count, items = counted_items(
            batches,
            lambda batch: QueueItem(
                label=batch.title or batch.programme.name,
                url=reverse("subsidies:batch_detail", args=[batch.pk]),
                detail=" · ".join(
                    part
                    for part in (
                        batch.school.name if batch.school_id else _("the bureau"),
                        batch.period,
                    )
                    if part
                ),
            ),
        )
        queues.append(
            HomeQueue(
                key="batches_to_approve",
                title=_("Payment batches awaiting approval"),
                count=count,
                items=items,
                more_url=reverse("subsidies:batch_list") + f"?status={Batch.Status.REVIEWED}",
                more_label=_("All batches awaiting approval"),
                empty=_("No payment batch is waiting for approval."),
            )
        )
    if roles & FUND_ROLES:
        pending = FundEntry.objects.for_user(user).filter(status=FundEntry.Status.PENDING)
        count = pending.count()
        if count:  # a rare event: the queue shows only when a grant is waiting
            queues.append(
                HomeQueue(
                    key="fund_to_approve",
                    title=_("Relief-fund grants awaiting approval"),
                    count=count,
                    more_url=reverse("subsidies:fund_ledger"),
                    more_label=_("Open the relief fund"),
                )
            )
    return queues
