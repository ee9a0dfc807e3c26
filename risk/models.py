"""The county's factor points, each child's current risk score with its explanation, the
backtest's figures per month and scope, and the runs that compute them."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.fields import LongTextField
from core.jobs import StepProgress
from enrollment.models import Child, County, Township
from enrollment.scoping import ScopedQuerySet

from .factors import FACTORS

COUNTY_ONLY = {"county": "county", "township": None, "village": None, "school": None}


class RiskWeight(models.Model):
    """The points one factor gives in one county (absent: the default in factors.py)."""

    county = models.ForeignKey(
        County, on_delete=models.CASCADE, related_name="+", verbose_name=_("county")
    )
    factor = models.CharField(
        _("factor"), max_length=30, choices=[(f.key, f.label) for f in FACTORS]
    )
    points = models.PositiveSmallIntegerField(
        _("points"), validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        verbose_name=_("changed by"),
    )
    updated_at = models.DateTimeField(_("changed at"), auto_now=True)

    objects = ScopedQuerySet.as_manager()
    # Everyone working in the county reads the points (the help page shows them).
    scope_paths = {
        "county": "county",
        "township": "county__townships",
        "village": "county__townships__villages",
        "school": "county__townships__schools",
    }

    class Meta:
        verbose_name = _("risk factor points")
        verbose_name_plural = _("risk factor points")
        ordering = ["county", "factor"]
        constraints = [
            models.UniqueConstraint(fields=["county", "factor"], name="one_weight_per_factor"),
        ]

    def __str__(self):
        return f"{self.county} {self.factor} {self.points}"


class RiskScore(models.Model):
    """A child's current score: the sum of its factors' points, with the factors listed
    ({key, label, points, detail}) so that nobody reads a number without its reasons."""

    child = models.OneToOneField(
        Child, on_delete=models.CASCADE, related_name="risk_score", verbose_name=_("child")
    )
    county = models.ForeignKey(
        County, on_delete=models.CASCADE, related_name="+", verbose_name=_("county")
    )
    score = models.PositiveSmallIntegerField(_("risk score"))
    computed_on = models.DateField(_("computed on"))
    factors = models.JSONField(_("factors"), default=list)
    # The factors' keys between spaces (" absence_30 overage "): the list's factor filter, the
    # same on every database (a JSON containment lookup is PostgreSQL's only).
    factor_keys = models.CharField(_("factor keys"), max_length=300, blank=True)

    objects = ScopedQuerySet.as_manager()
    # Through the child, as every other scope: `county` is the county the score was computed
    # in, which a child accepted by another county leaves before the nightly run.
    scope_paths = {
        "county": "child__village__township__county",
        "township": "child__village__township",
        "village": "child__village",
        "school": "child__current_school",
    }

    class Meta:
        verbose_name = _("risk score")
        verbose_name_plural = _("risk scores")
        ordering = ["-score", "child_id"]
        indexes = [models.Index(fields=["county", "-score"], name="risk_score_county_score")]

    def __str__(self):
        return f"{self.child_id} {self.score}"

    @property
    def is_high(self) -> bool:
        return self.score >= settings.RISK_HIGH_THRESHOLD

    @property
    def explanation(self) -> str:
        return explain(self.factors)


def explain(factors: list[dict]) -> str:
    """近30天缺课9天 +30；超龄2岁 +20 — the factors as one line."""
    return "；".join(f"{item['detail']} +{item['points']}" for item in factors)


class RiskBacktest(models.Model):
    """How well the scores as of a month's first day foresaw the next three months' new
    dropouts, for the county (township empty) or one township."""

    county = models.ForeignKey(
        County, on_delete=models.CASCADE, related_name="+", verbose_name=_("county")
    )
    township = models.ForeignKey(
        Township,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("township"),
    )
    month = models.DateField(_("month"))
    population = models.PositiveIntegerField(_("children scored"))
    dropouts = models.PositiveIntegerField(_("new dropouts in the next three months"))
    top5_flagged = models.PositiveIntegerField(_("flagged (top 5%)"))
    top5_hits = models.PositiveIntegerField(_("dropouts among the top 5%"))
    top10_flagged = models.PositiveIntegerField(_("flagged (top 10%)"))
    top10_hits = models.PositiveIntegerField(_("dropouts among the top 10%"))
    computed_at = models.DateTimeField(_("computed at"), auto_now=True)

    objects = ScopedQuerySet.as_manager()
    # The county's rows for county-scoped users; a township's rows for its officials too.
    scope_paths = {"county": "county", "township": "township", "village": None, "school": None}

    class Meta:
        verbose_name = _("risk backtest")
        verbose_name_plural = _("risk backtests")
        ordering = ["month", "township__code", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["county", "month"],
                condition=Q(township__isnull=True),
                name="one_county_backtest_per_month",
            ),
            models.UniqueConstraint(
                fields=["township", "month"],
                condition=Q(township__isnull=False),
                name="one_township_backtest_per_month",
            ),
        ]

    def __str__(self):
        return f"{self.county} {self.township or ''} {self.month:%Y-%m}"

    @staticmethod
    def _rate(part: int, whole: int):
        return round(100 * part / whole, 1) if whole else None

    @property
    def top5_recall(self):
        return self._rate(self.top5_hits, self.dropouts)

    @property
    def top10_recall(self):
        return self._rate(self.top10_hits, self.dropouts)

    @property
    def top5_precision(self):
        return self._rate(self.top5_hits, self.top5_flagged)

    @property
    def top10_precision(self):
        return self._rate(self.top10_hits, self.top10_flagged)


class RiskRun(StepProgress, models.Model):
    """One computation of a county's scores or backtest (scheduled or asked for), with its
    progress for the page that waits on it."""

    class Kind(models.TextChoices):
        SCORES = "scores", _("Risk scores")
        BACKTEST = "backtest", _("Backtest")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    county = models.ForeignKey(
        County, on_delete=models.PROTECT, related_name="+", verbose_name=_("county")
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
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
    steps_done = models.PositiveIntegerField(default=0, editable=False)
    steps_total = models.PositiveIntegerField(default=1, editable=False)
    error = LongTextField(_("error"), blank=True, editable=False)
    created_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, editable=False)

    objects = ScopedQuerySet.as_manager()
    scope_paths = COUNTY_ONLY

    class Meta:
        verbose_name = _("risk run")
        verbose_name_plural = _("risk runs")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.county} {self.kind} · {self.get_status_display()}"
