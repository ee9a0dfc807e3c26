"""Two officials of the receiving township accept the same transfer at the same moment: one
acceptance, one refusal, the child moved once."""

import threading

import pytest
from django.db import connection

from core.errors import TransitionRefused
from enrollment.models import Child, Household
from enrollment.roles import Role
from enrollment.services import grant_role
from transfers import services
from transfers.models import Transfer

from ..factories import UserFactory


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_acceptances_move_the_child_once(world):
    if connection.vendor != "postgresql":
        pytest.fail("needs PostgreSQL")
    colleague = UserFactory(username="township2b")
    grant_role(user=colleague, role=Role.TOWNSHIP_OFFICIAL, place=world.township2)
    transfer = services.propose_transfer(
        actor=world.township1_user,
        child=world.child1,
        to_village=world.village2,
        reason="迁居",
        new_address="二村1号",
    )
    barrier = threading.Barrier(2)
    outcomes, errors = [], []

    def accept(user):
        try:
            barrier.wait()
            services.accept_transfer(actor=user, transfer=Transfer(pk=transfer.pk))
            outcomes.append("accepted")
        except TransitionRefused:
            outcomes.append("refused")
        except Exception as error:  # noqa: BLE001 — reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=accept, args=(user,)) for user in (world.township2_user, colleague)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(outcomes) == ["accepted", "refused"]
    child = Child.objects.get(pk=world.child1.pk)
    assert child.village == world.village2
    assert Household.objects.filter(village=world.village2).count() == 2  # 李二's + one new
    assert child.history.filter(village=world.village2).count() == 1
    assert Transfer.objects.get(pk=transfer.pk).status == Transfer.Status.ACCEPTED
