"""Teacher records: registration, edits, transfers between schools, special-post conversion and
leaving. Each function checks the actor's role, validates, and writes in one transaction."""

import datetime

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from core.concurrency import check_and_bump
from core.errors import DomainError, TransitionRefused
from core.resident_id import ResidentIdError, parse_resident_id
from core.services import add_years, require_role, saved_by, today
from enrollment.models import School

from ..models import EmploymentRecord, PostType, Recruitment, Teacher
from ..roles import MANAGE_TEACHERS_ROLES

EDITABLE_FIELDS = (
    "name",
    "phone",
    "title",
    "post_type",
    "recruitment",
    "recruitment_year",
    "hire_date",
    "resident_id",
)


def _identity(resident_id: str, *, exclude_pk=None):
    try:
        parsed = parse_resident_id(resident_id)
    except ResidentIdError as error:
        raise DomainError(str(error), field="resident_id") from None
    clash = Teacher.objects.filter(resident_id=parsed.number)
    if exclude_pk:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        raise DomainError(
            _("A teacher with this resident ID is already registered."), field="resident_id"
        )
    return parsed


def _check_year_and_dates(*, recruitment_year: int, hire_date: datetime.date):
    current = today()
    if hire_date > current:
        raise DomainError(_("The hire date cannot be in the future."), field="hire_date")
    if not 1950 <= recruitment_year <= current.year:
        raise DomainError(
            _("The year recruited must be between 1950 and this year."), field="recruitment_year"
        )
    if recruitment_year > hire_date.year:
        raise DomainError(
            _("The year recruited cannot be after the hire date."), field="recruitment_year"
        )


@transaction.atomic
def register_teacher(
    *,
    actor,
    resident_id: str,
    name: str,
    school: School,
    post_type: str,
    recruitment: str,
    recruitment_year: int,
    hire_date: datetime.date,
    title: str = "none",
    phone: str = "",
    subjects=(),
    school_since: datetime.date | None = None,
    service_years: int | None = None,
) -> Teacher:
    require_role(actor, school, MANAGE_TEACHERS_ROLES)
    parsed = _identity(resident_id)
    name = (name or "").strip()
    if not name:
        raise DomainError(_("The name is required."), field="name")
    if post_type not in PostType.values:
        raise DomainError(_("Unknown post type."), field="post_type")
    if recruitment not in Recruitment.values:
        raise DomainError(_("Unknown way of recruitment."), field="recruitment")
    _check_year_and_dates(recruitment_year=recruitment_year, hire_date=hire_date)
    school_since = school_since or hire_date
    if school_since < hire_date:
        raise DomainError(
            _("A teacher cannot be at the school before being hired."), field="school_since"
        )
    teacher = Teacher(
        resident_id=parsed.number,
        name=name,
        sex=parsed.sex,
        birth_date=parsed.birth_date,
        phone=(phone or "").strip(),
        school=school,
        school_since=school_since,
        title=title,
        post_type=post_type,
        recruitment=recruitment,
        recruitment_year=recruitment_year,
        hire_date=hire_date,
    )
    if post_type == PostType.SPECIAL_POST:
        years = service_years or settings.SPECIAL_POST_SERVICE_YEARS
        if years < 1:
            raise DomainError(_("The service period is at least one year."), field="service_years")
        teacher.special_post_status = Teacher.SpecialPostStatus.SERVING
        teacher.service_years = years
        teacher.service_end = add_years(hire_date, years)
    teacher.full_clean(exclude=["subjects"])
    saved_by(teacher, actor)
    if subjects:
        teacher.subjects.set(subjects)
    EmploymentRecord.objects.create(
        teacher=teacher, school=school, post_type=post_type, start_date=school_since
    )
    return teacher


def _locked(teacher: Teacher) -> Teacher:
    return Teacher.objects.select_for_update().get(pk=teacher.pk)


@transaction.atomic
def update_teacher(
    *, actor, teacher: Teacher, subjects=None, version: int | None = None, **changes
) -> Teacher:
    """Edit a teacher's particulars. The school changes only by a transfer, a special-post
    teacher's post only by conversion. `version`: the one the editor's form (or API client)
    read; a stale one is refused and nothing is saved."""
    require_role(actor, teacher, MANAGE_TEACHERS_ROLES)
    teacher = _locked(teacher)
    check_and_bump(teacher, version)
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise DomainError(_("These fields cannot be edited here: %s") % ", ".join(sorted(unknown)))
    if "resident_id" in changes:
        parsed = _identity(changes["resident_id"], exclude_pk=teacher.pk)
        changes["resident_id"] = parsed.number
        changes["birth_date"], changes["sex"] = parsed.birth_date, parsed.sex
    new_post = changes.get("post_type", teacher.post_type)
    if new_post != teacher.post_type and PostType.SPECIAL_POST in (new_post, teacher.post_type):
        raise DomainError(
            _(
                "A special-post teacher's post changes only by conversion to a regular post, "
                "and a teacher becomes a special-post teacher only by registration."
            ),
            field="post_type",
        )
    if "name" in changes and not (changes["name"] or "").strip():
        raise DomainError(_("The name is required."), field="name")
    _check_year_and_dates(
        recruitment_year=changes.get("recruitment_year", teacher.recruitment_year),
        hire_date=changes.get("hire_date", teacher.hire_date),
    )
    post_changed = new_post != teacher.post_type
    for field, value in changes.items():
        setattr(teacher, field, value.strip() if isinstance(value, str) else value)
    teacher.full_clean(exclude=["subjects"])
    saved_by(teacher, actor)
    if subjects is not None:
        teacher.subjects.set(subjects)
    if post_changed:
        _new_employment(teacher, today(), note=_("Post type changed"))
    return teacher


def _new_employment(teacher: Teacher, start: datetime.date, *, note: str = ""):
    """Close the open employment record the day before `start` and open the teacher's current
    school and post from `start` (the same day: the open record is replaced)."""
    current = EmploymentRecord.objects.filter(teacher=teacher, end_date__isnull=True).first()
    if current is not None:
        if current.start_date >= start:
            current.delete()
        else:
            current.end_date = start - datetime.timedelta(days=1)
            current.save(update_fields=["end_date"])
    EmploymentRecord.objects.create(
        teacher=teacher,
        school=teacher.school,
        post_type=teacher.post_type,
        start_date=start,
        note=note,
    )


@transaction.atomic
def transfer_teacher(
    *, actor, teacher: Teacher, school: School, date: datetime.date, note: str = ""
) -> Teacher:
    """调动: the teacher's school of record changes from `date` (history kept)."""
    require_role(actor, teacher, MANAGE_TEACHERS_ROLES)
    require_role(actor, school, MANAGE_TEACHERS_ROLES)
    teacher = _locked(teacher)
    if teacher.status != Teacher.Status.ACTIVE:
        raise TransitionRefused(_("Only a teacher in service can be transferred."))
    if school.pk == teacher.school_id:
        raise DomainError(_("The teacher is already at this school."), field="school")
    if date <= teacher.school_since:
        raise DomainError(
            _("The transfer must be after the teacher came to the current school (%(day)s).")
            % {"day": teacher.school_since.isoformat()},
            field="date",
        )
    teacher.school, teacher.school_since = school, date
    saved_by(teacher, actor)
    _new_employment(teacher, date, note=note or _("Transfer"))
    return teacher


@transaction.atomic
def convert_special_post(
    *, actor, teacher: Teacher, converted_on: datetime.date, decision: str
) -> Teacher:
    """特岗转正: a special-post teacher due this year (or earlier) becomes a regular teacher."""
    require_role(actor, teacher, MANAGE_TEACHERS_ROLES)
    teacher = _locked(teacher)
    if teacher.special_post_status != Teacher.SpecialPostStatus.SERVING:
        raise TransitionRefused(_("Only a special-post teacher still serving can be converted."))
    if converted_on.year < teacher.service_end.year:
        raise TransitionRefused(
            _("The service period runs until %(day)s: conversion is due only in %(year)s.")
            % {"day": teacher.service_end.isoformat(), "year": teacher.service_end.year}
        )
    if converted_on > today():
        raise DomainError(_("The conversion date cannot be in the future."), field="converted_on")
    decision = (decision or "").strip()
    if not decision:
        raise DomainError(
            _("Record the conversion decision (document number or approval)."), field="decision"
        )
    teacher.special_post_status = Teacher.SpecialPostStatus.CONVERTED
    teacher.post_type = PostType.REGULAR
    # The post type is on the edit form: a form opened before the conversion is now stale.
    check_and_bump(teacher, None)
    teacher.converted_on, teacher.conversion_decision = converted_on, decision
    saved_by(teacher, actor)
    _new_employment(teacher, converted_on, note=_("Converted to a regular post"))
    return teacher


@transaction.atomic
def record_leaving(
    *, actor, teacher: Teacher, left_on: datetime.date, reason: str, retired: bool = False
) -> Teacher:
    """A teacher leaves (or retires); a serving special-post teacher who leaves is recorded as
    having left instead of converting."""
    require_role(actor, teacher, MANAGE_TEACHERS_ROLES)
    teacher = _locked(teacher)
    if teacher.status != Teacher.Status.ACTIVE:
        raise TransitionRefused(_("This teacher is no longer in service."))
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Give the reason for leaving."), field="reason")
    if left_on < teacher.school_since:
        raise DomainError(
            _("The leaving date is before the teacher came to the school."), field="left_on"
        )
    if left_on > today():
        raise DomainError(_("The leaving date cannot be in the future."), field="left_on")
    teacher.status = Teacher.Status.RETIRED if retired else Teacher.Status.LEFT
    teacher.left_on, teacher.leave_reason = left_on, reason
    if teacher.special_post_status == Teacher.SpecialPostStatus.SERVING:
        teacher.special_post_status = Teacher.SpecialPostStatus.LEFT
    saved_by(teacher, actor)
    EmploymentRecord.objects.filter(teacher=teacher, end_date__isnull=True).update(end_date=left_on)
    return teacher
