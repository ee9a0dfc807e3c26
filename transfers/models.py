"""Transfers (转入/转出): a child's move to another township or county of the deployment, proposed
by the sending side and accepted or returned by the receiving side, or out of the deployment
with a numbered transfer letter (转学联系函) and the destination's confirmation.

At every moment the child is in exactly one scope's ledger: the child's village decides it, and
only the acceptance moves the village (enrollment.transfers.relocate_child), in one transaction
with the transfer's own state."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.concurrency import version_field
from core.fields import LongTextField, validate_record_date
from enrollment.models import Child, County, Household, Township, Village
from enrollment.scoping import ScopedQuerySet, role_assignments

# Each side of a transfer is a scope of its own: the sender's places and the receiver's.
SENDER_PATHS = {
    "county": "from_county",
    "township": "from_township",
    "village": "from_village",
    "school": None,
}
RECEIVER_PATHS = {"county": "to_county", "township": "to_township", "village": "to_village"}


class TransferQuerySet(ScopedQuerySet):
    def for_user(self, user, *, roles=None):
        """Both sides see the transfer: the places it leaves and the places it goes to."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_superuser:
            return self
        condition = None
        for assignment in role_assignments(user):
            if roles is not None and assignment.role not in roles:
                continue
            kind = assignment.scope_kind
            place_id = getattr(assignment, f"{kind}_id")
            for paths in (SENDER_PATHS, RECEIVER_PATHS):
                path = paths.get(kind)
                if path is None:
                    continue
                part = Q(**{path: place_id})
                condition = part if condition is None else condition | part
        return self.none() if condition is None else self.filter(condition)


class Transfer(models.Model):
    class Kind(models.TextChoices):
        TOWNSHIP = "township", _("Between townships of the county")
        COUNTY = "county", _("Between counties")
        OUT = "out", _("Out of the deployment")

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("Awaiting the receiving side")
        ACCEPTED = "accepted", _("Accepted by the receiver")
        RETURNED = "returned", _("Returned to the sender")
        AWAITING_CONFIRMATION = "awaiting_confirmation", _("Moved out, awaiting confirmation")
        CONFIRMED = "confirmed", _("Confirmed by the destination")
        LAPSED = "lapsed", _("Not confirmed in time")

    # Still under way: the child has one of these at most (a database constraint).
    PENDING_STATUSES = (Status.PROPOSED, Status.AWAITING_CONFIRMATION)

    kind = models.CharField(
        _("kind of transfer"), max_length=10, choices=Kind.choices, editable=False
    )
    status = models.CharField(
        _("status"), max_length=24, choices=Status.choices, editable=False, db_index=True
    )
    child = models.ForeignKey(
        Child, on_delete=models.PROTECT, related_name="transfers", verbose_name=_("child")
    )
    # Where the child was when proposed (the sending side's scope, fixed for the transfer).
    from_village = models.ForeignKey(
        Village, on_delete=models.PROTECT, related_name="+", verbose_name=_("from village")
    )
    from_township = models.ForeignKey(
        Township, on_delete=models.PROTECT, related_name="+", verbose_name=_("from township")
    )
    from_county = models.ForeignKey(
        County, on_delete=models.PROTECT, related_name="+", verbose_name=_("from county")
    )
    from_household = models.ForeignKey(
        Household, on_delete=models.PROTECT, related_name="+", verbose_name=_("from household")
    )
    # Where the child goes inside the deployment (empty for a move out of it).
    to_village = models.ForeignKey(
        Village,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("to village"),
    )
    to_township = models.ForeignKey(
        Township,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("to township"),
    )
    to_county = models.ForeignKey(
        County,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("to county"),
    )
    new_address = models.CharField(_("new address"), max_length=200, blank=True)
    new_household_head = models.CharField(_("head of the new household"), max_length=50, blank=True)
    # The household the child joined on acceptance (an existing one or one made for it).
    to_household = models.ForeignKey(
        Household,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("household joined"),
    )
    reason = LongTextField(_("reason"))
    # A move out of the deployment: where to, the letter and the destination's confirmation.
    destination = models.CharField(_("destination"), max_length=200, blank=True)
    destination_school = models.CharField(
        _("school at the destination"), max_length=100, blank=True
    )
    letter_number = models.CharField(_("letter number"), max_length=60, blank=True, editable=False)
    letter_issued_on = models.DateField(
        _("letter issued on"), null=True, blank=True, editable=False
    )
    confirm_by = models.DateField(
        _("to be confirmed by"), null=True, blank=True, validators=[validate_record_date]
    )
    confirmed_on = models.DateField(
        _("confirmed on"), null=True, blank=True, validators=[validate_record_date]
    )
    confirmed_by_name = models.CharField(_("confirmed by"), max_length=100, blank=True)

    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("proposed by"),
    )
    proposed_on = models.DateField(_("proposed on"), validators=[validate_record_date])
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_on = models.DateField(
        _("decided on"), null=True, blank=True, validators=[validate_record_date]
    )
    return_reason = LongTextField(_("reason for returning"), blank=True)
    version = version_field()
    history = HistoricalRecords()

    objects = TransferQuerySet.as_manager()
    # The role checks of the sending side (covers()/user_may); reads use both sides (above).
    scope_paths = SENDER_PATHS

    class Meta:
        verbose_name = _("transfer")
        verbose_name_plural = _("transfers")
        ordering = ["-proposed_on", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["child"],
                condition=Q(status__in=["proposed", "awaiting_confirmation"]),
                name="transfer_one_pending_per_child",
            ),
            models.UniqueConstraint(
                fields=["letter_number"],
                condition=~Q(letter_number=""),
                name="transfer_letter_number_unique",
            ),
            models.CheckConstraint(
                condition=Q(kind="out", to_village__isnull=True)
                | (~Q(kind="out") & Q(to_village__isnull=False)),
                name="transfer_destination_matches_kind",
            ),
        ]

    def __str__(self):
        return f"{self.child.name}：{self.get_kind_display()}"

    @property
    def is_pending(self) -> bool:
        return self.status in self.PENDING_STATUSES
