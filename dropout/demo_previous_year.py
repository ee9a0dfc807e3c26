"""The demo's previous calendar year of dropout control: a dozen cases opened in last year's
spring and autumn, persuaded by two officials, most back at school after the visits alone, some
after a notice to resume schooling, two after a penalty decision (one with a further measure);
and suspensions and deferrals approved by the township and filed with the bureau last year.

Everything a service can date is dated through it (`opened_on`, `date`, `served_on`,
`returned_on`…), on pupils whose status history ends before the case opens, so each child's
history runs in order and ends where it is now (back in school). Two records have no dated
service step: the time of an exemption request's steps (the moment it is recorded) is set to
last year afterwards, as the risk demo dates the status history as entered; and a deferral of
school entry lies before the pupil's first recorded September, so its request is the filed
backstory `demo._exemptions` writes and its status entry is added before that September, as the
enrollment demo adds earlier school years (`enrollment.demo.help`)."""

import datetime

from django.utils import timezone

from enrollment.models import Child, EnrollmentStatus, EnrollmentStatusChange
from enrollment.services import change_status

from .models import ExemptionRequest, ExemptionStep
from .services import cases, documents, exemptions

S = EnrollmentStatus
# (cause, how far the procedure went before the child came back)
PLAN = [
    ("learning", "persuaded"),
    ("work", "persuaded"),
    ("poverty", "notice"),
    ("illness", "persuaded"),
    ("distance", "persuaded"),
    ("family", "penalty"),
    ("work", "notice"),
    ("learning", "persuaded"),
    ("poverty", "persuaded"),
    ("marriage", "penalty_measure"),
    ("distance", "notice"),
    ("illness", "persuaded"),
]
RETURNED = {
    "visitors": "乡镇干部、班主任",
    "what_was_said": "宣讲《义务教育法》和资助政策，联系学校安排补课",
    "family_answer": "家长答应近日送孩子返校",
    "result": "promised",
}


def load_previous_year(county, users, today: datetime.date) -> str:
    """Last year's cases and exemptions (None of it when last year's cases are present)."""
    from .demo import PERSUASION

    year = today.year - 1
    pupils = _pupils(county, users, before=datetime.date(year, 3, 1))
    made = 0
    for index, (cause, reach) in enumerate(PLAN):
        if not pupils:
            break
        child = pupils.pop(0)
        spring = index < len(PLAN) // 2
        half = index % (len(PLAN) // 2)
        # After the terms' census days (subsidies: 1 March, 1 October + a few days), so that
        # no child is out of school on one and the subsidy gap check stays as the demo plants it.
        opened = datetime.date(year, 3 if spring else 10, 10) + datetime.timedelta(days=8 * half)
        _case(users, child, cause, reach, opened, PERSUASION)
        made += 1
    suspended = _suspensions(users, pupils[:3], year)
    deferred = _deferrals(county, users, year, today)
    # This year's further measure (the current cases do not reach one): a case of this spring
    # taken to a penalty decision and a measure, the child back at school since.
    spring = datetime.date(today.year, 3, 10)
    if pupils[3:] and spring + datetime.timedelta(days=40) <= today:
        _case(users, pupils[3], "work", "penalty_measure", spring, PERSUASION)
    return f"{made} cases, {suspended} suspensions and {deferred} deferrals of {year}"


def _pupils(county, users, before: datetime.date) -> list:
    """Pupils on a roll since before `before` with nothing recorded since, in townships with
    their own official (two officials for the penalty), none of them the first school's (its
    pupils carry the current year's requests and absences)."""
    townships = [key.split(":", 1)[1] for key in users if str(key).startswith("township_official:")]
    school1 = users["school1"].role_assignments.first().school
    return list(
        Child.objects.filter(
            village__township__county=county,
            village__township_id__in=townships,
            status=S.IN_SCHOOL,
            status_since__lt=before,
            grade__in=(3, 4, 5),
            exemptions__isnull=True,
            absences__isnull=True,
            dropout_cases__isnull=True,
        )
        .exclude(current_school=school1)
        .select_related("village__township", "household", "current_school")
        .order_by("-pk")[:16]
    )


def _case(users, child, cause, reach, opened, persuasion):
    from .demo import SERVICE, _officers, _prior_notice

    actor = users[f"township_official:{child.village.township_id}"]
    school, grade = child.current_school, child.grade
    case = cases.open_case(
        actor=actor,
        child=child,
        cause=cause,
        cause_detail="连续缺课一周以上，经核实已辍学",
        responsible_persons="乡镇长（包保）\n村主任\n校长\n班主任",
        opened_on=opened,
    )
    visitors = [actor, users["bureau"]]
    for offset in (1, 5):
        cases.log_persuasion(
            actor=actor,
            case=case,
            date=opened + datetime.timedelta(days=offset),
            officers=visitors,
            **persuasion,
        )
    back = opened + datetime.timedelta(days=12)
    if reach != "persuaded":
        documents.issue_resume_notice(
            actor=actor,
            case=case,
            served_on=opened + datetime.timedelta(days=10),
            served_to=child.guardian_name,
            service_place=child.household.address,
            **SERVICE,
        )
        back = opened + datetime.timedelta(days=16)
    if reach.startswith("penalty"):
        officers = _officers(users, actor)
        _prior_notice(actor, case, child, officers, opened + datetime.timedelta(days=20))
        documents.decide_penalty(
            actor=actor,
            case=case,
            decided_on=opened + datetime.timedelta(days=25),
            facts_and_evidence="入户劝返记录两份、限期复学通知书送达回证一份。",
            penalty="警告",
            compliance="自收到本决定书之日起七日内送子女到校复学。",
            served_to=child.guardian_name,
            service_place=child.household.address,
            officers=officers,
            service_method="in_person",
        )
        back = opened + datetime.timedelta(days=33)
        if reach == "penalty_measure":
            cases.add_measure(
                actor=actor,
                case=case,
                kind="demand",
                date=opened + datetime.timedelta(days=33),
                description="向监护人送达履行催告书。",
            )
            back = opened + datetime.timedelta(days=40)
    # The visit that brought the child back, a few days before the return.
    cases.log_persuasion(
        actor=actor,
        case=case,
        date=back - datetime.timedelta(days=2),
        officers=visitors,
        **RETURNED,
    )
    cases.return_to_school(actor=actor, case=case, school=school, grade=grade, returned_on=back)


def _step_times(request, days: dict) -> None:
    """The request's steps at the days they were taken (10:00 local time)."""
    for action, day in days.items():
        moment = timezone.make_aware(datetime.datetime.combine(day, datetime.time(10)))
        ExemptionStep.objects.filter(request=request, action=action).update(at=moment)


def _suspensions(users, pupils, year) -> int:
    """休学 for illness in last year's spring and autumn, back at school afterwards."""
    from .demo import _scan

    periods = [
        (datetime.date(year, 3, 17), datetime.date(year, 7, 4), datetime.date(year, 9, 1)),
        (datetime.date(year, 4, 14), datetime.date(year, 7, 4), datetime.date(year, 9, 1)),
        (datetime.date(year, 10, 13), datetime.date(year, 12, 12), datetime.date(year, 12, 15)),
    ]
    for child, (start, end, back) in zip(pupils, periods, strict=False):
        official = users[f"township_official:{child.village.township_id}"]
        school, grade = child.current_school, child.grade
        request = exemptions.register_exemption(
            actor=users["admin"],
            child=child,
            kind="suspended",
            reason="illness",
            reason_detail="因病住院治疗，需休学休养（医院诊断证明）",
            start_date=start,
            end_date=end,
            application_scan=_scan("申请书.pdf"),
            evidence=_scan("诊断证明.pdf"),
        )
        exemptions.township_approve(actor=official, request=request, note="情况属实，同意")
        exemptions.file_exemption(actor=users["bureau"], request=request)
        _step_times(
            request,
            {
                "submit": start - datetime.timedelta(days=9),
                "approve": start - datetime.timedelta(days=6),
                "file": start - datetime.timedelta(days=3),
            },
        )
        change_status(
            actor=users["admin"],
            child=child,
            status=S.IN_SCHOOL,
            effective_date=back,
            school=school,
            grade=grade,
            reason="休学期满复学",
        )
    return min(len(pupils), len(periods))


def _deferrals(county, users, year, today) -> int:
    """缓学 of school entry: pupils who entered grade 1 at seven on the latest 1 September, their
    deferral filed last year — for the school year before that September (filed the August
    before it) or, when that September is last year's, for the term before it (filed in
    February)."""
    from .demo import _scan

    entry_day = datetime.date(today.year if today.month >= 9 else today.year - 1, 9, 1)
    if entry_day.year > year:
        start, filed = datetime.date(year, 9, 1), datetime.date(year, 8, 20)
    else:
        start, filed = datetime.date(year, 3, 1), datetime.date(year, 2, 20)
    entries = list(
        EnrollmentStatusChange.objects.filter(
            child__village__township__county=county,
            child__birth_date__lt=datetime.date(entry_day.year - 6, 9, 1),
            child__exemptions__isnull=True,
            status=S.IN_SCHOOL,
            grade=1,
            effective_date=entry_day,
            previous_status="",
        )
        .exclude(child__status_changes__effective_date__lt=entry_day)
        .select_related("child")
        .order_by("child_id")[:2]
    )
    for entry in entries:
        request = ExemptionRequest.objects.create(
            child=entry.child,
            kind="deferred",
            reason="illness",
            reason_detail="体弱多病，经医院诊断暂缓入学一年",
            start_date=start,
            end_date=entry_day - datetime.timedelta(days=1),
            application_scan=_scan("申请书.pdf"),
            evidence=_scan("诊断证明.pdf"),
            status=ExemptionRequest.Status.FILED,
            registered_by=users["admin"],
        )
        for action, status in (
            ("submit", "submitted"),
            ("approve", "township_approved"),
            ("file", "filed"),
        ):
            ExemptionStep.objects.create(
                request=request, action=action, to_status=status, actor=users["admin"]
            )
        _step_times(
            request,
            {
                "submit": filed - datetime.timedelta(days=10),
                "approve": filed - datetime.timedelta(days=6),
                "file": filed,
            },
        )
        EnrollmentStatusChange.objects.create(
            child=entry.child,
            status=S.DEFERRED,
            effective_date=start,
            reason="缓学申请经乡镇批准、报县教育局备案",
            recorded_by=users["admin"],
        )
        EnrollmentStatusChange.objects.filter(pk=entry.pk).update(previous_status=S.DEFERRED)
    return len(entries)
