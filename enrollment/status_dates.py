"""The date rule of every status change, stated once (services, procedures and the roll import).

A change takes effect no later than today and not before the child's birth, and the history is
kept in order: not before the last recorded change either. A date a person types for the change
itself (a form, the API) is refused outside that range. A date read from a document written
before the registry's last change — a school roll's entry date, a procedure's decision — is not
wrong, only older than what the registry already knows: it is moved up to the last recorded
change (`move_early=True`). A date in the future or before birth is refused either way.
"""

import datetime

from django.utils.translation import gettext as _

from core.errors import DomainError


def status_change_date(
    *,
    requested: datetime.date,
    birth_date: datetime.date,
    last_change: datetime.date | None,
    today: datetime.date,
    move_early: bool = False,
) -> datetime.date:
    """The effective date the change is recorded with; DomainError (field `effective_date`)
    when the rule refuses it. Pure: reads nothing, writes nothing."""
    if requested > today:
        raise DomainError(_("The effective date cannot be in the future."), field="effective_date")
    if requested < birth_date:
        raise DomainError(
            _("The effective date is before the child's birth."), field="effective_date"
        )
    if last_change and requested < last_change:
        if move_early:
            return last_change
        raise DomainError(
            _(
                "The effective date cannot be before the last recorded change (%(date)s); "
                "history is kept in order."
            )
            % {"date": last_change.isoformat()},
            field="effective_date",
        )
    return requested
