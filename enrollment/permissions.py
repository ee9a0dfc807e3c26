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
