"""What the inspection pages share: running a service from a form, the managing role, the
form page, paging links, linked records."""

from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from core.errors import int_or_404, run_on_form
from enrollment.models import County
from enrollment.permissions import has_any_role, managed_county, user_may

from .. import forms
from ..roles import MANAGE_ROLES
from ..services import complaints as complaint_services


def _managed_county(request) -> County:
    """The county the user records inspections in; 403 without the role there."""
    return managed_county(request.user, roles=MANAGE_ROLES)


def may_manage(user) -> bool:
    """Whether to offer the recording actions (the manage roles are all county-wide; the
    services check the role against the database again)."""
    return has_any_role(user, MANAGE_ROLES)


def _form_page(request, form, title, *, back=None, multipart=False):
    return render(
        request,
        "inspections/form.html",
        {"form": form, "title": title, "back": back, "multipart": multipart},
    )


_int = int_or_404


def _links(request, links):
    """Each linked record with its label, shown only when the user can see that record."""
    shown = []
    for link in links:
        model = link.content_type.model_class()
        manager = model._default_manager
        visible = manager.for_user(request.user) if hasattr(manager, "for_user") else manager
        record = visible.filter(pk=link.object_id).first() if model else None
        url = ""
        if record is not None and hasattr(record, "get_absolute_url"):
            url = record.get_absolute_url()
        shown.append(
            {
                "kind": model._meta.verbose_name if model else link.content_type.model,
                "label": str(record) if record is not None else _("a record you cannot open"),
                "url": url,
                "object_id": link.object_id,
            }
        )
    return shown


def _link_view(request, owner_kind, owner, back):
    if not user_may(request.user, type(owner).objects, MANAGE_ROLES, owner):
        raise PermissionDenied
    form = forms.LinkForm(
        request.POST or None, content_types=complaint_services.linkable_content_types()
    )
    if request.method == "POST" and form.is_valid():
        if run_on_form(
            request,
            form,
            lambda d: complaint_services.link_record(
                actor=request.user, **{owner_kind: owner}, **d
            ),
            _("Record linked."),
        ):
            return redirect(back)
    return _form_page(request, form, _("Link a record of another module"), back=back)
