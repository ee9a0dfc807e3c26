"""Permission to act (403) is checked separately from scope (404), both through for_user()."""

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from .roles import FULL_IDENTITY_ROLES
from .scoping import covers, user_roles


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
