"""专项治理: campaigns, inspection groups and inspections, the issue list with its closed-loop
rectification (整改台账, 销号), and the complaint channel (举报/信访)."""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from core.concurrency import version_field
from core.fields import LongTextField, validate_record_date
from enrollment.models import County, School, Township
from enrollment.scoping import ScopedQuerySet, role_assignments

# A record addressed to a unit is seen by the county, by the township the unit is in (the
# township itself or a school of it) and by the school itself; villages see none.
UNIT_SCOPE = {
    "county": "county",
    "township": "unit_township",
    "village": None,
    "school": "school",
}


class UnitKind(models.TextChoices):
    SCHOOL = "school", _("School")
    TOWNSHIP = "township", _("Township")
    SECTION = "section", _("Bureau section")


class Area(models.Model):
    """An area an inspection checks (控辍保学, 学生资助, …): a list the inspectors edit."""

    name = models.CharField(_("name"), max_length=50, unique=True)
    position = models.PositiveSmallIntegerField(_("position"), default=100)
    is_active = models.BooleanField(_("in use"), default=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("inspection area")
        verbose_name_plural = _("inspection areas")
        ordering = ["position", "name"]

    def __str__(self):
        return self.name


class BureauSection(models.Model):
    """A section (股室) of the county bureau: a unit an inspection may target."""

    county = models.ForeignKey(
        County, on_delete=models.PROTECT, related_name="+", verbose_name=_("county")
    )
    name = models.CharField(_("name"), max_length=50)
    history = HistoricalRecords()

    objects = ScopedQuerySet.as_manager()
    scope_paths = {"county": "county", "township": None, "village": None, "school": None}

    class Meta:
        verbose_name = _("bureau section")
        verbose_name_plural = _("bureau sections")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["county", "name"], name="one_section_name_per_county")
        ]

    def __str__(self):
        return self.name


class UnitMixin(models.Model):
    """A school, a township or a bureau section: exactly one of the three, kind recorded."""

    unit_kind = models.CharField(_("kind of unit"), max_length=10, choices=UnitKind.choices)
    school = models.ForeignKey(
        School,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("school"),
    )
    township = models.ForeignKey(
        Township,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("township"),
    )
    section = models.ForeignKey(
        BureauSection,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("bureau section"),
    )
    # The township the unit lies in (the township itself, or the school's): its officials read.
    unit_township = models.ForeignKey(
        Township, on_delete=models.PROTECT, null=True, blank=True, related_name="+", editable=False
    )

    class Meta:
        abstract = True

    @property
    def unit(self):
        return {"school": self.school, "township": self.township, "section": self.section}.get(
            self.unit_kind
        )

    @property
    def unit_name(self) -> str:
        unit = self.unit
        return unit.name if unit is not None else ""

    def set_unit(self, unit) -> None:
        self.school = self.township = self.section = self.unit_township = None
        if unit is None:
            self.unit_kind = ""
        elif isinstance(unit, School):
            self.unit_kind, self.school, self.unit_township_id = "school", unit, unit.township_id
        elif isinstance(unit, Township):
            self.unit_kind, self.township, self.unit_township = "township", unit, unit
        elif isinstance(unit, BureauSection):
            self.unit_kind, self.section, self.unit_township = "section", unit, None
        else:
            raise TypeError(unit)


def one_unit_constraint(name: str, *, optional: bool = False):
    exactly_one = (
        Q(unit_kind="school", school__isnull=False, township__isnull=True, section__isnull=True)
        | Q(unit_kind="township", school__isnull=True, township__isnull=False, section__isnull=True)
        | Q(unit_kind="section", school__isnull=True, township__isnull=True, section__isnull=False)
    )
    if optional:
        exactly_one |= Q(
            unit_kind="", school__isnull=True, township__isnull=True, section__isnull=True
        )
    return models.CheckConstraint(condition=exactly_one, name=name)


class Campaign(models.Model):
    """专项治理: e.g. 扶贫领域腐败和作风问题专项治理, with its period."""

    county = models.ForeignKey(
        County, on_delete=models.PROTECT, related_name="+", verbose_name=_("county")
    )
    name = models.CharField(_("name"), max_length=100)
    start_date = models.DateField(_("from"), validators=[validate_record_date])
    end_date = models.DateField(_("until"), validators=[validate_record_date])
    description = LongTextField(pgettext_lazy("inspections", "description"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False
    )
    history = HistoricalRecords()

    objects = ScopedQuerySet.as_manager()
    # Campaign names are not confidential: every scope of the county sees them (filters).
    scope_paths = {
        "county": "county",
        "township": "county__townships",
        "village": "county__townships__villages",
        "school": "county__townships__schools",
    }

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-start_date", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gte=models.F("start_date")),
                name="campaign_ends_after_it_starts",
            )
        ]

    def __str__(self):
        return self.name


class InspectionGroup(models.Model):
    """督查组: its members are users (inspectors, bureau staff)."""

    county = models.ForeignKey(
        County, on_delete=models.PROTECT, related_name="+", verbose_name=_("county")
    )
    name = models.CharField(_("name"), max_length=100)
    campaign = models.ForeignKey(
        Campaign,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="groups",
        verbose_name=_("campaign"),
    )
    leader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("leader"),
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="inspection_groups", verbose_name=_("members")
    )
    history = HistoricalRecords(m2m_fields=[members])

    objects = ScopedQuerySet.as_manager()
    scope_paths = {"county": "county", "township": None, "village": None, "school": None}

    class Meta:
        verbose_name = _("inspection group")
        verbose_name_plural = _("inspection groups")
        ordering = ["name", "pk"]

    def __str__(self):
        return self.name


class Inspection(UnitMixin):
    """督查: one visit of a group to a unit on a day, the areas checked and what it found."""

    county = models.ForeignKey(
        County, on_delete=models.PROTECT, related_name="+", verbose_name=_("county")
    )
    campaign = models.ForeignKey(
        Campaign,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="inspections",
        verbose_name=_("campaign"),
    )
    group = models.ForeignKey(
        InspectionGroup,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="inspections",
        verbose_name=_("inspection group"),
    )
    date = models.DateField(_("date"), db_index=True, validators=[validate_record_date])
    areas = models.ManyToManyField(Area, related_name="+", verbose_name=_("areas checked"))
    summary = LongTextField(_("summary"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False
    )
    recorded_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords(m2m_fields=[areas])

    objects = ScopedQuerySet.as_manager()
    scope_paths = UNIT_SCOPE

    class Meta:
        verbose_name = _("inspection")
        verbose_name_plural = _("inspections")
        ordering = ["-date", "-pk"]
        constraints = [one_unit_constraint("inspection_targets_one_unit")]

    def __str__(self):
        return f"{self.date} · {self.unit_name}"


class InspectionAttachment(models.Model):
    inspection = models.ForeignKey(Inspection, on_delete=models.PROTECT, related_name="attachments")
    file = models.FileField(_("file"), upload_to="inspections/%Y/%m/")
    name = models.CharField(_("name"), max_length=200)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["uploaded_at", "pk"]

    def __str__(self):
        return self.name


class Complaint(UnitMixin):
    """举报/信访. The complainant's name and contact are shown only to the complaint's handlers
    and the county administrators (see `sees_complainant`)."""

    class Channel(models.TextChoices):
        BOX = "box", _("Complaint box")
        PHONE = "phone", _("Telephone")
        LETTER = "letter", _("Letter")
        ONLINE = "online", _("Online")

    class Status(models.TextChoices):
        RECEIVED = "received", _("Received")
        HANDLING = "handling", _("Being handled")
        CONCLUDED = "concluded", _("Concluded")

    unit_kind = models.CharField(
        _("kind of unit complained about"), max_length=10, choices=UnitKind.choices, blank=True
    )
    county = models.ForeignKey(
        County, on_delete=models.PROTECT, related_name="+", verbose_name=_("county")
    )
    campaign = models.ForeignKey(
        Campaign,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="complaints",
        verbose_name=_("campaign"),
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    received_on = models.DateField(
        _("received on"), db_index=True, validators=[validate_record_date]
    )
    content = LongTextField(pgettext_lazy("inspections", "content"))
    is_anonymous = models.BooleanField(_("anonymous"), default=False)
    complainant_name = models.CharField(_("complainant's name"), max_length=50, blank=True)
    complainant_contact = models.CharField(_("complainant's contact"), max_length=100, blank=True)
    handlers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="handled_complaints", verbose_name=_("handlers")
    )
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=Status.choices,
        default=Status.RECEIVED,
        editable=False,
        db_index=True,
    )
    result = LongTextField(pgettext_lazy("inspections", "result"), blank=True, editable=False)
    replied_on = models.DateField(
        _("reply date"), null=True, blank=True, editable=False, validators=[validate_record_date]
    )
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False
    )
    registered_at = models.DateTimeField(auto_now_add=True)
    # Bumped when the handlers are changed (the form that edits a complaint's data).
    version = version_field()
    history = HistoricalRecords(m2m_fields=[handlers])

    objects = ScopedQuerySet.as_manager()
    scope_paths = UNIT_SCOPE

    class Meta:
        verbose_name = _("complaint")
        verbose_name_plural = _("complaints")
        ordering = ["-received_on", "-pk"]
        constraints = [
            one_unit_constraint("complaint_concerns_at_most_one_unit", optional=True),
            models.CheckConstraint(
                condition=Q(is_anonymous=False) | Q(complainant_name="", complainant_contact=""),
                name="anonymous_complaint_has_no_identity",
            ),
        ]

    def __str__(self):
        return f"{self.received_on} · {self.get_channel_display()}"


class ComplaintStep(models.Model):
    """A handling step of a complaint: dated and attributed."""

    complaint = models.ForeignKey(Complaint, on_delete=models.PROTECT, related_name="steps")
    on = models.DateField(_("date"), validators=[validate_record_date])
    note = LongTextField(_("what was done"))
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["on", "at", "pk"]

    def __str__(self):
        return f"{self.complaint_id} {self.on}"


class IssueQuerySet(ScopedQuerySet):
    def overdue(self, day=None):
        return self.filter(overdue_q(day))

    def answerable_by(self, user):
        """Issues the user answers for: those addressed to their own unit (a school's staff its
        school, a township's officials the township itself, bureau staff the bureau's sections),
        or any in the county for a county administrator."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_superuser:
            return self
        condition = Q(pk__in=[])
        for assignment in role_assignments(user):
            if assignment.role == "county_admin":
                condition |= Q(county_id=assignment.county_id)
            elif assignment.role == "bureau_staff":
                condition |= Q(county_id=assignment.county_id, unit_kind=UnitKind.SECTION)
            elif assignment.role == "township_official":
                condition |= Q(township_id=assignment.township_id)
            elif assignment.role == "school_staff":
                condition |= Q(school_id=assignment.school_id)
        return self.filter(condition)


class Issue(UnitMixin):
    """问题: found in an inspection or raised from a complaint, tracked until verified (销号).
    Never deleted: withdrawn with a reason."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        RECTIFYING = "rectifying", _("Being rectified")
        SUBMITTED = "submitted", _("Rectification submitted")
        VERIFIED = "verified", _("Verified (closed)")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    class Category(models.TextChoices):
        POLICY = "policy", _("Policy not carried out")
        FUNDS = "funds", _("Funds mismanaged")
        FALSE_DATA = "false_data", _("False or inaccurate data")
        WORK_STYLE = "work_style", _("Formalism or poor work style")
        FAVOURITISM = "favouritism", _("Favouritism")
        SAFETY = "safety", _("Facilities and safety")
        OTHER = "other", _("Other")

    LIVE_STATUSES = (Status.OPEN, Status.RECTIFYING, Status.SUBMITTED, Status.VERIFIED)
    PENDING_STATUSES = (Status.OPEN, Status.RECTIFYING)

    number = models.CharField(
        pgettext_lazy("inspections", "number"), max_length=30, editable=False, db_index=True
    )
    county = models.ForeignKey(
        County, on_delete=models.PROTECT, related_name="+", verbose_name=_("county")
    )
    campaign = models.ForeignKey(
        Campaign,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="issues",
        verbose_name=_("campaign"),
    )
    inspection = models.ForeignKey(
        Inspection,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="issues",
        verbose_name=_("inspection"),
    )
    complaint = models.ForeignKey(
        Complaint,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="issues",
        verbose_name=_("complaint"),
    )
    area = models.ForeignKey(
        Area, on_delete=models.PROTECT, related_name="+", verbose_name=_("area")
    )
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    description = LongTextField(_("problem"))
    evidence = LongTextField(_("evidence"), blank=True)
    evidence_file = models.FileField(
        _("evidence file"), upload_to="inspections/issues/%Y/%m/", blank=True
    )
    responsible_person = models.CharField(
        pgettext_lazy("inspections", "responsible person"), max_length=50
    )
    measures = LongTextField(_("required measures"))
    deadline = models.DateField(
        pgettext_lazy("inspections", "deadline"), db_index=True, validators=[validate_record_date]
    )
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=Status.choices,
        default=Status.OPEN,
        editable=False,
        db_index=True,
    )
    found_on = models.DateField(_("found on"), validators=[validate_record_date])
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False
    )
    progress = LongTextField(_("rectification progress"), blank=True, editable=False)
    submitted_on = models.DateField(
        _("submitted on"), null=True, blank=True, editable=False, validators=[validate_record_date]
    )
    verified_on = models.DateField(
        _("verified on"), null=True, blank=True, editable=False, validators=[validate_record_date]
    )
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    withdrawn_reason = LongTextField(_("reason for withdrawal"), blank=True, editable=False)
    # The deadline the responsible unit was last told it had missed (one notice per deadline).
    overdue_notified_for = models.DateField(
        null=True, blank=True, editable=False, validators=[validate_record_date]
    )
    version = version_field()
    history = HistoricalRecords()

    objects = IssueQuerySet.as_manager()
    scope_paths = UNIT_SCOPE

    class Meta:
        verbose_name = _("issue")
        verbose_name_plural = _("issues")
        ordering = ["deadline", "pk"]
        constraints = [one_unit_constraint("issue_addressed_to_one_unit")]
        indexes = [models.Index(fields=["county", "status", "deadline"])]

    def __str__(self):
        return f"{self.number} {self.description[:30]}"

    @property
    def is_overdue(self) -> bool:
        return self.status in self.PENDING_STATUSES and self.deadline < timezone.localdate()

    @property
    def is_closed(self) -> bool:
        return self.status in (self.Status.VERIFIED, self.Status.WITHDRAWN)


def overdue_q(day=None) -> Q:
    """Past its deadline and not yet submitted for verification."""
    return Q(status__in=Issue.PENDING_STATUSES, deadline__lt=day or timezone.localdate())


class IssueEvent(models.Model):
    """Every step of an issue: what, from → to, on which day, by whom, why, with evidence."""

    class Action(models.TextChoices):
        RAISED = "raised", _("Raised")
        EDITED = "edited", _("Edited")
        STARTED = "started", _("Rectification started")
        PROGRESS = "progress", _("Progress reported")
        SUBMITTED = "submitted", _("Rectification submitted")
        VERIFIED = "verified", _("Verified (closed)")
        REOPENED = "reopened", _("Verification failed")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        OVERDUE = "overdue", _("Deadline passed")

    issue = models.ForeignKey(Issue, on_delete=models.PROTECT, related_name="events")
    action = models.CharField(_("action"), max_length=12, choices=Action.choices)
    from_status = models.CharField(max_length=12, blank=True)
    to_status = models.CharField(max_length=12)
    on = models.DateField(_("date"), validators=[validate_record_date])
    note = LongTextField(_("note"), blank=True)
    evidence_file = models.FileField(
        _("evidence file"), upload_to="inspections/rectifications/%Y/%m/", blank=True
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self):
        return f"{self.issue_id} {self.action}"


class RecordLink(models.Model):
    """A link from an issue or a complaint to a record of another app (a school, a child, …)
    through the content-types framework: the modules never import each other."""

    issue = models.ForeignKey(
        Issue, on_delete=models.PROTECT, null=True, blank=True, related_name="links"
    )
    complaint = models.ForeignKey(
        Complaint, on_delete=models.PROTECT, null=True, blank=True, related_name="links"
    )
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.PositiveBigIntegerField()
    record = GenericForeignKey("content_type", "object_id")
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["added_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(issue__isnull=False, complaint__isnull=True)
                | Q(issue__isnull=True, complaint__isnull=False),
                name="record_link_belongs_to_issue_or_complaint",
            ),
        ]
        indexes = [models.Index(fields=["content_type", "object_id"])]

    def __str__(self):
        return f"{self.content_type.model} #{self.object_id}"
