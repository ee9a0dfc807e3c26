"""Writes of the registry. Each validates, writes inside one transaction and records who did it."""

import datetime

from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from core.cache import bump_version
from core.errors import DomainError
from core.resident_id import ResidentIdError, parse_resident_id
from core.services import created_with, full_clean, saved_by, today

from .models import (
    CASE_FLAG_FIELD,
    FOCUS_FLAG_FIELDS,
    ON_ROLL_STATUSES,
    Child,
    County,
    EnrollmentStatus,
    EnrollmentStatusChange,
    HelpPairing,
    Household,
    HouseholdVisit,
    Prefecture,
    RoleAssignment,
    School,
    Township,
    Village,
)
from .permissions import sees_case_flag
from .roles import ROLE_SCOPE_KIND, Role
from .selectors import LEDGER_SUMMARY_CACHE
from .status_dates import status_change_date

S = EnrollmentStatus
# Set only by the exemption procedure (an approved request with an end date), never by hand.
EXEMPTION_ONLY_STATUSES = (S.DEFERRED, S.SUSPENDED)


@transaction.atomic
def register_household(
    *,
    actor,
    village,
    address: str,
    head_name: str,
    poverty_status: str = "none",
    poverty_registration_number: str = "",
    poverty_registered_on: datetime.date | None = None,
) -> Household:
    household = Household(
        village=village,
        address=address.strip(),
        head_name=head_name.strip(),
        poverty_status=poverty_status,
        poverty_registration_number=poverty_registration_number,
        poverty_registered_on=poverty_registered_on,
    )
    if poverty_status != "none" and not poverty_registration_number:
        raise DomainError(
            _("A poor household needs its registration number."),
            field="poverty_registration_number",
        )
    full_clean(household)
    return saved_by(household, actor)


def identity_from_id(
    raw_id: str, *, sex: str | None = None, birth_date: datetime.date | None = None
):
    """Validate an ID and check the sex and birth date a user typed against it."""
    try:
        parsed = parse_resident_id(raw_id, today=today())
    except ResidentIdError as error:
        raise DomainError(str(error), field="resident_id") from error
    if sex and sex != parsed.sex:
        raise DomainError(
            _("The sex digit (17th) of the ID says %(id_sex)s, but %(sex)s was entered.")
            % {"id_sex": _sex_label(parsed.sex), "sex": _sex_label(sex)},
            field="sex",
        )
    if birth_date and birth_date != parsed.birth_date:
        raise DomainError(
            _("The ID gives the birth date %(id_date)s, but %(date)s was entered.")
            % {"id_date": parsed.birth_date.isoformat(), "date": birth_date.isoformat()},
            field="birth_date",
        )
    return parsed


def _sex_label(sex: str) -> str:
    return _("male") if sex == "M" else _("female")


@transaction.atomic
def register_child(
    *,
    actor,
    household: Household,
    name: str,
    resident_id: str = "",
    has_no_resident_id: bool = False,
    sex: str = "",
    birth_date: datetime.date | None = None,
    guardian_name: str,
    guardian_relation: str,
    guardian_phone: str = "",
    flags: dict | None = None,
    is_involved_in_case: bool = False,
    status_reason: str = "",
) -> Child:
    """Register a child in the household's village; the first history entry says 'not verified'
    (or 'not yet school age') until a roll, a visit or a status change says otherwise."""
    if is_involved_in_case:
        _require_case_flag_role(actor, household)
    warnings = []
    if has_no_resident_id:
        if resident_id:
            raise DomainError(
                _(
                    "Either enter the resident ID or mark the child as having no "
                    "household registration, not both."
                ),
                field="resident_id",
            )
        if not sex or not birth_date:
            raise DomainError(
                _("Without a resident ID, sex and birth date must be entered."), field="birth_date"
            )
        number = None
    else:
        if not resident_id:
            raise DomainError(
                _("Enter the resident ID, or mark the child as having no household registration."),
                field="resident_id",
            )
        parsed = identity_from_id(resident_id, sex=sex or None, birth_date=birth_date)
        number, sex, birth_date, warnings = (
            parsed.number,
            parsed.sex,
            parsed.birth_date,
            parsed.warnings,
        )
        if Child.objects.filter(resident_id=number).exists():
            raise DomainError(
                _("A child with resident ID %(id)s is already registered.") % {"id": number},
                field="resident_id",
            )
    if birth_date > today():
        raise DomainError(_("The birth date is in the future."), field="birth_date")
    child = Child(
        household=household,
        village=household.village,
        name=name.strip(),
        resident_id=number,
        has_no_resident_id=has_no_resident_id,
        sex=sex,
        birth_date=birth_date,
        guardian_name=guardian_name.strip(),
        guardian_relation=guardian_relation.strip(),
        guardian_phone=guardian_phone.strip(),
        **(flags or {}),
        is_involved_in_case=is_involved_in_case,
    )
    full_clean(child, exclude=["status", "status_since"])
    saved_by(child, actor)
    from .selectors import age_on_reference

    initial = (
        S.NOT_SCHOOL_AGE
        if age_on_reference(birth_date, today()) < _school_age_min()
        else S.UNVERIFIED
    )
    _record_status(
        child=child,
        actor=actor,
        status=initial,
        effective_date=today(),
        reason=status_reason or _("Registered"),
    )
    child.registration_warnings = warnings
    return child


def _require_case_flag_role(actor, record) -> None:
    """涉案未成年人 is set only by a role that handles the case over the record (403)."""
    if actor is not None and not sees_case_flag(actor, record):
        raise PermissionDenied


def _school_age_min() -> int:
    from django.conf import settings

    return settings.SCHOOL_AGE_MIN


@transaction.atomic
def update_child(*, actor, child: Child, **changes) -> Child:
    """Edit identity, guardian and focus flags (status changes go through change_status)."""
    child = Child.objects.select_for_update().get(pk=child.pk)
    allowed = {
        "name",
        "guardian_name",
        "guardian_relation",
        "guardian_phone",
        *FOCUS_FLAG_FIELDS,
        CASE_FLAG_FIELD,
        "household",
    }
    unknown = set(changes) - allowed
    if unknown:
        raise DomainError(_("These fields cannot be changed here: %s") % ", ".join(sorted(unknown)))
    if CASE_FLAG_FIELD in changes:
        _require_case_flag_role(actor, child)
    for field, value in changes.items():
        setattr(child, field, value)
    if not child.is_disabled:
        child.disability_category, child.disability_grade = "", None
    child.village = child.household.village
    transaction.on_commit(lambda: bump_version(LEDGER_SUMMARY_CACHE))
    full_clean(child)
    return saved_by(child, actor)


def change_status(
    *,
    actor,
    child: Child,
    status: str,
    effective_date: datetime.date,
    reason: str,
    school=None,
    grade: int | None = None,
    class_name: str = "",
    is_inclusive: bool = False,
    is_boarder: bool | None = None,
    outside_school_name: str = "",
    outside_verified: bool = False,
) -> EnrollmentStatusChange:
    """Change a child's status by hand (forms, visits, API). Deferral and suspension are refused:
    they come only from an approved exemption request with an end date."""
    if status in EXEMPTION_ONLY_STATUSES:
        raise DomainError(
            _(
                "Deferred enrollment and suspension are set only by an approved "
                "exemption request, not by hand."
            ),
            field="status",
        )
    return _record_status(
        child=child,
        actor=actor,
        status=status,
        effective_date=effective_date,
        reason=reason,
        school=school,
        grade=grade,
        class_name=class_name,
        is_inclusive=is_inclusive,
        is_boarder=is_boarder,
        outside_school_name=outside_school_name,
        outside_verified=outside_verified,
    )


def set_status_by_procedure(
    *,
    actor,
    child: Child,
    status: str,
    effective_date: datetime.date,
    reason: str,
    school=None,
    grade: int | None = None,
    class_name: str = "",
    is_inclusive: bool = False,
    is_boarder: bool | None = None,
) -> EnrollmentStatusChange:
    """For the procedures of other apps (an approved exemption, a dropout case, an absence):
    any status, including deferral and suspension, with the same checks and history. The
    effective date is moved up to the last recorded change when it lies before it (the
    decision may be older than what the registry knows: see `status_change_date`)."""
    return _record_status(
        child=child,
        actor=actor,
        status=status,
        effective_date=effective_date,
        move_early=True,
        reason=reason,
        school=school,
        grade=grade,
        class_name=class_name,
        is_inclusive=is_inclusive,
        is_boarder=is_boarder,
    )


@transaction.atomic
def _record_status(
    *,
    child: Child,
    actor,
    status: str,
    effective_date: datetime.date,
    reason: str,
    school=None,
    grade=None,
    class_name: str = "",
    is_inclusive: bool = False,
    is_boarder: bool | None = None,
    outside_school_name: str = "",
    outside_verified: bool = False,
    move_early: bool = False,
) -> EnrollmentStatusChange:
    """`is_boarder=None` keeps the child's boarding as it is while it stays on a roll;
    `move_early` moves a date before the last recorded change up to it instead of refusing it."""
    child = Child.objects.select_for_update().get(pk=child.pk)
    if status not in S.values:
        raise DomainError(_("Unknown status: %s") % status, field="status")
    if not reason or not reason.strip():
        raise DomainError(_("Give the reason for the change."), field="reason")
    effective_date = status_change_date(
        requested=effective_date,
        birth_date=child.birth_date,
        last_change=child.status_since,
        today=today(),
        move_early=move_early,
    )
    if status in ON_ROLL_STATUSES:
        if school is None:
            raise DomainError(
                _("This status needs the school whose roll the child is on."), field="school"
            )
        if status == S.IN_SCHOOL and grade is None:
            raise DomainError(_("Give the grade."), field="grade")
        if school.township.county_id != child.village.township.county_id:
            raise DomainError(
                _(
                    "The school is not in the child's county; use 'studying "
                    "outside the county' instead."
                ),
                field="school",
            )
        if is_boarder is None:
            is_boarder = child.is_boarder
    else:
        school, grade, class_name, is_inclusive, is_boarder = None, None, "", False, False
    if status == S.OUTSIDE_COUNTY:
        if not outside_school_name.strip():
            raise DomainError(_("Name the school outside the county."), field="outside_school_name")
    else:
        outside_school_name, outside_verified = "", False
    unchanged = child.status_since is not None and (
        child.status == status
        and child.current_school_id == (school.pk if school else None)
        and child.grade == grade
        and child.class_name == class_name
        and child.is_inclusive == is_inclusive
        and child.is_boarder == is_boarder
        and child.outside_school_name == outside_school_name
        and child.outside_verified == outside_verified
    )
    if unchanged:
        raise DomainError(
            _("The child already has this status; nothing to change."), field="status"
        )
    change = EnrollmentStatusChange.objects.create(
        child=child,
        status=status,
        effective_date=effective_date,
        school=school,
        grade=grade,
        class_name=class_name,
        is_inclusive=is_inclusive,
        is_boarder=is_boarder,
        outside_school_name=outside_school_name,
        outside_verified=outside_verified,
        reason=reason.strip(),
        previous_status=child.status if child.status_since else "",
        recorded_by=actor,
    )
    transaction.on_commit(lambda: bump_version(LEDGER_SUMMARY_CACHE))
    child.status, child.status_since = status, effective_date
    child.current_school, child.grade, child.class_name = school, grade, class_name
    child.is_inclusive, child.is_boarder = is_inclusive, is_boarder
    child.outside_school_name, child.outside_verified = outside_school_name, outside_verified
    saved_by(child, actor)
    return change


@transaction.atomic
def record_visit(
    *,
    actor,
    household: Household,
    children: list[Child],
    visit_date: datetime.date,
    visitors: str,
    findings: str,
    outcome: str,
    follow_up: str = "",
    attachment=None,
    teacher_visitors: int = 0,
    new_status: str = "",
    status_reason: str = "",
    school=None,
    grade: int | None = None,
    class_name: str = "",
    outside_school_name: str = "",
) -> HouseholdVisit:
    """Record a household visit; when it establishes a new status (found working away → dropped
    out), the status changes with the visit as its reason, in the same transaction."""
    if not children:
        raise DomainError(
            _("Choose at least one child who was the subject of the visit."), field="children"
        )
    foreign = [child.name for child in children if child.household_id != household.pk]
    if foreign:
        raise DomainError(_("Not of this household: %s") % "、".join(foreign), field="children")
    if visit_date > today():
        raise DomainError(_("The visit date cannot be in the future."), field="visit_date")
    visit = HouseholdVisit(
        household=household,
        visit_date=visit_date,
        visitors=visitors.strip(),
        teacher_visitors=teacher_visitors or 0,
        findings=findings.strip(),
        outcome=outcome,
        follow_up=follow_up.strip(),
        recorded_by=actor,
    )
    if attachment:
        visit.attachment = attachment
    # The household is a record the caller read (its existence is not asked again).
    full_clean(visit, exclude=["recorded_by", "household"])
    # One change: one history row with its children, one audit entry.
    created_with(visit, actor, children=children)
    if new_status:
        reason = status_reason.strip() or _("Household visit of %(date)s: %(outcome)s") % {
            "date": visit_date.isoformat(),
            "outcome": visit.get_outcome_display(),
        }
        for child in children:
            change_status(
                actor=actor,
                child=child,
                status=new_status,
                effective_date=visit_date,
                reason=reason,
                school=school,
                grade=grade,
                class_name=class_name,
                outside_school_name=outside_school_name,
            )
    return visit


@transaction.atomic
def assign_help_partner(
    *,
    actor,
    child: Child,
    partner_name: str,
    partner_kind: str,
    plan: str,
    start_date: datetime.date,
    partner_unit: str = "",
    partner_phone: str = "",
    unit=None,
) -> HelpPairing:
    """One responsible person at a time: a new pairing ends the open one the day it starts."""
    Child.objects.select_for_update().get(pk=child.pk)
    if start_date > today():
        raise DomainError(_("The pairing cannot start in the future."), field="start_date")
    current = HelpPairing.objects.filter(child=child, end_date__isnull=True).first()
    if current:
        if start_date < current.start_date:
            raise DomainError(
                _("The new pairing must start on or after the current one (%(date)s).")
                % {"date": current.start_date.isoformat()},
                field="start_date",
            )
        current.end_date = start_date
        saved_by(current, actor)
    pairing = HelpPairing(
        child=child,
        partner_name=partner_name.strip(),
        partner_kind=partner_kind,
        partner_unit=partner_unit.strip(),
        partner_phone=partner_phone.strip(),
        unit=unit,
        plan=plan.strip(),
        start_date=start_date,
        assigned_by=actor,
    )
    if unit is not None and unit.county_id != child.village.township.county_id:
        raise DomainError(_("The partner unit is not of the child's county."), field="unit")
    full_clean(pairing)
    return saved_by(pairing, actor)


# Model permissions (used by the admin) of the county administrators' group.
COUNTY_ADMIN_PERMISSION_APPS = ("enrollment", "dropout", "core", "auth")


# Groups and permissions carry model permissions: only a superuser grants those (the county
# administrator manages users and their role assignments, whose groups follow the roles).
SUPERUSER_ONLY = (
    "add_group",
    "change_group",
    "delete_group",
    "add_permission",
    "change_permission",
    "delete_permission",
)

# Model permissions beyond the admin's: who reads the audit log (never writes it).
ROLE_PERMISSIONS = {Role.AUDITOR: ("view_auditevent",)}
NOBODY_WRITES = ("add_auditevent", "change_auditevent", "delete_auditevent")


def role_group(role: str) -> Group:
    """The Django group of a role; the county administrators' group may use the admin."""
    group, created = Group.objects.get_or_create(name=role)
    if created and role == Role.COUNTY_ADMIN:
        group.permissions.set(
            Permission.objects.filter(content_type__app_label__in=COUNTY_ADMIN_PERMISSION_APPS)
            .exclude(codename__in=NOBODY_WRITES)
            .exclude(codename__in=SUPERUSER_ONLY)
        )
    elif created and role in ROLE_PERMISSIONS:
        group.permissions.set(
            Permission.objects.filter(
                content_type__app_label="core", codename__in=ROLE_PERMISSIONS[role]
            )
        )
    return group


@transaction.atomic
def grant_role(*, user, role: str, place, post: str = "") -> RoleAssignment:
    """Give a user a role within a place of the kind the role needs; the Django group of the same
    name carries the model permissions the admin uses. `post`: the user's 职务 there (kept when
    not given)."""
    kind = ROLE_SCOPE_KIND[Role(role)]
    if place._meta.model_name != kind:
        expected = {
            "prefecture": Prefecture,
            "county": County,
            "township": Township,
            "village": Village,
            "school": School,
        }[kind]
        raise DomainError(
            _("The role %(role)s is scoped to a %(kind)s.")
            % {"role": Role(role).label, "kind": expected._meta.verbose_name}
        )
    assignment, _created = RoleAssignment.objects.get_or_create(
        user=user, role=role, **{kind: place}
    )
    post = post.strip()[:40]
    if post and assignment.post != post:
        assignment.post = post
        assignment.save(update_fields=["post"])
    user.groups.add(role_group(role))
    if role == Role.COUNTY_ADMIN and not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    user._cached_role_assignments = None
    return assignment


@transaction.atomic
def sync_role_groups(*, user, roles_before: set[str]) -> None:
    """After role assignments were edited in the admin: the user is in the group of each role
    held and leaves the group of each role given up (`roles_before` is what the user held
    before the edit; other groups are the superuser's business); a county administrator may
    use the admin, as grant_role() has it."""
    held = set(user.role_assignments.values_list("role", flat=True))
    user.groups.remove(*Group.objects.filter(name__in=set(roles_before) - held))
    user.groups.add(*(role_group(role) for role in sorted(held)))
    if Role.COUNTY_ADMIN in held and not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    user._cached_role_assignments = None
