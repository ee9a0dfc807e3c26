class DomainError(Exception):
    """A business rule refused an action; the message is shown to the user as it is."""

    def __init__(self, message, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class TransitionRefused(DomainError):
    """A state transition the procedure does not allow now (the API answers 409)."""
