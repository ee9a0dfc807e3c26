import django_tables2 as tables
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from .extensions import child_scores
from .models import REGISTERED_POOR_STATUSES, Child, EnrollmentStatus

STATUS_BADGE = {
    EnrollmentStatus.IN_SCHOOL: "success",
    EnrollmentStatus.SPECIAL_SCHOOL: "success",
    EnrollmentStatus.HOME_DELIVERED: "success",
    EnrollmentStatus.GRADUATED: "secondary",
    EnrollmentStatus.OUTSIDE_COUNTY: "info",
    EnrollmentStatus.DEFERRED: "info",
    EnrollmentStatus.SUSPENDED: "info",
    EnrollmentStatus.SUSPECTED_DROPOUT: "warning",
    EnrollmentStatus.DROPPED_OUT: "danger",
    EnrollmentStatus.NEVER_ENROLLED: "danger",
    EnrollmentStatus.UNVERIFIED: "warning",
}


def status_badge(status: str) -> str:
    label = EnrollmentStatus(status).label if status in EnrollmentStatus.values else status
    return format_html(
        '<span class="badge text-bg-{}">{}</span>', STATUS_BADGE.get(status, "light"), label
    )


def focus_badges(child) -> str:
    labels = []
    if child.household.poverty_status in REGISTERED_POOR_STATUSES:
        labels.append(_("Registered poor"))
    for flag, label in (
        ("is_left_behind", _("Left-behind")),
        ("is_disabled", _("Disabled")),
        ("is_orphan", _("Orphan")),
        ("is_in_difficulty", _("In difficulty")),
        ("is_migrant", _("Migrant")),
    ):
        if getattr(child, flag):
            labels.append(label)
    badges = format_html_join(
        " ",
        '<span class="badge rounded-pill text-bg-light border">{}</span>',
        ((label,) for label in labels),
    )
    # 涉案未成年人 from `case_flag` only (selectors.with_case_flag, or the child page's own
    # check): a child without that annotation shows nothing, whoever looks.
    if getattr(child, "case_flag", None):
        badges += format_html(
            ' <span class="badge rounded-pill text-bg-warning" data-case-flag="{}">{}</span>',
            child.pk,
            _("Involved in a legal case"),
        )
    return badges


def score_columns() -> list[tuple[str, tables.Column]]:
    """The ledger's columns of the modules' per-child scores (extensions.CHILD_SCORES), after
    the registry's own; their cells come from `score_cells`."""
    return [
        (score.annotation, tables.Column(verbose_name=score.label, orderable=False))
        for score in child_scores()
    ]


def score_cells(record) -> str:
    return format_html_join(
        "",
        "<td>{}</td>",
        ((score.badge(getattr(record, score.annotation, None)),) for score in child_scores()),
    )


class LedgerTable(tables.Table):
    """Columns, sorting and pagination of the ledgers; the rows are rendered by
    enrollment/partials/ledger_table.html (much cheaper than per-cell rendering)."""

    name = tables.Column(verbose_name=_("Name"), order_by=("name", "pk"))
    sex = tables.Column(verbose_name=_("Sex"))
    birth_date = tables.DateColumn(verbose_name=_("Birth date"), format="Y-m-d")
    resident_id = tables.Column(verbose_name=_("Resident ID"), orderable=False, empty_values=())
    village = tables.Column(
        verbose_name=_("Village"), accessor="village__name", order_by=("village__code",)
    )
    ledger_status = tables.Column(verbose_name=_("Status"))
    ledger_school_name = tables.Column(verbose_name=_("School"), default="—")
    ledger_grade = tables.Column(verbose_name=_("Grade"), default="—")
    focus = tables.Column(verbose_name=_("Focus group"), orderable=False, empty_values=())
    guardian_name = tables.Column(verbose_name=_("Guardian"))

    class Meta:
        model = Child
        fields = ()
        sequence = (
            "name",
            "sex",
            "birth_date",
            "resident_id",
            "village",
            "ledger_status",
            "ledger_school_name",
            "ledger_grade",
            "focus",
            "guardian_name",
        )
        order_by = ("village", "name")
