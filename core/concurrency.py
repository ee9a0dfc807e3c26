"""Optimistic locking against lost updates: an edited record carries a version number; a save
based on an older version is refused with a clear message and nothing is overwritten."""

from django import forms
from django.db import models
from django.utils.translation import gettext as _

from .errors import DomainError


class StaleEdit(DomainError):
    """Someone else saved the record after this user opened it."""


class VersionFormField(forms.IntegerField):
    """The version an edit form was built from, sent back hidden with the user's changes."""

    widget = forms.HiddenInput

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault(
            "error_messages",
            {
                "required": _(
                    "This page was opened before the record could be versioned or has lost "
                    "its version: reload the page and make your changes again."
                )
            },
        )
        super().__init__(**kwargs)


def version_field():
    return models.PositiveIntegerField(default=1, editable=False)


def check_and_bump(instance, expected_version) -> None:
    """Call on the row read under select_for_update(), before saving it. `expected_version` is
    the version the user's form was built from (None: a caller that edits without a form)."""
    if expected_version is not None and int(expected_version) != instance.version:
        raise StaleEdit(
            _(
                "Someone else saved this record after you opened it (it is now at version "
                "%(current)s, you edited version %(yours)s). Nothing was saved, so that their "
                "changes are not overwritten: reopen the page, check their changes, and edit "
                "again."
            )
            % {"current": instance.version, "yours": expected_version}
        )
    instance.version += 1
