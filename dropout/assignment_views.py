"""Changing who carries a case and who answers for it (the service records the change)."""

from django.contrib.auth.decorators import login_required
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from .assignment_forms import CaseAssignmentForm
from .case_actions import case_action as _case_action
from .services.assignment import reassign_case


@login_required
@require_http_methods(["GET", "POST"])
def case_assign(request, pk: int):
    return _case_action(
        request,
        pk,
        step="reassign",
        form_factory=lambda case, data, files, initial=None: CaseAssignmentForm(
            case, data, initial=initial
        ),
        action=lambda case, d: reassign_case(actor=request.user, case=case, **d),
        title=_("Handler and responsible persons"),
        success=_("Handler and responsible persons saved."),
        initial=lambda case: {"handler": case.handler_id, "guarantors": case.guarantors.all()},
    )
