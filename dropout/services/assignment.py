"""Who carries a case (承办人) and who answers for it (包保责任人, 七长责任制): named users with a
role in the case's scope, changed only here, each change recorded on the case's timeline."""

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from core.errors import DomainError
from core.people import person_name
from core.services import saved_by
from enrollment.roles import Role

from ..models import DropoutCase
from ..transitions import CASE_TRANSITIONS
from .cases import event, locked_case

COUNTY_ROLES = (Role.COUNTY_ADMIN, Role.BUREAU_STAFF)


def handler_candidates(case: DropoutCase) -> QuerySet:
    """Who may carry the case: the township's officials and the county bureau's staff."""
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(
            Q(
                role_assignments__role=Role.TOWNSHIP_OFFICIAL,
                role_assignments__township_id=case.township_id,
            )
            | Q(
                role_assignments__role__in=COUNTY_ROLES,
                role_assignments__county_id=case.township.county_id,
            )
        )
        .distinct()
        .order_by("last_name", "first_name", "username")
    )


def guarantor_candidates(case: DropoutCase) -> QuerySet:
    """Who may answer for the case: the township's and county's officials above, the child's
    village cadres and the last school's staff (the seven heads' chain)."""
    place = Q(
        role_assignments__role=Role.TOWNSHIP_OFFICIAL,
        role_assignments__township_id=case.township_id,
    ) | Q(
        role_assignments__role__in=COUNTY_ROLES,
        role_assignments__county_id=case.township.county_id,
    )
    place |= Q(
        role_assignments__role=Role.VILLAGE_CADRE,
        role_assignments__village_id=case.child.village_id,
    )
    if case.school_id:
        place |= Q(
            role_assignments__role=Role.SCHOOL_STAFF, role_assignments__school_id=case.school_id
        )
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(place)
        .distinct()
        .order_by("last_name", "first_name", "username")
    )


def _names(users) -> str:
    return "、".join(sorted(person_name(user) for user in users)) or "—"


def reassign_case(*, actor, case: DropoutCase, handler, guarantors, note: str = "") -> DropoutCase:
    """Name the case's handler and responsible persons; refused for anyone outside the case's
    scope. The timeline records who changed what from whom to whom."""
    guarantors = list(guarantors)
    with transaction.atomic():
        case = locked_case(case)
        CASE_TRANSITIONS.require(case, "reassign", actor)
        if handler is None or not handler_candidates(case).filter(pk=handler.pk).exists():
            raise DomainError(
                _("The handler must be an official of the case's township or the bureau."),
                field="handler",
            )
        allowed = set(
            guarantor_candidates(case)
            .filter(pk__in=[user.pk for user in guarantors])
            .values_list("pk", flat=True)
        )
        if any(user.pk not in allowed for user in guarantors):
            raise DomainError(
                _(
                    "Each responsible person must hold a role in the case's township, village, "
                    "school or the bureau."
                ),
                field="guarantors",
            )
        before_handler, before_guarantors = case.handler, list(case.guarantors.all())
        if before_handler == handler and set(before_guarantors) == set(guarantors):
            raise DomainError(_("Nothing was changed."))
        case.handler = handler
        saved_by(case, actor)
        case.guarantors.set(guarantors)
        lines = []
        if before_handler != handler:
            lines.append(
                _("Handler: %(before)s → %(after)s")
                % {"before": person_name(before_handler) or "—", "after": person_name(handler)}
            )
        if set(before_guarantors) != set(guarantors):
            lines.append(
                _("Responsible persons: %(before)s → %(after)s")
                % {"before": _names(before_guarantors), "after": _names(guarantors)}
            )
        if note.strip():
            lines.append(note.strip())
        event(
            case, actor=actor, action="reassigned", from_status=case.status, note="\n".join(lines)
        )
    return case
