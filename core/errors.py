class DomainError(Exception):
    """A business rule refused an action; the message is shown to the user as it is."""

    def __init__(self, message, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class TransitionRefused(DomainError):
    """A state transition the procedure does not allow now (the API answers 409)."""


def show_on_form(form, error: DomainError) -> None:
    """A refused action shown on the form: on its field when the form has it, else on top."""
    form.add_error(error.field if error.field in form.fields else None, error.message)


def run_on_form(request, form, action, success_message):
    """Call the service with the form's cleaned data: on success say so and return its result
    (True when it returns nothing), on a refusal show it on the form and return None."""
    from django.contrib import messages

    try:
        result = action(form.cleaned_data)
    except DomainError as error:
        show_on_form(form, error)
        return None
    messages.success(request, success_message)
    return result or True


def int_or_404(value) -> int:
    """A number taken from a URL or query string; anything else is a page that does not exist."""
    from django.http import Http404

    if not value or not str(value).isdigit():
        raise Http404
    return int(value)
