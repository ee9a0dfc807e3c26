"""家庭经济困难学生认定: application → school decision → public notice (公示) → filing, once per
school year and adjustable each term. Children of registered-poor, low-income (低保) and
destitute (特困) households, orphans and disabled children are pre-identified from the registry."""

import datetime

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from core.errors import DomainError, TransitionRefused
from core.services import require_role, saved_by, today
from enrollment.models import REGISTERED_POOR_STATUSES, Child, EnrollmentStatus, PovertyStatus

from ..models import DifficultyIdentification, DifficultyLevel
from ..roles import IDENTIFY_ROLES

I = DifficultyIdentification  # noqa: E741
S = I.Status
LEVEL_VALUES = (DifficultyLevel.SPECIAL, DifficultyLevel.DIFFICULT, DifficultyLevel.GENERAL)


def pre_identified_level(poverty_status: str, *, is_orphan: bool, is_disabled: bool) -> tuple:
    """(level, basis) from household data, or (None, "") when the data say nothing."""
    if poverty_status == PovertyStatus.DESTITUTE:
        return DifficultyLevel.SPECIAL, "特困供养"
    if is_orphan:
        return DifficultyLevel.SPECIAL, "孤儿或事实无人抚养"
    if poverty_status in REGISTERED_POOR_STATUSES:
        return DifficultyLevel.DIFFICULT, "建档立卡/脱贫/监测户"
    if poverty_status == PovertyStatus.LOW_INCOME:
        return DifficultyLevel.DIFFICULT, "低保户"
    if is_disabled:
        return DifficultyLevel.DIFFICULT, "残疾学生"
    return None, ""


@transaction.atomic
def pre_identify(*, actor, school, school_year: int) -> int:
    """File an identification for every pupil of the school whom household data identify and
    who has none for the year; returns how many were added."""
    require_role(actor, school, IDENTIFY_ROLES)
    pupils = (
        Child.objects.filter(
            current_school=school,
            status__in=(
                EnrollmentStatus.IN_SCHOOL,
                EnrollmentStatus.SPECIAL_SCHOOL,
                EnrollmentStatus.HOME_DELIVERED,
            ),
        )
        .filter(
            Q(household__poverty_status__in=(*REGISTERED_POOR_STATUSES, "low_income", "destitute"))
            | Q(is_orphan=True)
            | Q(is_disabled=True)
        )
        .exclude(pk__in=I.objects.filter(school_year=school_year).values("child_id"))
        .values("pk", "household__poverty_status", "is_orphan", "is_disabled")
    )
    rows = []
    for pupil in pupils:
        level, basis = pre_identified_level(
            pupil["household__poverty_status"],
            is_orphan=pupil["is_orphan"],
            is_disabled=pupil["is_disabled"],
        )
        rows.append(
            I(
                child_id=pupil["pk"],
                school=school,
                school_year=school_year,
                source=I.Source.HOUSEHOLD_DATA,
                basis=basis,
                applied_level=level,
                level=level,
                status=S.FILED,
                decided_by=actor,
                filed_on=today(),
            )
        )
    I.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


@transaction.atomic
def apply(*, actor, child: Child, school_year: int, applied_level: str, basis: str) -> I:
    """The family's application (学生本人或监护人申请), recorded by the school."""
    require_role(actor, child, IDENTIFY_ROLES)
    if child.current_school_id is None:
        raise DomainError(_("The child is on no school roll."), field="child")
    if applied_level not in LEVEL_VALUES:
        raise DomainError(_("Choose the level applied for."), field="applied_level")
    if not (basis or "").strip():
        raise DomainError(_("Describe the family's circumstances."), field="basis")
    identification = I(
        child=child,
        school_id=child.current_school_id,
        school_year=school_year,
        source=I.Source.APPLICATION,
        basis=basis.strip(),
        applied_level=applied_level,
        status=S.APPLIED,
    )
    try:
        with transaction.atomic():
            return saved_by(identification, actor)
    except IntegrityError as error:
        raise DomainError(
            _("The child already has an identification for this school year."), field="child"
        ) from error


def _locked(identification, states):
    identification = I.objects.select_for_update().get(pk=identification.pk)
    if identification.status not in states:
        raise TransitionRefused(
            _("This identification is %(status)s; that is not possible now.")
            % {"status": identification.get_status_display()}
        )
    return identification


@transaction.atomic
def decide(*, actor, identification: I, level: str) -> I:
    """The school's assessment group decides the level (or that the family is not in
    difficulty)."""
    identification = _locked(identification, (S.APPLIED, S.DECIDED))
    require_role(actor, identification, IDENTIFY_ROLES)
    if level not in DifficultyLevel.values:
        raise DomainError(_("Choose a level."), field="level")
    identification.level, identification.status = level, S.DECIDED
    identification.decided_by = actor
    return saved_by(identification, actor)


@transaction.atomic
def publish_notice(
    *, actor, school, school_year: int, notice_from: datetime.date, notice_until: datetime.date
) -> int:
    """Put every decided identification of the school and year on public notice (公示)."""
    require_role(actor, school, IDENTIFY_ROLES)
    if notice_until < notice_from:
        raise DomainError(_("The notice ends before it starts."), field="notice_until")
    if (notice_until - notice_from).days < 4:
        raise DomainError(_("A public notice lasts five days at least."), field="notice_until")
    pending = I.objects.select_for_update().filter(
        school=school, school_year=school_year, status=S.DECIDED
    )
    count = pending.update(status=S.PUBLICISED, notice_from=notice_from, notice_until=notice_until)
    if not count:
        raise TransitionRefused(_("No decided identification waits for a public notice."))
    return count


@transaction.atomic
def file_identifications(*, actor, school, school_year: int) -> int:
    """File (备案) the identifications whose public notice is over."""
    require_role(actor, school, IDENTIFY_ROLES)
    ready = I.objects.select_for_update().filter(
        school=school, school_year=school_year, status=S.PUBLICISED, notice_until__lt=today()
    )
    count = ready.update(status=S.FILED, filed_on=today())
    if not count:
        raise TransitionRefused(_("No public notice has ended yet."))
    return count


@transaction.atomic
def adjust_level(*, actor, identification: I, level: str, reason: str) -> I:
    """A term's adjustment of a filed level (动态调整); the history keeps the earlier one."""
    identification = _locked(identification, (S.FILED,))
    require_role(actor, identification, IDENTIFY_ROLES)
    if level not in DifficultyLevel.values:
        raise DomainError(_("Choose a level."), field="level")
    if not (reason or "").strip():
        raise DomainError(_("Record the reason for the adjustment."), field="reason")
    identification.level = level
    identification._change_reason = reason.strip()
    return saved_by(identification, actor)
