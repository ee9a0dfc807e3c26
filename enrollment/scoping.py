"""`for_user()`: the one way every view, form, export and API reads scoped data.

Each model declares `scope_paths`: for each scope kind (prefecture, county, township, village,
school), the lookup from the model to that place, or None when a scope of that kind sees none of
its rows (a kind left out counts as None: the prefecture reads only where a model names it).
A user's role assignments are OR-ed; `roles=` restricts which assignments count (for writes).
"""

from django.db import models
from django.db.models import Q


def role_assignments(user):
    """The user's role assignments, loaded once per user object (i.e. once per request), with
    their places: the navigation names them on every page."""
    cached = getattr(user, "_cached_role_assignments", None)
    if cached is None:
        cached = (
            list(
                user.role_assignments.select_related(
                    "prefecture", "county", "township", "village", "school"
                )
            )
            if user.is_authenticated
            else []
        )
        user._cached_role_assignments = cached
    return cached


def user_roles(user) -> set[str]:
    return {assignment.role for assignment in role_assignments(user)}


def _is_multi_valued(model, path: str) -> bool:
    for name in path.split("__"):
        if name == "pk":
            return False
        field = model._meta.get_field(name)
        if field.many_to_many or field.one_to_many:
            return True
        if not field.is_relation:
            return False
        model = field.related_model
    return False


def _scope_paths(model, user, roles):
    """For each of the user's assignments (limited to `roles`) whose kind of place `model` can
    be reached from: the path from a row to that kind of place, and the assigned place's id.
    scope_q() and covers() read the same pairs, so the SQL and the Python rule agree."""
    for assignment in role_assignments(user):
        if roles is not None and assignment.role not in roles:
            continue
        kind = assignment.scope_kind
        path = model.scope_paths.get(kind)
        if path is not None:
            yield path, getattr(assignment, f"{kind}_id")


def scope_q(model, user, roles=None) -> Q | None:
    """The filter that keeps the rows of `model` within the user's scopes, or None for none."""
    combined = None
    for path, place_id in _scope_paths(model, user, roles):
        if _is_multi_valued(model, path):
            # Through a to-many relation: a subquery keeps each row once without DISTINCT.
            condition = Q(pk__in=model._default_manager.filter(**{path: place_id}).values("pk"))
        else:
            condition = Q(**{path: place_id})
        combined = condition if combined is None else combined | condition
    return combined


class ScopedQuerySet(models.QuerySet):
    def for_user(self, user, *, roles=None):
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_superuser:
            return self
        condition = scope_q(self.model, user, roles)
        return self.none() if condition is None else self.filter(condition)


def _resolve(obj, path: str):
    """The id that `path` leads to from a loaded object (FK ids read without a query at the
    last step; related objects on the way come from select_related or are loaded once)."""
    *steps, last = path.split("__")
    for step in steps:
        obj = getattr(obj, step)
        if obj is None:
            return None
    if last == "pk":
        return obj.pk
    field = obj._meta.get_field(last)
    return getattr(obj, field.attname) if field.is_relation else getattr(obj, last)


def covers(user, obj, roles=None) -> bool | None:
    """In Python, whether one of the user's assignments (limited to `roles`) covers `obj`, the
    same rule as scope_q(); None when a to-many path needs the database to decide."""
    model = type(obj)
    undecided = False
    for path, place_id in _scope_paths(model, user, roles):
        if _is_multi_valued(model, path):
            undecided = True
            continue
        if _resolve(obj, path) == place_id:
            return True
    return None if undecided else False


def assigned_places(model, user) -> list | None:
    """`model.objects.for_user(user)` read from the loaded role assignments, without a query,
    for a kind of place that only the assignments naming it see (its scope_paths lead to the
    place itself, "pk", and are None for every other kind, as County's); None when the database
    must answer (a superuser, or a model reached through other kinds)."""
    if not user.is_authenticated or not user.is_active:
        return []
    kinds = {kind for kind, path in model.scope_paths.items() if path is not None}
    if user.is_superuser or any(model.scope_paths[kind] != "pk" for kind in kinds):
        return None
    places = {}
    for assignment in role_assignments(user):
        kind = assignment.scope_kind
        if kind in kinds and isinstance(assignment.scope_object, model):
            places[assignment.scope_object.pk] = assignment.scope_object
    return list(places.values())


def scope_signature(user) -> list:
    """What a user's reads depend on: superuser or the sorted role assignments."""
    if user.is_superuser:
        return ["superuser"]
    return sorted(
        [a.role, a.scope_kind, getattr(a, f"{a.scope_kind}_id")] for a in role_assignments(user)
    )


def user_post(user) -> str:
    """The user's post (职务), from the role assignments loaded once per request; the first
    recorded one when a user holds several roles."""
    return next((a.post for a in role_assignments(user) if a.post), "")
