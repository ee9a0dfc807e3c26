from django import forms
from django.utils.translation import gettext_lazy as _

from core.people import person_name

from .services.assignment import guarantor_candidates, handler_candidates


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, user):
        return person_name(user)


class PeopleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, user):
        return person_name(user)


class CaseAssignmentForm(forms.Form):
    """承办人 and 包保责任人, chosen among the users whose role covers the case."""

    handler = PersonChoiceField(label=_("Case handler (承办人)"), queryset=None)
    guarantors = PeopleChoiceField(
        label=_("Responsible persons (包保责任人)"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    note = forms.CharField(label=_("Why"), required=False, max_length=500)

    def __init__(self, case, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["handler"].queryset = handler_candidates(case)
        self.fields["guarantors"].queryset = guarantor_candidates(case)
