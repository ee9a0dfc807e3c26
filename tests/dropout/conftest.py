import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from core.uploads import blank_pdf
from dropout.models import DropoutCase
from dropout.services import absences, cases, documents, exemptions, penalties
from enrollment.services import assign_help_partner, record_visit

PDF_BYTES = blank_pdf()  # uploads are checked whole: a PDF must parse


def days_ago(n: int) -> datetime.date:
    return timezone.localdate() - datetime.timedelta(days=n)


def pdf_upload(name="scan.pdf"):
    return SimpleUploadedFile(name, PDF_BYTES, content_type="application/pdf")


def register_suspension(world, *, actor=None):
    """A month's suspension of child1 for a family matter, registered by `actor` (by default the
    school's staff, so that a township official may approve it: four eyes)."""
    return exemptions.register_exemption(
        actor=actor or world.school1_user,
        child=world.child1,
        kind="suspended",
        reason="other",
        reason_detail="家庭变故",
        start_date=days_ago(1),
        end_date=days_ago(-30),
        application_scan=pdf_upload(),
    )


def exemption_body(world) -> dict:
    """The API's multipart body registering a suspension of child1 for an illness, with the
    application scan and the medical evidence."""
    return {
        "child": world.child1.pk,
        "kind": "suspended",
        "reason": "illness",
        "reason_detail": "住院",
        "start_date": days_ago(5).isoformat(),
        "end_date": days_ago(-100).isoformat(),
        "application_scan": pdf_upload(),
        "evidence": pdf_upload("c.pdf"),
    }


@pytest.fixture
def case(world, legal_texts):
    """child1 of township1 dropped out 40 days ago; the case is reported."""
    return cases.open_case(
        actor=world.township1_user,
        child=world.child1,
        cause=DropoutCase.Cause.WORK,
        cause_detail="随父母外出务工",
        responsible_persons="镇长 张三\n校长 李四",
        opened_on=days_ago(40),
    )


def persuade(world, case, times=2, start=35):
    for index in range(times):
        cases.log_persuasion(
            actor=world.township1_user,
            case=case,
            date=days_ago(start - index),
            visitors="班主任",
            officers=[world.township1_user, world.village1_user],
            what_was_said="宣讲义务教育法",
            family_answer="不愿返校",
            result="refused",
        )


SERVED = {"served_to": "张大山", "service_method": "in_person", "service_place": "一组1号"}


def notice_and_prior_notice(world, case):
    """The case persuaded twice, its notice to resume schooling served 30 days ago, and the
    prior notice of a warning served 20 days ago by the township official and the county
    administrator; returns the notice."""
    persuade(world, case)
    notice = documents.issue_resume_notice(
        actor=world.township1_user, case=case, served_on=days_ago(30), served_by="王五", **SERVED
    )
    penalties.issue_prior_notice(
        actor=world.township1_user,
        case=case,
        served_on=days_ago(20),
        penalty_kind="warning",
        proposed_penalty="警告",
        officers=[world.township1_user, world.admin],
        **SERVED,
    )
    return notice


@pytest.fixture
def records(world, legal_texts, media):
    """One record of every ledger in township1, for child1 (the sibling's exemption): absent
    60 days ago, a case opened 40 days ago with persuasions 35 and 34 days ago, the notice 30
    days ago, a prior notice, the decision 12 days ago and a further measure 5 days ago; a
    visit 20 days ago, a help pairing from 15 days ago, an exemption approved and filed."""
    absence = absences.report_absence(
        actor=world.school1_user,
        child=world.child1,
        first_absent_on=days_ago(60),
        reason_known="外出",
        called_home_by="班主任",
    )
    case = cases.open_case(
        actor=world.township1_user,
        child=world.child1,
        cause=DropoutCase.Cause.WORK,
        opened_on=days_ago(40),
    )
    notice = notice_and_prior_notice(world, case)
    officers = [world.township1_user, world.admin]
    penalties.record_reply(
        actor=world.township1_user, case=case, kind="waiver", received_on=days_ago(19), text=""
    )
    decision = documents.decide_penalty(
        actor=world.township1_user,
        case=case,
        decided_on=days_ago(12),
        facts_and_evidence="入户记录",
        penalty="警告",
        compliance="七日内复学",
        officers=officers,
    )
    measure = cases.add_measure(
        actor=world.township1_user,
        case=case,
        kind="demand",
        date=days_ago(5),
        description="发出履行催告书",
    )
    visit = record_visit(
        actor=world.township1_user,
        household=world.household1,
        children=[world.child1],
        visit_date=days_ago(20),
        visitors="乡镇干部甲、教师乙",
        findings="孩子随父亲在外务工",
        outcome="working_away",
    )
    pairing = assign_help_partner(
        actor=world.township1_user,
        child=world.child1,
        partner_name="赵老师",
        partner_kind="teacher",
        plan="每周家访一次",
        start_date=days_ago(15),
        partner_phone="13812345678",
    )
    exemption = exemptions.register_exemption(
        actor=world.admin,
        child=world.sibling1,
        kind="suspended",
        reason="illness",
        reason_detail="住院治疗",
        start_date=days_ago(10),
        end_date=days_ago(-200),
        application_scan=pdf_upload(),
        evidence=pdf_upload("cert.pdf"),
    )
    exemptions.township_approve(actor=world.township1_user, request=exemption, note="情况属实")
    exemptions.file_exemption(actor=world.bureau, request=exemption, note="同意备案")
    return {
        "case": case,
        "absence": absence,
        "notice": notice,
        "decision": decision,
        "measure": measure,
        "visit": visit,
        "pairing": pairing,
        "exemption": exemption,
    }
