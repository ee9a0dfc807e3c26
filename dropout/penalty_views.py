"""Pages of the penalty procedure, one per step: scope (404), then the step's role (403); the
state and the preconditions are the service's answer on the form, checked on the locked row."""

from django.contrib.auth.decorators import login_required
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from . import penalty_forms
from .case_actions import case_action as _step
from .case_actions import plain as _plain
from .case_actions import service_initial as _service_initial
from .case_actions import with_case as _with_case
from .models import CountyLegalTexts
from .services import documents, penalties
from .transitions import current_prior_notice

# The procedure's steps on the case page: (action, url name, element id, label).
PENALTY_STEPS = [
    (
        "issue_prior_notice",
        "dropout:case_prior_notice",
        "prior-notice",
        gettext_lazy("Serve prior notice"),
    ),
    ("record_reply", "dropout:case_reply", "reply", gettext_lazy("Statement, defence or waiver")),
    ("review_reply", "dropout:case_reply_review", "reply-review", gettext_lazy("Review statement")),
    (
        "request_hearing",
        "dropout:case_hearing_request",
        "hearing-request",
        gettext_lazy("Hearing request"),
    ),
    ("hold_hearing", "dropout:case_hearing", "hearing", gettext_lazy("Record hearing")),
    ("legal_review", "dropout:case_legal_review", "legal-review", gettext_lazy("Legal review")),
    (
        "serve_decision",
        "dropout:case_serve_decision",
        "serve-decision",
        gettext_lazy("Serve the decision"),
    ),
]


# Once the decision is served there is nothing to explain: the procedure card shows the date.
SHOWN_ONLY_WHEN_ALLOWED = {"serve_decision"}


def penalty_steps(case, steps) -> list:
    """The procedure's buttons the case page shows: allowed ones, and refused ones whose state
    is right (disabled, with the reason); none when the case is not at this stage."""
    shown = [
        (action, steps[action], url_name, element_id, label)
        for action, url_name, element_id, label in PENALTY_STEPS
        if steps[action] or (steps[action].explains and action not in SHOWN_ONLY_WHEN_ALLOWED)
    ]
    return shown


def _prior_initial(case):
    texts = CountyLegalTexts.objects.filter(county_id=case.township.county_id).first()
    return _service_initial(case) | {"proposed_penalty": texts.default_penalty if texts else ""}


@login_required
@require_http_methods(["GET", "POST"])
def case_prior_notice(request, pk: int):
    return _step(
        request,
        pk,
        step="issue_prior_notice",
        form_factory=_with_case(penalty_forms.PriorNoticeForm),
        action=lambda case, d: penalties.issue_prior_notice(actor=request.user, case=case, **d),
        title=_("Serve the prior notice of the penalty"),
        success=_("Prior notice served."),
        initial=_prior_initial,
    )


@login_required
@require_http_methods(["GET", "POST"])
def case_reply(request, pk: int):
    return _step(
        request,
        pk,
        step="record_reply",
        form_factory=_plain(penalty_forms.ReplyForm),
        action=lambda case, d: penalties.record_reply(actor=request.user, case=case, **d),
        title=_("Record the guardian's statement and defence"),
        success=_("Reply recorded."),
    )


@login_required
@require_http_methods(["GET", "POST"])
def case_reply_review(request, pk: int):
    return _step(
        request,
        pk,
        step="review_reply",
        form_factory=lambda case, data, files, initial=None: penalty_forms.ReplyReviewForm(
            data, prior=current_prior_notice(case)
        ),
        action=lambda case, d: penalties.review_reply(actor=request.user, case=case, **d),
        title=_("Review the guardian's statement"),
        success=_("Review recorded."),
    )


@login_required
@require_http_methods(["GET", "POST"])
def case_hearing_request(request, pk: int):
    return _step(
        request,
        pk,
        step="request_hearing",
        form_factory=_plain(penalty_forms.HearingRequestForm),
        action=lambda case, d: penalties.request_hearing(actor=request.user, case=case, **d),
        title=_("Record a request for a hearing"),
        success=_("Request for a hearing recorded."),
    )


@login_required
@require_http_methods(["GET", "POST"])
def case_hearing(request, pk: int):
    return _step(
        request,
        pk,
        step="hold_hearing",
        form_factory=_with_case(penalty_forms.HearingForm),
        action=lambda case, d: penalties.hold_hearing(actor=request.user, case=case, **d),
        title=_("Record the hearing"),
        success=_("Hearing recorded."),
    )


@login_required
@require_http_methods(["GET", "POST"])
def case_legal_review(request, pk: int):
    return _step(
        request,
        pk,
        step="legal_review",
        form_factory=_plain(penalty_forms.LegalReviewForm),
        action=lambda case, d: penalties.give_legal_review(actor=request.user, case=case, **d),
        title=_("Legal review of the proposed penalty"),
        success=_("Legal review recorded."),
    )


def _decision_initial(case):
    prior = current_prior_notice(case)
    initial = _service_initial(case) | {"compliance": "自收到本决定书之日起七日内送子女到校复学。"}
    if prior:
        initial |= {
            "penalty_kind": prior.penalty_kind,
            "fine_amount": prior.fine_amount,
            "penalty": prior.proposed_penalty,
            "officers": list(prior.document.officers.values_list("pk", flat=True)),
        }
    return initial


@login_required
@require_http_methods(["GET", "POST"])
def case_penalty(request, pk: int):
    return _step(
        request,
        pk,
        step="decide_penalty",
        form_factory=_with_case(penalty_forms.PenaltyDecisionForm),
        action=lambda case, d: documents.decide_penalty(actor=request.user, case=case, **d),
        title=_("Decide the administrative penalty"),
        success=_("Penalty decision issued."),
        initial=_decision_initial,
    )


@login_required
@require_http_methods(["GET", "POST"])
def case_serve_decision(request, pk: int):
    return _step(
        request,
        pk,
        step="serve_decision",
        form_factory=_with_case(penalty_forms.DecisionServiceForm),
        action=lambda case, d: penalties.serve_decision(actor=request.user, case=case, **d),
        title=_("Serve the penalty decision"),
        success=_("Service of the penalty decision recorded."),
        initial=lambda case: _service_initial(case) | {"served_on": timezone.localdate()},
    )
