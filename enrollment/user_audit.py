"""A user's role assignments are part of the user's privileges: each one given or taken is also
audited on the user (the assignment's own history names the assignment), so that the user's
audit trail reads `role_assignments` beside `is_staff`, `is_superuser` and `groups`."""

from django.db.models.signals import post_delete, post_save

from core import audit


def _described(assignment) -> str:
    return f"{assignment.get_role_display()} · {assignment.scope_object}"


def on_assignment_saved(sender, instance, created, raw=False, **kwargs):
    if raw:
        return
    detail = {
        "fields": ["role_assignments"],
        "added" if created else "changed": [_described(instance)],
    }
    audit.record(audit.A.UPDATE, obj=instance.user, detail=detail)


def on_assignment_deleted(sender, instance, **kwargs):
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.filter(pk=instance.user_id).first()
    if user is None:
        return  # the user is being deleted: that is the event
    detail = {"fields": ["role_assignments"], "removed": [_described(instance)]}
    audit.record(audit.A.UPDATE, obj=user, detail=detail)


def connect():
    from .models import RoleAssignment

    post_save.connect(on_assignment_saved, sender=RoleAssignment, dispatch_uid="audit-roles")
    post_delete.connect(
        on_assignment_deleted, sender=RoleAssignment, dispatch_uid="audit-roles-deleted"
    )
