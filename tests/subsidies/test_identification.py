"""家庭经济困难学生认定: application → decision → public notice → filing; pre-identification."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied

from core.errors import DomainError, TransitionRefused
from enrollment.models import PovertyStatus
from subsidies.models import DifficultyIdentification as I
from subsidies.services import identification

from .conftest import YEAR, poor


def test_household_data_pre_identify_poor_orphan_and_disabled_pupils(scenario):
    w = scenario
    poor(w.household1, PovertyStatus.DESTITUTE)
    w.child1b.is_disabled = True
    w.child1b.save()
    added = identification.pre_identify(actor=w.school1_user, school=w.school1, school_year=YEAR)
    assert added == 2
    levels = dict(I.objects.values_list("child__name", "level"))
    assert levels == {"王小一": "special", "王乙乙": "difficult"}
    assert set(I.objects.values_list("status", flat=True)) == {I.Status.FILED}
    assert (
        identification.pre_identify(actor=w.school1_user, school=w.school1, school_year=YEAR) == 0
    )
    with pytest.raises(PermissionDenied):
        identification.pre_identify(actor=w.school1_user, school=w.school2, school_year=YEAR)


def test_an_application_is_decided_publicised_and_filed(scenario, monkeypatch):
    w = scenario
    item = identification.apply(
        actor=w.school1_user,
        child=w.child1b,
        school_year=YEAR,
        applied_level="difficult",
        basis="母亲重病，家庭收入低",
    )
    assert item.status == I.Status.APPLIED
    with pytest.raises(DomainError):
        identification.apply(
            actor=w.school1_user,
            child=w.child1b,
            school_year=YEAR,
            applied_level="difficult",
            basis="again",
        )
    with pytest.raises(TransitionRefused):
        identification.file_identifications(
            actor=w.school1_user, school=w.school1, school_year=YEAR
        )
    identification.decide(actor=w.school1_user, identification=item, level="general")
    start = datetime.date.today() - datetime.timedelta(days=10)
    with pytest.raises(DomainError):
        identification.publish_notice(
            actor=w.school1_user,
            school=w.school1,
            school_year=YEAR,
            notice_from=start,
            notice_until=start + datetime.timedelta(days=2),
        )
    assert (
        identification.publish_notice(
            actor=w.school1_user,
            school=w.school1,
            school_year=YEAR,
            notice_from=start,
            notice_until=start + datetime.timedelta(days=5),
        )
        == 1
    )
    assert (
        identification.file_identifications(
            actor=w.school1_user, school=w.school1, school_year=YEAR
        )
        == 1
    )
    item.refresh_from_db()
    assert (item.status, item.level) == (I.Status.FILED, "general")
    with pytest.raises(DomainError):
        identification.adjust_level(
            actor=w.school1_user, identification=item, level="special", reason=""
        )
    identification.adjust_level(
        actor=w.school1_user, identification=item, level="special", reason="春季学期父亲病故"
    )
    item.refresh_from_db()
    assert item.level == "special"
    assert item.history.count() >= 3


def test_other_schools_and_auditors_cannot_identify(scenario):
    w = scenario
    for user in (w.auditor, w.township1_user):
        with pytest.raises(PermissionDenied):
            identification.apply(
                actor=user, child=w.child1b, school_year=YEAR, applied_level="general", basis="x"
            )
    with pytest.raises(PermissionDenied):
        identification.apply(
            actor=w.school1_user,
            child=w.child2,
            school_year=YEAR,
            applied_level="general",
            basis="x",
        )
