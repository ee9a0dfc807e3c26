"""四查三比对: the resolutions of the cross-check's mismatches and the quarterly re-check (季度复核)
of each township's lists (教基厅函〔2024〕15号)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .scoping import ScopedQuerySet


class MismatchKind(models.TextChoices):
    POLICE_NO_ROSTER = "police_no_roster", _("In the police extract, not on the 学籍 roster")
    ROSTER_NOT_IN_SCHOOL = "roster_not_in_school", _("On the 学籍 roster, not in school")
    IN_SCHOOL_NO_POLICE = "in_school_no_police", _("In school, not in the police extract")
    POVERTY_NO_SUBSIDY = "poverty_no_subsidy", _("Poverty register, subsidy not received")
    STATUS_DIFFERS = "status_differs", _("学籍 status differs from the registry's")


class MismatchResolution(models.Model):
    """A township's answer to one mismatch of a child (a note: who, when, why). A child whose
    mismatch of a kind has a resolution leaves that kind's list; the other resolve actions
    (a visit, a status change, a transfer) clear the mismatch through the data themselves."""

    child = models.ForeignKey(
        "enrollment.Child",
        on_delete=models.CASCADE,
        related_name="mismatch_resolutions",
        verbose_name=_("child"),
    )
    kind = models.CharField(_("mismatch"), max_length=30, choices=MismatchKind.choices)
    note = models.CharField(_("resolution note"), max_length=500)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("resolved by"),
    )
    resolved_at = models.DateTimeField(_("resolved at"), auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope_paths = {
        "county": "child__village__township__county",
        "township": "child__village__township",
        "village": "child__village",
        "school": None,
    }

    class Meta:
        verbose_name = _("mismatch resolution")
        verbose_name_plural = _("mismatch resolutions")
        constraints = [
            models.UniqueConstraint(fields=["child", "kind"], name="one_resolution_per_mismatch")
        ]

    def __str__(self):
        return f"{self.child_id} {self.kind}"


class QuarterlyRecheck(models.Model):
    """季度复核: the county confirmed a township's cross-check lists for a quarter."""

    township = models.ForeignKey(
        "enrollment.Township",
        on_delete=models.PROTECT,
        related_name="quarterly_rechecks",
        verbose_name=_("township"),
    )
    year = models.PositiveSmallIntegerField(_("year"))
    quarter = models.PositiveSmallIntegerField(
        _("quarter"), choices=[(1, "1"), (2, "2"), (3, "3"), (4, "4")]
    )
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("confirmed by"),
    )
    confirmed_at = models.DateTimeField(_("confirmed at"), auto_now_add=True)
    counts = models.JSONField(_("open mismatches at confirmation"), default=dict)
    note = models.CharField(_("note"), max_length=500, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_paths = {
        "county": "township__county",
        "township": "township",
        "village": None,
        "school": None,
    }

    class Meta:
        verbose_name = _("quarterly re-check")
        verbose_name_plural = _("quarterly re-checks")
        ordering = ["-year", "-quarter", "township__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["township", "year", "quarter"], name="one_recheck_per_township_quarter"
            )
        ]

    def __str__(self):
        return f"{self.township_id} {self.year}Q{self.quarter}"
