"""The teacher workforce: teachers and their employment history, special-post terms, exchanges
(交流轮岗), the rural teacher allowance (乡村教师生活补助) and training (培训)."""

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.concurrency import version_field
from core.fields import validate_life_date, validate_record_date
from core.masking import mask_phone, mask_resident_id
from enrollment.models import Child, County, School, Sex
from enrollment.scoping import ScopedQuerySet, role_assignments


class Subject(models.Model):
    """A catalogue of subjects taught (seeded by a migration; the bureau may add more)."""

    code = models.SlugField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=30, unique=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("subject")
        verbose_name_plural = _("subjects")
        ordering = ["order", "pk"]

    def __str__(self):
        return self.name


class PostType(models.TextChoices):
    REGULAR = "regular", _("Regular post (在编)")
    SPECIAL_POST = "special_post", _("Special-post teacher (特岗)")
    SUBSTITUTE = "substitute", _("Substitute teacher (代课)")
    EXCHANGE = "exchange", _("On exchange post (交流在岗)")


class Recruitment(models.TextChoices):
    OPEN = "open", _("Open recruitment (公开招聘)")
    PUBLICLY_FUNDED = "publicly_funded", _("Publicly funded normal student (公费师范生)")
    FREE_NORMAL = "free_normal", _("Free normal student (免费师范生)")
    TARGETED_RURAL = "targeted_rural", _("Targeted rural teacher training (定向培养乡村教师)")
    SPECIAL_POST_PLAN = "special_post_plan", _("Special-post plan (特岗计划)")
    OTHER = "other", _("Transfer or other")


class Title(models.TextChoices):
    NONE = "none", _("Not yet graded")
    THIRD = "third", _("Third-grade teacher (三级教师)")
    SECOND = "second", _("Second-grade teacher (二级教师)")
    FIRST = "first", _("First-grade teacher (一级教师)")
    SENIOR = "senior", _("Senior teacher (高级教师)")
    PROFESSOR = "professor", _("Professor-level senior teacher (正高级教师)")


class TeacherQuerySet(ScopedQuerySet):
    def current_on(self, day: datetime.date):
        """Annotate `current_school_id`: the school of an exchange whose period covers `day`,
        else the teacher's own school (an exchange moves a teacher only for its period)."""
        active = Exchange.objects.filter(
            teacher=models.OuterRef("pk"), start_date__lte=day, end_date__gte=day
        ).order_by("-start_date")
        return self.annotate(
            current_school_id=models.functions.Coalesce(
                models.Subquery(active.values("to_school_id")[:1]),
                models.F("school_id"),
                output_field=models.BigIntegerField(),
            )
        )


class Teacher(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", _("In service")
        LEFT = "left", _("Left")
        RETIRED = "retired", _("Retired")

    class SpecialPostStatus(models.TextChoices):
        SERVING = "serving", _("Serving the special-post term")
        CONVERTED = "converted", _("Converted to a regular post")
        LEFT = "left", _("Left instead of converting")

    resident_id = models.CharField(_("resident ID"), max_length=18, unique=True)
    name = models.CharField(_("name"), max_length=50)
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices)
    birth_date = models.DateField(_("birth date"), validators=[validate_life_date])
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    # The school of record (编制所在学校); an exchange changes where the teacher works only for
    # the exchange's period, see TeacherQuerySet.current_on().
    school = models.ForeignKey(
        School, on_delete=models.PROTECT, related_name="teachers", verbose_name=_("school")
    )
    school_since = models.DateField(_("at this school since"), validators=[validate_life_date])
    subjects = models.ManyToManyField(
        Subject, related_name="teachers", blank=True, verbose_name=_("subjects")
    )
    title = models.CharField(
        _("professional title"), max_length=20, choices=Title.choices, default=Title.NONE
    )
    post_type = models.CharField(
        _("post type"), max_length=20, choices=PostType.choices, db_index=True
    )
    recruitment = models.CharField(
        _("how recruited"), max_length=20, choices=Recruitment.choices, db_index=True
    )
    recruitment_year = models.PositiveSmallIntegerField(_("year recruited"), db_index=True)
    hire_date = models.DateField(_("hire date"), validators=[validate_life_date])
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=Status.choices,
        default=Status.ACTIVE,
        editable=False,
        db_index=True,
    )
    left_on = models.DateField(
        _("left on"), null=True, blank=True, editable=False, validators=[validate_record_date]
    )
    leave_reason = models.CharField(_("reason for leaving"), max_length=200, blank=True)

    # 特岗教师: the service term, then conversion to a regular post (转为正式教师) or leaving.
    special_post_status = models.CharField(
        _("special-post term"),
        max_length=10,
        choices=SpecialPostStatus.choices,
        blank=True,
        editable=False,
        db_index=True,
    )
    service_years = models.PositiveSmallIntegerField(
        _("service period (years)"), null=True, blank=True, editable=False
    )
    service_end = models.DateField(
        _("service ends"), null=True, blank=True, editable=False, validators=[validate_record_date]
    )
    converted_on = models.DateField(
        _("converted on"), null=True, blank=True, editable=False, validators=[validate_record_date]
    )
    conversion_decision = models.CharField(
        _("conversion decision"), max_length=200, blank=True, editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)
    version = version_field()
    history = HistoricalRecords(m2m_fields=[subjects])

    objects = TeacherQuerySet.as_manager()
    scope_paths = {
        "county": "school__township__county",
        "township": "school__township",
        "village": None,
        "school": "school",
    }

    class Meta:
        verbose_name = _("teacher")
        verbose_name_plural = _("teachers")
        ordering = ["school", "name", "pk"]
        indexes = [models.Index(fields=["school", "status", "post_type"])]
        constraints = [
            models.CheckConstraint(
                condition=~Q(post_type="special_post") | ~Q(special_post_status=""),
                name="teacher_special_post_has_term",
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def masked_resident_id(self) -> str:
        return mask_resident_id(self.resident_id)

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)


class EmploymentRecord(models.Model):
    """One stretch of a teacher's employment at one school (任职经历)."""

    teacher = models.ForeignKey(
        Teacher, on_delete=models.CASCADE, related_name="employments", verbose_name=_("teacher")
    )
    school = models.ForeignKey(
        School, on_delete=models.PROTECT, related_name="+", verbose_name=_("school")
    )
    post_type = models.CharField(_("post type"), max_length=20, choices=PostType.choices)
    start_date = models.DateField(_("from"), validators=[validate_record_date])
    end_date = models.DateField(
        _("until"), null=True, blank=True, validators=[validate_record_date]
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    history = HistoricalRecords()

    objects = ScopedQuerySet.as_manager()
    scope_paths = {
        "county": "teacher__school__township__county",
        "township": "teacher__school__township",
        "village": None,
        "school": "teacher__school",
    }

    class Meta:
        verbose_name = _("employment record")
        verbose_name_plural = _("employment records")
        ordering = ["-start_date", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["teacher"],
                condition=Q(end_date__isnull=True),
                name="one_open_employment_per_teacher",
            ),
        ]

    def __str__(self):
        return f"{self.teacher} · {self.school}"


class Exchange(models.Model):
    class Kind(models.TextChoices):
        CROSS_COUNTY = "cross_county", _("County inbound/outbound exchange (县内外交流)")
        TOWNSHIP = "township", _("Within-township exchange (镇域交流)")
        URBAN = "urban", _("Within-town exchange (城区交流)")
        URBAN_RURAL = "urban_rural", _("Urban–rural exchange (城乡交流)")
        SECONDMENT_UP = "secondment_up", _("Secondment upward (上挂交流)")
        REWARD = "reward", _("Reward exchange (奖励性交流)")

    teacher = models.ForeignKey(
        Teacher, on_delete=models.PROTECT, related_name="exchanges", verbose_name=_("teacher")
    )
    from_school = models.ForeignKey(
        School, on_delete=models.PROTECT, related_name="+", verbose_name=_("from school")
    )
    to_school = models.ForeignKey(
        School, on_delete=models.PROTECT, related_name="+", verbose_name=_("to school")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, db_index=True)
    start_date = models.DateField(_("from"), db_index=True, validators=[validate_record_date])
    end_date = models.DateField(_("until"), validators=[validate_record_date])
    note = models.CharField(_("note"), max_length=300, blank=True)
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
        "county": "teacher__school__township__county",
        "township": "teacher__school__township",
        "village": None,
        "school": "teacher__school",
    }

    class Meta:
        verbose_name = _("exchange")
        verbose_name_plural = _("exchanges")
        ordering = ["-start_date", "-pk"]
        indexes = [models.Index(fields=["teacher", "start_date", "end_date"])]
        constraints = [
            models.CheckConstraint(
                condition=~Q(from_school=models.F("to_school")), name="exchange_between_schools"
            ),
            models.CheckConstraint(
                condition=Q(end_date__gte=models.F("start_date")), name="exchange_period_ordered"
            ),
        ]

    def __str__(self):
        return f"{self.teacher} {self.from_school} → {self.to_school}"


class AllowanceTier(models.Model):
    """A remoteness tier of the rural teacher allowance with its monthly amount (a setting the
    bureau keeps: counties set tiers by how remote and hard the school's place is)."""

    county = models.ForeignKey(
        County, on_delete=models.CASCADE, related_name="+", verbose_name=_("county")
    )
    name = models.CharField(_("name"), max_length=50)
    rank = models.PositiveSmallIntegerField(_("rank (1 = most remote)"), default=1)
    monthly_amount = models.DecimalField(_("monthly amount (yuan)"), max_digits=8, decimal_places=2)
    history = HistoricalRecords()

    objects = ScopedQuerySet.as_manager()
    scope_paths = {"county": "county", "township": None, "village": None, "school": None}

    class Meta:
        verbose_name = _("allowance tier")
        verbose_name_plural = _("allowance tiers")
        ordering = ["county", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["county", "name"], name="allowance_tier_name_unique"),
            models.CheckConstraint(
                condition=Q(monthly_amount__gte=0), name="allowance_tier_amount_not_negative"
            ),
        ]

    def __str__(self):
        return f"{self.name}（{self.monthly_amount}元/月）"


class SchoolRemoteness(models.Model):
    """The allowance tier of a rural school; schools without one get no rural allowance."""

    school = models.OneToOneField(
        School, on_delete=models.CASCADE, related_name="remoteness", verbose_name=_("school")
    )
    tier = models.ForeignKey(
        AllowanceTier, on_delete=models.PROTECT, related_name="schools", verbose_name=_("tier")
    )
    history = HistoricalRecords()

    objects = ScopedQuerySet.as_manager()
    scope_paths = {
        "county": "school__township__county",
        "township": "school__township",
        "village": None,
        "school": "school",
    }

    class Meta:
        verbose_name = _("school remoteness tier")
        verbose_name_plural = _("school remoteness tiers")

    def __str__(self):
        return f"{self.school} · {self.tier.name}"


class AllowanceBatch(models.Model):
    """A payment batch of the rural teacher allowance for one month (period)."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PAID = "paid", _("Paid")

    county = models.ForeignKey(
        County, on_delete=models.PROTECT, related_name="+", verbose_name=_("county")
    )
    period = models.DateField(
        _("month"), db_index=True, validators=[validate_record_date]
    )  # always the first of the month
    title = models.CharField(_("title"), max_length=100)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT, editable=False
    )
    paid_on = models.DateField(
        _("paid on"), null=True, blank=True, editable=False, validators=[validate_record_date]
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    history = HistoricalRecords()

    objects = ScopedQuerySet.as_manager()
    scope_paths = {
        "county": "county",
        "township": "payments__school__township",
        "village": None,
        "school": "payments__school",
    }

    class Meta:
        verbose_name = _("allowance batch")
        verbose_name_plural = _("allowance batches")
        ordering = ["-period", "-pk"]

    def __str__(self):
        return self.title


class AllowancePayment(models.Model):
    batch = models.ForeignKey(
        AllowanceBatch, on_delete=models.CASCADE, related_name="payments", verbose_name=_("batch")
    )
    teacher = models.ForeignKey(
        Teacher, on_delete=models.PROTECT, related_name="allowances", verbose_name=_("teacher")
    )
    school = models.ForeignKey(
        School, on_delete=models.PROTECT, related_name="+", verbose_name=_("school")
    )
    period = models.DateField(_("month"), validators=[validate_record_date])
    tier_name = models.CharField(_("tier"), max_length=50)
    amount = models.DecimalField(_("amount (yuan)"), max_digits=10, decimal_places=2)
    history = HistoricalRecords()

    objects = ScopedQuerySet.as_manager()
    scope_paths = {
        "county": "batch__county",
        "township": "school__township",
        "village": None,
        "school": "school",
    }

    class Meta:
        verbose_name = _("allowance payment")
        verbose_name_plural = _("allowance payments")
        ordering = ["-period", "school", "teacher"]
        constraints = [
            # A teacher is paid once per month, whatever the batch.
            models.UniqueConstraint(
                fields=["teacher", "period"], name="allowance_once_per_teacher_and_month"
            ),
            models.CheckConstraint(
                condition=Q(amount__gte=0), name="allowance_amount_not_negative"
            ),
        ]
        indexes = [models.Index(fields=["period", "school"])]

    def __str__(self):
        return f"{self.teacher} {self.period:%Y-%m} {self.amount}"


class TrainingEvent(models.Model):
    class Level(models.TextChoices):
        NATIONAL = "national", _("National (国家级)")
        PROVINCIAL = "provincial", _("Provincial (省级)")
        MUNICIPAL = "municipal", _("Municipal (市级)")
        COUNTY = "county", _("County (县级)")
        SCHOOL = "school", _("School-based (校级)")

    class Kind(models.TextChoices):
        # The seed: 健全教师入职培训、岗位培训等全员培训模式.
        INDUCTION = "induction", _("Induction training (入职培训)")
        ON_THE_JOB = "on_the_job", _("On-the-job training (岗位培训)")
        ALL_STAFF = "all_staff", _("All-staff training (全员培训)")
        SPECIAL = "special", _("Subject or special training (专题培训)")
        OTHER = "other", _("Other training")

    county = models.ForeignKey(
        County, on_delete=models.PROTECT, related_name="+", verbose_name=_("county")
    )
    title = models.CharField(_("title"), max_length=200)
    level = models.CharField(_("level"), max_length=20, choices=Level.choices, db_index=True)
    kind = models.CharField(
        _("kind of training"), max_length=20, choices=Kind.choices, default=Kind.OTHER
    )
    # The programme the training belongs to, e.g. 乡村教师能力素质提升工程, 国培计划.
    programme = models.CharField(_("programme"), max_length=100, blank=True)
    start_date = models.DateField(_("from"), db_index=True, validators=[validate_record_date])
    end_date = models.DateField(_("until"), validators=[validate_record_date])
    hours = models.DecimalField(_("hours"), max_digits=6, decimal_places=1)
    provider = models.CharField(_("provider"), max_length=200)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    history = HistoricalRecords()

    objects = ScopedQuerySet.as_manager()
    scope_paths = {
        "county": "county",
        "township": "attendances__teacher__school__township",
        "village": None,
        "school": "attendances__teacher__school",
    }

    class Meta:
        verbose_name = _("training event")
        verbose_name_plural = _("training events")
        ordering = ["-start_date", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gte=models.F("start_date")), name="training_period_ordered"
            ),
            models.CheckConstraint(condition=Q(hours__gt=0), name="training_hours_positive"),
        ]

    def __str__(self):
        return self.title


class TrainingAttendance(models.Model):
    event = models.ForeignKey(
        TrainingEvent,
        on_delete=models.CASCADE,
        related_name="attendances",
        verbose_name=_("training"),
    )
    teacher = models.ForeignKey(
        Teacher, on_delete=models.PROTECT, related_name="trainings", verbose_name=_("teacher")
    )
    hours = models.DecimalField(_("hours"), max_digits=6, decimal_places=1)
    history = HistoricalRecords()

    objects = ScopedQuerySet.as_manager()
    scope_paths = {
        "county": "event__county",
        "township": "teacher__school__township",
        "village": None,
        "school": "teacher__school",
    }

    class Meta:
        verbose_name = _("training attendance")
        verbose_name_plural = _("training attendances")
        ordering = ["event", "teacher"]
        constraints = [
            models.UniqueConstraint(fields=["event", "teacher"], name="attend_a_training_once"),
            models.CheckConstraint(condition=Q(hours__gt=0), name="attendance_hours_positive"),
        ]

    def __str__(self):
        return f"{self.teacher} · {self.event}"


class HomeTeachingQuerySet(ScopedQuerySet):
    def for_user(self, user, *, roles=None):
        """The child's scope (scope_paths), and for a school's staff also the sessions their
        school's teachers gave (a teacher may teach a child on another school's roll)."""
        scoped = super().for_user(user, roles=roles)
        if not user.is_authenticated or not user.is_active or user.is_superuser:
            return scoped
        schools = [
            assignment.school_id
            for assignment in role_assignments(user)
            if assignment.scope_kind == "school" and (roles is None or assignment.role in roles)
        ]
        if not schools:
            return scoped
        return self.filter(Q(pk__in=scoped.values("pk")) | Q(teacher__school_id__in=schools))


class HomeTeachingSession(models.Model):
    """One visit of a teacher who teaches a home-delivered child (送教上门) at home."""

    child = models.ForeignKey(
        Child,
        on_delete=models.PROTECT,
        related_name="home_teaching_sessions",
        verbose_name=_("child"),
        db_index=False,  # led by the (child, date) index below
    )
    teacher = models.ForeignKey(
        Teacher,
        on_delete=models.PROTECT,
        related_name="home_teaching_sessions",
        verbose_name=_("teacher"),
    )
    date = models.DateField(_("date"), db_index=True, validators=[validate_record_date])
    hours = models.DecimalField(_("hours"), max_digits=3, decimal_places=1)
    content = models.CharField(_("what was taught"), max_length=500)
    note = models.CharField(_("note"), max_length=300, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    history = HistoricalRecords()

    objects = HomeTeachingQuerySet.as_manager()
    scope_paths = {
        "county": "child__village__township__county",
        "township": "child__village__township",
        "village": None,
        "school": "child__current_school",
    }

    class Meta:
        verbose_name = _("home teaching session")
        verbose_name_plural = _("home teaching sessions")
        ordering = ["-date", "-pk"]
        indexes = [models.Index(fields=["child", "date"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(hours__gt=0) & Q(hours__lte=8), name="home_teaching_hours_in_range"
            ),
        ]

    def __str__(self):
        return f"{self.child} · {self.teacher} · {self.date}"
