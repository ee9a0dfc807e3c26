"""The catalogue (资助项目): maintained by the bureau."""

from django.db import transaction
from django.utils.translation import gettext as _

from core.concurrency import check_and_bump
from core.errors import DomainError
from core.services import full_clean, saved_by
from enrollment.permissions import require_shared_catalogue_role

from ..models import Programme, Stage
from ..roles import CATALOGUE_ROLES

# What a programme pays, to whom and from which fund (its excluded programmes and its period
# of force aside): the form, the API and the service list the same terms.
TERMS_FIELDS = (
    "name",
    "report_label",
    "report_order",
    "stages",
    "unit",
    "standard_amount",
    "stage_amounts",
    "days_per_term",
    "all_pupils",
    "rural_only",
    "poverty_categories",
    "difficulty_levels",
    "includes_disabled",
    "includes_orphan",
    "boarding",
    "reduced_rate_percent",
    "reduced_rate_categories",
    "reduced_rate_disabled",
    "paid_to",
    "per_child",
    "checked_for_gaps",
    "funding_source",
    "source_note",
)
EDITABLE_FIELDS = (*TERMS_FIELDS, "active_from", "active_until")


def _validate(programme: Programme):
    full_clean(programme, exclude=["excludes"])
    stages = set(Stage.values)
    if not programme.stages or not set(programme.stages) <= stages:
        raise DomainError(_("Choose the stages the programme covers."), field="stages")
    if programme.active_until and programme.active_until < programme.active_from:
        raise DomainError(_("The programme ends before it starts."), field="active_until")
    if programme.standard_amount is None or programme.standard_amount < 0:
        raise DomainError(_("The standard amount cannot be negative."), field="standard_amount")
    if not programme.all_pupils and not (
        programme.poverty_categories
        or programme.difficulty_levels
        or programme.includes_disabled
        or programme.includes_orphan
    ):
        raise DomainError(
            _("Say who qualifies: every pupil, or poverty categories, levels or groups."),
            field="all_pupils",
        )


@transaction.atomic
def save_programme(
    *,
    actor,
    programme: Programme | None = None,
    excludes=None,
    version: int | None = None,
    **fields,
) -> Programme:
    """Create (programme=None) or change a programme of the catalogue. `version`: the one the
    editor's form (or API client) read; a change based on a stale one is refused."""
    require_shared_catalogue_role(actor, CATALOGUE_ROLES)
    if programme is None:
        programme = Programme(code=fields.pop("code", ""))
    else:
        programme = Programme.objects.select_for_update().get(pk=programme.pk)
        check_and_bump(programme, version)
        fields.pop("code", None)
    for name, value in fields.items():
        if name not in EDITABLE_FIELDS:
            raise DomainError(_("Unknown field."), field=name)
        setattr(programme, name, value)
    _validate(programme)
    saved_by(programme, actor)
    if excludes is not None:
        programme.excludes.set([other for other in excludes if other.pk != programme.pk])
    return programme
