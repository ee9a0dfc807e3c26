"""Permission to act (403) is checked separately from scope (404), both through for_user()."""

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from .roles import CASE_FLAG_ROLES, FULL_IDENTITY_ROLES
from .scoping import covers, role_assignments, user_roles


def get_scoped_or_404(queryset, user, **lookup):
    return get_object_or_404(queryset.for_user(user), **lookup)


def user_may(user, queryset, roles, obj) -> bool:
    """Whether one of the user's assignments with one of `roles` covers `obj`: decided in
    Python from the loaded object where the scope path allows, by a query otherwise."""
    if user.is_superuser:
        return True
    if not user.is_authenticated or not user.is_active:
        return False
    decided = covers(user, obj, roles)
    if decided is not None:
        return decided
    return queryset.for_user(user, roles=roles).filter(pk=obj.pk).exists()


def require(user, queryset, roles, obj):
    if not user_may(user, queryset, roles, obj):
        raise PermissionDenied


def has_any_role(user, roles) -> bool:
    return user.is_superuser or bool(user_roles(user) & set(roles))


def sees_full_identity(user, child) -> bool:
    from .models import Child

    return user_may(user, Child.objects, FULL_IDENTITY_ROLES, child)


def sees_case_flag(user, obj) -> bool:
    """Whether one of the user's CASE_FLAG_ROLES covers `obj` (a child, or a household for a
    child about to be registered): only then is 涉案未成年人 shown or set. A list asks the same
    rule per row in its query (selectors.with_case_flag)."""
    return user_may(user, type(obj).objects, CASE_FLAG_ROLES, obj)


def require_county_role(actor, county_id, roles) -> None:
    """For records of a county as a whole (a fund, a county-wide list): one of `roles` with
    that county as scope (403 otherwise). No actor is the system itself."""
    from .models import RoleAssignment

    if actor is None or actor.is_superuser:
        return
    if not RoleAssignment.objects.filter(
        user=actor, role__in=roles, county_id=county_id, user__is_active=True
    ).exists():
        raise PermissionDenied


# --- users and role assignments (the admin) ---------------------------------------------------
# Only a superuser grants superuser, staff or model permissions; a county administrator manages
# the users and role assignments of their own counties (DESIGN: Users).


def _in_counties(counties):
    from django.db.models import Q

    return (
        Q(county__in=counties)
        | Q(township__county__in=counties)
        | Q(village__township__county__in=counties)
        | Q(school__township__county__in=counties)
    )


def managed_assignments(user):
    """The role assignments a user may see and change: all for a superuser, those placed in the
    counties the user administers for a county administrator, none otherwise."""
    from .models import County, RoleAssignment
    from .roles import Role

    if user.is_superuser:
        return RoleAssignment.objects.all()
    counties = County.objects.for_user(user, roles=[Role.COUNTY_ADMIN]).values("pk")
    return RoleAssignment.objects.filter(_in_counties(counties))


def managed_users(user):
    """The users a user may see and change: every user for a superuser; for a county
    administrator, the users holding a role in their counties and none elsewhere (a user who
    also works in another county belongs to that county's administrator too), never a
    superuser. A user without any role is the superuser's to place."""
    from django.contrib.auth import get_user_model

    from .models import RoleAssignment

    users = get_user_model().objects.all()
    if user.is_superuser:
        return users
    inside = managed_assignments(user)
    outside = RoleAssignment.objects.exclude(pk__in=inside.values("pk"))
    return users.filter(is_superuser=False, pk__in=inside.values("user")).exclude(
        pk__in=outside.values("user")
    )


def may_edit_shared_catalogue(user, roles) -> bool:
    """A catalogue shared by every county of the installation (the subsidy programmes, the
    inspection areas) is changed only by someone who answers for all of them: a superuser, or
    a user holding one of `roles` with every county as scope. In the normal one-county
    installation that is the county's own staff; where a city bureau runs several counties,
    one county's staff cannot change what the others use."""
    from .models import County

    if user is None or user.is_superuser:
        return True
    if not user.is_authenticated or not user.is_active:
        return False
    mine = {a.county_id for a in role_assignments(user) if a.role in roles and a.county_id}
    return bool(mine) and not County.objects.exclude(pk__in=mine).exists()


def require_shared_catalogue_role(actor, roles) -> None:
    if not may_edit_shared_catalogue(actor, roles):
        raise PermissionDenied


def may_over(user, obj, roles) -> bool:
    """`user_may` over the record's own model: the role check of the transition tables."""
    return user_may(user, type(obj).objects, roles, obj)


def assignment_county_ids(user, *, roles=None) -> set[int]:
    """The ids of the counties the user's role assignments (only those with one of `roles`,
    when given) lie in; a city bureau's prefecture assignment names none."""
    county_ids = set()
    for assignment in role_assignments(user):
        if roles is not None and assignment.role not in roles:
            continue
        if assignment.county_id:
            county_ids.add(assignment.county_id)
        elif assignment.township_id:
            county_ids.add(assignment.township.county_id)
        elif assignment.village_id:
            county_ids.add(assignment.village.township.county_id)
        elif assignment.school_id:
            county_ids.add(assignment.school.township.county_id)
    return county_ids


def user_county(user, *, roles=None):
    """The county the user works in, computed once for every module: the county of the user's
    role assignments (only those with one of `roles`, when given). One installation normally
    serves one county; a user with assignments in several counties (a city bureau's staff)
    works in the one with the lowest division code — a fixed rule, so that two pages never
    disagree. A superuser without assignments works in the lowest-coded county. None: no
    county (the caller answers 403)."""
    from .models import County

    county_ids = assignment_county_ids(user, roles=roles)
    counties = County.objects.order_by("code")
    if county_ids:
        return counties.filter(pk__in=county_ids).first()
    return counties.first() if user.is_superuser else None


def managed_county(user, *, roles=None):
    """The county the user works in (user_county), for the county-wide recording pages and
    API: with `roles`, one of them must cover that whole county; no such county is a 403."""
    from .models import County

    county = user_county(user, roles=roles)
    if county is None:
        raise PermissionDenied
    if roles is not None and not user_may(user, County.objects, roles, county):
        raise PermissionDenied
    return county
