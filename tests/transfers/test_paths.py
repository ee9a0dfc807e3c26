"""Each path of a transfer, with the ledgers of both sides checked at every step: the child is
in exactly one township's ledger at every moment."""

import datetime

import pytest
from django.utils import timezone

from core.errors import DomainError, TransitionRefused
from core.models import Notification
from dropout.models import DropoutCase, ExemptionRequest
from dropout.services import cases, exemptions
from enrollment.models import Child, EnrollmentStatus, Household
from transfers import services
from transfers.models import Transfer
from transfers.tasks import lapse_unconfirmed_transfers

from .conftest import days_ago, in_ledger, pdf_upload

pytestmark = pytest.mark.django_db(transaction=False)


def ledgers(world, child):
    """(in township 1's ledger, in township 2's ledger)."""
    return in_ledger(world.township1_user, child), in_ledger(world.township2_user, child)


def test_proposed_then_accepted_moves_the_child_between_ledgers_at_one_moment(world):
    child = world.child1
    assert ledgers(world, child) == (True, False)
    transfer = services.propose_transfer(
        actor=world.township1_user,
        child=child,
        to_village=world.village2,
        reason="随母亲迁居",
        new_address="二村河西组5号",
        new_household_head="张桂芳",
    )
    assert transfer.kind == Transfer.Kind.TOWNSHIP
    assert transfer.status == Transfer.Status.PROPOSED
    # Proposed: still township 1's child; both townships see the transfer itself.
    assert ledgers(world, child) == (True, False)
    for user in (world.township1_user, world.township2_user):
        assert Transfer.objects.for_user(user).filter(pk=transfer.pk).exists()
    assert Notification.objects.filter(recipient=world.township2_user).count() == 0  # on commit

    services.accept_transfer(actor=world.township2_user, transfer=transfer)
    assert ledgers(world, child) == (False, True)
    child.refresh_from_db()
    transfer.refresh_from_db()
    assert child.village == world.village2
    assert child.household.village == world.village2
    assert child.household.head_name == "张桂芳"
    assert child.household.address == "二村河西组5号"
    assert child.current_address == "二村河西组5号"
    assert transfer.status == Transfer.Status.ACCEPTED
    assert transfer.to_household_id == child.household_id
    assert transfer.decided_by == world.township2_user
    # Nothing copied: one child row, its history shows the move; the old household stays.
    assert Child.objects.filter(name="王小一").count() == 1
    assert child.history.first().village_id == world.village2.pk
    assert child.history.last().village_id == world.village1.pk
    assert Household.objects.filter(pk=world.household1.pk, village=world.village1).exists()
    assert world.sibling1.village_id == world.village1.pk  # the sibling did not move
    # The village cadre of the old village no longer sees the child.
    assert not in_ledger(world.village1_user, child)


def test_accepting_into_an_existing_household_of_the_receiving_village(world, proposed):
    services.accept_transfer(
        actor=world.township2_user, transfer=proposed, household=world.household2
    )
    child = Child.objects.get(pk=world.child1.pk)
    assert child.household == world.household2
    assert Household.objects.filter(village=world.village2).count() == 1  # none made


def test_a_household_of_another_village_is_refused_and_nothing_moves(world, proposed):
    with pytest.raises(DomainError):
        services.accept_transfer(
            actor=world.township2_user, transfer=proposed, household=world.household1b
        )
    assert Child.objects.get(pk=world.child1.pk).village == world.village1
    proposed.refresh_from_db()
    assert proposed.status == Transfer.Status.PROPOSED


def test_the_open_case_moves_with_its_history_and_exemptions_follow_the_child(world):
    child = world.child1
    # A case of long ago, closed in township 1 (history of the place it happened in).
    closed = DropoutCase.objects.create(
        child=child,
        township=world.township1,
        cause="work",
        status=DropoutCase.Status.CLOSED,
        opened_on=days_ago(400),
        last_action_on=days_ago(380),
        closed_on=days_ago(380),
        close_reason=DropoutCase.CloseReason.AGED_OUT,
    )
    case = cases.open_case(actor=world.township1_user, child=child, cause="learning")
    request = exemptions.register_exemption(
        actor=world.admin,
        child=child,
        kind="suspended",
        reason="other",
        reason_detail="家庭变故",
        start_date=days_ago(1),
        end_date=days_ago(-30),
        application_scan=pdf_upload(),
    )
    transfer = services.propose_transfer(
        actor=world.township1_user,
        child=child,
        to_village=world.village2,
        reason="迁居",
        new_address="二村1号",
    )
    services.accept_transfer(actor=world.township2_user, transfer=transfer)
    case.refresh_from_db()
    closed.refresh_from_db()
    assert case.township == world.township2
    assert closed.township == world.township1  # history stays where it happened
    assert DropoutCase.objects.for_user(world.township2_user).filter(pk=case.pk).exists()
    assert not DropoutCase.objects.for_user(world.township1_user).filter(pk=case.pk).exists()
    assert DropoutCase.objects.for_user(world.township1_user).filter(pk=closed.pk).exists()
    assert case.events.count() >= 1  # the case's events came along (same rows)
    assert case.history.count() >= 2
    assert ExemptionRequest.objects.for_user(world.township2_user).filter(pk=request.pk).exists()
    assert (
        not ExemptionRequest.objects.for_user(world.township1_user).filter(pk=request.pk).exists()
    )


def test_returned_transfer_leaves_the_child_where_it_was(world, proposed):
    services.return_transfer(
        actor=world.township2_user, transfer=proposed, reason="地址不实，请核实"
    )
    proposed.refresh_from_db()
    assert proposed.status == Transfer.Status.RETURNED
    assert proposed.return_reason == "地址不实，请核实"
    assert ledgers(world, world.child1) == (True, False)
    # A new proposal is possible once the first was returned.
    again = services.propose_transfer(
        actor=world.township1_user,
        child=world.child1,
        to_village=world.village2,
        reason="迁居",
        new_address="二村2号",
    )
    assert again.status == Transfer.Status.PROPOSED


def test_returning_needs_a_reason(world, proposed):
    with pytest.raises(DomainError):
        services.return_transfer(actor=world.township2_user, transfer=proposed, reason=" ")
    proposed.refresh_from_db()
    assert proposed.status == Transfer.Status.PROPOSED


def test_between_counties_the_receiving_bureau_accepts(world, other_county):
    child = world.child2
    transfer = services.propose_transfer(
        actor=world.township2_user,
        child=child,
        to_village=other_county.village,
        reason="户籍迁出",
        new_address="邻村3组",
    )
    assert transfer.kind == Transfer.Kind.COUNTY
    assert in_ledger(world.bureau, child) and not in_ledger(other_county.bureau, child)
    # The receiving county's township official is not who decides between counties.
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.accept_transfer(actor=other_county.official, transfer=transfer)
    services.accept_transfer(actor=other_county.bureau, transfer=transfer)
    assert not in_ledger(world.bureau, child)
    assert in_ledger(other_county.bureau, child)
    assert in_ledger(other_county.official, child)
    assert not in_ledger(world.township2_user, child)


def test_out_of_the_deployment_confirmed_counts_as_accounted_for(world, moved_out):
    child = Child.objects.get(pk=world.child1.pk)
    assert moved_out.status == Transfer.Status.AWAITING_CONFIRMATION
    assert child.status == EnrollmentStatus.MOVED_AWAY
    assert moved_out.letter_number == f"一镇教转字〔{timezone.localdate().year}〕1号"
    assert moved_out.confirm_by == days_ago(-30)
    assert in_ledger(world.township1_user, child)  # the child stays in its ledger, moved away
    services.confirm_transfer(
        actor=world.township1_user,
        transfer=moved_out,
        confirmed_on=timezone.localdate(),
        confirmed_by_name="西乡中心小学 刘老师",
    )
    moved_out.refresh_from_db()
    assert moved_out.status == Transfer.Status.CONFIRMED
    # The daily task leaves a confirmed move alone, even long after the window.
    Transfer.objects.filter(pk=moved_out.pk).update(confirm_by=days_ago(5))
    assert services.lapse_overdue() == 0
    assert Child.objects.get(pk=child.pk).status == EnrollmentStatus.MOVED_AWAY


def test_confirmation_needs_a_name_and_a_date_not_in_the_future(world, moved_out):
    with pytest.raises(DomainError):
        services.confirm_transfer(
            actor=world.township1_user,
            transfer=moved_out,
            confirmed_on=timezone.localdate(),
            confirmed_by_name="",
        )
    with pytest.raises(DomainError):
        services.confirm_transfer(
            actor=world.township1_user,
            transfer=moved_out,
            confirmed_on=days_ago(-1),
            confirmed_by_name="刘老师",
        )
    moved_out.refresh_from_db()
    assert moved_out.status == Transfer.Status.AWAITING_CONFIRMATION


def test_unconfirmed_move_out_returns_to_the_unaccounted_list_once(
    world, moved_out, django_capture_on_commit_callbacks
):
    Transfer.objects.filter(pk=moved_out.pk).update(confirm_by=timezone.localdate())
    assert services.lapse_overdue() == 0  # the last day of the window
    Transfer.objects.filter(pk=moved_out.pk).update(confirm_by=days_ago(1))
    with django_capture_on_commit_callbacks(execute=True):
        assert services.lapse_overdue() == 1
    moved_out.refresh_from_db()
    child = Child.objects.get(pk=world.child1.pk)
    assert moved_out.status == Transfer.Status.LAPSED
    assert child.status == EnrollmentStatus.UNVERIFIED  # 去向不明 again
    assert (
        Notification.objects.filter(
            recipient=world.township1_user, key=f"transfer-lapsed-{moved_out.pk}"
        ).count()
        == 1
    )
    # Idempotent: the task again changes nothing.
    assert services.lapse_overdue() == 0
    lapses = child.status_changes.filter(
        status=EnrollmentStatus.UNVERIFIED, reason__contains=moved_out.letter_number
    )
    assert lapses.count() == 1


def test_the_beat_task_lapses_overdue_moves(world, moved_out):
    Transfer.objects.filter(pk=moved_out.pk).update(confirm_by=days_ago(1))
    assert lapse_unconfirmed_transfers() == {"lapsed": 1}
    assert lapse_unconfirmed_transfers() == {"lapsed": 0}


def test_a_child_has_one_transfer_under_way_at_most(world, proposed):
    with pytest.raises(TransitionRefused):
        services.move_out(
            actor=world.township1_user, child=world.child1, destination="外省", reason="外出"
        )


def test_a_move_inside_the_own_township_is_not_a_transfer(world):
    with pytest.raises(DomainError):
        services.propose_transfer(
            actor=world.township1_user,
            child=world.child1,
            to_village=world.village1b,
            reason="迁居",
            new_address="一村乙1号",
        )
    assert not Transfer.objects.exists()


def test_accepting_twice_is_refused_with_the_state(world, proposed):
    services.accept_transfer(actor=world.township2_user, transfer=proposed)
    with pytest.raises(TransitionRefused):
        services.accept_transfer(actor=world.township2_user, transfer=proposed)
    assert Child.objects.get(pk=world.child1.pk).village == world.village2


def test_letter_numbers_run_per_township_and_year_without_gaps(world):
    first = services.move_out(
        actor=world.township1_user, child=world.child1, destination="外省甲", reason="务工"
    )
    second = services.move_out(
        actor=world.township1_user, child=world.sibling1, destination="外省乙", reason="务工"
    )
    other = services.move_out(
        actor=world.township2_user, child=world.child2, destination="外省丙", reason="务工"
    )
    year = timezone.localdate().year
    assert [first.letter_number, second.letter_number, other.letter_number] == [
        f"一镇教转字〔{year}〕1号",
        f"一镇教转字〔{year}〕2号",
        f"二镇教转字〔{year}〕1号",
    ]
    assert datetime.date.today().year == year
