"""The demo's 四查三比对 (a demo loader, run after the county is built): the police extract and
the 学籍 roster as if both had been imported, with a few mismatches of every kind, a resolved
one, and the quarterly re-checks (季度复核) of last year and this year.

- the police list every child with an ID but three pupils (in school, in no police extract);
- the roster lists the pupils in school (在籍 at their school), except two 休学 and one 转出 while
  the registry has them in school (status differs), plus three children the registry has as
  not verified (学籍 in the township, not in school); the children out of school are on no
  roster (police but no 学籍)."""

import datetime

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from core.bulk_copy import copy_update

from ..crosscheck_models import MismatchKind, MismatchResolution, QuarterlyRecheck
from ..four_sources import township_counts
from ..imports.roster import ROSTER_FIELDS, ROSTER_REASON
from ..models import UNACCOUNTED_STATUSES, Child, EnrollmentStatus, RosterStatus

S = EnrollmentStatus


def load_roster_demo(county, users, scale) -> str:
    children = Child.objects.filter(village__township__county=county)
    if children.exclude(student_number=None).exists():
        return "四查三比对: already loaded"
    today = timezone.localdate()
    with transaction.atomic():
        pupils = list(
            children.filter(status=S.IN_SCHOOL, has_no_resident_id=False)
            .exclude(current_school=None)
            .order_by("pk")
            .values("pk", "resident_id", "current_school_id", "grade", "class_name")
        )
        unlisted = [pupil["pk"] for pupil in pupils[5:8]]  # in school, no police extract
        children.filter(has_no_resident_id=False).exclude(pk__in=unlisted).update(
            police_listed_on=today - datetime.timedelta(days=60)
        )
        differs = {
            pupil["pk"]: status
            for pupil, status in zip(
                pupils[10:13],
                (RosterStatus.SUSPENDED, RosterStatus.SUSPENDED, RosterStatus.TRANSFERRED_OUT),
                strict=False,
            )
        }
        rows = [
            {
                "id": pupil["pk"],
                "student_number": "G" + pupil["resident_id"],
                "roster_status": differs.get(pupil["pk"], RosterStatus.ENROLLED),
                "roster_school_id": pupil["current_school_id"],
                "roster_grade": pupil["grade"] or 1,
                "roster_class": pupil["class_name"] or "1班",
                "roster_listed_on": today - datetime.timedelta(days=30),
            }
            for pupil in pupils
        ]
        schools = {pupil["current_school_id"] for pupil in pupils}
        school_of_township = {}
        for child in children.filter(current_school_id__in=schools).select_related(
            "current_school"
        )[:200]:
            school_of_township.setdefault(child.current_school.township_id, child.current_school)
        missing = (
            children.filter(status__in=UNACCOUNTED_STATUSES, has_no_resident_id=False)
            .select_related("village")
            .order_by("pk")
        )
        added = 0
        for child in missing:
            school = school_of_township.get(child.village.township_id)
            if school is None:
                continue
            rows.append(
                {
                    "id": child.pk,
                    "student_number": "G" + child.resident_id,
                    "roster_status": RosterStatus.ENROLLED,
                    "roster_school_id": school.pk,
                    "roster_grade": 3,
                    "roster_class": "1班",
                    "roster_listed_on": today - datetime.timedelta(days=30),
                }
            )
            added += 1
            if added == 3:
                break
        user = users.get("bureau")
        copy_update(
            Child, rows, fields=ROSTER_FIELDS, history_user=user, history_reason=ROSTER_REASON
        )
        _resolutions_and_rechecks(county, users, rows, today)
    return f"四查三比对: {len(rows)} pupils on the roster, {len(differs)} statuses differ"


def _resolutions_and_rechecks(county, users, rows, today) -> None:
    township_user = users.get("township1")
    bureau = users.get("bureau") or get_user_model().objects.filter(is_superuser=True).first()
    township = county.townships.order_by("code").first()
    if township_user is not None:
        first = (
            Child.objects.filter(village__township=township, status=S.UNVERIFIED)
            .exclude(police_listed_on=None)
            .filter(roster_status="")
            .order_by("pk")
            .first()
        )
        if first is not None:
            MismatchResolution.objects.create(
                child=first,
                kind=MismatchKind.POLICE_NO_ROSTER,
                note="随父母在外省就读，已取得就读学校证明",
                resolved_by=township_user,
            )
    if bureau is None:
        return
    quarter = (today.month - 1) // 3 + 1
    past = [(today.year - 1, 4)]
    if quarter > 1:
        past.append((today.year, quarter - 1))
    for year, number in past:
        for township in county.townships.order_by("code"):
            recheck = QuarterlyRecheck.objects.create(
                township=township,
                year=year,
                quarter=number,
                confirmed_by=bureau,
                counts={str(k): n for k, n in township_counts(bureau, township).items()},
            )
            confirmed = datetime.datetime(year, number * 3, 25, 10, 0, tzinfo=datetime.UTC)
            QuarterlyRecheck.objects.filter(pk=recheck.pk).update(confirmed_at=confirmed)
