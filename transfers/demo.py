"""Demo transfers of the demo county: this year a move between townships waiting for the
receiving township, a move out waiting for the destination's confirmation and an accepted move;
last year accepted, returned and confirmed ones. Through the services, then dated back."""

import datetime

from django.db import transaction

from core.services import today as local_today
from enrollment.models import Child, EnrollmentStatus, Village
from subsidies.models import Payment, census_date

from . import services
from .models import Transfer


def _children(township, count, *, leaving_on=None, today=None):
    """`count` pupils of `township` with no transfer yet. `leaving_on`: the day they leave the
    deployment — pupils in school since before it, on no subsidy list of a period whose census
    day is on or after it (the subsidies' demo paid the pupils in school on each census day: one
    who had left by then would be a gap the demo did not plan)."""
    pupils = Child.objects.filter(
        village__township=township, status=EnrollmentStatus.IN_SCHOOL
    ).exclude(transfers__isnull=False)
    if leaving_on is not None:
        periods = [
            period
            for year in range(leaving_on.year - 1, today.year + 1)
            for period in (f"{year}", f"{year}-1", f"{year}-2")
            if census_date(period) >= leaving_on
        ]
        pupils = pupils.filter(status_since__lt=leaving_on).exclude(
            pk__in=Payment.objects.filter(period__in=periods).values("child_id")
        )
    return list(pupils.order_by("pk")[:count])


def _leaving_last(township, count, *, leaving_on, today):
    """`count` pupils of `township`, the last of them one who can leave the deployment on
    `leaving_on` (none when there is no such pupil)."""
    leaver = _children(township, 1, leaving_on=leaving_on, today=today)
    others = [child for child in _children(township, count) if child not in leaver]
    return others[: count - 1] + leaver if leaver else []


def _village(township):
    return Village.objects.filter(township=township).order_by("code").first()


def _dated(transfer, proposed_on, decided_on=None, **more):
    Transfer.objects.filter(pk=transfer.pk).update(
        proposed_on=proposed_on, decided_on=decided_on, **more
    )


def load_transfers_demo(county, users, scale=None) -> str:
    if Transfer.objects.filter(from_county=county).exists():
        return "transfers demo already present"
    townships = list(county.townships.order_by("code")[:3])
    if len(townships) < 3:
        return "transfers demo: too few townships"
    first, second, third = townships
    official = users.get("township1")
    bureau = users.get("bureau")
    today = local_today()
    last_year = today.replace(year=today.year - 1, month=10, day=12)
    moving = _leaving_last(first, 3, leaving_on=today, today=today)
    leaving = _leaving_last(second, 3, leaving_on=last_year, today=today)
    if len(moving) < 3 or len(leaving) < 3:
        return "transfers demo: too few children"
    with transaction.atomic():
        # Last year: an accepted move, a returned one, a move out confirmed by the destination.
        done = services.propose_transfer(
            actor=bureau,
            child=leaving[0],
            to_village=_village(third),
            reason="随父母迁居",
            new_address=f"{third.name}新街12号",
        )
        services.accept_transfer(actor=None, transfer=done)
        _dated(done, last_year, last_year + datetime.timedelta(days=4))
        returned = services.propose_transfer(
            actor=official,
            child=moving[0],
            to_village=_village(third),
            reason="投靠亲属",
            new_address=f"{third.name}东村3组",
        )
        services.return_transfer(
            actor=None, transfer=returned, reason="该户未在本镇落户，请核实现住址后重新提出。"
        )
        _dated(returned, last_year, last_year + datetime.timedelta(days=6))
        out = services.move_out(
            actor=bureau,
            child=leaving[2],
            destination="四川省成都市武侯区教育局",
            destination_school="成都市武侯区第二小学",
            reason="随父母外出务工",
            on=last_year,
        )
        services.confirm_transfer(
            actor=bureau,
            transfer=out,
            confirmed_on=last_year + datetime.timedelta(days=9),
            confirmed_by_name="武侯区第二小学 教务处 刘老师",
        )
        _dated(out, last_year, last_year + datetime.timedelta(days=9))
        # This year: accepted, and two under way (the home queues show them).
        accepted = services.propose_transfer(
            actor=bureau,
            child=leaving[1],
            to_village=_village(first),
            reason="户籍迁入",
            new_address=f"{first.name}人民路8号",
        )
        services.accept_transfer(actor=None, transfer=accepted)
        earlier = max(today - datetime.timedelta(days=20), today.replace(month=1, day=1))
        _dated(accepted, earlier, earlier + datetime.timedelta(days=2))
        pending = services.propose_transfer(
            actor=official,
            child=moving[1],
            to_village=_village(second),
            reason="随母亲迁居外婆家",
            new_address=f"{second.name}河西组5号",
            new_household_head="张桂芳",
        )
        _dated(pending, today - datetime.timedelta(days=3))
        services.move_out(
            actor=official,
            child=moving[2],
            destination="广东省深圳市宝安区教育局",
            destination_school="宝安区西乡中心小学",
            reason="随父母外出务工",
        )
    return "transfers: 6 (2 under way)"
