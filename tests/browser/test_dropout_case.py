"""End to end: township1 walks a dropout case from report to penalty to return; the bureau
files an exemption request."""

import pytest

from dropout.models import DropoutCase, ExemptionRequest
from dropout.services import exemptions
from enrollment.models import EnrollmentStatus

from ..conftest import PASSWORD
from ..dropout.conftest import days_ago, pdf_upload

pytestmark = pytest.mark.browser


def _login(browser, live_server, username, viewport=None):
    context = browser.new_context(viewport=viewport or {"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
    return context, page


def _submit(page):
    # Scoped to the page's own form: the header also has a search form.
    page.click("main form button[type=submit]")
    page.wait_for_load_state("networkidle")


def test_township_official_walks_a_case_from_report_to_penalty_to_return(
    transactional_db, world, legal_texts, live_server, browser, screenshot
):
    context, page = _login(browser, live_server, "township1")
    page.goto(f"{live_server.url}/children/{world.child1.pk}/")
    page.click(f"a[href='/dropout/cases/new/?child={world.child1.pk}']")
    page.select_option("#id_cause", "work")
    page.fill("#id_cause_detail", "随父母到外省务工")
    page.fill("#id_responsible_persons", "镇长 张三\n校长 李四")
    page.fill("#id_opened_on", days_ago(40).isoformat())
    _submit(page)
    case = DropoutCase.objects.get(child=world.child1)
    # The progress line: reported, persuasion is the stage now; no notice offered yet.
    assert page.get_attribute("[data-stage=persuading]", "aria-current") == "step"
    assert "还需2次劝返" in page.inner_text("#notice-why")
    screenshot(page, "case-1-reported")

    for day in (35, 30):
        page.click("#action-persuasion")
        page.fill("#id_date", days_ago(day).isoformat())
        # Two officials went (Art. 42), with a class teacher who has no account.
        for officer in (world.township1_user, world.village1_user):
            page.check(f"input[name=officers][value='{officer.pk}']")
        page.fill("#id_visitors", "班主任赵六")
        page.fill("#id_what_was_said", "宣讲义务教育法")
        page.fill("#id_family_answer", "暂不返校")
        page.select_option("#id_result", "refused")
        _submit(page)
    assert page.locator("#persuasions .border-bottom").count() == 2
    screenshot(page, "case-2-persuaded")

    page.click("#action-notice")
    page.fill("#id_served_on", days_ago(20).isoformat())
    page.fill("#id_served_by", "镇干部王五")
    _submit(page)
    case.refresh_from_db()
    assert case.status == DropoutCase.Status.NOTICE_ISSUED
    notice = case.documents.get(kind="resume_notice")
    assert notice.number in page.inner_text("#documents")
    assert page.get_attribute("[data-stage=notice]", "aria-current") == "step"
    assert "已过期" in page.inner_text("#case-deadline")  # served 20 days ago, 7 days given
    screenshot(page, "case-3-notice-issued")

    # Before the decision: the prior notice (事先告知书), served by two enforcement officers.
    assert page.locator("#action-penalty").count() == 0  # no decision without a prior notice
    page.click("#action-prior-notice")
    page.fill("#id_served_on", days_ago(12).isoformat())
    page.select_option("#id_penalty_kind", "warning")
    page.fill("#id_proposed_penalty", "警告")
    for officer in (world.township1_user, world.admin):
        page.check(f"input[name=officers][value='{officer.pk}']")
    _submit(page)
    prior_notice = case.documents.get(kind="prior_notice")
    assert prior_notice.number in page.inner_text("#penalty-procedure")
    assert page.get_attribute("[data-stage=penalty]", "aria-current") == "step"
    screenshot(page, "case-4-prior-notice-served")

    # The guardian waives the statement and defence in writing, so the decision may follow.
    page.click("#action-reply")
    page.select_option("#id_kind", "waiver")
    page.fill("#id_received_on", days_ago(11).isoformat())
    _submit(page)
    assert page.locator("#penalty-records li").count() == 1

    page.click("#action-penalty")
    page.fill("#id_decided_on", days_ago(5).isoformat())
    page.fill("#id_facts_and_evidence", "劝返记录两份、通知书送达回证一份")
    # The two officers come from the prior notice; the decision is served later (not ticked).
    for officer in (world.township1_user, world.admin):
        assert page.is_checked(f"input[name=officers][value='{officer.pk}']")
    assert not page.is_checked("#id_served_now")
    _submit(page)
    case.refresh_from_db()
    assert case.status == DropoutCase.Status.PENALTY_DECIDED
    assert "待送达" in page.inner_text("#decision-service")
    assert "处罚决定书送达期限" in page.inner_text("#case-deadline")
    screenshot(page, "case-5-decision-awaiting-service")

    # Served two days after the decision (Art. 61: within seven days).
    page.click("#action-serve-decision")
    page.fill("#id_served_on", days_ago(3).isoformat())
    for officer in (world.township1_user, world.admin):
        page.check(f"input[name=officers][value='{officer.pk}']")
    page.fill("#id_served_by", "村干部王芳")
    _submit(page)
    assert days_ago(3).isoformat() in page.inner_text("#decision-service")
    assert page.locator("#case-deadline").count() == 0
    screenshot(page, "case-6-penalty-served")
    phone = context.new_page()
    phone.set_viewport_size({"width": 390, "height": 844})
    phone.goto(page.url)
    screenshot(phone, "case-6-penalty-served-phone")
    phone.close()

    page.click(f"#documents a[href='/dropout/documents/{notice.pk}/']")
    page.wait_for_selector("article.official-document")
    assert notice.number in page.inner_text("article.official-document")
    screenshot(page, "notice-print-page")
    page.go_back()

    page.click("#action-return")
    page.select_option("#id_school", str(world.school1.pk))
    page.select_option("#id_grade", "4")
    page.fill("#id_returned_on", days_ago(1).isoformat())
    _submit(page)
    case.refresh_from_db()
    world.child1.refresh_from_db()
    assert case.status == DropoutCase.Status.RETURNED
    assert world.child1.status == EnrollmentStatus.IN_SCHOOL
    timeline = page.inner_text("#timeline")
    assert timeline.count("\n") >= 5  # opened, 2 persuasions, notice, penalty, return
    assert page.get_attribute("[data-stage=end]", "data-state") == "done"
    screenshot(page, "case-7-returned")
    context.close()


def test_bureau_files_an_exemption_request(
    transactional_db, world, live_server, browser, screenshot, tmp_path, settings
):
    settings.MEDIA_ROOT = tmp_path
    request = exemptions.register_exemption(
        actor=world.school1_user,  # four eyes: township1 approves what it did not register
        child=world.child1,
        kind="suspended",
        reason="illness",
        reason_detail="骨折住院",
        start_date=days_ago(1),
        end_date=days_ago(-120),
        application_scan=pdf_upload(),
        evidence=pdf_upload("cert.pdf"),
    )
    exemptions.township_approve(actor=world.township1_user, request=request, note="属实")

    context, page = _login(browser, live_server, "bureau", {"width": 390, "height": 844})
    page.goto(f"{live_server.url}/dropout/exemptions/?queue=bureau")
    page.click(f"#exemption-table a[href='/dropout/exemptions/{request.pk}/']")
    page.fill("#id_note", "材料齐全，同意备案")
    screenshot(page, "exemption-bureau-phone")
    page.click("#action-file")
    page.wait_for_load_state("networkidle")
    request.refresh_from_db()
    world.child1.refresh_from_db()
    assert request.status == ExemptionRequest.Status.FILED
    assert world.child1.status == EnrollmentStatus.SUSPENDED
    assert request.get_status_display() in page.inner_text("#exemption-status")
    context.close()
