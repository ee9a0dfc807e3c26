"""Demo data of the inspections module: a campaign (扶贫领域腐败和作风问题专项治理) with groups,
inspections, issues in every state (some overdue) and complaints (one anonymous). The demo
county's records go through the services; at county scale a few hundred more inspections and a
couple of thousand issues are bulk-inserted."""

import datetime
import random

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from core.models import DocumentSequence
from core.uploads import blank_pdf
from enrollment.models import School, Township

from .models import (
    Area,
    BureauSection,
    Campaign,
    Complaint,
    Inspection,
    Issue,
    IssueEvent,
)
from .services import complaints, inspections, issues

DEMO_PDF = blank_pdf()  # a sound PDF: uploads are checked whole
SECTIONS = ["计划财务股", "学生资助管理中心", "基础教育股", "后勤保障股"]
FINDINGS = {
    "控辍保学": [
        (
            "policy",
            "部分长期请假学生未建立劝返工作台账，去向核实不及时",
            "建立请假学生台账，逐一核实去向，7日内完成劝返登记",
        ),
        (
            "false_data",
            "疑似辍学学生未按规定在7日内上报乡镇",
            "完善缺课追踪制度，补报疑似辍学学生，明确责任人",
        ),
    ],
    "学生资助": [
        (
            "funds",
            "建档立卡家庭学生生活补助未按时足额发放",
            "核对资助名单，补发应发未发资金，公示发放结果",
        ),
        (
            "favouritism",
            "资助对象认定材料不全，存在优亲厚友嫌疑",
            "重新开展资助对象认定，完善评议和公示程序",
        ),
    ],
    "项目建设": [
        (
            "work_style",
            "薄弱学校改造项目进度滞后，未按计划开工",
            "制定倒排工期计划，每周报送项目进度",
        ),
        ("funds", "工程款支付审批手续不完善", "补齐审批手续，规范工程款支付流程"),
    ],
    "营养餐": [
        (
            "policy",
            "营养餐食材采购台账不全，验收记录缺失",
            "建立食材采购、验收、出入库台账，专人负责",
        ),
        ("false_data", "营养餐供餐标准未达到规定要求", "按标准调整食谱，公开每日供餐情况"),
    ],
    "食堂": [
        ("safety", "食堂从业人员健康证过期未及时更换", "组织从业人员体检，健康证到期前提醒更换"),
        ("safety", "食堂食品留样不规范，留样时间不足48小时", "购置留样柜，落实留样登记制度"),
    ],
}
RESPONSIBLE = ["张校长", "李副校长", "王主任", "赵镇长", "陈股长", "刘会计", "周主任"]


def _pdf(name):
    return ContentFile(DEMO_PDF, name=name)


def _findings():
    for area, rows in FINDINGS.items():
        for category, description, measures in rows:
            yield area, category, description, measures


@transaction.atomic
def load_inspections_demo(county, users, scale=None) -> str:
    if Campaign.objects.filter(county=county).exists():
        return "inspections demo already present"
    today = timezone.localdate()
    inspector, admin = users["inspector"], users["admin"]
    sections = [
        BureauSection.objects.filter(county=county, name=name).first()
        or inspections.add_section(actor=admin, county=county, name=name)
        for name in SECTIONS
    ]
    campaign = inspections.create_campaign(
        actor=admin,
        county=county,
        name="扶贫领域腐败和作风问题专项治理",
        start_date=today - datetime.timedelta(days=240),
        end_date=today + datetime.timedelta(days=120),
        description="聚焦教育扶贫政策落实、资金使用和工作作风，开展纵向监督检查。",
    )
    group1 = inspections.create_group(
        actor=admin,
        county=county,
        name="第一督查组",
        members=[inspector, admin],
        leader=inspector,
        campaign=campaign,
    )
    group2 = inspections.create_group(
        actor=admin,
        county=county,
        name="第二督查组",
        members=[inspector, users["bureau"]],
        leader=inspector,
        campaign=campaign,
    )
    areas = {area.name: area for area in Area.objects.filter(is_active=True)}
    school1 = School.objects.filter(
        pk__in=users["school1"].role_assignments.values("school_id")
    ).first()
    townships = list(Township.objects.filter(county=county).order_by("code"))
    schools = list(School.objects.filter(township__county=county).order_by("code")[:8])
    targets = [school1, townships[0], sections[1], schools[1], townships[1], sections[0]]
    targets += schools[2:6] + townships[2:4]
    findings = list(_findings())
    # The lifecycle each issue is walked through (with "overdue" ones left past their deadline).
    plan = [
        "verified",
        "submitted",
        "rectifying",
        "open",
        "overdue_open",
        "reopened",
        "overdue_rectifying",
        "verified",
        "withdrawn",
        "verified",
        "submitted",
        "rectifying",
    ]
    made = 0
    for index, unit in enumerate(targets):
        day = today - datetime.timedelta(days=200 - index * 14)
        chosen = [findings[(index * 2) % len(findings)], findings[(index * 2 + 1) % len(findings)]]
        inspection = inspections.record_inspection(
            actor=inspector,
            county=county,
            date=day,
            unit=unit,
            areas=[areas[area] for area, *_rest in chosen] + [areas["控辍保学"]],
            summary=f"{unit.name}：查阅台账资料、走访师生家长，发现问题{len(chosen)}个，已现场反馈。",
            group=group1 if index % 2 == 0 else group2,
            attachments=[_pdf("督查反馈意见.pdf")] if index < 3 else [],
        )
        for offset, (area, category, description, measures) in enumerate(chosen):
            state = plan[(index * 2 + offset) % len(plan)]
            _walk(
                state,
                inspection=inspection,
                county=county,
                unit=unit,
                area=areas[area],
                category=category,
                description=description,
                measures=measures,
                responsible=RESPONSIBLE[(index + offset) % len(RESPONSIBLE)],
                inspector=inspector,
                answerer=_answerer(users, unit),
                today=today,
            )
            made += 1
    _complaints(county, users, campaign, school1, townships, today)
    made += _previous_year(county, users, areas, findings, [school1, *schools[1:4]], townships)
    extra = ""
    if scale is not None and scale.name in ("county", "city"):  # the city's first county
        extra = _bulk(county, campaign, [group1, group2], inspector, areas, today)
    return f"inspections demo: 1 campaign, {len(targets)} inspections, {made} issues{extra}"


def _previous_year(county, users, areas, findings, schools, townships) -> int:
    """Last year's campaign (the annual summary compares the years): four inspections in the
    autumn, each finding one issue rectified and closed, and two complaints concluded."""
    inspector, admin = users["inspector"], users["admin"]
    year = timezone.localdate().year - 1
    campaign = inspections.create_campaign(
        actor=admin,
        county=county,
        name=f"{year}年教育扶贫领域专项督查",
        start_date=datetime.date(year, 9, 1),
        end_date=datetime.date(year, 12, 20),
        description="秋季学期控辍保学和学生资助专项督查。",
    )
    group = inspections.create_group(
        actor=admin,
        county=county,
        name=f"{year}年秋季督查组",
        members=[inspector, admin],
        leader=inspector,
        campaign=campaign,
    )
    for index, unit in enumerate([*schools[:3], townships[0]]):
        day = datetime.date(year, 9, 10) + datetime.timedelta(days=index * 14)
        area, category, description, measures = findings[index % len(findings)]
        inspection = inspections.record_inspection(
            actor=inspector,
            county=county,
            date=day,
            unit=unit,
            areas=[areas[area], areas["控辍保学"]],
            summary=f"{unit.name}：秋季学期专项督查，发现问题1个。",
            group=group,
            campaign=campaign,
        )
        _walk(
            "verified",
            inspection=inspection,
            county=county,
            unit=unit,
            area=areas[area],
            category=category,
            description=description,
            measures=measures,
            responsible=RESPONSIBLE[index % len(RESPONSIBLE)],
            inspector=inspector,
            answerer=_answerer(users, unit),
            today=datetime.date(year, 12, 31),
        )
    for index, unit in enumerate((schools[0], townships[0])):
        complaint = complaints.register_complaint(
            actor=inspector,
            county=county,
            channel=Complaint.Channel.BOX if index == 0 else Complaint.Channel.PHONE,
            received_on=datetime.date(year, 10, 8 + index * 20),
            content="反映学生资助公示不及时。" if index == 0 else "反映寄宿生生活补助发放延迟。",
            is_anonymous=index == 0,
            complainant_name="" if index == 0 else "赵红梅",
            complainant_contact="" if index == 0 else "13812345678",
            handlers=[inspector],
            unit=unit,
            campaign=campaign,
        )
        complaints.conclude_complaint(
            actor=inspector,
            complaint=complaint,
            result="经核实已整改，并向举报人反馈。",
            replied_on=datetime.date(year, 11, 5 + index * 10),
        )
    return 4


def _answerer(users, unit):
    if isinstance(unit, School) and users["school1"].role_assignments.filter(school=unit).exists():
        return users["school1"]
    if isinstance(unit, Township):
        official = users.get(f"township_official:{unit.pk}")
        if official is not None:
            return official
    if isinstance(unit, BureauSection):
        return users["bureau"]
    return users["admin"]


def _walk(
    state,
    *,
    inspection,
    county,
    unit,
    area,
    category,
    description,
    measures,
    responsible,
    inspector,
    answerer,
    today,
):
    found = inspection.date
    overdue = state.startswith("overdue")
    deadline = found + datetime.timedelta(days=30 if overdue else 60)
    if not overdue and deadline < today and state in ("open", "rectifying"):
        deadline = today + datetime.timedelta(days=20)
    issue = issues.raise_issue(
        actor=inspector,
        county=county,
        unit=unit,
        area=area,
        category=category,
        description=description,
        evidence="督查组现场查阅资料、拍照取证",
        responsible_person=responsible,
        measures=measures,
        deadline=deadline,
        inspection=inspection,
    )
    if state in ("open", "overdue_open"):
        return issue
    if state == "withdrawn":
        return issues.withdraw_issue(
            actor=inspector, issue=issue, reason="经复核，相关资料已在检查前整改到位，属误报。"
        )
    step = min(today, found + datetime.timedelta(days=5))
    issues.start_rectification(
        actor=answerer, issue=issue, note="已制定整改方案，明确责任人和时限。", on=step
    )
    if state in ("rectifying", "overdue_rectifying"):
        return issue
    submitted = min(today, found + datetime.timedelta(days=20))
    issues.submit_rectification(
        actor=answerer,
        issue=issue,
        note="已按整改措施完成整改，相关台账和佐证材料已补齐。",
        evidence_file=_pdf("整改佐证材料.pdf"),
        on=submitted,
    )
    if state == "submitted":
        return issue
    checked = min(today, found + datetime.timedelta(days=25))
    if state == "reopened":
        return issues.reopen_issue(
            actor=inspector,
            issue=issue,
            reason="佐证材料不完整，整改不彻底，请补充后重新报送。",
            deadline=today + datetime.timedelta(days=15),
            on=checked,
        )
    return issues.verify_issue(
        actor=inspector, issue=issue, note="现场复核整改到位，同意销号。", on=checked
    )


def _complaints(county, users, campaign, school1, townships, today):
    inspector, admin = users["inspector"], users["admin"]
    anonymous = complaints.register_complaint(
        actor=inspector,
        county=county,
        channel=Complaint.Channel.BOX,
        received_on=today - datetime.timedelta(days=60),
        content="反映学校营养餐分量不足，学生经常吃不饱。",
        is_anonymous=True,
        handlers=[inspector],
        unit=school1,
        campaign=campaign,
    )
    complaints.add_step(
        actor=inspector,
        complaint=anonymous,
        on=today - datetime.timedelta(days=55),
        note="督查组到校查看供餐情况，抽查食材采购台账。",
    )
    issues.raise_issue(
        actor=inspector,
        county=county,
        unit=school1,
        area=Area.objects.get(name="营养餐"),
        category="policy",
        description="营养餐每餐供应量不足，未按标准配餐",
        evidence="举报箱来信；现场查看供餐",
        responsible_person="张校长",
        measures="按标准配餐，每周公示食谱和食材采购情况",
        deadline=today + datetime.timedelta(days=10),
        complaint=anonymous,
        found_on=today - datetime.timedelta(days=55),
    )
    named = complaints.register_complaint(
        actor=inspector,
        county=county,
        channel=Complaint.Channel.PHONE,
        received_on=today - datetime.timedelta(days=40),
        content="反映本村建档立卡户子女未领到上学期生活补助。",
        is_anonymous=False,
        complainant_name="刘建国",
        complainant_contact="13912345678",
        handlers=[inspector, admin],
        unit=townships[0],
        campaign=campaign,
    )
    complaints.add_step(
        actor=inspector,
        complaint=named,
        on=today - datetime.timedelta(days=35),
        note="联系乡镇中心校核对资助发放名单。",
    )
    complaints.conclude_complaint(
        actor=inspector,
        complaint=named,
        result="经核实，该生补助因银行卡信息错误退回，已重新发放。",
        replied_on=today - datetime.timedelta(days=30),
    )
    complaints.register_complaint(
        actor=admin,
        county=county,
        channel=Complaint.Channel.LETTER,
        received_on=today - datetime.timedelta(days=12),
        content="来信反映某校食堂承包经营不规范，价格偏高。",
        is_anonymous=False,
        complainant_name="陈女士",
        complainant_contact="某某村三组",
        handlers=[inspector],
        unit=townships[1] if len(townships) > 1 else townships[0],
        campaign=campaign,
    )
    complaints.register_complaint(
        actor=inspector,
        county=county,
        channel=Complaint.Channel.ONLINE,
        received_on=today - datetime.timedelta(days=3),
        content="网上留言反映薄弱学校改造项目长期停工。",
        is_anonymous=False,
        complainant_name="网民“清风”",
        complainant_contact="qingfeng@example.com",
        handlers=[inspector],
        campaign=campaign,
    )


def _bulk(county, campaign, groups, inspector, areas, today) -> str:
    """Several hundred inspections and a couple of thousand issues with their events, inserted
    in bulk (the services' rules still hold: each issue's state matches its events)."""
    rng = random.Random(7)
    schools = list(School.objects.filter(township__county=county).only("pk", "township_id"))
    townships = list(Township.objects.filter(county=county).only("pk"))
    sections = list(BureauSection.objects.filter(county=county))
    area_list = list(areas.values())
    findings = list(_findings())
    inspection_rows = []
    for index in range(300):
        kind = rng.choices(["school", "township", "section"], weights=[8, 3, 1])[0]
        day = today - datetime.timedelta(days=rng.randint(1, 235))
        inspection = Inspection(
            county=county,
            campaign=campaign,
            group=groups[index % 2],
            date=day,
            summary="查阅资料、走访师生，现场反馈检查发现的问题。",
            recorded_by=inspector,
        )
        unit = {
            "school": lambda: rng.choice(schools),
            "township": lambda: rng.choice(townships),
            "section": lambda: rng.choice(sections),
        }[kind]()
        inspection.set_unit(unit)
        inspection_rows.append(inspection)
    Inspection.objects.bulk_create(inspection_rows, batch_size=500)
    Through = Inspection.areas.through
    Through.objects.bulk_create(
        [
            Through(inspection_id=inspection.pk, area_id=area.pk)
            for inspection in inspection_rows
            for area in rng.sample(area_list, 3)
        ],
        batch_size=2000,
    )
    year_numbers = {}
    for issue in Issue.objects.filter(county=county).only("number"):
        year, _sep, number = issue.number.partition("-")
        year_numbers[int(year)] = max(year_numbers.get(int(year), 0), int(number))
    issue_rows, lifecycle = [], []
    S = Issue.Status
    for inspection in inspection_rows:
        for _n in range(rng.randint(5, 9)):
            area_name, category, description, measures = rng.choice(findings)
            found = inspection.date
            deadline = found + datetime.timedelta(days=rng.choice([15, 30, 60, 90]))
            if deadline < today:
                state = rng.choices(
                    [S.VERIFIED, S.SUBMITTED, S.RECTIFYING, S.OPEN, S.WITHDRAWN],
                    weights=[60, 12, 12, 8, 2],
                )[0]
            else:
                state = rng.choices(
                    [S.VERIFIED, S.SUBMITTED, S.RECTIFYING, S.OPEN], weights=[20, 20, 35, 25]
                )[0]
            year_numbers[found.year] = year_numbers.get(found.year, 0) + 1
            issue = Issue(
                number=f"{found.year}-{year_numbers[found.year]}",
                county=county,
                campaign=campaign,
                inspection=inspection,
                area=areas[area_name],
                category=category,
                description=description,
                evidence="督查组现场查阅资料",
                responsible_person=rng.choice(RESPONSIBLE),
                measures=measures,
                deadline=deadline,
                status=state,
                found_on=found,
                raised_by=inspector,
            )
            issue.set_unit(inspection.unit)
            issue.unit_township_id = inspection.unit_township_id
            submitted = min(today, found + datetime.timedelta(days=rng.randint(5, 40)))
            if state in (S.SUBMITTED, S.VERIFIED):
                issue.submitted_on = submitted
                issue.progress = "已按要求完成整改，佐证材料已报送。"
            elif state == S.RECTIFYING:
                issue.progress = "正在按整改方案推进。"
            if state == S.VERIFIED:
                issue.verified_on = min(today, submitted + datetime.timedelta(days=5))
                issue.verified_by = inspector
            if state == S.WITHDRAWN:
                issue.withdrawn_reason = "经复核不属实。"
            issue_rows.append(issue)
            lifecycle.append(state)
    Issue.objects.bulk_create(issue_rows, batch_size=1000)
    events = []
    for issue, state in zip(issue_rows, lifecycle, strict=True):
        steps = [(IssueEvent.Action.RAISED, "", S.OPEN, issue.found_on)]
        if state in (S.RECTIFYING, S.SUBMITTED, S.VERIFIED):
            steps.append((IssueEvent.Action.STARTED, S.OPEN, S.RECTIFYING, issue.found_on))
        if state in (S.SUBMITTED, S.VERIFIED):
            steps.append(
                (IssueEvent.Action.SUBMITTED, S.RECTIFYING, S.SUBMITTED, issue.submitted_on)
            )
        if state == S.VERIFIED:
            steps.append((IssueEvent.Action.VERIFIED, S.SUBMITTED, S.VERIFIED, issue.verified_on))
        if state == S.WITHDRAWN:
            steps.append((IssueEvent.Action.WITHDRAWN, S.OPEN, S.WITHDRAWN, today))
        events += [
            IssueEvent(
                issue_id=issue.pk,
                action=action,
                from_status=before,
                to_status=after,
                on=on,
                actor=inspector,
            )
            for action, before, after, on in steps
        ]
    IssueEvent.objects.bulk_create(events, batch_size=2000)
    for year, last in year_numbers.items():
        DocumentSequence.objects.update_or_create(
            issuer=f"inspections:{county.code}",
            kind="issue",
            year=year,
            defaults={"last_number": last},
        )
    return f", plus {len(inspection_rows)} inspections and {len(issue_rows)} issues in bulk"
