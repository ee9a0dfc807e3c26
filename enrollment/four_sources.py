"""四查三比对: the household register (police extract), the student-status roster (学籍), the
pupils actually in school and the poverty registers of a township, compared (教基厅函〔2024〕15号).

Each kind of mismatch is a list of children read through for_user(); a child leaves a list when
the data agree again (a visit led to a status change, a transfer, a corrected roster) or when the
township records a resolution note (`resolve_mismatch`). The poverty-register kind belongs to the
subsidies module, which the registry does not import: it registers a provider in
`enrollment.extensions.FOUR_SOURCE_PROVIDERS` giving its count and the link to its list.

The county confirms each township's lists once a quarter (季度复核, `confirm_quarter`), which
keeps the open counts at that moment.
"""

from __future__ import annotations

import datetime
from functools import reduce
from operator import or_

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import DomainError

from .crosscheck_models import MismatchKind, MismatchResolution, QuarterlyRecheck
from .extensions import FOUR_SOURCE_PROVIDERS
from .models import (
    DEPARTED_STATUSES,
    ON_ROLL_STATUSES,
    ROSTER_STATUS_AGREES,
    Child,
    County,
    EnrollmentStatus,
    RosterStatus,
    Township,
)
from .permissions import get_scoped_or_404, user_may
from .roles import Role

K = MismatchKind
S = EnrollmentStatus
# The kinds the registry lists itself (the poverty one comes from a provider).
CHILD_KINDS = (K.POLICE_NO_ROSTER, K.ROSTER_NOT_IN_SCHOOL, K.IN_SCHOOL_NO_POLICE, K.STATUS_DIFFERS)
RESOLVE_ROLES = frozenset({Role.COUNTY_ADMIN, Role.BUREAU_STAFF, Role.TOWNSHIP_OFFICIAL})
RECHECK_ROLES = frozenset({Role.COUNTY_ADMIN, Role.BUREAU_STAFF})
# No longer expected on a roster: departed, graduated, not yet of school age.
_OFF_ROSTER_STATUSES = (*DEPARTED_STATUSES, S.GRADUATED, S.NOT_SCHOOL_AGE)
# A roster status other than 在籍 that the registry's status does not share.
_STATUS_DIFFERS = reduce(
    or_,
    (
        Q(roster_status=roster) & ~Q(status__in=agrees)
        for roster, agrees in ROSTER_STATUS_AGREES.items()
        if roster != RosterStatus.ENROLLED
    ),
)


def _kind_filter(kind: str, day: datetime.date) -> Q:
    """Where a child of the place is on the kind's list (its place: see _place_filter)."""
    if kind == K.POLICE_NO_ROSTER:
        earliest, latest = _school_age(day)
        return (
            Q(police_listed_on__isnull=False, roster_status="")
            & ~Q(status__in=_OFF_ROSTER_STATUSES)
            & Q(birth_date__gte=earliest, birth_date__lte=latest)
        )
    if kind == K.ROSTER_NOT_IN_SCHOOL:
        return Q(roster_status=RosterStatus.ENROLLED) & ~Q(status__in=ON_ROLL_STATUSES)
    if kind == K.IN_SCHOOL_NO_POLICE:
        return Q(status__in=ON_ROLL_STATUSES, police_listed_on__isnull=True)
    if kind == K.STATUS_DIFFERS:
        return _STATUS_DIFFERS
    raise ValueError(kind)


def _school_age(day):
    from .selectors import school_age_birth_range

    return school_age_birth_range(day)


def _place_filter(kind: str, prefix: str, place_id: int) -> Q:
    """A roster list follows the roster's school (学籍 in the township); the others the child's
    registered residence."""
    if kind == K.ROSTER_NOT_IN_SCHOOL:
        return Q(**{f"roster_school__{prefix}": place_id})
    return Q(**{f"village__{prefix}": place_id})


def _unresolved(kind: str):
    return ~Exists(MismatchResolution.objects.filter(child=OuterRef("pk"), kind=kind))


def mismatches(user, township: Township, kind: str, day: datetime.date | None = None) -> QuerySet:
    """The township's children on the kind's list, within the user's scope, unresolved."""
    day = day or timezone.localdate()
    return (
        Child.objects.for_user(user)
        .filter(_place_filter(kind, "township", township.pk), _kind_filter(kind, day))
        .filter(_unresolved(kind))
        .select_related("village", "roster_school", "current_school")
        .order_by("village__code", "name", "pk")
    )


def township_counts(user, township: Township) -> dict[str, int]:
    """The open count of each kind in the township (the providers' kinds included)."""
    counts = {kind: mismatches(user, township, kind).count() for kind in CHILD_KINDS}
    for provider in FOUR_SOURCE_PROVIDERS:
        found = provider(user, township)
        if found is not None:
            counts[found.kind] = found.count
    return counts


def county_counts(user, county: County) -> dict[int, dict[str, int]]:
    """township pk -> kind -> open count, for the county's townships in the user's scope: one
    grouped query per kind (the providers count per township themselves)."""
    day = timezone.localdate()
    counts: dict[int, dict[str, int]] = {}
    for kind in CHILD_KINDS:
        path = "roster_school__township" if kind == K.ROSTER_NOT_IN_SCHOOL else "village__township"
        rows = (
            Child.objects.for_user(user)
            .filter(_place_filter(kind, "township__county", county.pk), _kind_filter(kind, day))
            .filter(_unresolved(kind))
            .order_by()
            .values(path)
            .annotate(n=Count("pk"))
            .values_list(path, "n")
        )
        for township_id, number in rows:
            counts.setdefault(township_id, {})[kind] = number
    return counts


def providers_for(user, township: Township) -> list:
    return [
        found
        for found in (provider(user, township) for provider in FOUR_SOURCE_PROVIDERS)
        if found is not None
    ]


# --- writes --------------------------------------------------------------------------------


def resolve_mismatch(*, actor, child_pk: int, kind: str, note: str) -> MismatchResolution:
    """A township's note on one mismatch of a child: who, when, why. 404 outside the actor's
    scope, 403 without a role that resolves, 409 (DomainError) when already resolved."""
    child = get_scoped_or_404(Child.objects.select_related("village__township"), actor, pk=child_pk)
    if not user_may(actor, Child.objects, RESOLVE_ROLES, child):
        raise PermissionDenied
    if kind not in CHILD_KINDS:
        raise DomainError(_("Not a kind of mismatch."))
    resolution = MismatchResolution(child=child, kind=kind, note=note.strip(), resolved_by=actor)
    resolution.full_clean(exclude=["resolved_by", "child"])
    try:
        with transaction.atomic():
            resolution.save()
    except IntegrityError:
        raise DomainError(_("This mismatch has been resolved already.")) from None
    return resolution


def current_quarter(day: datetime.date | None = None) -> tuple[int, int]:
    day = day or timezone.localdate()
    return day.year, (day.month - 1) // 3 + 1


def confirm_quarter(*, actor, township_pk: int, note: str = "") -> QuarterlyRecheck:
    """季度复核: the county confirms a township's lists for the current quarter, keeping the
    open counts of the moment. Only the county's administrators and bureau staff confirm."""
    township = get_scoped_or_404(Township.objects.select_related("county"), actor, pk=township_pk)
    if not user_may(actor, Township.objects, RECHECK_ROLES, township):
        raise PermissionDenied
    year, quarter = current_quarter()
    with transaction.atomic():
        Township.objects.select_for_update().filter(pk=township.pk).exists()
        if QuarterlyRecheck.objects.filter(township=township, year=year, quarter=quarter).exists():
            raise DomainError(
                _("%(township)s has been confirmed for this quarter already.")
                % {"township": township.name}
            )
        recheck = QuarterlyRecheck(
            township=township,
            year=year,
            quarter=quarter,
            confirmed_by=actor,
            counts={str(kind): n for kind, n in township_counts(actor, township).items()},
            note=note.strip(),
        )
        recheck.full_clean(exclude=["confirmed_by", "township"])
        recheck.save()
    return recheck
