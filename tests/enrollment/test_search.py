"""The header's search box: children (name, full ID, last digits), households and cases within
the user's scope, masked as lists are, and audited without the query."""

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.models import AuditEvent
from dropout.models import DropoutCase
from dropout.services.cases import open_case
from tests.conftest import client_for
from tests.factories import ChildFactory

URL = reverse("enrollment:search")


def _page(user, q):
    answer = client_for(user).get(URL, {"q": q})
    assert answer.status_code == 200
    page = answer.content.decode()
    # The results only (the box echoes the query).
    return page[page.index("<main") :].split('id="search-page-q"', 1)[-1].split(">", 1)[-1]


def test_a_township_official_does_not_find_another_townships_child(world):
    assert "李小二" not in _page(world.township1_user, "李小二")
    assert "李小二" in _page(world.township2_user, "李小二")
    assert "王小一" in _page(world.township1_user, "王小")
    # Nor by its ID.
    assert "李小二" not in _page(world.township1_user, world.child2.resident_id)


def test_last_digits_and_full_id_find_the_child_masked(world):
    resident_id = world.child1.resident_id
    for query in (resident_id, resident_id[-6:]):
        page = _page(world.township1_user, query)
        assert "王小一" in page
        assert resident_id not in page
        assert resident_id[:4] + "*" in page


def test_the_last_four_of_an_id_ending_in_x_find_the_child(world):
    """尾号 of an ID whose check character is X: three digits and the X (either case)."""
    import datetime

    from core.resident_id import make_resident_id

    resident_id = next(
        number
        for sequence in range(500)
        if (
            number := make_resident_id(
                place_code="510304",
                birth_date=datetime.date(2016, 5, 6),
                sequence=sequence,
                sex="F",
            )
        ).endswith("X")
    )
    ChildFactory(household=world.household1, name="尾号叉", resident_id=resident_id)
    for query in (resident_id[-4:], resident_id[-4:].lower(), resident_id[-6:]):
        assert "尾号叉" in _page(world.township1_user, query), query


def test_households_and_cases_are_found(world, legal_texts):
    open_case(actor=world.township1_user, child=world.child1, cause=DropoutCase.Cause.WORK)
    page = _page(world.township1_user, "王")
    assert 'id="results-households"' in page and "王一" in page
    assert reverse("dropout:case_detail", args=[world.child1.dropout_cases.get().pk]) in page
    assert reverse("dropout:case_detail", args=[1_000_000]) not in page
    # The other township's official sees neither the household nor the case.
    other = _page(world.township2_user, "王小一")
    assert "王小一" not in other


def test_a_search_is_audited_without_what_was_typed(world):
    resident_id = world.child1.resident_id
    _page(world.township1_user, resident_id)
    event = AuditEvent.objects.filter(object_type="search").latest("pk")
    assert event.user == world.township1_user
    assert event.detail["search"] == "resident_id"
    assert resident_id not in str(event.detail) + event.object_repr
    assert resident_id[-4:] not in str(event.detail)


def test_search_query_count_does_not_grow_with_results(world, legal_texts):
    def count():
        client = client_for(world.township1_user)
        client.get(URL, {"q": "王"})  # the session and the menus warm up
        with CaptureQueriesContext(connection) as queries:
            assert client.get(URL, {"q": "王"}).status_code == 200
        return len(queries)

    before = count()
    for index in range(5):
        ChildFactory(household=world.household1, name=f"王多{index}")
    assert count() == before


def test_the_header_has_the_search_box_and_short_queries_find_nothing(world):
    page = client_for(world.village1_user).get(URL).content.decode()
    assert 'id="header-search"' in page and 'id="search-results"' not in page
    assert 'id="search-results"' not in _page(world.village1_user, "123")
    assert client_for(world.auditor).get(URL, {"q": "王小"}).status_code == 200


def test_a_childs_page_links_to_its_cases_and_subsidies(world, legal_texts):
    case = open_case(actor=world.township1_user, child=world.child1, cause=DropoutCase.Cause.WORK)
    page = client_for(world.township1_user).get(
        reverse("enrollment:child_detail", args=[world.child1.pk])
    )
    text = page.content.decode()
    assert reverse("dropout:case_detail", args=[case.pk]) in text
    assert 'id="subsidies-panel"' in text and 'id="visits"' in text
