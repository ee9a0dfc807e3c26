"""The programme catalogue: shared by every county, edited only by whom the design allows."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from core.errors import DomainError
from enrollment.permissions import may_edit_shared_catalogue

from .. import forms
from ..models import Programme, Stage
from ..roles import CATALOGUE_ROLES
from ..services import programmes as programme_services
from .common import _error, _form_page


@login_required
def programme_list(request):
    programmes = Programme.objects.prefetch_related("excludes").order_by("report_order", "code")
    return render(
        request,
        "subsidies/programme_list.html",
        {
            "programmes": programmes,
            "may_edit": may_edit_shared_catalogue(request.user, CATALOGUE_ROLES),
            "stage_labels": dict(Stage.choices),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def programme_edit(request, pk: int | None = None):
    if not may_edit_shared_catalogue(request.user, CATALOGUE_ROLES):
        raise PermissionDenied
    programme = get_object_or_404(Programme, pk=pk) if pk else None
    form = forms.ProgrammeForm(request.POST or None, instance=programme)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        excludes = data.pop("excludes")
        try:
            saved = programme_services.save_programme(
                actor=request.user, programme=programme, excludes=list(excludes), **data
            )
        except DomainError as error:
            _error(form, error)
        else:
            messages.success(request, _("Programme saved."))
            return redirect(reverse("subsidies:programme_list") + f"#programme-{saved.pk}")
    return _form_page(
        request,
        form,
        programme.name if programme else _("New programme"),
        back=reverse("subsidies:programme_list"),
    )
