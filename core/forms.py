"""Form pieces every app uses: the date input and the fields of a dated record."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .fields import TEXT_MAX_LENGTH, validate_record_date

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def record_date_field(label, **kwargs) -> forms.DateField:
    """The date of something that happened: today by default, never in the future."""
    kwargs.setdefault("initial", timezone.localdate)
    kwargs.setdefault("validators", [validate_record_date])
    return forms.DateField(label=label, widget=DATE_INPUT, **kwargs)


def text_area_field(label, rows=3, **kwargs) -> forms.CharField:
    """A free-text field, as long as the text columns allow by default."""
    kwargs.setdefault("max_length", TEXT_MAX_LENGTH)
    return forms.CharField(label=label, widget=forms.Textarea(attrs={"rows": rows}), **kwargs)


class ImportUploadForm(forms.Form):
    scope = forms.ChoiceField(label=_("Import into"))
    file = forms.FileField(
        label=_("Excel workbook (.xlsx)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx"}),
    )

    def __init__(self, *args, choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["scope"].choices = choices
        if len(choices) == 1:
            self.fields["scope"].initial = choices[0][0]
