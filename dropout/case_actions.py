"""The one way a case page runs a step of the case's transition table: the form, the service,
the redirect. The case pages (views.py) and the penalty procedure's pages (penalty_views.py)
both use it."""

from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render

from core.errors import run_on_form

from .transitions import CASE_TRANSITIONS


def case_action(request, pk, *, step, form_factory, action, title, success, initial=None):
    """Scope (404), then the step's role (403); the state and the preconditions are the
    service's answer on the form (409), checked again on the locked row."""
    from .views import _case  # the case pages' scoped lookup

    case = _case(request, pk)
    if CASE_TRANSITIONS.can(case, step, request.user).refused_for_role:
        raise PermissionDenied
    form = form_factory(
        case,
        request.POST or None,
        request.FILES or None,
        initial=initial(case) if initial else None,
    )
    if request.method == "POST" and form.is_valid():
        if run_on_form(request, form, lambda data: action(case, data), success):
            return redirect("dropout:case_detail", pk=case.pk)
    return render(
        request,
        "dropout/action_form.html",
        {
            "form": form,
            "case": case,
            "child": case.child,
            "title": title,
            "multipart": form.is_multipart(),
        },
    )


def plain(form_class):
    """A form factory for a form that does not need the case."""
    return lambda case, data, files, initial=None: form_class(data, files, initial=initial)


def with_case(form_class):
    """A form factory for a form whose choices or checks depend on the case."""
    return lambda case, data, files, initial=None: form_class(
        data, files, initial=initial, case=case
    )


def service_initial(case):
    """Whom and where a document is served, as far as the registry knows."""
    child = case.child
    return {"served_to": child.guardian_name, "service_place": child.household.address}
