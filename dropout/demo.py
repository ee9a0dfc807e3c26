"""Demo data of the dropout procedure: cases in every state, exemptions at every step, absences.
Everything goes through the services, so the demo obeys the same rules as real use."""

import datetime

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from core.uploads import blank_pdf
from enrollment.models import Child, EnrollmentStatus, School

from .demo_previous_year import load_previous_year
from .models import (
    CountyLegalTexts,
    DropoutCase,
    EnforcementCredential,
    ExemptionRequest,
    ExemptionStep,
)
from .services import absences, cases, documents, exemptions, penalties

DEMO_PDF = blank_pdf()  # a sound PDF: uploads are checked whole
SERVICE = {"service_method": "in_person", "served_by": "乡镇干部 李明、村干部 王芳"}
PRIOR_SERVICE = {"service_method": "in_person"}
PERSUASION = {
    "visitors": "班主任 赵丽",
    "what_was_said": "宣讲《义务教育法》，说明完成义务教育的重要性和资助政策",
    "family_answer": "家长表示孩子不愿读书，暂不返校",
    "result": "refused",
}


def _scan(name):
    return ContentFile(DEMO_PDF, name=name)


def _official(users, township_id):
    return users.get(f"township_official:{township_id}") or users["admin"]


@transaction.atomic
def load_dropout_demo(county, users, scale=None) -> str:
    if DropoutCase.objects.filter(township__county=county).exists():
        return "dropout demo already present"
    today = timezone.localdate()
    CountyLegalTexts.objects.get_or_create(
        county=county,
        defaults={
            "notice_legal_basis": "《中华人民共和国义务教育法》第五条第二款、第五十八条",
            "penalty_legal_basis": "《中华人民共和国义务教育法》第五十八条及《某某省义务教育条例》"
            "第四十五条（示例，由县教育局按本省规定配置）",
            "default_penalty": "警告，并责令限期送适龄子女入学",
            "review_authority": f"{county.name}人民政府",
            "court": f"{county.name}人民法院",
        },
    )
    dropped = list(
        Child.objects.filter(village__township__county=county, status=EnrollmentStatus.DROPPED_OUT)
        .select_related("village__township", "household")
        .order_by("village__township__code", "status_since", "pk")
    )
    plan = [
        "penalty",
        "replying",  # prior notice served, waiting for the reply window
        "hearing",  # a hearing asked for, not yet held
        "overdue",
        "notice",
        "persuading",
        "reported",
        "returned",
        "closed",
        "struck_off",
        "stale",
    ]
    made = 0
    spare = []  # overdue cases of townships with two officers, for the stages missed below
    for index, child in enumerate(dropped):
        actor = _official(users, child.village.township_id)
        state = plan[index % len(plan)]
        age_days = (today - child.status_since).days
        if age_days < 75 and state not in ("reported", "persuading"):
            state = "persuading"
        if actor == users["admin"] and state in ("penalty", "replying", "hearing"):
            # Two officers with the enforcement role (Art. 42): only townships with their own
            # official (beside the county administrator) have them in the demo.
            state = "overdue"
        opened = child.status_since
        case = cases.open_case(
            actor=actor,
            child=child,
            cause=_cause(index),
            cause_detail="连续缺课，经核实已辍学",
            responsible_persons="乡镇长（包保）\n村主任\n校长\n班主任",
            opened_on=opened,
        )
        if state == "reported":
            made += 1
            continue
        # Two officials on each visit, so that it counts towards the notice (Art. 42).
        visitors = [actor, users["bureau"]]
        if state == "stale":
            cases.log_persuasion(
                actor=actor, case=case, date=opened, officers=visitors, **PERSUASION
            )
            made += 1
            continue
        for offset in (1, 5):
            # A dropout of the last few days has had fewer days of visits (none in the future).
            visited = min(opened + datetime.timedelta(days=offset), today)
            cases.log_persuasion(
                actor=actor, case=case, date=visited, officers=visitors, **PERSUASION
            )
        if state == "persuading":
            pass
        elif state == "notice":
            documents.issue_resume_notice(
                actor=actor,
                case=case,
                served_on=today - datetime.timedelta(days=2),
                served_to=child.guardian_name,
                service_place=child.household.address,
                **SERVICE,
            )
        elif state in ("overdue", "penalty", "replying", "hearing"):
            documents.issue_resume_notice(
                actor=actor,
                case=case,
                served_on=opened + datetime.timedelta(days=10),
                served_to=child.guardian_name,
                service_place=child.household.address,
                **SERVICE,
            )
            officers = _officers(users, actor)
            if state == "overdue" and actor != users["admin"]:
                spare.append((actor, case, child, officers))
            if state in ("replying", "hearing"):
                _take_to(state, actor, case, child, officers, today)
            elif state == "penalty" and not _stage_present(county, "unserved"):
                # The first penalty of the demo: decided three days ago, awaiting service.
                _take_to("unserved", actor, case, child, officers, today)
            elif state == "penalty":
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
                cases.add_measure(
                    actor=actor,
                    case=case,
                    kind="demand",
                    date=opened + datetime.timedelta(days=40),
                    description="向监护人送达履行催告书。",
                )
        elif state in ("returned", "struck_off"):
            school = School.objects.filter(
                township=child.village.township, stage=School.Stage.PRIMARY
            ).first()
            returned_on = (
                today - datetime.timedelta(days=70)
                if state == "struck_off"
                else today - datetime.timedelta(days=10)
            )
            returned_on = max(returned_on, opened + datetime.timedelta(days=6))
            cases.return_to_school(
                actor=actor,
                case=case,
                school=school,
                grade=min(child.grade or 6, 9) if child.grade else 6,
                returned_on=returned_on,
            )
        elif state == "closed":
            cases.close_case(
                actor=actor,
                case=case,
                reason="moved_out",
                evidence="派出所出具的户籍迁出证明",
                closed_on=opened + datetime.timedelta(days=20),
            )
        made += 1
    # The procedure's stages the plan's rotation missed (their children too recent, or in a
    # township without its own official) are taken by overdue cases.
    for stage in ("replying", "hearing", "unserved"):
        if _stage_present(county, stage) or not spare:
            continue
        actor, case, child, officers = spare.pop(0)
        _take_to(stage, actor, case, child, officers, today)
    # Last year's cases and exemptions (the annual summary's previous year).
    previous_year = load_previous_year(county, users, today)
    struck = cases.strike_off_consolidated()
    requests = _exemptions(county, users, today)
    reported = _absences(county, users, today)
    moved = absences.advance_absences()
    return (
        f"{made} dropout cases ({struck} struck off), {requests} exemption requests, "
        f"{reported} absences ({moved['suspected']} now suspected); last year: {previous_year}"
    )


def _officers(users, actor) -> list:
    """行政处罚法 Art. 42: two officers — the township official and the county administrator,
    each with an enforcement credential number."""
    officers = list(dict.fromkeys([actor, users["admin"]]))
    for officer in officers:
        EnforcementCredential.objects.get_or_create(
            user=officer, defaults={"number": f"5100{officer.pk:010d}"}
        )
    return officers


def _take_to(stage, actor, case, child, officers, today):
    """replying: a prior notice served yesterday, its window open; hearing: a fine that gives
    the right to a hearing, which the guardian asked for; unserved: a decision of three days
    ago still to be served (Art. 61: within seven days)."""
    if stage == "replying":
        _prior_notice(actor, case, child, officers, today - datetime.timedelta(days=1))
        return
    if stage == "unserved":
        _prior_notice(actor, case, child, officers, today - datetime.timedelta(days=10))
        documents.decide_penalty(
            actor=actor,
            case=case,
            decided_on=today - datetime.timedelta(days=3),
            facts_and_evidence="入户劝返记录两份、限期复学通知书送达回证一份。",
            penalty="警告",
            compliance="自收到本决定书之日起七日内送子女到校复学。",
            officers=officers,
        )
        return
    _prior_notice(actor, case, child, officers, today - datetime.timedelta(days=2), fine=2000)
    penalties.request_hearing(
        actor=actor,
        case=case,
        received_on=today - datetime.timedelta(days=1),
        text="当事人书面申请听证",
    )


def _stage_present(county, stage) -> bool:
    from .models import GuardianReply, OfficialDocument, PriorNotice

    if stage == "unserved":
        return OfficialDocument.objects.filter(
            township__county=county,
            kind=OfficialDocument.Kind.PENALTY_DECISION,
            served_on__isnull=True,
        ).exists()
    if stage == "hearing":
        return GuardianReply.objects.filter(
            kind=GuardianReply.Kind.HEARING_REQUEST,
            prior_notice__case__township__county=county,
        ).exists()
    return PriorNotice.objects.filter(
        case__township__county=county, case__status=DropoutCase.Status.NOTICE_ISSUED
    ).exists()


def _prior_notice(actor, case, child, officers, served_on, fine=None):
    return penalties.issue_prior_notice(
        actor=actor,
        case=case,
        served_on=served_on,
        penalty_kind="fine" if fine else "warning",
        fine_amount=fine,
        proposed_penalty=f"罚款{fine}元" if fine else "警告",
        served_to=child.guardian_name,
        service_place=child.household.address,
        officers=officers,
        **PRIOR_SERVICE,
    )


def _cause(index):
    return ["work", "learning", "family", "poverty", "marriage", "illness", "distance"][index % 7]


def _exemptions(county, users, today) -> int:
    """Filed requests behind the demo's suspended/deferred children, and three pending ones."""
    exempted = Child.objects.filter(
        village__township__county=county,
        status__in=(EnrollmentStatus.SUSPENDED, EnrollmentStatus.DEFERRED),
    ).select_related("village")
    count = 0
    for child in exempted:
        kind = "suspended" if child.status == EnrollmentStatus.SUSPENDED else "deferred"
        end = child.status_since + datetime.timedelta(days=300)
        request = ExemptionRequest.objects.create(
            child=child,
            kind=kind,
            reason="illness",
            reason_detail="因病需长期治疗（医院诊断证明）",
            start_date=child.status_since,
            end_date=end,
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
        count += 1
    # The school registers the guardian's application and the township approves it: the
    # official who registers a request may not approve it too.
    school = users["school1"].role_assignments.first().school
    township1_pupils = list(
        Child.objects.filter(status=EnrollmentStatus.IN_SCHOOL, current_school=school).order_by(
            "pk"
        )[:3]
    )
    for index, child in enumerate(township1_pupils):
        request = exemptions.register_exemption(
            actor=users["school1"],
            child=child,
            kind="suspended",
            reason="illness",
            reason_detail="骨折住院，需休养一学期",
            start_date=today,
            end_date=today + datetime.timedelta(days=150),
            application_scan=_scan("申请书.pdf"),
            evidence=_scan("诊断证明.pdf"),
        )
        if index >= 1:
            exemptions.township_approve(
                actor=users["township1"], request=request, note="情况属实，同意"
            )
        if index == 2:
            exemptions.return_exemption(
                actor=users["bureau"], request=request, note="请补充县级医院诊断证明"
            )
        count += 1
    return count


def _absences(county, users, today) -> int:
    school_user = users["school1"]
    school = school_user.role_assignments.first().school
    pupils = Child.objects.filter(
        current_school=school, status=EnrollmentStatus.IN_SCHOOL, absences__isnull=True
    ).order_by("-pk")[:2]
    for pupil, days in zip(pupils, (3, 9), strict=False):
        absences.report_absence(
            actor=school_user,
            child=pupil,
            first_absent_on=today - datetime.timedelta(days=days),
            reason_known="家长称孩子生病，未请假",
            called_home_by="班主任",
        )
    return len(pupils)


def load_report_demo(county, users, scale=None) -> str:
    """Last months' reports, as the monthly schedule would have left them (three months for the
    demo, last month only at the benchmark's scales)."""
    import time

    from .models import MonthlyReport
    from .reports import previous_month
    from .services.reports import approve_report, generate_month

    last = previous_month(timezone.localdate())
    if MonthlyReport.objects.filter(county=county, month=last).exists():
        return "monthly reports already present"
    months = [last]
    if scale is None or scale.name == "demo":
        months = [previous_month(previous_month(last)), previous_month(last), last]
    started = time.monotonic()
    approved = 0
    for index, month in enumerate(months):
        reports = generate_month(county=county, month=month)
        if index == 0 and len(months) > 1:
            # The bureau approved the oldest month (审核): it is locked, and the later reports
            # check it for post-lock adjustments.
            for report in reports:
                approve_report(report=report, actor=users["bureau"])
                approved += 1
    return (
        f"monthly reports of {', '.join(f'{m:%Y-%m}' for m in months)}, {approved} approved "
        f"(county report {time.monotonic() - started:.1f} s)"
    )
