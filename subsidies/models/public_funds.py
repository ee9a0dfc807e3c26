"""义务教育生均公用经费: the per-pupil public funds the county allocates to each school per term
(pupils counted that term × the per-pupil standard). Money to a school, not to a child, so it is
a ledger of its own beside the payments."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.concurrency import version_field
from core.fields import validate_record_date
from enrollment.models import School
from enrollment.scoping import ScopedQuerySet

from . import SCHOOL_SCOPE, period_label


class PublicFundAllocation(models.Model):
    # The catalogue's programme whose standard is the default (by its code).
    PROGRAMME_CODE = "public-funds"

    school = models.ForeignKey(
        School, on_delete=models.PROTECT, related_name="+", verbose_name=_("school")
    )
    # A term as the payments write it ("2025-1" autumn, "2025-2" spring) and its school year.
    period = models.CharField(_("term"), max_length=6, db_index=True)
    school_year = models.PositiveSmallIntegerField(_("school year"))
    pupils = models.PositiveIntegerField(_("pupils counted"))
    standard = models.DecimalField(_("per-pupil standard (yuan)"), max_digits=10, decimal_places=2)
    amount = models.DecimalField(_("amount allocated (yuan)"), max_digits=14, decimal_places=2)
    note = models.CharField(_("note"), max_length=300, blank=True)
    allocated_on = models.DateField(_("allocated on"), validators=[validate_record_date])
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)
    version = version_field()
    history = HistoricalRecords()

    objects = ScopedQuerySet.as_manager()
    scope_paths = SCHOOL_SCOPE

    class Meta:
        verbose_name = _("public funds allocation")
        verbose_name_plural = _("public funds allocations")
        ordering = ["-period", "school__code", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["school", "period"], name="one_public_fund_allocation_per_school_term"
            ),
            models.CheckConstraint(
                condition=Q(standard__gte=0, amount__gte=0),
                name="public_fund_allocation_not_negative",
            ),
        ]
        indexes = [models.Index(fields=["allocated_on"])]

    def __str__(self):
        return f"{self.school} {period_label(self.period)} {self.amount}"

    @property
    def period_label(self) -> str:
        return period_label(self.period)
