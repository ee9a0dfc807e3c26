"""The dropout section of the annual summary (core.annual, order 20) against a hand-counted small
county: the year's cases, persuasions, documents, measures and approved exemptions, for the
county and for one township; the previous year's events and another county's are not
counted; each drill-down list holds exactly the figure's rows."""

import datetime

import pytest
from django.utils import timezone

from core.annual import CALENDAR, ON_DAY, AnnualScope, annual_sections
from dropout.annual import annual_section
from dropout.models import (
    CaseMeasure,
    DropoutCase,
    ExemptionRequest,
    ExemptionStep,
    OfficialDocument,
    Persuasion,
)

from ..conftest import client_for
from ..factories import (
    ChildFactory,
    CountyFactory,
    HouseholdFactory,
    TownshipFactory,
    VillageFactory,
)

Y = timezone.localdate().year - 1  # a whole past year
C = DropoutCase.Status


def d(month, day, year=Y):
    return datetime.date(year, month, day)


class Events:
    pass


def _case(world, child, township, cause, opened, *, returned=None, closed=None, status=None):
    status = status or (C.RETURNED if returned else C.CLOSED if closed else C.PERSUADING)
    return DropoutCase.objects.create(
        child=child,
        township=township,
        cause=cause,
        opened_on=opened,
        last_action_on=returned or closed or opened,
        returned_on=returned,
        closed_on=closed,
        close_reason=DropoutCase.CloseReason.MOVED_OUT if closed else "",
        status=status,
    )


def _persuasion(world, case, on):
    return Persuasion.objects.create(
        case=case,
        date=on,
        visitors="镇干部",
        what_was_said="宣讲义务教育法",
        family_answer="考虑",
        result=Persuasion.Result.REFUSED,
        recorded_by=world.township1_user,
    )


_numbers = iter(range(1, 1000))


def _document(world, case, kind, on, **extra):
    sequence = next(_numbers)
    return OfficialDocument.objects.create(
        case=case,
        kind=kind,
        township=case.township,
        year=on.year,
        sequence=sequence,
        number=f"{case.township.name}教字〔{on.year}〕{sequence}号",
        issued_on=on,
        issued_by=world.township1_user,
        deadline=on + datetime.timedelta(days=7),
        content={},
        **extra,
    )


def _exemption(world, child, kind, *, filed=None, status=ExemptionRequest.Status.FILED):
    request = ExemptionRequest.objects.create(
        child=child,
        kind=kind,
        reason=ExemptionRequest.Reason.ILLNESS,
        reason_detail="住院",
        start_date=filed or d(1, 1),
        end_date=(filed or d(1, 1)) + datetime.timedelta(days=200),
        status=status,
        registered_by=world.township1_user,
    )
    if filed:
        step = ExemptionStep.objects.create(
            request=request,
            action="file",
            from_status=ExemptionRequest.Status.TOWNSHIP_APPROVED,
            to_status=ExemptionRequest.Status.FILED,
            actor=world.bureau,
        )
        noon = timezone.make_aware(datetime.datetime.combine(filed, datetime.time(12)))
        ExemptionStep.objects.filter(pk=step.pk).update(at=noon)
    return request


@pytest.fixture
def events(world):
    """Township 1: A (work) opened 3/1 returned 5/10; C (learning) opened 6/1, still open,
    two persuasions, a corrected notice and its replacement, a penalty decision, a measure;
    D (poverty) opened last year, persuaded last year and on 1/15, returned 2/1. Township 2:
    B (learning) opened 4/1 returned 4/20, one persuasion; E (work) opened 10/1 closed 11/1,
    a notice. Exemptions filed: township 1 a suspension and a deferral, township 2 a
    suspension; not counted: one filed last year, one not filed yet, another county's."""
    w, e = world, Events()
    T1, T2 = w.township1, w.township2
    sibling2 = ChildFactory(household=w.household2, name="李小三")
    e.a = _case(w, w.child1, T1, DropoutCase.Cause.WORK, d(3, 1), returned=d(5, 10))
    e.c = _case(w, w.child1b, T1, DropoutCase.Cause.LEARNING, d(6, 1), status=C.PENALTY_DECIDED)
    e.d = _case(w, w.sibling1, T1, DropoutCase.Cause.POVERTY, d(11, 1, Y - 1), returned=d(2, 1))
    e.b = _case(w, w.child2, T2, DropoutCase.Cause.LEARNING, d(4, 1), returned=d(4, 20))
    e.e = _case(w, sibling2, T2, DropoutCase.Cause.WORK, d(10, 1), closed=d(11, 1))
    for case, on in (
        (e.c, d(6, 5)),
        (e.c, d(6, 10)),
        (e.d, d(12, 1, Y - 1)),
        (e.d, d(1, 15)),
        (e.b, d(4, 5)),
    ):
        _persuasion(w, case, on)
    replacement = _document(w, e.c, OfficialDocument.Kind.RESUME_NOTICE, d(6, 15))
    _document(w, e.c, OfficialDocument.Kind.RESUME_NOTICE, d(6, 12), voided_by=replacement)
    _document(w, e.c, OfficialDocument.Kind.PENALTY_DECISION, d(7, 1))
    _document(w, e.d, OfficialDocument.Kind.RESUME_NOTICE, d(12, 10, Y - 1))
    _document(w, e.e, OfficialDocument.Kind.RESUME_NOTICE, d(10, 10))
    CaseMeasure.objects.create(
        case=e.c,
        kind=CaseMeasure.Kind.DEMAND,
        date=d(8, 1),
        description="履行催告",
        recorded_by=w.township1_user,
    )
    K = ExemptionRequest.Kind
    _exemption(w, w.sibling1, K.SUSPENDED, filed=d(3, 3))
    _exemption(w, w.child1, K.DEFERRED, filed=d(9, 9))
    _exemption(w, w.child2, K.SUSPENDED, filed=d(2, 2))
    _exemption(w, w.child1b, K.SUSPENDED, filed=d(12, 20, Y - 1))
    _exemption(w, sibling2, K.DEFERRED, status=ExemptionRequest.Status.TOWNSHIP_APPROVED)

    # Another county, the same year: nothing of it is counted.
    other_county = CountyFactory(code="510400", name="他县")
    other_village = VillageFactory(township=TownshipFactory(county=other_county))
    stranger = ChildFactory(household=HouseholdFactory(village=other_village))
    x = _case(w, stranger, other_village.township, DropoutCase.Cause.WORK, d(5, 1))
    _persuasion(w, x, d(5, 5))
    _document(w, x, OfficialDocument.Kind.RESUME_NOTICE, d(5, 20))
    _exemption(w, stranger, K.SUSPENDED, filed=d(6, 6))
    return e


def _scope(world, township=None, user=None):
    return AnnualScope(
        user=user or world.bureau,
        county=world.county,
        township=township,
        year=Y,
        today=timezone.localdate(),
    )


def _values(section) -> dict:
    return {figure.key: figure.value for figure in section.figures}


COUNTY = {
    "dropout.cases_reported": 4,  # A, C, B, E (D was opened last year)
    "dropout.returned": 3,  # A, D, B
    "dropout.returned.work": 1,
    "dropout.returned.poverty": 1,
    "dropout.returned.learning": 1,
    "dropout.returned.illness": 0,
    "dropout.persuasions": 4,  # C twice, D on 1/15, B
    "dropout.notices": 2,  # C's replacement, E's (the corrected one is void)
    "dropout.penalties": 1,
    "dropout.measures": 1,
    "dropout.exemptions": 3,
    "dropout.exemptions.suspended": 2,
    "dropout.exemptions.deferred": 1,
    "dropout.exemptions.home_delivered": 0,
    "dropout.open_cases": 1,  # C
}
TOWNSHIP1 = {
    "dropout.cases_reported": 2,
    "dropout.returned": 2,
    "dropout.returned.work": 1,
    "dropout.returned.poverty": 1,
    "dropout.returned.learning": 0,
    "dropout.persuasions": 3,
    "dropout.notices": 1,
    "dropout.penalties": 1,
    "dropout.measures": 1,
    "dropout.exemptions": 2,
    "dropout.exemptions.suspended": 1,
    "dropout.exemptions.deferred": 1,
    "dropout.open_cases": 1,
}


def test_the_county_figures_are_the_hand_counted_ones(world, events, django_assert_max_num_queries):
    with django_assert_max_num_queries(6):
        section = annual_section(_scope(world))
    values = _values(section)
    for key, expected in COUNTY.items():
        assert values[key] == expected, key
    bases = {figure.key: figure.basis for figure in section.figures}
    assert bases["dropout.open_cases"] == ON_DAY and bases["dropout.notices"] == CALENDAR
    assert section.sentences[0] == (
        f"{Y}年全年排查发现失辍学儿童4名，劝返复学3名（其中因学习困难1名、因外出务工1名、"
        "因家庭贫困1名），开展劝返4次。"
    )
    assert "《限期复学通知书》2份" in section.sentences[1]
    assert "行政处罚决定书1份" in section.sentences[1] and "制约措施1项" in section.sentences[1]
    assert "申请3件（缓学1件、休学2件）" in section.sentences[2]
    assert section.sentences[3] == f"截至{Y}年12月31日，尚有1名失辍学儿童在劝返中。"


def test_a_townships_figures_count_its_own_records_only(world, events):
    values = _values(annual_section(_scope(world, township=world.township1)))
    for key, expected in TOWNSHIP1.items():
        assert values[key] == expected, key


def test_a_township_official_sees_their_township_only(world, events):
    # Through for_user(): the official's county-wide summary holds their township's rows.
    values = _values(annual_section(_scope(world, user=world.township1_user)))
    assert values["dropout.cases_reported"] == 2 and values["dropout.exemptions"] == 2
    other = _values(
        annual_section(_scope(world, township=world.township2, user=world.township1_user))
    )
    assert other["dropout.cases_reported"] == 0 and other["dropout.persuasions"] == 0


def test_the_section_is_registered_in_the_summary(world, events):
    keys = [section.key for section in annual_sections(_scope(world))]
    assert "dropout" in keys


@pytest.mark.parametrize("township", [None, "township1"])
def test_each_case_and_exemption_drill_down_lists_exactly_the_figures_rows(world, events, township):
    scope = _scope(world, township=getattr(world, township) if township else None)
    client = client_for(world.bureau)
    section = annual_section(scope)
    checked = 0
    for figure in section.figures:
        if "/dropout/cases/" in figure.drill_url or "/dropout/exemptions/" in figure.drill_url:
            response = client.get(figure.drill_url)
            assert response.status_code == 200, figure.drill_url
            assert response.context["page"].paginator.count == figure.value, figure.key
            checked += 1
    assert checked == 17  # reported, returned, 9 causes, exemptions, 4 kinds, open


def test_the_ledgers_drill_down_counts_the_countys_persuasions_and_measures(world, events):
    section = annual_section(_scope(world))
    figures = {figure.key: figure for figure in section.figures}
    response = client_for(world.bureau).get(figures["dropout.persuasions"].drill_url)
    counts = {row["ledger"].name: row["count"] for row in response.context["rows"]}
    assert counts["persuasions"] == figures["dropout.persuasions"].value == 4
    assert counts["measures"] == figures["dropout.measures"].value == 1


def test_the_register_drill_down_shows_the_years_notices_of_the_township(world, events):
    figure = next(
        f
        for f in annual_section(_scope(world, township=world.township1)).figures
        if f.key == "dropout.notices"
    )
    assert f"township={world.township1.pk}" in figure.drill_url
    assert "kind=resume_notice" in figure.drill_url and f"date_from={Y}-01-01" in figure.drill_url
    response = client_for(world.bureau).get(figure.drill_url)
    assert response.status_code == 200
    # The register lists every number of the year, the voided one too (marked as such).
    documents = [entry.document for entry in response.context["page"] if entry.document]
    in_force = [document for document in documents if document.voided_by_id is None]
    assert len(in_force) == figure.value == 1


def test_a_townships_ledger_drill_down_counts_that_townships_rows_only(world, events):
    section = annual_section(_scope(world, township=world.township1))
    figures = {figure.key: figure for figure in section.figures}
    url = figures["dropout.persuasions"].drill_url
    assert f"township={world.township1.pk}" in url
    response = client_for(world.bureau).get(url)
    rows = {row["ledger"].name: row for row in response.context["rows"]}
    assert rows["persuasions"]["count"] == figures["dropout.persuasions"].value == 3
    assert rows["measures"]["count"] == figures["dropout.measures"].value == 1
    # A ledger that knows no township shows no count rather than the whole county's.
    assert rows["documents"]["count"] is None
    # A township outside the user's scope is ignored: the official's own counts.
    other = client_for(world.township2_user).get(url)
    counts = {row["ledger"].name: row["count"] for row in other.context["rows"]}
    assert counts["persuasions"] == 1  # B's, in township 2
