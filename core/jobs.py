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


class StepProgress:
    """A background run counted in steps (`status` of DONE/FAILED, `steps_done`,
    `steps_total`): what its progress page shows. A running job stays below 100 %."""

    @property
    def progress_percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        return min(99, int(100 * self.steps_done / max(self.steps_total, 1)))

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)
