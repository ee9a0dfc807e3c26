"""Where a case stands in the procedure, for the progress line of the case page:
上报 → 劝返 → 通知书 → 处罚 → 复学/结案, each stage done, current or still ahead, with its
dates and the days left to the deadline that is running now."""

import datetime
from dataclasses import dataclass, field

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from .models import DropoutCase
from .transitions import (
    counted_persuasions,
    current_decision,
    current_notice,
    current_prior_notice,
)

C = DropoutCase.Status
DONE, CURRENT, AHEAD, SKIPPED = "done", "current", "ahead", "skipped"


@dataclass
class Stage:
    key: str
    label: str
    state: str = AHEAD
    lines: list[str] = field(default_factory=list)


@dataclass
class Deadline:
    """The deadline running now: what it is for, its date and the days left (negative: past)."""

    what: str
    on: datetime.date
    days_left: int

    @property
    def text(self) -> str:
        if self.days_left > 0:
            return ngettext(
                "%(what)s: %(date)s, %(days)d day left",
                "%(what)s: %(date)s, %(days)d days left",
                self.days_left,
            ) % {"what": self.what, "date": self.on.isoformat(), "days": self.days_left}
        if self.days_left == 0:
            return _("%(what)s: %(date)s, ends today") % {
                "what": self.what,
                "date": self.on.isoformat(),
            }
        return ngettext(
            "%(what)s: %(date)s, passed %(days)d day ago",
            "%(what)s: %(date)s, passed %(days)d days ago",
            -self.days_left,
        ) % {"what": self.what, "date": self.on.isoformat(), "days": -self.days_left}


@dataclass
class Progress:
    stages: list[Stage]
    deadline: Deadline | None


def case_progress(case: DropoutCase, *, day: datetime.date) -> Progress:
    persuasions = counted_persuasions(case)
    notice = current_notice(case)
    prior = current_prior_notice(case)
    decision = current_decision(case)

    reported = Stage(
        "reported", pgettext("case stage", "Reported"), DONE, [case.opened_on.isoformat()]
    )
    persuade = Stage(
        "persuading",
        pgettext("case stage", "Persuasion"),
        lines=[
            _("%(done)d of %(needed)d persuasions by two officials")
            % {"done": persuasions, "needed": settings.DROPOUT_MIN_PERSUASIONS}
        ],
    )
    notice_stage = Stage("notice", pgettext("case stage", "Notice"))
    penalty = Stage("penalty", pgettext("case stage", "Penalty"))
    end = Stage("end", pgettext("case stage", "Back in school / closed"))
    deadline = None

    if notice:
        persuade.state = DONE
        notice_stage.lines = [
            _("served %(date)s") % {"date": notice.issued_on.isoformat()},
            _("deadline %(date)s") % {"date": notice.deadline.isoformat()},
        ]
        notice_stage.state = CURRENT if case.status == C.NOTICE_ISSUED and not prior else DONE
        if notice_stage.state == CURRENT:
            deadline = Deadline(_("Deadline to resume schooling"), notice.deadline, 0)
    elif case.is_open:
        persuade.state = CURRENT
    elif case.persuasions.exists():
        persuade.state = DONE

    if prior:
        penalty.lines.append(_("prior notice %(date)s") % {"date": prior.served_on.isoformat()})
        if case.status == C.NOTICE_ISSUED:
            penalty.state = CURRENT
            deadline = Deadline(_("Statement and defence until"), prior.reply_until, 0)
        else:
            penalty.state = DONE
    if decision:
        penalty.lines.append(_("decided %(date)s") % {"date": decision.issued_on.isoformat()})
        penalty.state = DONE
        if decision.served_on:
            penalty.lines.append(_("served %(date)s") % {"date": decision.served_on.isoformat()})
        elif case.is_open:
            penalty.state = CURRENT
            deadline = Deadline(_("Serve the decision by"), decision.service_due_on, 0)

    if case.returned_on:
        end.state = DONE
        end.lines = [_("returned %(date)s") % {"date": case.returned_on.isoformat()}]
    elif case.closed_on:
        end.state = DONE
        end.lines = [
            _("closed %(date)s") % {"date": case.closed_on.isoformat()},
            case.get_close_reason_display(),
        ]
    if not case.is_open:  # what a closed or returned case never went through
        for stage in (persuade, notice_stage, penalty):
            if stage.state == AHEAD:
                stage.state = SKIPPED
    if deadline:
        deadline.days_left = (deadline.on - day).days
    return Progress([reported, persuade, notice_stage, penalty, end], deadline)
