"""Places, schools, households, children, their dated enrollment status, visits, help pairings,
and the users' roles with their scopes (a scope is a place, so roles live here)."""

import datetime

from django.conf import settings
from django.core.validators import MaxValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.fields import LongTextField, validate_life_date, validate_record_date
from core.masking import mask_phone, mask_resident_id

from .roles import Role
from .scoping import ScopedQuerySet
from .student_number import validate_student_number

four_digits = RegexValidator(r"^\d{4}$", _("Four digits."))
six_digits = RegexValidator(r"^\d{6}$", _("Six digits."))
nine_digits = RegexValidator(r"^\d{9}$", _("Nine digits."))
twelve_digits = RegexValidator(r"^\d{12}$", _("Twelve digits."))
school_code = RegexValidator(
    r"^(11|21|31|34|36|51)\d{8}$",
    _("Ten digits: the type (11, 21, 31, 34, 36 or 51), the province, then the serial."),
)


class Prefecture(models.Model):
    """市 (地级市/州): several counties under one city bureau, which reads their figures only."""

    code = models.CharField(_("division code"), max_length=4, unique=True, validators=[four_digits])
    name = models.CharField(_("name"), max_length=50)
    history = HistoricalRecords()

    objects = ScopedQuerySet.as_manager()
    # Only the city bureau's own assignment reaches a prefecture; the counties below do not.
    scope_paths = {
        "prefecture": "pk",
        "county": None,
        "township": None,
        "village": None,
        "school": None,
    }

    class Meta:
        verbose_name = _("prefecture")
        verbose_name_plural = _("prefectures")
        ordering = ["code"]

    def __str__(self):
        return self.name


# The "prefecture" entry of every scope_paths below is None: the city bureau reads figures
# (prefecture.py's overview, the counties' monthly reports and annual summaries), never the
# ledgers of named children, their households, visits or pairings. A model without the entry
# refuses it the same way (scoping._scope_paths reads a missing kind as None).


class County(models.Model):
    code = models.CharField(_("division code"), max_length=6, unique=True, validators=[six_digits])
    name = models.CharField(_("name"), max_length=50)
    prefecture = models.ForeignKey(
        Prefecture,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="counties",
        verbose_name=_("prefecture"),
    )
    history = HistoricalRecords()

    objects = ScopedQuerySet.as_manager()
    # Not "prefecture": a county's ledger page lists its children; the city bureau reads the
    # county's figures through its Prefecture (enrollment.prefecture).
    scope_paths = {
        "prefecture": None,
        "county": "pk",
        "township": None,
        "village": None,
        "school": None,
    }

    class Meta:
        verbose_name = _("county")
        verbose_name_plural = _("counties")
        ordering = ["code"]

    def __str__(self):
        return self.name


class Township(models.Model):
    county = models.ForeignKey(
        County, on_delete=models.PROTECT, related_name="townships", verbose_name=_("county")
    )
    code = models.CharField(_("division code"), max_length=9, unique=True, validators=[nine_digits])
    name = models.CharField(_("name"), max_length=50)
    # Issuer's short name for official document numbers, e.g. 城关镇教字.
    document_prefix = models.CharField(_("document number prefix"), max_length=30, blank=True)
    penalty_document_prefix = models.CharField(
        _("penalty decision number prefix"), max_length=30, blank=True
    )
    history = HistoricalRecords()

    objects = ScopedQuerySet.as_manager()
    scope_paths = {
        "prefecture": None,
        "county": "county",
        "township": "pk",
        "village": None,
        "school": None,
    }

    class Meta:
        verbose_name = _("township")
        verbose_name_plural = _("townships")
        ordering = ["code"]

    def __str__(self):
        return self.name


class Village(models.Model):
    township = models.ForeignKey(
        Township, on_delete=models.PROTECT, related_name="villages", verbose_name=_("township")
    )
    code = models.CharField(
        _("division code"), max_length=12, unique=True, validators=[twelve_digits]
    )
    name = models.CharField(_("name"), max_length=50)
    history = HistoricalRecords()

    objects = ScopedQuerySet.as_manager()
    scope_paths = {
        "prefecture": None,
        "county": "township__county",
        "township": "township",
        "village": "pk",
        "school": None,
    }

    class Meta:
        verbose_name = _("village")
        verbose_name_plural = _("villages")
        ordering = ["code"]

    def __str__(self):
        return self.name


class School(models.Model):
    class Stage(models.TextChoices):
        PRESCHOOL = "preschool", _("Preschool")
        PRIMARY = "primary", _("Primary")
        JUNIOR = "junior", _("Junior secondary")
        NINE_YEAR = "nine_year", _("Nine-year school")
        COMPLETE_SECONDARY = "complete_secondary", _("Complete secondary")
        SENIOR = "senior", _("Senior secondary")
        VOCATIONAL = "vocational", _("Secondary vocational")
        SPECIAL = "special", _("Special education")

    code = models.CharField(
        _("school identification code"), max_length=10, unique=True, validators=[school_code]
    )
    name = models.CharField(_("name"), max_length=100)
    township = models.ForeignKey(
        Township, on_delete=models.PROTECT, related_name="schools", verbose_name=_("township")
    )
    village = models.ForeignKey(
        Village,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="schools",
        verbose_name=_("village"),
    )
    stage = models.CharField(_("stage"), max_length=20, choices=Stage.choices)
    is_boarding = models.BooleanField(_("boarding school"), default=False)
    is_rural = models.BooleanField(_("rural"), default=True)
    history = HistoricalRecords()

    objects = ScopedQuerySet.as_manager()
    scope_paths = {
        "prefecture": None,
        "county": "township__county",
        "township": "township",
        "village": "village",
        "school": "pk",
    }

    class Meta:
        verbose_name = _("school")
        verbose_name_plural = _("schools")
        ordering = ["code"]

    def __str__(self):
        return self.name


class PovertyStatus(models.TextChoices):
    NONE = "none", _("Not poor")
    REGISTERED_POOR = "registered_poor", _("Registered poor household")
    LIFTED = "lifted", _("Household lifted out of poverty")
    MONITORED = "monitored", _("Monitored household")
    LOW_INCOME = "low_income", _("Minimum living allowance household")
    DESTITUTE = "destitute", _("Destitute, state-supported")


# The 建档立卡 focus group: registered-poor households and those lifted out of that register.
REGISTERED_POOR_STATUSES = (
    PovertyStatus.REGISTERED_POOR,
    PovertyStatus.LIFTED,
    PovertyStatus.MONITORED,
)


class PovertyRegister(models.TextChoices):
    """The registers a household's poverty status is read from (since 2021): rural
    revitalisation's 脱贫户 and 防止返贫监测对象 lists, civil affairs' 低保 and 特困供养."""

    LIFTED = "lifted", _("Lifted-out-of-poverty list (脱贫户)")
    MONITORED = "monitored", _("Monitoring list (监测户)")
    LOW_INCOME = "low_income", _("Minimum living allowance list (低保)")
    DESTITUTE = "destitute", _("Destitute support list (特困供养)")


# The household's status when it is on several registers: the one of greatest need wins.
POVERTY_REGISTER_RANK = (
    PovertyRegister.DESTITUTE,
    PovertyRegister.MONITORED,
    PovertyRegister.LIFTED,
    PovertyRegister.LOW_INCOME,
)


class Household(models.Model):
    village = models.ForeignKey(
        Village, on_delete=models.PROTECT, related_name="households", verbose_name=_("village")
    )
    address = models.CharField(_("address"), max_length=200)
    head_name = models.CharField(_("head of household"), max_length=50)
    poverty_status = models.CharField(
        _("poverty status"),
        max_length=20,
        choices=PovertyStatus.choices,
        default=PovertyStatus.NONE,
    )
    poverty_registration_number = models.CharField(
        _("poverty registration number"), max_length=40, blank=True
    )
    poverty_registered_on = models.DateField(
        _("registered on"), null=True, blank=True, validators=[validate_record_date]
    )
    # The register the status was read from (blank: typed in when the household was recorded).
    poverty_source = models.CharField(
        _("poverty status source"),
        max_length=20,
        choices=PovertyRegister.choices,
        blank=True,
        editable=False,
    )
    # Read per household and by date. Who made each change is checked by Django when a user
    # is deleted (set to null), not by a foreign key per history row: the police import writes
    # 70,000 of them, and that constraint's checks cost a tenth of the import's commit.
    history = HistoricalRecords(no_db_index=["village"], user_db_constraint=False)

    objects = ScopedQuerySet.as_manager()
    scope_paths = {
        "prefecture": None,
        "county": "village__township__county",
        "township": "village__township",
        "village": "village",
        "school": "children__current_school",
    }

    class Meta:
        verbose_name = _("household")
        verbose_name_plural = _("households")
        ordering = ["village", "head_name"]
        indexes = [models.Index(fields=["poverty_status"], name="enrollment_hh_poverty_idx")]

    def __str__(self):
        return f"{self.head_name}（{self.address}）"

    @property
    def is_registered_poor(self) -> bool:
        return self.poverty_status in REGISTERED_POOR_STATUSES


class PovertyRegisterEntry(models.Model):
    """A household on one poverty register, as the register's latest imported list has it.

    A full list that no longer names the household does not take it off: `missing_since` holds
    that list's date and the household shows on the "left a register" list until staff
    confirm (`left_on`), which is when the household's status changes."""

    household = models.ForeignKey(
        Household,
        on_delete=models.CASCADE,
        related_name="register_entries",
        verbose_name=_("household"),
    )
    register = models.CharField(_("register"), max_length=20, choices=PovertyRegister.choices)
    number = models.CharField(_("number on the register"), max_length=40, blank=True)
    # None: the household's status was typed in without a date before any list was imported.
    listed_on = models.DateField(
        _("on the register since"), null=True, blank=True, validators=[validate_record_date]
    )
    missing_since = models.DateField(
        _("missing from the list of"), null=True, blank=True, validators=[validate_record_date]
    )
    left_on = models.DateField(
        _("left the register on"), null=True, blank=True, validators=[validate_record_date]
    )
    history = HistoricalRecords(user_db_constraint=False)

    objects = ScopedQuerySet.as_manager()
    scope_paths = {
        "prefecture": None,
        "county": "household__village__township__county",
        "township": "household__village__township",
        "village": "household__village",
        "school": "household__children__current_school",
    }

    class Meta:
        verbose_name = _("poverty register entry")
        verbose_name_plural = _("poverty register entries")
        ordering = ["household", "register"]
        constraints = [
            models.UniqueConstraint(
                fields=["household", "register"], name="enrollment_one_entry_per_reg"
            )
        ]
        indexes = [
            models.Index(fields=["register", "missing_since"], name="enrollment_reg_missing_idx")
        ]

    def __str__(self):
        return f"{self.household.head_name} · {self.get_register_display()}"


class EnrollmentStatus(models.TextChoices):
    IN_SCHOOL = "in_school", _("In school")
    SPECIAL_SCHOOL = "special_school", _("Special school")
    HOME_DELIVERED = "home_delivered", _("Home-delivered education")
    DEFERRED = "deferred", _("Deferred enrollment")
    SUSPENDED = "suspended", _("Suspended schooling")
    OUTSIDE_COUNTY = "outside_county", _("Studying outside the county")
    NOT_SCHOOL_AGE = "not_school_age", _("Not yet school age")
    UNVERIFIED = "unverified", _("Not yet verified")
    SUSPECTED_DROPOUT = "suspected_dropout", _("Suspected dropout")
    DROPPED_OUT = "dropped_out", _("Dropped out")
    NEVER_ENROLLED = "never_enrolled", _("Never enrolled")
    GRADUATED = "graduated", _("Completed compulsory education")
    MOVED_AWAY = "moved_away", _("Moved away")
    DECEASED = "deceased", _("Deceased")


S = EnrollmentStatus
# Receiving education (the enrollment-rate numerator). Outside-county study counts once verified.
ENROLLED_STATUSES = (S.IN_SCHOOL, S.SPECIAL_SCHOOL, S.HOME_DELIVERED, S.OUTSIDE_COUNTY, S.GRADUATED)
# Legal exemptions: excluded from the rate's denominator.
EXEMPTED_STATUSES = (S.DEFERRED, S.SUSPENDED)
# No longer a resident child of the county: outside the school-age population.
DEPARTED_STATUSES = (S.MOVED_AWAY, S.DECEASED)
# Statuses that need a school on the roll.
ON_ROLL_STATUSES = (S.IN_SCHOOL, S.SPECIAL_SCHOOL, S.HOME_DELIVERED, S.SUSPECTED_DROPOUT)
# Whereabouts not established: on no roll and in no legal status (the household-visit list).
UNACCOUNTED_STATUSES = (S.UNVERIFIED, S.NEVER_ENROLLED, S.DROPPED_OUT)
# What makes a child one to watch (the ledger's focus groups): edited with the identity.
FOCUS_FLAG_FIELDS = (
    "is_left_behind",
    "is_disabled",
    "disability_category",
    "disability_grade",
    "is_orphan",
    "is_in_difficulty",
    "is_migrant",
)
# 涉案未成年人 (教基厅函〔2024〕15号): a focus group only the roles that handle the child's case
# may see or set (CASE_FLAG_ROLES); kept out of FOCUS_FLAG_FIELDS so that no list, export or
# API answer that shows the other flags shows this one without asking that rule.
CASE_FLAG_FIELD = "is_involved_in_case"
# Where a child is placed, on the child and on each status change alike.
PLACEMENT_FIELDS = (
    "grade",
    "class_name",
    "is_inclusive",
    "is_boarder",
    "outside_school_name",
    "outside_verified",
)
# The child's fields only a status change writes (with its history entry): read-only elsewhere.
STATUS_FIELDS = ("status", "status_since", "current_school", *PLACEMENT_FIELDS)


class Sex(models.TextChoices):
    MALE = "M", _("Male")
    FEMALE = "F", _("Female")


class Grade(models.IntegerChoices):
    G1 = 1, _("Grade 1")
    G2 = 2, _("Grade 2")
    G3 = 3, _("Grade 3")
    G4 = 4, _("Grade 4")
    G5 = 5, _("Grade 5")
    G6 = 6, _("Grade 6")
    G7 = 7, _("Grade 7 (junior 1)")
    G8 = 8, _("Grade 8 (junior 2)")
    G9 = 9, _("Grade 9 (junior 3)")
    G10 = 10, _("Senior 1")
    G11 = 11, _("Senior 2")
    G12 = 12, _("Senior 3")


class DisabilityCategory(models.TextChoices):
    VISUAL = "visual", _("Visual")
    HEARING = "hearing", _("Hearing")
    SPEECH = "speech", _("Speech")
    PHYSICAL = "physical", _("Physical")
    INTELLECTUAL = "intellectual", _("Intellectual")
    MENTAL = "mental", _("Mental")
    MULTIPLE = "multiple", _("Multiple")


class RosterStatus(models.TextChoices):
    """A pupil's status in the national student-status system (学籍), as its roster says."""

    ENROLLED = "enrolled", _("Enrolled (在籍)")
    SUSPENDED = "suspended", _("Suspended (休学)")
    TRANSFERRED_OUT = "transferred_out", _("Transferred out (转出)")
    DROPPED_OUT = "dropped_out", _("Left school (辍学)")
    GRADUATED = "graduated", _("Graduated (毕业)")
    DECEASED = "deceased", _("Deceased (死亡)")


# The product's statuses that agree with each roster status (else a mismatch to resolve).
ROSTER_STATUS_AGREES = {
    RosterStatus.ENROLLED: (S.IN_SCHOOL, S.SPECIAL_SCHOOL, S.HOME_DELIVERED, S.SUSPECTED_DROPOUT),
    RosterStatus.SUSPENDED: (S.SUSPENDED,),
    RosterStatus.TRANSFERRED_OUT: (S.MOVED_AWAY, S.OUTSIDE_COUNTY),
    RosterStatus.DROPPED_OUT: (S.DROPPED_OUT, S.SUSPECTED_DROPOUT),
    RosterStatus.GRADUATED: (S.GRADUATED,),
    RosterStatus.DECEASED: (S.DECEASED,),
}


class ChildQuerySet(ScopedQuerySet):
    def school_age_on(self, day: datetime.date):
        from .selectors import school_age_birth_range

        earliest, latest = school_age_birth_range(day)
        return self.filter(birth_date__gte=earliest, birth_date__lte=latest)


class Child(models.Model):
    resident_id = models.CharField(
        _("resident ID"), max_length=18, unique=True, null=True, blank=True
    )
    # 未落户: a child without household registration is recorded explicitly, never with a fake ID.
    has_no_resident_id = models.BooleanField(_("no household registration"), default=False)
    name = models.CharField(_("name"), max_length=50)
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices)
    birth_date = models.DateField(_("birth date"), db_index=True, validators=[validate_life_date])
    household = models.ForeignKey(
        Household, on_delete=models.PROTECT, related_name="children", verbose_name=_("household")
    )
    village = models.ForeignKey(
        Village,
        on_delete=models.PROTECT,
        related_name="children",
        verbose_name=_("village of residence"),
        db_index=False,  # led by the (village, status, birth_date) index below
    )
    guardian_name = models.CharField(_("guardian"), max_length=50)
    guardian_relation = models.CharField(_("relation to child"), max_length=20)
    guardian_phone = models.CharField(_("guardian phone"), max_length=20, blank=True)
    # 现住址 as the police household extract gives it (the household holds the registered one).
    current_address = models.CharField(_("current address"), max_length=200, blank=True)
    # The day a police household extract (派出所户籍花名册) first listed the child: the
    # cross-check lists IDs on a school roll that no police extract has listed.
    police_listed_on = models.DateField(
        _("first listed by the police extract"),
        null=True,
        blank=True,
        editable=False,
        validators=[validate_record_date],
    )

    is_left_behind = models.BooleanField(_("left-behind child"), default=False)
    is_disabled = models.BooleanField(_("disabled"), default=False)
    disability_category = models.CharField(
        _("disability category"), max_length=20, choices=DisabilityCategory.choices, blank=True
    )
    disability_grade = models.PositiveSmallIntegerField(
        _("disability grade"), null=True, blank=True, choices=[(i, str(i)) for i in range(1, 5)]
    )
    # 残疾人证号 (second generation): the resident ID, the category digit and the grade digit.
    # It holds the ID: shown like the ID (masked in lists and to roles that see masked IDs).
    disability_certificate_number = models.CharField(
        _("disability certificate number"),
        max_length=20,
        null=True,
        blank=True,
        editable=False,  # unique: see Meta.constraints
    )
    is_orphan = models.BooleanField(_("orphan or de-facto unsupported"), default=False)
    is_in_difficulty = models.BooleanField(_("child in difficulty"), default=False)
    is_migrant = models.BooleanField(_("migrant child"), default=False)
    is_involved_in_case = models.BooleanField(_("minor involved in a legal case"), default=False)

    # Current enrollment status: a copy of the latest EnrollmentStatusChange, kept by services.
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=EnrollmentStatus.choices,
        default=EnrollmentStatus.UNVERIFIED,
        editable=False,
    )
    status_since = models.DateField(
        _("status since"), null=True, editable=False, validators=[validate_record_date]
    )
    current_school = models.ForeignKey(
        School,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="pupils",
        editable=False,
        verbose_name=_("school"),
        db_index=False,  # led by the (current_school, status) index below
    )
    grade = models.PositiveSmallIntegerField(
        _("grade"), choices=Grade.choices, null=True, blank=True, editable=False
    )
    class_name = models.CharField(_("class"), max_length=20, blank=True, editable=False)
    is_inclusive = models.BooleanField(
        _("inclusive placement (随班就读)"), default=False, editable=False
    )
    is_boarder = models.BooleanField(_("boarder (寄宿生)"), default=False, editable=False)
    outside_school_name = models.CharField(
        _("school outside the county"), max_length=100, blank=True, editable=False
    )
    outside_verified = models.BooleanField(
        _("outside study verified"), default=False, editable=False
    )

    # The student-status roster (学籍), as of its last import: stored as given, compared with the
    # product's own status by the cross-check, never applied to it. A blank roster status: not on
    # the current roster; the school, grade, class and date then are those of the last listing.
    student_number = models.CharField(
        _("student number (学籍号)"),
        max_length=19,
        null=True,
        blank=True,
        editable=False,  # unique: see Meta.constraints
        validators=[validate_student_number],
    )
    roster_status = models.CharField(
        _("roster status"), max_length=20, choices=RosterStatus.choices, blank=True, editable=False
    )
    roster_school = models.ForeignKey(
        School,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="roster_pupils",
        editable=False,
        verbose_name=_("roster school"),
    )
    roster_grade = models.PositiveSmallIntegerField(
        _("roster grade"), choices=Grade.choices, null=True, blank=True, editable=False
    )
    roster_class = models.CharField(_("roster class"), max_length=20, blank=True, editable=False)
    roster_listed_on = models.DateField(
        _("on the roster since"), null=True, editable=False, validators=[validate_record_date]
    )

    created_at = models.DateTimeField(auto_now_add=True)
    # The history is read per child (by id) and by date; its copies of the child's other
    # indexes cost every write (an import writes 70,000 history rows) and serve no query.
    # Who made each change: checked by Django, not per row (see Household.history).
    history = HistoricalRecords(
        no_db_index=[
            "resident_id",
            "birth_date",
            "household",
            "current_school",
            "village",
            "student_number",
            "roster_school",
            "disability_certificate_number",
        ],
        user_db_constraint=False,
    )

    objects = ChildQuerySet.as_manager()
    scope_paths = {
        "prefecture": None,
        "county": "village__township__county",
        "township": "village__township",
        "village": "village",
        "school": "current_school",
    }

    class Meta:
        verbose_name = _("child")
        verbose_name_plural = _("children")
        ordering = ["village", "name", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(has_no_resident_id=True, resident_id__isnull=True)
                | Q(has_no_resident_id=False, resident_id__isnull=False),
                name="child_has_id_or_is_flagged_unregistered",
            ),
            models.CheckConstraint(
                condition=Q(disability_grade__isnull=True) | Q(is_disabled=True),
                name="child_disability_grade_only_if_disabled",
            ),
            models.CheckConstraint(
                condition=Q(disability_certificate_number__isnull=True) | Q(is_disabled=True),
                name="child_disability_certificate_only_if_disabled",
            ),
            # Unique as constraints, not `unique=True`: on PostgreSQL that adds a second, LIKE
            # index no query uses, and every write of a child that cannot update in place (a new
            # child, a new 学籍号) adds an entry to each of the child's indexes.
            models.UniqueConstraint(
                fields=["student_number"], name="enrollment_child_student_number_key"
            ),
            models.UniqueConstraint(
                fields=["disability_certificate_number"],
                name="enrollment_child_disability_certificate_number_key",
            ),
        ]
        indexes = [
            models.Index(fields=["village", "status", "birth_date"]),
            models.Index(fields=["current_school", "status"]),
            # A plain index: db_index on a CharField adds a LIKE index no query uses.
            models.Index(fields=["status"], name="enrollment_child_status_idx"),
            # 涉案未成年人 are a few hundred of a county's 150,000 children: the overview counts
            # them from this small partial index instead of reading every child.
            models.Index(
                fields=["village"],
                condition=models.Q(is_involved_in_case=True),
                name="enrollment_child_case_idx",
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def masked_resident_id(self) -> str:
        return mask_resident_id(self.resident_id)

    @property
    def masked_disability_certificate_number(self) -> str:
        return mask_resident_id(self.disability_certificate_number)

    @property
    def masked_guardian_phone(self) -> str:
        return mask_phone(self.guardian_phone)

    @property
    def is_registered_poor(self) -> bool:
        return self.household.is_registered_poor


class EnrollmentStatusChange(models.Model):
    """One dated entry in a child's status history; the ledger of any past day is rebuilt from
    the latest entry effective on or before that day."""

    child = models.ForeignKey(
        Child,
        on_delete=models.CASCADE,
        related_name="status_changes",
        verbose_name=_("child"),
        db_index=False,  # led by the (child, effective_date, id) index below
    )
    status = models.CharField(_("status"), max_length=20, choices=EnrollmentStatus.choices)
    effective_date = models.DateField(_("effective date"), validators=[validate_record_date])
    school = models.ForeignKey(
        School,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("school"),
    )
    grade = models.PositiveSmallIntegerField(
        _("grade"), choices=Grade.choices, null=True, blank=True
    )
    class_name = models.CharField(_("class"), max_length=20, blank=True)
    is_inclusive = models.BooleanField(_("inclusive placement (随班就读)"), default=False)
    is_boarder = models.BooleanField(_("boarder (寄宿生)"), default=False)
    outside_school_name = models.CharField(
        _("school outside the county"), max_length=100, blank=True
    )
    outside_verified = models.BooleanField(_("outside study verified"), default=False)
    reason = models.CharField(_("reason"), max_length=500)
    previous_status = models.CharField(
        _("previous status"), max_length=20, choices=EnrollmentStatus.choices, blank=True
    )
    # PROTECT is Django's: one recorder per status entry, and an import records 70,000 at
    # once; a database constraint would check the same user row for each (see
    # Household.history).
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        verbose_name=_("recorded by"),
        db_constraint=False,
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope_paths = {
        "prefecture": None,
        "county": "child__village__township__county",
        "township": "child__village__township",
        "village": "child__village",
        "school": "child__current_school",
    }

    class Meta:
        verbose_name = _("status change")
        verbose_name_plural = _("status changes")
        ordering = ["-effective_date", "-pk"]
        indexes = [models.Index(fields=["child", "effective_date", "id"])]

    def __str__(self):
        return f"{self.child} {self.get_status_display()} {self.effective_date}"


# The most teachers one household visit can name (a form's and the API's bound).
TEACHER_VISITORS_MAX = 50


class HouseholdVisit(models.Model):
    class Outcome(models.TextChoices):
        CONFIRMED_IN_SCHOOL = "confirmed_in_school", _("Confirmed in school")
        PERSUADED = "persuaded", _("Persuaded to return")
        REFUSED = "refused", _("Guardian refused")
        WORKING_AWAY = "working_away", _("Found working away from home")
        AT_HOME = "at_home", _("Found at home, not in school")
        MOVED_AWAY = "moved_away", _("Family moved away")
        NOT_FOUND = "not_found", _("Nobody found")
        OTHER = "other", _("Other")

    visit_date = models.DateField(_("visit date"), validators=[validate_record_date])
    household = models.ForeignKey(
        Household, on_delete=models.PROTECT, related_name="visits", verbose_name=_("household")
    )
    children = models.ManyToManyField(Child, related_name="visits", verbose_name=_("children"))
    visitors = models.CharField(
        _("visitors"),
        max_length=200,
        help_text=_("Names of the officials, cadres and teachers who went."),
    )
    # 千名教师进村入户: how many of the visitors were teachers (the annual summary sums them).
    teacher_visitors = models.PositiveSmallIntegerField(
        _("of whom teachers"),
        default=0,
        validators=[MaxValueValidator(TEACHER_VISITORS_MAX)],
    )
    findings = LongTextField(_("what was found"))
    outcome = models.CharField(_("outcome"), max_length=30, choices=Outcome.choices)
    follow_up = LongTextField(_("follow-up"), blank=True)
    attachment = models.FileField(_("photo or attachment"), upload_to="visits/%Y/%m/", blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    history = HistoricalRecords(m2m_fields=[children])

    objects = ScopedQuerySet.as_manager()
    scope_paths = {
        "prefecture": None,
        "county": "household__village__township__county",
        "township": "household__village__township",
        "village": "household__village",
        "school": "children__current_school",
    }

    class Meta:
        verbose_name = _("household visit")
        verbose_name_plural = _("household visits")
        ordering = ["-visit_date", "-pk"]

    def __str__(self):
        return f"{self.household.head_name} {self.visit_date}"


class HelpPairing(models.Model):
    """结对帮扶: the responsible person and written plan for one focus child (一生一策)."""

    class PartnerKind(models.TextChoices):
        TEACHER = "teacher", _("Teacher")
        CADRE = "cadre", _("Cadre")
        OTHER = "other", _("Other")

    child = models.ForeignKey(
        Child, on_delete=models.CASCADE, related_name="help_pairings", verbose_name=_("child")
    )
    partner_name = models.CharField(_("responsible person"), max_length=50)
    partner_kind = models.CharField(_("kind"), max_length=10, choices=PartnerKind.choices)
    partner_unit = models.CharField(_("unit"), max_length=100, blank=True)
    partner_phone = models.CharField(_("phone"), max_length=20, blank=True)
    # The partner unit of the county's catalogue, when the pairing names one (the text field
    # above stays: what was typed before the catalogue existed).
    unit = models.ForeignKey(
        "enrollment.PartnerUnit",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="pairings",
        verbose_name=_("partner unit"),
    )
    plan = LongTextField(_("help plan"))
    start_date = models.DateField(_("from"), validators=[validate_record_date])
    end_date = models.DateField(
        _("until"), null=True, blank=True, validators=[validate_record_date]
    )
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("assigned by"),
    )
    history = HistoricalRecords()

    objects = ScopedQuerySet.as_manager()
    scope_paths = {
        "prefecture": None,
        "county": "child__village__township__county",
        "township": "child__village__township",
        "village": "child__village",
        "school": "child__current_school",
    }

    class Meta:
        verbose_name = _("help pairing")
        verbose_name_plural = _("help pairings")
        ordering = ["-start_date", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["child"],
                condition=Q(end_date__isnull=True),
                name="one_open_help_pairing_per_child",
            ),
        ]

    def __str__(self):
        return f"{self.partner_name} → {self.child}"


SCOPE_KINDS = ("prefecture", "county", "township", "village", "school")


def _exactly_one_scope() -> Q:
    """One of the SCOPE_KINDS set, the others empty."""
    condition = None
    for kind in SCOPE_KINDS:
        one = Q(**{f"{other}__isnull": other != kind for other in SCOPE_KINDS})
        condition = one if condition is None else condition | one
    return condition


class RoleAssignment(models.Model):
    """A user holds a role within one scope: the county, a township, a village or a school."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="role_assignments",
        verbose_name=_("user"),
    )
    role = models.CharField(_("role"), max_length=30, choices=Role.choices)
    prefecture = models.ForeignKey(
        Prefecture,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("prefecture"),
    )
    county = models.ForeignKey(
        County,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("county"),
    )
    township = models.ForeignKey(
        Township,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("township"),
    )
    village = models.ForeignKey(
        Village,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("village"),
    )
    school = models.ForeignKey(
        School,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("school"),
    )
    # 职务: the post the user holds in this unit (副镇长, 教导主任, 督学…), printed beside their
    # name where people are introduced (the header, the users page, the people pickers).
    post = models.CharField(_("post"), max_length=40, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("role assignment")
        verbose_name_plural = _("role assignments")
        constraints = [
            # Exactly one scope per assignment.
            models.CheckConstraint(
                condition=_exactly_one_scope(),
                name="role_assignment_has_exactly_one_scope",
            ),
        ]

    def __str__(self):
        return f"{self.user} · {self.get_role_display()} · {self.scope_object}"

    @property
    def scope_kind(self) -> str:
        for kind in SCOPE_KINDS:
            if getattr(self, f"{kind}_id"):
                return kind
        return ""

    @property
    def scope_object(self):
        return getattr(self, self.scope_kind, None) if self.scope_kind else None


class RollEntryQuerySet(ScopedQuerySet):
    pass


class RollEntry(models.Model):
    """One pupil on a school's latest imported roll (学籍名单), as the school sent it.

    The roll import replaces a school's entries with the file's, so the entries are the rolls as
    they stand: the cross-check finds IDs on two schools' rolls, pupils living outside the
    school's township and IDs that no police extract lists. The registry's status (in school,
    which school) is set from the roll by the import; the entry itself is the evidence. The
    import job keeps the file; each change of a child is in the child's history.
    """

    school = models.ForeignKey(
        School, on_delete=models.CASCADE, related_name="roll_entries", verbose_name=_("school")
    )
    resident_id = models.CharField(_("resident ID"), max_length=18, db_index=True)
    name = models.CharField(_("name"), max_length=50)
    grade = models.PositiveSmallIntegerField(_("grade"), choices=Grade.choices)
    class_name = models.CharField(_("class"), max_length=20, blank=True)
    entry_date = models.DateField(_("entry date"), validators=[validate_record_date])
    is_boarder = models.BooleanField(_("boarder (寄宿生)"), default=False)
    is_inclusive = models.BooleanField(_("inclusive placement (随班就读)"), default=False)
    child = models.ForeignKey(
        Child,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="roll_entries",
        verbose_name=_("child"),
    )
    import_job = models.ForeignKey(
        "core.ImportJob",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("import"),
    )
    listed_on = models.DateField(_("roll imported on"), validators=[validate_record_date])

    objects = RollEntryQuerySet.as_manager()
    scope_paths = {
        "prefecture": None,
        "county": "school__township__county",
        "township": "school__township",
        "village": None,
        "school": "school",
    }

    class Meta:
        verbose_name = _("school roll entry")
        verbose_name_plural = _("school roll entries")
        ordering = ["school", "grade", "class_name", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["school", "resident_id"], name="one_roll_entry_per_school_and_id"
            ),
        ]

    def __str__(self):
        return f"{self.school} · {self.name}"

    @property
    def masked_resident_id(self) -> str:
        return mask_resident_id(self.resident_id)


# 帮扶单位 and 帮扶活动 live in their own module (this one is long); imported here so that
# Django registers them with the app.
from .crosscheck_models import MismatchResolution, QuarterlyRecheck  # noqa: E402, F401
from .help_models import HelpActivity, PartnerUnit  # noqa: E402, F401
