"""帮扶单位 (the county's catalogue of partner units) and 帮扶活动 (what a unit or a responsible
person did for a child or a household, dated, with its amount when money or goods were given)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.fields import LongTextField, validate_record_date
from core.masking import mask_phone

from .scoping import ScopedQuerySet


class PartnerUnit(models.Model):
    """A unit that helps (结对帮扶单位): a department, an enterprise, a school… of one county."""

    class Kind(models.TextChoices):
        GOVERNMENT = "government", _("Government department")
        ENTERPRISE = "enterprise", _("Enterprise")
        SCHOOL = "school", _("School")
        SOCIAL = "social", _("Social organisation")
        OTHER = "other", _("Other")

    county = models.ForeignKey(
        "enrollment.County",
        on_delete=models.PROTECT,
        related_name="partner_units",
        verbose_name=_("county"),
    )
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    contact_person = models.CharField(_("contact person"), max_length=50, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    history = HistoricalRecords()

    # A county catalogue: everyone working in the county sees it (to name a unit on a record).
    objects = ScopedQuerySet.as_manager()
    scope_paths = {
        "prefecture": None,  # names partner units and children: not figures
        "county": "county",
        "township": "county__townships",
        "village": "county__townships__villages",
        "school": "county__townships__schools",
    }

    class Meta:
        verbose_name = _("partner unit")
        verbose_name_plural = _("partner units")
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["county", "name"], name="partner_unit_name_unique")
        ]

    def __str__(self):
        return self.name

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)


class HelpActivity(models.Model):
    """帮扶活动: one dated action for a child or a household (at least one of them)."""

    class Kind(models.TextChoices):
        VISIT = "visit", _("Visit")
        TUTORING = "tutoring", _("Tutoring")
        MATERIAL = "material", _("Material aid")
        MONEY = "money", _("Money")
        PSYCHOLOGICAL = "psychological", _("Psychological support")
        OTHER = "other", _("Other")

    date = models.DateField(_("date"), validators=[validate_record_date], db_index=True)
    unit = models.ForeignKey(
        PartnerUnit,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="activities",
        verbose_name=_("partner unit"),
    )
    responsible_name = models.CharField(_("responsible person"), max_length=50)
    child = models.ForeignKey(
        "enrollment.Child",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="help_activities",
        verbose_name=_("child"),
    )
    household = models.ForeignKey(
        "enrollment.Household",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="help_activities",
        verbose_name=_("household"),
    )
    # Where the child or household lives, set by the service: the scope of the record.
    village = models.ForeignKey(
        "enrollment.Village",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("village"),
        editable=False,
    )
    kind = models.CharField(_("kind"), max_length=14, choices=Kind.choices)
    content = LongTextField(_("help given"))
    amount = models.DecimalField(
        _("amount (yuan)"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    history = HistoricalRecords()

    objects = ScopedQuerySet.as_manager()
    scope_paths = {
        "prefecture": None,  # names partner units and children: not figures
        "county": "village__township__county",
        "township": "village__township",
        "village": "village",
        "school": "child__current_school",
    }

    class Meta:
        verbose_name = _("help activity")
        verbose_name_plural = _("help activities")
        ordering = ["-date", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(child__isnull=False) | Q(household__isnull=False),
                name="help_activity_for_child_or_household",
            ),
            models.CheckConstraint(
                condition=Q(amount__isnull=True) | Q(amount__gte=0),
                name="help_activity_amount_not_negative",
            ),
        ]

    def __str__(self):
        return f"{self.responsible_name} {self.date}"
