"""Student subsidies (教育资助): the programme catalogue, identification of economic difficulty,
batches and payments, the entitlement-gap check (应享尽享), the relief fund and donations."""

import datetime
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.concurrency import version_field
from core.fields import LongTextField, validate_record_date
from enrollment.models import Child, County, School, Township
from enrollment.scoping import ScopedQuerySet

CHILD_SCOPE = {
    "county": "child__village__township__county",
    "township": "child__village__township",
    "village": "child__village",
    "school": "child__current_school",
}
SCHOOL_SCOPE = {
    "county": "school__township__county",
    "township": "school__township",
    "village": None,
    "school": "school",
}
COUNTY_ONLY = {"county": "county", "township": None, "village": None, "school": None}


class Stage(models.TextChoices):
    PRESCHOOL = "preschool", _("Preschool")
    PRIMARY = "primary", _("Primary")
    JUNIOR = "junior", _("Junior secondary")
    SENIOR = "senior", _("General upper secondary")
    VOCATIONAL = "vocational", _("Secondary vocational")
    HIGHER = "higher", _("Higher education")
    # A pupil of a secondary vocational school outside the county (县外就读中职): the registry
    # knows the child studies outside the county, not the school's stage.
    VOCATIONAL_OUTSIDE = "voc_outside", _("Secondary vocational outside the county")


class DifficultyLevel(models.TextChoices):
    SPECIAL = "special", _("Special difficulty")
    DIFFICULT = "difficult", _("Difficulty")
    GENERAL = "general", _("General difficulty")
    NONE = "none", _("Not in difficulty")


# --- periods ---------------------------------------------------------------------------------
# A period is a school year ("2024" = 2024–2025) or one of its terms ("2024-1" autumn from
# 1 September, "2024-2" spring from 1 February).


def parse_period(period: str) -> tuple[int, int | None]:
    """ "2024" → (2024, None); "2024-2" → (2024, 2); anything else raises ValueError."""
    text = (period or "").strip()
    if len(text) == 4 and text.isdigit():
        return int(text), None
    if len(text) == 6 and text[:4].isdigit() and text[4] == "-" and text[5] in "12":
        return int(text[:4]), int(text[5])
    raise ValueError(period)


def period_bounds(period: str) -> tuple[datetime.date, datetime.date]:
    year, term = parse_period(period)
    if term is None:
        return datetime.date(year, 9, 1), datetime.date(year + 1, 8, 31)
    if term == 1:
        return datetime.date(year, 9, 1), datetime.date(year + 1, 1, 31)
    return datetime.date(year + 1, 2, 1), datetime.date(year + 1, 8, 31)


def census_date(period: str) -> datetime.date:
    """期初统计日: the day on which a child's status decides the entitlement for the period (a
    pupil who leaves after it keeps that period's subsidy, not the next one's)."""
    start, _end = period_bounds(period)
    return start + datetime.timedelta(days=settings.SUBSIDY_CENSUS_OFFSET_DAYS)


def period_label(period: str) -> str:
    try:
        year, term = parse_period(period)
    except ValueError:
        return period
    if term is None:
        return f"{year}—{year + 1}学年"
    return f"{year}—{year + 1}学年{'秋季' if term == 1 else '春季'}学期"


def terms_of_year(year: int) -> list[str]:
    return [f"{year}-1", f"{year}-2"]


# --- the catalogue ---------------------------------------------------------------------------


class Programme(models.Model):
    """资助项目: a national or local programme with its standard and eligibility rule."""

    class Unit(models.TextChoices):
        YEAR = "year", _("Per school year")
        TERM = "term", _("Per term")
        DAY = "day", _("Per school day (paid per term)")

    class Boarding(models.TextChoices):
        ANY = "any", _("Boarders and non-boarders alike")
        BOARDERS = "boarders", _("Boarders only")
        BOARDERS_FULL_OTHERS_REDUCED = (
            "reduced",
            _("Boarders at the full rate, some non-boarders at a reduced rate"),
        )

    class PaidTo(models.TextChoices):
        FAMILY = "family", _("The family or student")
        SCHOOL = "school", _("The school (fee waived)")
        CANTEEN = "canteen", _("The school canteen")
        IN_KIND = "in_kind", _("In kind (no cash)")

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    # The item of the bureau's yearly report under which the programme's money is counted.
    report_label = models.CharField(_("report item"), max_length=60)
    report_order = models.PositiveSmallIntegerField(_("report order"), default=100)
    stages = models.JSONField(_("stages"), default=list)
    unit = models.CharField(_("unit"), max_length=10, choices=Unit.choices, default=Unit.TERM)
    standard_amount = models.DecimalField(
        _("standard amount (yuan)"), max_digits=10, decimal_places=2
    )
    # Per-stage standards where they differ, {"primary": "500.00", "junior": "625.00"}.
    stage_amounts = models.JSONField(_("standard by stage"), default=dict, blank=True)
    days_per_term = models.PositiveSmallIntegerField(_("school days per term"), default=100)
    all_pupils = models.BooleanField(_("every pupil of the stages"), default=False)
    rural_only = models.BooleanField(_("rural schools only"), default=False)
    poverty_categories = models.JSONField(
        _("household poverty categories"), default=list, blank=True
    )
    difficulty_levels = models.JSONField(
        _("levels of economic difficulty"), default=list, blank=True
    )
    includes_disabled = models.BooleanField(_("disabled children qualify"), default=False)
    includes_orphan = models.BooleanField(_("orphans qualify"), default=False)
    boarding = models.CharField(
        _("boarding"), max_length=10, choices=Boarding.choices, default=Boarding.ANY
    )
    reduced_rate_percent = models.PositiveSmallIntegerField(
        _("reduced rate for non-boarders (%)"), default=50
    )
    reduced_rate_categories = models.JSONField(
        _("non-boarders' poverty categories at the reduced rate"), default=list, blank=True
    )
    reduced_rate_disabled = models.BooleanField(
        _("disabled non-boarders at the reduced rate"), default=False
    )
    paid_to = models.CharField(
        _("paid to"), max_length=10, choices=PaidTo.choices, default=PaidTo.FAMILY
    )
    per_child = models.BooleanField(
        _("recorded per child"),
        default=True,
        help_text=_("Off for school-level funds and benefits every pupil receives in kind."),
    )
    checked_for_gaps = models.BooleanField(_("in the entitlement check"), default=True)
    funding_source = models.CharField(_("funding source"), max_length=200)
    source_note = LongTextField(_("source of the standard"))
    excludes = models.ManyToManyField(
        "self", symmetrical=True, blank=True, verbose_name=_("cannot be held together with")
    )
    active_from = models.DateField(_("active from"), validators=[validate_record_date])
    active_until = models.DateField(
        _("active until"), null=True, blank=True, validators=[validate_record_date]
    )
    version = version_field()
    history = HistoricalRecords(m2m_fields=[excludes])

    class Meta:
        verbose_name = _("subsidy programme")
        verbose_name_plural = _("subsidy programmes")
        ordering = ["report_order", "code"]

    def __str__(self):
        return self.name

    def amount_for(self, stage: str) -> Decimal:
        """The full standard per payment period for a pupil of `stage`."""
        amount = Decimal(str(self.stage_amounts.get(stage, self.standard_amount)))
        if self.unit == self.Unit.DAY:
            amount *= self.days_per_term
        return amount.quantize(Decimal("0.01"))

    def reduced(self, amount: Decimal) -> Decimal:
        return (amount * self.reduced_rate_percent / 100).quantize(Decimal("0.01"))

    def period_of(self, period: str) -> str:
        """The payment period of this programme that `period` falls in (a year programme is
        paid per school year, the others per term)."""
        year, term = parse_period(period)
        if self.unit == self.Unit.YEAR:
            return str(year)
        if term is None:
            raise ValueError(period)
        return period

    def is_active_in(self, period: str) -> bool:
        start, end = period_bounds(period)
        return self.active_from <= end and (self.active_until is None or self.active_until >= start)

    @property
    def stage_amount_rows(self) -> list[tuple[str, str]]:
        labels = dict(Stage.choices)
        return [
            (str(labels.get(stage, stage)), amount) for stage, amount in self.stage_amounts.items()
        ]

    @property
    def stage_labels(self) -> str:
        labels = dict(Stage.choices)
        return "、".join(str(labels.get(stage, stage)) for stage in self.stages)


# --- identification of economic difficulty ---------------------------------------------------


class IdentificationQuerySet(ScopedQuerySet):
    pass


class DifficultyIdentification(models.Model):
    """家庭经济困难学生认定: one per child and school year, adjustable each term."""

    class Status(models.TextChoices):
        APPLIED = "applied", _("Applied")
        DECIDED = "decided", _("Decided by the school")
        PUBLICISED = "publicised", _("On public notice")
        FILED = "filed", _("Filed")

    class Source(models.TextChoices):
        APPLICATION = "application", _("Application")
        HOUSEHOLD_DATA = "household_data", _("Pre-identified from household data")

    child = models.ForeignKey(
        Child, on_delete=models.PROTECT, related_name="+", verbose_name=_("child")
    )
    school = models.ForeignKey(
        School, on_delete=models.PROTECT, related_name="+", verbose_name=_("school")
    )
    school_year = models.PositiveSmallIntegerField(_("school year"), db_index=True)
    source = models.CharField(_("source"), max_length=20, choices=Source.choices)
    basis = models.CharField(_("basis"), max_length=200, blank=True)
    applied_level = models.CharField(
        _("level applied for"), max_length=10, choices=DifficultyLevel.choices, blank=True
    )
    level = models.CharField(
        _("level"), max_length=10, choices=DifficultyLevel.choices, blank=True, editable=False
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, editable=False, db_index=True
    )
    notice_from = models.DateField(
        _("public notice from"),
        null=True,
        blank=True,
        editable=False,
        validators=[validate_record_date],
    )
    notice_until = models.DateField(
        _("public notice until"),
        null=True,
        blank=True,
        editable=False,
        validators=[validate_record_date],
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    filed_on = models.DateField(
        _("filed on"), null=True, blank=True, editable=False, validators=[validate_record_date]
    )
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    objects = IdentificationQuerySet.as_manager()
    scope_paths = SCHOOL_SCOPE | {"village": "child__village"}

    class Meta:
        verbose_name = _("identification of economic difficulty")
        verbose_name_plural = _("identifications of economic difficulty")
        ordering = ["-school_year", "school", "child__name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["child", "school_year"], name="one_identification_per_child_and_year"
            ),
        ]

    def __str__(self):
        return f"{self.child} {self.school_year} {self.get_level_display()}"


# --- batches and payments --------------------------------------------------------------------


class BatchQuerySet(ScopedQuerySet):
    pass


class Batch(models.Model):
    """发放批次: one programme, one period, one school (or the bureau)."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Being prepared")
        REVIEWED = "reviewed", _("Reviewed, awaiting approval")
        APPROVED = "approved", _("Approved, awaiting payment")
        PAID = "paid", _("Paid and locked")

    county = models.ForeignKey(
        County, on_delete=models.PROTECT, related_name="+", verbose_name=_("county")
    )
    school = models.ForeignKey(
        School,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("school"),
        help_text=_("Empty for a list of the bureau itself."),
    )
    programme = models.ForeignKey(
        Programme, on_delete=models.PROTECT, related_name="batches", verbose_name=_("programme")
    )
    period = models.CharField(_("period"), max_length=6, db_index=True)
    title = models.CharField(_("title"), max_length=120, blank=True)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=Status.choices,
        default=Status.DRAFT,
        editable=False,
        db_index=True,
    )
    method = models.CharField(_("payment method"), max_length=12, default="bank_card")
    # A correction batch (更正) holds the reversals and supplements of paid lines; it is told
    # apart by this flag, never by its title, which its users may edit.
    is_correction = models.BooleanField(_("correction batch"), default=False, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, editable=False)
    paid_on = models.DateField(
        _("paid on"), null=True, blank=True, editable=False, validators=[validate_record_date]
    )
    history = HistoricalRecords()

    objects = BatchQuerySet.as_manager()
    scope_paths = {
        "county": "county",
        "township": "school__township",
        "village": None,
        "school": "school",
    }

    class Meta:
        verbose_name = _("payment batch")
        verbose_name_plural = _("payment batches")
        ordering = ["-period", "-pk"]

    def __str__(self):
        return self.title or f"{self.programme} {period_label(self.period)}"

    @property
    def is_locked(self) -> bool:
        return self.status == self.Status.PAID

    @property
    def period_label(self) -> str:
        return period_label(self.period)


class Method(models.TextChoices):
    BANK_CARD = "bank_card", _("Bank card")
    ONE_CARD = "one_card", _("One-card account (一卡通)")
    CANTEEN = "canteen", _("School canteen")
    FEE_WAIVER = "fee_waiver", _("Fee waived")
    CASH = "cash", _("Cash")


class PaymentQuerySet(ScopedQuerySet):
    def paid(self):
        return self.filter(batch__status=Batch.Status.PAID)


class Payment(models.Model):
    """发放记录. A paid line is never edited: a reversal or a supplement is a new entry."""

    class Kind(models.TextChoices):
        PAYMENT = "payment", _("Payment")
        REVERSAL = "reversal", _("Reversal")
        SUPPLEMENT = "supplement", _("Supplementary payment")

    batch = models.ForeignKey(
        Batch, on_delete=models.PROTECT, related_name="payments", verbose_name=_("batch")
    )
    child = models.ForeignKey(
        Child, on_delete=models.PROTECT, related_name="+", verbose_name=_("child")
    )
    programme = models.ForeignKey(
        Programme, on_delete=models.PROTECT, related_name="+", verbose_name=_("programme")
    )
    period = models.CharField(_("period"), max_length=6)
    school_year = models.PositiveSmallIntegerField(_("school year"))
    # Where the pupil was when paid: the scope of the line and its place in the totals.
    school = models.ForeignKey(
        School, on_delete=models.PROTECT, null=True, related_name="+", verbose_name=_("school")
    )
    township = models.ForeignKey(
        Township, on_delete=models.PROTECT, related_name="+", verbose_name=_("township")
    )
    stage = models.CharField(_("stage"), max_length=12, choices=Stage.choices, blank=True)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, default=Kind.PAYMENT)
    amount = models.DecimalField(_("amount (yuan)"), max_digits=10, decimal_places=2)
    standard_amount = models.DecimalField(
        _("standard (yuan)"), max_digits=10, decimal_places=2, null=True
    )
    method = models.CharField(_("method"), max_length=12, choices=Method.choices)
    paid_on = models.DateField(
        _("paid on"), null=True, blank=True, validators=[validate_record_date]
    )
    reason = models.CharField(
        _("reason"),
        max_length=300,
        blank=True,
        help_text=_("Needed above the standard, for an ineligible child, and for corrections."),
    )
    corrects = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="corrections",
        verbose_name=_("corrects"),
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    objects = PaymentQuerySet.as_manager()
    scope_paths = {
        "county": "township__county",
        "township": "township",
        "village": "child__village",
        "school": "school",
    }

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-period", "-pk"]
        constraints = [
            # A child is paid once per programme and period; corrections are other kinds.
            models.UniqueConstraint(
                fields=["child", "programme", "period"],
                condition=Q(kind="payment"),
                name="one_payment_per_child_programme_period",
            ),
            models.UniqueConstraint(
                fields=["corrects"],
                condition=Q(kind="reversal"),
                name="one_reversal_per_payment",
            ),
            models.CheckConstraint(
                condition=(Q(kind="reversal", amount__lt=0) | Q(~Q(kind="reversal"), amount__gt=0)),
                name="payment_sign_matches_kind",
            ),
        ]
        indexes = [
            models.Index(fields=["period", "programme", "child"]),
            models.Index(fields=["school_year", "programme"]),
            models.Index(fields=["school", "period"]),
            models.Index(fields=["township", "period"]),
            # Newest first (the default ordering; the payment list by key) within a term or a
            # year, read backwards: a page is a page of the index, however old the term is.
            models.Index(fields=["period", "id"], name="payment_period_newest"),
            models.Index(fields=["school_year", "id"], name="payment_year_newest"),
        ]

    def __str__(self):
        return f"{self.child} {self.programme} {self.period} {self.amount}"

    @property
    def period_label(self) -> str:
        return period_label(self.period)


# --- the entitlement-gap check ---------------------------------------------------------------


class GapRun(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    county = models.ForeignKey(County, on_delete=models.PROTECT, related_name="+")
    period = models.CharField(_("period"), max_length=6)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    requested_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    counts = models.JSONField(default=dict, blank=True)
    error = LongTextField(blank=True)

    objects = ScopedQuerySet.as_manager()
    # Every user of the county sees the runs; the gaps inside are scoped.
    scope_paths = {
        "county": "county",
        "township": "county__townships",
        "village": "county__townships__villages",
        "school": "county__townships__schools",
    }

    class Meta:
        verbose_name = _("entitlement check")
        verbose_name_plural = _("entitlement checks")
        ordering = ["-requested_at", "-pk"]

    def __str__(self):
        return f"{period_label(self.period)} #{self.pk}"

    @property
    def period_label(self) -> str:
        return period_label(self.period)


class Gap(models.Model):
    class Kind(models.TextChoices):
        MISSING = "missing", _("Not paid")
        SHORT = "short", _("Paid less than the standard")
        NOT_ENROLLED = "not_enrolled", _("Paid although not enrolled")
        INELIGIBLE = "ineligible", _("Paid although not eligible")
        DUPLICATE = "duplicate", _("Paid under mutually exclusive programmes")

    run = models.ForeignKey(GapRun, on_delete=models.CASCADE, related_name="gaps")
    kind = models.CharField(_("kind"), max_length=14, choices=Kind.choices, db_index=True)
    child = models.ForeignKey(Child, on_delete=models.PROTECT, related_name="+")
    school = models.ForeignKey(School, on_delete=models.PROTECT, null=True, related_name="+")
    township = models.ForeignKey(Township, on_delete=models.PROTECT, related_name="+")
    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="+")
    other_programme = models.ForeignKey(
        Programme, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    period = models.CharField(_("period"), max_length=6)
    expected_amount = models.DecimalField(max_digits=10, decimal_places=2, default=0)
    paid_amount = models.DecimalField(max_digits=10, decimal_places=2, default=0)
    responsible = models.CharField(_("responsible person"), max_length=100, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_paths = {
        "county": "township__county",
        "township": "township",
        "village": "child__village",
        "school": "school",
    }

    class Meta:
        ordering = ["township", "school", "child", "programme", "pk"]
        indexes = [models.Index(fields=["run", "kind"])]

    def __str__(self):
        return f"{self.get_kind_display()} {self.child_id} {self.programme_id}"


# --- the relief fund and donations -----------------------------------------------------------


class ReliefFund(models.Model):
    """教育救助基金 of a county; `balance` is the sum of its approved entries."""

    county = models.OneToOneField(County, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("name"), max_length=100)
    founded_on = models.DateField(_("founded on"), validators=[validate_record_date])
    balance = models.DecimalField(_("balance (yuan)"), max_digits=14, decimal_places=2, default=0)
    history = HistoricalRecords()

    objects = ScopedQuerySet.as_manager()
    scope_paths = COUNTY_ONLY

    class Meta:
        verbose_name = _("education relief fund")
        verbose_name_plural = _("education relief funds")
        constraints = [
            models.CheckConstraint(condition=Q(balance__gte=0), name="relief_fund_never_negative")
        ]

    def __str__(self):
        return self.name


class FundEntry(models.Model):
    class Kind(models.TextChoices):
        DONATION = "donation", _("Donation")
        INVESTMENT_INCOME = "income", _("Investment income")
        OTHER_INFLOW = "other_in", _("Other inflow")
        GRANT = "grant", _("Grant to a student")

    class Status(models.TextChoices):
        PENDING = "pending", _("Awaiting approval")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    fund = models.ForeignKey(ReliefFund, on_delete=models.PROTECT, related_name="entries")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    # Signed: inflows positive, grants negative.
    amount = models.DecimalField(_("amount (yuan)"), max_digits=12, decimal_places=2)
    date = models.DateField(_("date"), validators=[validate_record_date])
    counterparty = models.CharField(_("donor or source"), max_length=100, blank=True)
    purpose = models.CharField(_("purpose"), max_length=200, blank=True)
    child = models.ForeignKey(
        Child,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("student"),
    )
    hardship = models.CharField(_("hardship"), max_length=300, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, editable=False, db_index=True
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    approved_on = models.DateField(
        _("approved on"), null=True, blank=True, validators=[validate_record_date]
    )
    approval_note = models.CharField(_("approval"), max_length=200, blank=True)
    history = HistoricalRecords()

    objects = ScopedQuerySet.as_manager()
    scope_paths = {
        "county": "fund__county",
        "township": None,
        "village": None,
        "school": None,
    }

    class Meta:
        verbose_name = _("fund entry")
        verbose_name_plural = _("fund entries")
        ordering = ["-date", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(kind="grant", amount__lt=0, child__isnull=False)
                    | Q(~Q(kind="grant"), amount__gt=0)
                ),
                name="fund_entry_sign_matches_kind",
            )
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.amount}"


class Donation(models.Model):
    """社会捐赠: money (into the fund), goods or buildings, with their value."""

    class Kind(models.TextChoices):
        MONEY = "money", _("Money")
        GOODS = "goods", _("Goods")
        BUILDING = "building", _("Building")

    class DonorKind(models.TextChoices):
        ENTERPRISE = "enterprise", _("Enterprise")
        INDIVIDUAL = "individual", _("Individual")
        ORGANISATION = "organisation", _("Organisation")

    county = models.ForeignKey(County, on_delete=models.PROTECT, related_name="+")
    donor = models.CharField(_("donor"), max_length=100)
    donor_kind = models.CharField(_("donor kind"), max_length=12, choices=DonorKind.choices)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    value = models.DecimalField(_("value (yuan)"), max_digits=12, decimal_places=2)
    description = models.CharField(_("what was given"), max_length=200, blank=True)
    purpose = models.CharField(_("purpose"), max_length=200)
    date = models.DateField(_("date"), validators=[validate_record_date])
    school = models.ForeignKey(
        School,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("beneficiary school"),
    )
    publish_name = models.BooleanField(_("name on the public list"), default=True)
    fund_entry = models.OneToOneField(
        FundEntry, on_delete=models.PROTECT, null=True, blank=True, related_name="donation"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    history = HistoricalRecords()

    objects = ScopedQuerySet.as_manager()
    scope_paths = {
        "county": "county",
        "township": "school__township",
        "village": None,
        "school": "school",
    }

    class Meta:
        verbose_name = _("donation")
        verbose_name_plural = _("donations")
        ordering = ["-date", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(value__gt=0), name="donation_value_positive")
        ]

    def __str__(self):
        return f"{self.donor} {self.value}"


# The per-pupil public funds of the schools (a ledger of its own, in its own module).
from .public_funds import PublicFundAllocation  # noqa: E402, F401
