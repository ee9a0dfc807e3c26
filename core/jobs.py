"""What a user reads when a background job (export, import, report, check) failed."""

import logging

from django.utils.translation import gettext as _

from .errors import DomainError


def failure_message(error: BaseException, *, logger: logging.Logger, job: str) -> str:
    """A refusal by a business rule is shown as it is; anything else is logged with its
    traceback and the user reads a reason and what to do, never the exception's own text
    (English, technical, possibly revealing)."""
    if isinstance(error, DomainError):
        return error.message
    logger.error("%s failed", job, exc_info=error)
    return _(
        "The system ran into an unexpected error and nothing was saved. Try again in a few "
        "minutes; if it fails again, tell the county administrator (%(job)s)."
    ) % {"job": job}
