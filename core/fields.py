"""The limits every module's free text and dates share (model fields and validators).

A TextField has no length limit of its own: a 1,000,000-character visit finding was stored as
sent. Every long text in the product is a LongTextField: its maximum reaches every ModelForm
(maxlength and validation) and ModelSerializer (maxLength in the OpenAPI schema), and the model's
own validator refuses it in full_clean() wherever else it comes from. Plain forms and serializers
use TEXT_MAX_LENGTH for their free-text fields."""

import datetime

from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db import models
from django.utils import timezone
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext as _

# Characters. The longest texts the county writes (a penalty decision's facts and evidence, a
# legal basis) are a page or two, ~3,000 characters.
TEXT_MAX_LENGTH = 10_000


class LongTextField(models.TextField):
    def __init__(self, *args, max_length=TEXT_MAX_LENGTH, **kwargs):
        super().__init__(*args, max_length=max_length, **kwargs)
        # As CharField does: checked by full_clean(), not part of the migration state.
        self.validators.append(MaxLengthValidator(self.max_length))


@deconstructible
class DateRangeValidator:
    """A date inside what the product can plausibly record: not before `earliest`, not more
    than `years_ahead` years after today. `0001-01-01` was stored as a visit's date."""

    def __init__(self, earliest: datetime.date, years_ahead: int):
        self.earliest, self.years_ahead = earliest, years_ahead

    def __call__(self, value):
        if value is None:
            return
        if isinstance(value, datetime.datetime):
            value = value.date()
        today = timezone.localdate()
        try:
            latest = today.replace(year=today.year + self.years_ahead)
        except ValueError:  # 29 February
            latest = today.replace(year=today.year + self.years_ahead, day=28)
        if value < self.earliest:
            raise ValidationError(
                _("Enter a date on or after %(day)s.") % {"day": self.earliest.isoformat()},
                code="date_too_early",
            )
        if value > latest:
            raise ValidationError(
                _("Enter a date on or before %(day)s.") % {"day": latest.isoformat()},
                code="date_too_late",
            )

    def __eq__(self, other):
        return isinstance(other, DateRangeValidator) and (self.earliest, self.years_ahead) == (
            other.earliest,
            other.years_ahead,
        )


# The registers this product keeps began long after 1990 (the Compulsory Education Law is of
# 1986); plans and deadlines reach a few years ahead at most.
EARLIEST_RECORD_DATE = datetime.date(1990, 1, 1)
validate_record_date = DateRangeValidator(EARLIEST_RECORD_DATE, years_ahead=10)
# A person's birth, hire or posting: teachers born in the 1960s are still at work.
validate_life_date = DateRangeValidator(datetime.date(1900, 1, 1), years_ahead=0)
