"""Who sees and takes which step: scope (404), role (403), state (409), from both sides, on the
pages and the API."""

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from enrollment.models import Child
from transfers import services
from transfers.models import Transfer

from ..conftest import api_for, client_for
from .conftest import in_ledger

pytestmark = pytest.mark.django_db


def test_both_townships_see_the_transfer_and_nobody_else_below_the_county(world, proposed):
    for user in (world.township1_user, world.township2_user, world.bureau, world.auditor):
        assert (
            client_for(user).get(reverse("transfers:detail", args=[proposed.pk])).status_code == 200
        )
    for user in (world.school1_user,):
        assert (
            client_for(user).get(reverse("transfers:detail", args=[proposed.pk])).status_code == 404
        )


def test_another_countys_bureau_cannot_open_the_transfer(world, proposed, other_county):
    response = client_for(other_county.bureau).get(reverse("transfers:detail", args=[proposed.pk]))
    assert response.status_code == 404
    assert (
        api_for(other_county.bureau)
        .post(f"/api/v1/transfers/{proposed.pk}/accept/", {}, format="json")
        .status_code
        == 404
    )


def test_the_receiving_township_accepts_on_the_page(world, proposed):
    url = reverse("transfers:step", args=[proposed.pk, "accept"])
    client = client_for(world.township2_user)
    assert client.get(url).status_code == 200
    response = client.post(url, {"household": ""})
    assert response.status_code == 302
    assert in_ledger(world.township2_user, world.child1)
    assert not in_ledger(world.township1_user, world.child1)


def test_the_sending_township_cannot_accept_its_own_proposal(world, proposed):
    url = reverse("transfers:step", args=[proposed.pk, "accept"])
    assert client_for(world.township1_user).post(url, {}).status_code == 403
    with pytest.raises(PermissionDenied):
        services.accept_transfer(actor=world.township1_user, transfer=proposed)
    proposed.refresh_from_db()
    assert proposed.status == Transfer.Status.PROPOSED


@pytest.mark.parametrize("username", ["auditor", "inspector", "bureau"])
def test_roles_other_than_the_receiving_official_get_403_between_townships(
    world, proposed, username
):
    user = getattr(world, username)
    response = api_for(user).post(f"/api/v1/transfers/{proposed.pk}/accept/", {}, format="json")
    assert response.status_code == 403
    proposed.refresh_from_db()
    assert proposed.status == Transfer.Status.PROPOSED


def test_accepting_twice_answers_409_on_the_api(world, proposed):
    api = api_for(world.township2_user)
    first = api.post(f"/api/v1/transfers/{proposed.pk}/accept/", {}, format="json")
    assert first.status_code == 200
    assert first.json()["status"] == "accepted"
    second = api.post(f"/api/v1/transfers/{proposed.pk}/accept/", {}, format="json")
    assert second.status_code == 409
    assert Child.objects.get(pk=world.child1.pk).village == world.village2


def test_return_on_the_api_needs_a_reason(world, proposed):
    api = api_for(world.township2_user)
    url = f"/api/v1/transfers/{proposed.pk}/return/"
    assert api.post(url, {}, format="json").status_code == 400
    proposed.refresh_from_db()
    assert proposed.status == Transfer.Status.PROPOSED
    answer = api.post(url, {"reason": "地址不实"}, format="json")
    assert answer.status_code == 200
    assert answer.json()["status"] == "returned"


def test_confirm_on_the_api_is_the_senders_step(world, moved_out):
    url = f"/api/v1/transfers/{moved_out.pk}/confirm/"
    body = {"confirmed_on": moved_out.letter_issued_on.isoformat(), "confirmed_by_name": "刘老师"}
    assert api_for(world.township2_user).post(url, body, format="json").status_code == 404
    assert api_for(world.auditor).post(url, body, format="json").status_code == 403
    answer = api_for(world.township1_user).post(url, body, format="json")
    assert answer.status_code == 200
    assert answer.json()["status"] == "confirmed"
    again = api_for(world.township1_user).post(url, body, format="json")
    assert again.status_code == 409


def test_the_api_lists_within_scope_with_the_callers_steps(world, proposed):
    rows = api_for(world.township2_user).get("/api/v1/transfers/").json()["results"]
    assert [(row["id"], row["actions"]) for row in rows] == [(proposed.pk, ["accept", "return"])]
    rows = api_for(world.township1_user).get("/api/v1/transfers/").json()["results"]
    assert [(row["id"], row["actions"]) for row in rows] == [(proposed.pk, [])]
    assert api_for(world.school1_user).get("/api/v1/transfers/").json()["results"] == []


def test_proposing_needs_the_role_over_the_child(world):
    url = reverse("transfers:propose", args=[world.child1.pk])
    assert client_for(world.township1_user).get(url).status_code == 200
    assert client_for(world.auditor).get(url).status_code == 403
    assert client_for(world.village1_user).get(url).status_code == 403
    assert client_for(world.township2_user).get(url).status_code == 404
    assert client_for(world.auditor).post(url, {}).status_code == 403
    assert not Transfer.objects.exists()


def test_the_propose_form_creates_the_transfer(world):
    url = reverse("transfers:propose", args=[world.child1.pk])
    response = client_for(world.township1_user).post(
        url,
        {"to_village": world.village2.pk, "new_address": "二村1号", "reason": "迁居"},
    )
    transfer = Transfer.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("transfers:detail", args=[transfer.pk])
    assert transfer.to_township == world.township2


def test_a_bad_proposal_shows_the_error_and_changes_nothing(world):
    url = reverse("transfers:propose", args=[world.child1.pk])
    response = client_for(world.township1_user).post(
        url, {"to_village": world.village2.pk, "new_address": "二村1号", "reason": ""}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["reason"]
    # A village of the own township is not offered.
    response = client_for(world.township1_user).post(
        url, {"to_village": world.village1b.pk, "new_address": "一村乙", "reason": "迁居"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["to_village"]
    assert not Transfer.objects.exists()
    assert Child.objects.get(pk=world.child1.pk).village == world.village1


def test_a_move_out_without_destination_is_refused(world):
    url = reverse("transfers:move_out", args=[world.child1.pk])
    response = client_for(world.township1_user).post(url, {"destination": "", "reason": "务工"})
    assert response.status_code == 200
    assert response.context["form"].errors["destination"]
    assert not Transfer.objects.exists()
    assert Child.objects.get(pk=world.child1.pk).status == "in_school"


def test_a_wrong_state_step_on_the_page_explains_and_changes_nothing(world, proposed):
    services.return_transfer(actor=world.township2_user, transfer=proposed, reason="不实")
    url = reverse("transfers:step", args=[proposed.pk, "accept"])
    response = client_for(world.township2_user).post(url, {"household": ""})
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert in_ledger(world.township1_user, world.child1)


def test_the_child_page_offers_the_move_to_the_sending_township_only(world):
    url = reverse("enrollment:child_detail", args=[world.child1.pk])
    page = client_for(world.township1_user).get(url).content.decode()
    assert reverse("transfers:move_out", args=[world.child1.pk]) in page
    assert reverse("transfers:propose", args=[world.child1.pk]) in page
    page = client_for(world.auditor).get(url).content.decode()
    assert reverse("transfers:move_out", args=[world.child1.pk]) not in page


def test_both_home_pages_show_the_pending_transfer(world, proposed):
    for user in (world.township1_user, world.township2_user):
        page = client_for(user).get("/").content.decode()
        assert 'id="queue-transfers_pending"' in page
        assert reverse("transfers:detail", args=[proposed.pk]) in page


def test_the_list_filters_incoming_and_outgoing(world, proposed):
    client = client_for(world.township2_user)
    page = client.get(reverse("transfers:list"), {"direction": "incoming"})
    assert [t.pk for t in page.context["page"]] == [proposed.pk]
    page = client.get(reverse("transfers:list"), {"direction": "outgoing"})
    assert list(page.context["page"]) == []
    page = client_for(world.township1_user).get(reverse("transfers:list"), {"status": "accepted"})
    assert list(page.context["page"]) == []


def test_the_list_and_the_api_list_load_in_a_fixed_number_of_queries(
    world, django_assert_max_num_queries
):
    children = [world.child1, world.sibling1, world.child1b]
    for number, child in enumerate(children):
        services.propose_transfer(
            actor=world.township1_user,
            child=child,
            to_village=world.village2,
            reason="迁居",
            new_address=f"二村{number}号",
        )
    client = client_for(world.township2_user)
    api = api_for(world.township2_user)
    client.get(reverse("transfers:list"))  # warm the session and the user's caches
    with django_assert_max_num_queries(8):
        page = client.get(reverse("transfers:list"))
    assert len(page.context["page"]) == 3
    with django_assert_max_num_queries(6):
        rows = api.get("/api/v1/transfers/").json()["results"]
    assert len(rows) == 3
