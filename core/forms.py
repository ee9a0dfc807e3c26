from django import forms
from django.utils.translation import gettext_lazy as _


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
