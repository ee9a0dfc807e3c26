"""Exemption requests, absences, dropout cases with their escalation, and official documents."""

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.concurrency import version_field
from core.fields import LongTextField, validate_record_date
from core.jobs import StepProgress
from enrollment.models import Child, County, School, Township
from enrollment.scoping import ScopedQuerySet

CHILD_SCOPE = {
    "county": "child__village__township__county",
    "township": "child__village__township",
    "village": "child__village",
    "school": "child__current_school",
}


# --- exemptions ------------------------------------------------------------------------------


class ExemptionRequest(models.Model):
    """缓学/休学/免学申请: the guardian's written application, approved by the township and filed
    with the county bureau (义务教育法 Art. 11)."""

    class Kind(models.TextChoices):
        DEFERRED = "deferred", _("Deferred enrollment")
        SUSPENDED = "suspended", _("Suspension")
        HOME_DELIVERED = "home_delivered", _("Home-delivered education")
        SPECIAL_SCHOOL = "special_school", _("Special school")

    class Reason(models.TextChoices):
        ILLNESS = "illness", _("Illness")
        DISABILITY = "disability", _("Disability")
        OTHER = "other", _("Other special circumstance")

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("Awaiting township approval")
        TOWNSHIP_APPROVED = "township_approved", _("Approved by the township, awaiting filing")
        FILED = "filed", _("Filed with the county bureau")
        REJECTED = "rejected", _("Rejected")
        RETURNED = "returned", _("Returned for more evidence")

    child = models.ForeignKey(
        Child, on_delete=models.PROTECT, related_name="exemptions", verbose_name=_("child")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)
    reason_detail = LongTextField(_("circumstances"))
    start_date = models.DateField(_("from"), validators=[validate_record_date])
    end_date = models.DateField(_("until"), validators=[validate_record_date])
    school = models.ForeignKey(
        School,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("placement school"),
        help_text=_("For home-delivered education or a special school."),
    )
    application_scan = models.FileField(
        _("guardian's written application"), upload_to="exemptions/%Y/%m/"
    )
    evidence = models.FileField(
        _("evidence (medical certificate)"), upload_to="exemptions/%Y/%m/", blank=True
    )
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=Status.choices,
        default=Status.SUBMITTED,
        editable=False,
        db_index=True,
    )
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("registered by"),
    )
    registered_at = models.DateTimeField(_("registered at"), auto_now_add=True)
    # Set when the child is expected back and the township has been told (due-back list).
    due_back_notified_on = models.DateField(
        null=True, blank=True, editable=False, validators=[validate_record_date]
    )
    history = HistoricalRecords()

    objects = ScopedQuerySet.as_manager()
    scope_paths = CHILD_SCOPE

    class Meta:
        verbose_name = _("exemption request")
        verbose_name_plural = _("exemption requests")
        ordering = ["-registered_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gte=models.F("start_date")),
                name="exemption_ends_after_it_starts",
            ),
        ]

    def __str__(self):
        return f"{self.child} · {self.get_kind_display()}"


class ExemptionStep(models.Model):
    """Each decision on a request: who, when, from → to, why."""

    request = models.ForeignKey(ExemptionRequest, on_delete=models.CASCADE, related_name="steps")
    action = models.CharField(_("action"), max_length=20)
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20)
    note = LongTextField(_("note"), blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self):
        return f"{self.request_id} {self.action}"

    @property
    def action_label(self):
        return EXEMPTION_ACTION_LABELS.get(self.action, self.action)


# --- absences --------------------------------------------------------------------------------


class AbsenceReport(models.Model):
    """A school's report of a pupil's unexcused absence; the daily task moves the child to
    suspected dropout and then dropout while it stays open."""

    child = models.ForeignKey(
        Child, on_delete=models.PROTECT, related_name="absences", verbose_name=_("child")
    )
    school = models.ForeignKey(
        School, on_delete=models.PROTECT, related_name="+", verbose_name=_("school")
    )
    first_absent_on = models.DateField(_("absent since"), validators=[validate_record_date])
    reason_known = models.CharField(_("reason, if known"), max_length=200, blank=True)
    called_home_by = models.CharField(_("who called home"), max_length=100, blank=True)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("reported by"),
    )
    reported_at = models.DateTimeField(auto_now_add=True)
    returned_on = models.DateField(
        _("back in school on"),
        null=True,
        blank=True,
        editable=False,
        validators=[validate_record_date],
    )
    history = HistoricalRecords()

    objects = ScopedQuerySet.as_manager()
    scope_paths = CHILD_SCOPE | {"school": "school"}

    class Meta:
        verbose_name = _("absence report")
        verbose_name_plural = _("absence reports")
        ordering = ["-first_absent_on", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["child"],
                condition=Q(returned_on__isnull=True),
                name="one_open_absence_per_child",
            ),
        ]

    def __str__(self):
        return f"{self.child} · {self.first_absent_on}"


# --- dropout cases ---------------------------------------------------------------------------


class DropoutCase(models.Model):
    """失辍学案件: one per dropped-out child, from report to return or closure."""

    class Status(models.TextChoices):
        REPORTED = "reported", _("Reported")
        PERSUADING = "persuading", _("Persuading")
        NOTICE_ISSUED = "notice_issued", _("Notice to resume issued")
        PENALTY_DECIDED = "penalty_decided", _("Penalty decided")
        RETURNED = "returned", _("Returned to school")
        CLOSED = "closed", _("Closed")

    class Cause(models.TextChoices):
        LEARNING = "learning", _("Weariness of study or learning difficulty")
        WORK = "work", _("Went out to work")
        MARRIAGE = "marriage", _("Early marriage or childbirth")
        RELIGION = "religion", _("Religion")
        POVERTY = "poverty", _("Poverty")
        ILLNESS = "illness", _("Illness")
        DISTANCE = "distance", _("Distance from school")
        FAMILY = "family", _("Family reasons")
        OTHER = "other", _("Other")

    class CloseReason(models.TextChoices):
        MOVED_OUT = "moved_out", _("Verified move out of the county")
        AGED_OUT = "aged_out", _("Reached the end of compulsory-education age")
        EXEMPTED = "exempted", _("Approved exemption")
        DECEASED = "deceased", _("Death")

    OPEN_STATUSES = (
        Status.REPORTED,
        Status.PERSUADING,
        Status.NOTICE_ISSUED,
        Status.PENALTY_DECIDED,
    )

    child = models.ForeignKey(
        Child, on_delete=models.PROTECT, related_name="dropout_cases", verbose_name=_("child")
    )
    township = models.ForeignKey(
        Township, on_delete=models.PROTECT, related_name="+", verbose_name=_("township")
    )
    school = models.ForeignKey(
        School,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("last school"),
    )
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=Status.choices,
        default=Status.REPORTED,
        editable=False,
        db_index=True,
    )
    cause = models.CharField(_("reason for dropping out"), max_length=20, choices=Cause.choices)
    cause_detail = LongTextField(_("circumstances"), blank=True)
    # Kept as a note: before cases named real users, the responsible persons were free text.
    responsible_persons = LongTextField(
        _("note on the responsible persons"),
        blank=True,
        help_text=_("Free text from before the responsible persons were named users."),
    )
    # 承办人: the official who carries the case ("my cases"); the opener by default.
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="handled_dropout_cases",
        verbose_name=_("case handler (承办人)"),
    )
    # 包保责任人 (七长责任制): users with a role in the case's scope.
    guarantors = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="guaranteed_dropout_cases",
        verbose_name=_("responsible persons (包保责任人)"),
    )
    opened_on = models.DateField(_("opened on"), validators=[validate_record_date])
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("opened by"),
        help_text=_("Empty when the daily task opened it."),
    )
    last_action_on = models.DateField(
        _("last action on"), editable=False, validators=[validate_record_date]
    )
    returned_on = models.DateField(
        _("returned on"), null=True, blank=True, editable=False, validators=[validate_record_date]
    )
    consolidation_until = models.DateField(
        _("consolidation until"),
        null=True,
        blank=True,
        editable=False,
        validators=[validate_record_date],
    )
    struck_off_on = models.DateField(
        _("struck off on"), null=True, blank=True, editable=False, validators=[validate_record_date]
    )
    closed_on = models.DateField(
        _("closed on"), null=True, blank=True, editable=False, validators=[validate_record_date]
    )
    close_reason = models.CharField(
        _("reason for closing"),
        max_length=20,
        choices=CloseReason.choices,
        blank=True,
        editable=False,
    )
    close_evidence = LongTextField(_("evidence for closing"), blank=True, editable=False)
    version = version_field()
    history = HistoricalRecords()

    objects = ScopedQuerySet.as_manager()
    scope_paths = {
        "county": "township__county",
        "township": "township",
        "village": "child__village",
        "school": "school",
    }

    class Meta:
        verbose_name = _("dropout case")
        verbose_name_plural = _("dropout cases")
        ordering = ["-opened_on", "-pk"]
        constraints = [
            # One live case per child: open, or returned and still in its consolidation period.
            models.UniqueConstraint(
                fields=["child"],
                condition=Q(
                    status__in=["reported", "persuading", "notice_issued", "penalty_decided"]
                )
                | Q(status="returned", struck_off_on__isnull=True),
                name="one_live_dropout_case_per_child",
            ),
        ]
        indexes = [models.Index(fields=["township", "status"])]

    def __str__(self):
        return f"{self.child} · {self.get_status_display()}"

    def refresh_from_db(self, *args, **kwargs):
        super().refresh_from_db(*args, **kwargs)
        # What the transition table's checks looked up belongs to the state just left.
        self.__dict__.pop("_procedure_memo", None)

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES


CASE_ACTION_LABELS = {
    "opened": _("Case opened"),
    "reopened": _("Reopened"),
    "persuasion": _("Persuasion visit"),
    "notice_issued": _("Notice to resume schooling issued"),
    "penalty_decided": _("Penalty decision issued"),
    "decision_served": _("Penalty decision served"),
    "prior_notice": _("Prior notice of the penalty served"),
    "reply": _("Guardian's reply recorded"),
    "reply_reviewed": _("Guardian's statement reviewed"),
    "hearing_requested": _("Hearing requested"),
    "hearing_held": _("Hearing held"),
    "legal_review": _("Legal review"),
    "measure": _("Further measure"),
    "returned": _("Returned to school"),
    "closed": _("Closed"),
    "struck_off": _("Struck off after consolidation"),
    "edited": _("Details edited"),
    "document_corrected": _("Document corrected"),
    "reassigned": _("Handler or responsible persons changed"),
}
EXEMPTION_ACTION_LABELS = {
    "submit": _("Registered"),
    "approve": _("Approved by the township"),
    "file": _("Filed by the county bureau"),
    "reject": _("Rejected"),
    "return": _("Returned for more evidence"),
    "resubmit": _("Resubmitted"),
}


class CaseEvent(models.Model):
    """The case's timeline: every transition and action, dated and attributed."""

    case = models.ForeignKey(DropoutCase, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(_("action"), max_length=30)
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, blank=True)
    note = LongTextField(_("note"), blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self):
        return f"{self.case_id} {self.action}"

    @property
    def action_label(self):
        return CASE_ACTION_LABELS.get(self.action, self.action)

    @property
    def to_status_label(self):
        return DropoutCase.Status(self.to_status).label if self.to_status else ""


class Persuasion(models.Model):
    """劝返: one attempt to bring the child back."""

    class Result(models.TextChoices):
        REFUSED = "refused", _("Family refused")
        PROMISED = "promised", _("Promised to return, not yet back")
        NOT_MET = "not_met", _("Family not met")

    case = models.ForeignKey(DropoutCase, on_delete=models.CASCADE, related_name="persuasions")
    date = models.DateField(_("date"), validators=[validate_record_date])
    visitors = models.CharField(_("who went"), max_length=200)
    # 行政处罚法 Art. 42: a persuasion counts towards the notice only when two officials went.
    officers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="+", verbose_name=_("officers")
    )
    what_was_said = LongTextField(_("what was said"))
    family_answer = LongTextField(_("the family's answer"))
    result = models.CharField(_("result"), max_length=20, choices=Result.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["date", "pk"]

    def __str__(self):
        return f"{self.case_id} {self.date}"


class CaseMeasure(models.Model):
    """相应制约措施 after a penalty."""

    class Kind(models.TextChoices):
        DEMAND = "demand", _("Demand to comply (履行催告)")
        CIVIL_SUIT = "civil_suit", _("Civil suit against the guardian (监护人责任纠纷)")
        PROCURATORATE = "procuratorate", _("Procuratorate's guardianship order (督促监护令)")
        OTHER = "other", _("Other measure")

    case = models.ForeignKey(DropoutCase, on_delete=models.CASCADE, related_name="measures")
    kind = models.CharField(_("measure"), max_length=20, choices=Kind.choices)
    date = models.DateField(_("date"), validators=[validate_record_date])
    description = LongTextField(_("description"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["date", "pk"]

    def __str__(self):
        return f"{self.case_id} {self.get_kind_display()}"


# --- official documents ----------------------------------------------------------------------


def default_legal_review_kinds() -> list:
    # A fine is the penalty that most directly touches the guardian's rights (Art. 58).
    return ["fine"]


class CountyLegalTexts(models.Model):
    """The legal bases a county's documents cite: configured, never hard-coded (Art. 58 of the
    Compulsory Education Law only orders criticism and correction; a fine needs a provincial
    basis)."""

    county = models.OneToOneField(
        County, on_delete=models.CASCADE, related_name="legal_texts", verbose_name=_("county")
    )
    notice_legal_basis = LongTextField(_("legal basis of the notice to resume schooling"))
    penalty_legal_basis = LongTextField(_("legal basis of the penalty decision"))
    default_penalty = LongTextField(
        _("usual penalty"), help_text=_("Pre-filled in the decision form.")
    )
    review_authority = models.CharField(_("administrative review body"), max_length=100)
    court = models.CharField(_("court for litigation"), max_length=100)
    # 行政处罚法 Art. 63: a "larger fine" gives the right to a hearing; the province sets how
    # large, so the county enters it.
    hearing_fine_threshold = models.DecimalField(
        _("fines from this amount give the right to a hearing (yuan)"),
        max_digits=10,
        decimal_places=2,
        default=1000,
    )
    # Art. 58: the organ decides which penalties go through legal review (法制审核) first.
    legal_review_kinds = models.JSONField(
        _("penalty kinds that need legal review"),
        default=default_legal_review_kinds,
        blank=True,
        help_text=_("warning, criticism, fine"),
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("county legal texts")
        verbose_name_plural = _("county legal texts")

    def __str__(self):
        return str(self.county)


class OfficialDocument(models.Model):
    """An issued notice or decision: numbered, frozen (its text is a snapshot), voided only by a
    correcting document, with its service record (送达回证)."""

    class Kind(models.TextChoices):
        RESUME_NOTICE = "resume_notice", _("Notice to resume schooling by a deadline")
        PRIOR_NOTICE = "prior_notice", _("Prior notice of an administrative penalty")
        PENALTY_DECISION = "penalty_decision", _("Administrative penalty decision")

    class ServiceMethod(models.TextChoices):
        IN_PERSON = "in_person", _("In person (当面送达)")
        LEFT = "left", _("Left at the residence (留置送达)")
        POST = "post", _("By post (邮寄送达)")

    case = models.ForeignKey(DropoutCase, on_delete=models.PROTECT, related_name="documents")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    township = models.ForeignKey(Township, on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField(_("year"))
    sequence = models.PositiveIntegerField(_("number"))
    number = models.CharField(_("document number"), max_length=60, unique=True)
    issued_on = models.DateField(_("issued on"), validators=[validate_record_date])
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    deadline = models.DateField(
        _("deadline"), null=True, blank=True, validators=[validate_record_date]
    )
    content = models.JSONField(_("content"))  # the text as issued, rendered as it is
    # The service record (送达回证). Empty only while a penalty decision awaits service, which
    # 行政处罚法 Art. 61 wants within DECISION_SERVICE_DAYS of the decision.
    served_on = models.DateField(
        _("served on"), null=True, blank=True, validators=[validate_record_date]
    )
    served_to = models.CharField(_("served on (person)"), max_length=50, blank=True)
    service_method = models.CharField(
        _("service method"), max_length=20, choices=ServiceMethod.choices, blank=True
    )
    served_by = models.CharField(_("served by"), max_length=100, blank=True)
    service_place = models.CharField(_("place of service"), max_length=200, blank=True)
    voided_by = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="corrects",
        verbose_name=_("voided by"),
    )
    void_reason = LongTextField(_("why it was corrected"), blank=True)
    # 行政处罚法 Art. 42: the enforcement officers (at least two) who served it.
    officers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="+", verbose_name=_("officers")
    )

    objects = ScopedQuerySet.as_manager()
    scope_paths = {
        "county": "township__county",
        "township": "township",
        "village": "case__child__village",
        "school": "case__school",
    }

    class Meta:
        verbose_name = _("official document")
        verbose_name_plural = _("official documents")
        ordering = ["issued_on", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["township", "kind", "year", "sequence"],
                name="one_number_per_township_kind_year",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.number}"

    @property
    def service_due_on(self) -> datetime.date | None:
        """Art. 61: a penalty decision is served within DECISION_SERVICE_DAYS of the decision."""
        if self.kind != self.Kind.PENALTY_DECISION:
            return None
        return self.issued_on + datetime.timedelta(days=settings.DECISION_SERVICE_DAYS)

    @property
    def served_late(self) -> bool:
        due = self.service_due_on
        return bool(due and self.served_on and self.served_on > due)


# --- the administrative penalty procedure (行政处罚法 Art. 42-45, 58, 63-64) -------------------


class PenaltyKind(models.TextChoices):
    """The penalties a guardian may receive, lightest first (行政处罚法 Art. 9): the order is
    what "heavier" means when a decision is compared with its prior notice."""

    WARNING = "warning", _("Warning (警告)")
    CRITICISM = "criticism", _("Public criticism (通报批评)")
    FINE = "fine", _("Fine (罚款)")


PENALTY_SEVERITY = {kind: rank for rank, kind in enumerate(PenaltyKind.values)}


class EnforcementCredential(models.Model):
    """执法证号: an official's administrative enforcement credential, printed beside the
    officer's name on the documents they serve."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="enforcement_credential",
        verbose_name=_("official"),
    )
    number = models.CharField(_("enforcement credential number"), max_length=40, unique=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("enforcement credential")
        verbose_name_plural = _("enforcement credentials")

    def __str__(self):
        return f"{self.user} {self.number}"


class PriorNotice(models.Model):
    """行政处罚事先告知书 (Art. 44): the penalty the township proposes, and the guardian's
    windows to state a case, defend and (where the penalty qualifies) ask for a hearing. A new
    prior notice supersedes the previous one (the latest is the one in force)."""

    case = models.ForeignKey(DropoutCase, on_delete=models.PROTECT, related_name="prior_notices")
    document = models.OneToOneField(
        OfficialDocument, on_delete=models.PROTECT, related_name="prior_notice"
    )
    penalty_kind = models.CharField(
        _("proposed penalty"), max_length=20, choices=PenaltyKind.choices
    )
    fine_amount = models.DecimalField(
        _("fine (yuan)"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    proposed_penalty = LongTextField(_("proposed penalty (text)"))
    served_on = models.DateField(_("served on"), validators=[validate_record_date])
    reply_until = models.DateField(
        _("statement and defence until"), validators=[validate_record_date]
    )
    hearing_right = models.BooleanField(_("right to a hearing"), default=False)
    legal_review_required = models.BooleanField(_("legal review required"), default=False)

    class Meta:
        verbose_name = _("prior notice")
        verbose_name_plural = _("prior notices")
        ordering = ["served_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(fine_amount__isnull=True) | Q(fine_amount__gt=0),
                name="prior_notice_fine_positive",
            ),
        ]

    def __str__(self):
        return f"{self.case_id} {self.get_penalty_kind_display()}"


class GuardianReply(models.Model):
    """Being heard (Art. 45): the guardian's statement or defence, a written waiver, or a request
    for a hearing, with the organ's review of a statement."""

    class Kind(models.TextChoices):
        STATEMENT = "statement", _("Statement and defence (陈述申辩)")
        WAIVER = "waiver", _("Written waiver (书面放弃陈述申辩)")
        HEARING_REQUEST = "hearing_request", _("Request for a hearing (听证申请)")

    class Outcome(models.TextChoices):
        ACCEPTED = "accepted", _("Accepted")
        PARTLY = "partly", _("Partly accepted")
        REJECTED = "rejected", _("Not accepted")

    prior_notice = models.ForeignKey(PriorNotice, on_delete=models.PROTECT, related_name="replies")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    received_on = models.DateField(_("received on"), validators=[validate_record_date])
    text = LongTextField(_("what the guardian said"), blank=True)
    taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    attachment = models.FileField(_("attachment"), upload_to="penalties/%Y/%m/", blank=True)
    review = LongTextField(_("the organ's review"), blank=True)
    review_outcome = models.CharField(
        _("outcome of the review"), max_length=20, choices=Outcome.choices, blank=True
    )
    reviewed_on = models.DateField(
        _("reviewed on"), null=True, blank=True, validators=[validate_record_date]
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("guardian's reply")
        verbose_name_plural = _("guardian's replies")
        ordering = ["received_on", "pk"]

    def __str__(self):
        return f"{self.prior_notice_id} {self.get_kind_display()}"


class PenaltyHearing(models.Model):
    """听证 (Art. 64): held by an officer who did not investigate the case."""

    prior_notice = models.ForeignKey(PriorNotice, on_delete=models.PROTECT, related_name="hearings")
    held_on = models.DateField(_("held on"), validators=[validate_record_date])
    place = models.CharField(_("place"), max_length=200)
    presiding_officer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("presiding officer"),
    )
    participants = LongTextField(_("participants"))
    transcript = models.FileField(_("transcript"), upload_to="penalties/%Y/%m/")
    summary = LongTextField(_("summary"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("hearing")
        verbose_name_plural = _("hearings")
        ordering = ["held_on", "pk"]

    def __str__(self):
        return f"{self.prior_notice_id} {self.held_on}"


class LegalReview(models.Model):
    """法制审核 (Art. 58): the reviewer's opinion before the decision; the latest counts."""

    prior_notice = models.ForeignKey(
        PriorNotice, on_delete=models.PROTECT, related_name="legal_reviews"
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_on = models.DateField(_("reviewed on"), validators=[validate_record_date])
    opinion = LongTextField(_("opinion"))
    approved = models.BooleanField(_("approved"))

    class Meta:
        verbose_name = _("legal review")
        verbose_name_plural = _("legal reviews")
        ordering = ["reviewed_on", "pk"]

    def __str__(self):
        return f"{self.prior_notice_id} {self.reviewed_on}"


# --- monthly reports (失辍学儿童月报告) -----------------------------------------------------------


class MonthlyReport(models.Model):
    """A frozen snapshot of one month's dropout situation for a township or (township empty) the
    whole county: the figures, the workbook and the print page are all read from here."""

    county = models.ForeignKey(
        County, on_delete=models.PROTECT, related_name="+", verbose_name=_("county")
    )
    township = models.ForeignKey(
        Township,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("township"),
    )
    month = models.DateField(
        _("month"),
        help_text=_("The first day of the reported month."),
        validators=[validate_record_date],
    )
    figures = models.JSONField(_("figures"), default=dict, editable=False)
    workbook = models.FileField(_("workbook"), upload_to="reports/%Y/%m/", editable=False)
    generated_at = models.DateTimeField(_("generated at"), editable=False)
    generated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("generated by"),
        help_text=_("Empty when the monthly schedule generated it."),
    )
    # 审核: approval locks the month for this scope; its figures and workbook never change.
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True, editable=False)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approved by"),
        editable=False,
    )
    # The post-lock adjustments this report lists: changes found since approval in the
    # figures of an approved earlier month of the same scope (month, key, label, approved,
    # current, difference).
    adjustments = models.JSONField(_("post-lock adjustments"), default=list, editable=False)

    objects = ScopedQuerySet.as_manager()
    # The county's report is read by county-scoped users; a township's by its own users too.
    # Not the city bureau's: a report holds the named list of the children out of school (its
    # page and workbook show it); the city reads only the totals, through its Prefecture
    # (dropout.prefecture_views). The cases, exemptions and absences name children too.
    scope_paths = {
        "prefecture": None,
        "county": "county",
        "township": "township",
        "village": None,
        "school": None,
    }

    class Meta:
        verbose_name = _("monthly dropout report")
        verbose_name_plural = _("monthly dropout reports")
        ordering = ["-month", "township__code", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["county", "month"],
                condition=Q(township__isnull=True),
                name="one_county_report_per_month",
            ),
            models.UniqueConstraint(
                fields=["township", "month"],
                condition=Q(township__isnull=False),
                name="one_township_report_per_month",
            ),
        ]

    def __str__(self):
        return f"{self.scope_name} {self.month:%Y-%m}"

    @property
    def scope_name(self) -> str:
        return self.figures.get("scope_name", "")

    @property
    def approval_status(self) -> str:
        """The state the approval's transition table reads: "approved" (locked) or
        "generated"."""
        return "approved" if self.approved_at else "generated"


class ReportRun(StepProgress, models.Model):
    """One generation of a month's reports for a county (scheduled or asked for), with its
    progress for the page that waits on it."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    county = models.ForeignKey(
        County, on_delete=models.PROTECT, related_name="+", verbose_name=_("county")
    )
    month = models.DateField(_("month"), validators=[validate_record_date])
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("requested by"),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING, editable=False
    )
    steps_done = models.PositiveSmallIntegerField(default=0, editable=False)
    steps_total = models.PositiveSmallIntegerField(default=1, editable=False)
    error = LongTextField(_("error"), blank=True, editable=False)
    # What the run did not do and why (an approved month's reports are kept as approved).
    note = LongTextField(_("note"), blank=True, editable=False)
    created_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, editable=False)

    objects = ScopedQuerySet.as_manager()
    scope_paths = {"county": "county", "township": None, "village": None, "school": None}

    class Meta:
        verbose_name = _("report run")
        verbose_name_plural = _("report runs")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.county} {self.month:%Y-%m} · {self.get_status_display()}"
