"""Machinery that knows no domain: export jobs (which double as the export log)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from knox.models import AbstractAuthToken
from knox.settings import CONSTANTS

from .fields import LongTextField


class ExportJob(models.Model):
    """One requested Excel export: who, what, which filters, how many rows, and the file."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        RUNNING = "running", _("Running")
        DONE = "done", _("Ready")
        FAILED = "failed", _("Failed")

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="export_jobs",
        verbose_name=_("requested by"),
    )
    exporter = models.CharField(_("export"), max_length=50)
    title = models.CharField(_("title"), max_length=200)
    params = models.JSONField(_("filters"), default=dict)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=Status.choices,
        default=Status.PENDING,
        editable=False,
        db_index=True,
    )
    total_rows = models.PositiveIntegerField(_("rows to write"), null=True, editable=False)
    rows_written = models.PositiveIntegerField(_("rows written"), default=0, editable=False)
    file = models.FileField(_("file"), upload_to="exports/%Y/%m/", blank=True, editable=False)
    error = LongTextField(_("error"), blank=True, editable=False)
    created_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, editable=False)

    class Meta:
        verbose_name = _("export")
        verbose_name_plural = _("exports")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return self.title

    @property
    def progress_percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        if not self.total_rows:
            return 0
        return min(99, int(100 * self.rows_written / self.total_rows))

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)


class DocumentSequence(models.Model):
    """The last number issued per issuer, kind and year: official document numbers are gapless
    because the row is locked while the next number is taken inside the issuing transaction."""

    issuer = models.CharField(_("issuer"), max_length=50)
    kind = models.CharField(_("kind"), max_length=30)
    year = models.PositiveSmallIntegerField(_("year"))
    last_number = models.PositiveIntegerField(_("last number"), default=0)

    class Meta:
        verbose_name = _("document number sequence")
        verbose_name_plural = _("document number sequences")
        constraints = [
            models.UniqueConstraint(
                fields=["issuer", "kind", "year"], name="one_sequence_per_issuer_kind_year"
            ),
        ]

    def __str__(self):
        return f"{self.issuer} {self.kind} {self.year}: {self.last_number}"


class Notification(models.Model):
    """An in-app message to one user (a link to what needs attention)."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("recipient"),
    )
    message = models.CharField(_("message"), max_length=300)
    link = models.CharField(_("link"), max_length=300, blank=True)
    # Same key for the same event: a repeated daily job does not notify twice.
    key = models.CharField(_("key"), max_length=120, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "key"],
                condition=~models.Q(key=""),
                name="one_notification_per_recipient_and_key",
            ),
        ]
        indexes = [models.Index(fields=["recipient", "read_at"])]

    def __str__(self):
        return self.message


class ImportJob(models.Model):
    """One uploaded workbook and what became of it: the dry run's report, then the commit.
    Kept for good (the import log): file, importer, scope, who, when, counts."""

    class Status(models.TextChoices):
        CHECKING = "checking", _("Checking")
        CHECKED = "checked", _("Checked, ready to import")
        REJECTED = "rejected", _("Errors found, nothing imported")
        COMMITTING = "committing", _("Importing")
        COMMITTED = "committed", _("Imported")
        FAILED = "failed", _("Failed, nothing imported")

    importer = models.CharField(_("import"), max_length=50)
    title = models.CharField(_("title"), max_length=200)
    scope_key = models.CharField(_("scope"), max_length=50)
    scope_label = models.CharField(_("imported into"), max_length=200)
    file = models.FileField(_("file"), upload_to="imports/%Y/%m/")
    original_name = models.CharField(_("file name"), max_length=255)
    file_sha256 = models.CharField(_("SHA-256 of the file"), max_length=64, editable=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="import_jobs",
        verbose_name=_("uploaded by"),
    )
    committed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("imported by"),
    )
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=Status.choices,
        default=Status.CHECKING,
        editable=False,
        db_index=True,
    )
    rows_total = models.PositiveIntegerField(_("rows"), default=0, editable=False)
    rows_done = models.PositiveIntegerField(_("rows checked"), default=0, editable=False)
    rows_new = models.PositiveIntegerField(_("new"), default=0, editable=False)
    rows_changed = models.PositiveIntegerField(_("changed"), default=0, editable=False)
    rows_unchanged = models.PositiveIntegerField(_("unchanged"), default=0, editable=False)
    rows_error = models.PositiveIntegerField(_("rows with errors"), default=0, editable=False)
    # {"errors": [{row, column, value, message}], "rows": [{row, kind, label, changes, notes}],
    #  "errors_total": n, "rows_total": n} — capped so a page can show it.
    report = models.JSONField(_("report"), default=dict, editable=False)
    # The dry run's plan (gzipped JSON), reused by the commit when nothing changed since;
    # deleted once the job is committed or refused.
    plan_file = models.FileField(upload_to="imports/plans/", blank=True, editable=False)
    error = LongTextField(_("error"), blank=True, editable=False)
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    checked_at = models.DateTimeField(_("checked at"), null=True, editable=False)
    committed_at = models.DateTimeField(_("imported at"), null=True, editable=False)

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["importer", "scope_key", "status"])]

    def __str__(self):
        return f"{self.title} · {self.original_name}"

    @property
    def is_busy(self) -> bool:
        return self.status in (self.Status.CHECKING, self.Status.COMMITTING)

    @property
    def progress_percent(self) -> int:
        if self.status in (self.Status.CHECKED, self.Status.COMMITTED, self.Status.REJECTED):
            return 100
        if self.status == self.Status.COMMITTING:
            return 100
        if not self.rows_total:
            return 0
        return min(99, int(100 * self.rows_done / self.rows_total))


class AuditEvent(models.Model):
    """One audited action: who, when, what, result, from where. Rows are only ever added: the
    database refuses to change them or to delete them before the retention period is over, and
    each row carries the hash of the one before it so that a gap or an edit shows."""

    class Action(models.TextChoices):
        LOGIN = "login", _("Logged in")
        LOGIN_FAILED = "login_failed", _("Failed login")
        LOGOUT = "logout", _("Logged out")
        CREATE = "create", _("Created")
        UPDATE = "update", _("Changed")
        DELETE = "delete", _("Deleted")
        VIEW = "view", _("Viewed a full record")
        EXPORT = "export", _("Exported")
        IMPORT = "import", _("Imported")

    class Result(models.TextChoices):
        OK = "ok", _("Succeeded")
        DENIED = "denied", _("Refused")
        FAILED = "failed", _("Failed")

    at = models.DateTimeField(_("when"), db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,  # the row outlives the account
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("user"),
    )
    username = models.CharField(_("username"), max_length=150, blank=True, db_index=True)
    action = models.CharField(_("action"), max_length=20, choices=Action.choices, db_index=True)
    object_type = models.CharField(_("record type"), max_length=100, blank=True, db_index=True)
    object_id = models.CharField(_("record"), max_length=64, blank=True)
    object_repr = models.CharField(_("description"), max_length=200, blank=True)
    detail = models.JSONField(_("details"), default=dict, blank=True)
    result = models.CharField(_("result"), max_length=10, choices=Result.choices, default="ok")
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    previous_hash = models.CharField(max_length=64, editable=False)
    row_hash = models.CharField(max_length=64, editable=False, unique=True)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit log")
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.username} {self.get_action_display()}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("Audit events cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("Audit events cannot be deleted.")

    @property
    def detail_text(self) -> str:
        """The details for people: `fields: name, status; exporter: ledger`."""
        parts = []
        for key, value in self.detail.items():
            if isinstance(value, list | tuple):
                value = ", ".join(str(item) for item in value)
            parts.append(f"{key}: {value}")
        return "; ".join(parts)


class ApiToken(AbstractAuthToken):
    """An API token (django-rest-knox, ``KNOX_TOKEN_MODEL``): only a hash of the token is kept,
    the token itself is shown once, when it is issued. knox's own model keys rows by that hash;
    here a plain number is the key, so that links, forms and the audit log name a token without
    any part of its secret. ``token_key`` (knox's lookup prefix) is shown to its owner only."""

    id = models.BigAutoField(primary_key=True)
    digest = models.CharField(max_length=CONSTANTS.DIGEST_LENGTH, unique=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created"]

    def __str__(self):
        return f"API token #{self.pk} ({self.user})"

    @property
    def shown_prefix(self) -> str:
        """The first characters, for its owner to tell tokens apart (never enough to use one)."""
        return self.token_key[:8]

    @property
    def absolute_expiry(self):
        """When the token dies however busy it is (the idle expiry moves, this does not)."""
        from knox.settings import knox_settings

        limit = knox_settings.AUTO_REFRESH_MAX_TTL
        return self.created + limit if limit is not None and self.created else None


class IdempotencyKey(models.Model):
    """A one-time submission key of a create form, or an API client's `Idempotency-Key`: the
    first successful POST that carries it claims it (unique per user), a repeat gets that first
    answer back instead of creating the record again. Kept for IDEMPOTENCY_KEY_TTL seconds."""

    class Kind(models.TextChoices):
        FORM = "form", _("Form submission")
        API = "api", _("API request")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("user"),
    )
    key = models.CharField(_("key"), max_length=255)
    kind = models.CharField(_("kind"), max_length=4, choices=Kind.choices)
    # SHA-256 of method, path and body: the same key sent with another request is refused.
    fingerprint = models.CharField(_("request fingerprint"), max_length=64)
    status_code = models.PositiveSmallIntegerField(_("status code"), null=True)
    # The first answer: {"location": ...} of a form's redirect, or an API answer's JSON body,
    # content type and Location. Never a secret: the token endpoints are not covered.
    response = models.JSONField(_("first answer"), default=dict)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("idempotency key")
        verbose_name_plural = _("idempotency keys")
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="one_idempotency_key_per_user"),
        ]

    def __str__(self):
        return f"{self.kind} {self.created_at:%Y-%m-%d %H:%M}"
