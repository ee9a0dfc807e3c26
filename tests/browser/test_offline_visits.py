"""End to end in chromium: 我的走访 with the network off. A village official prepares (the
worklist goes into IndexedDB, only their village's children), records three visits offline
(one with a status change, one with a photo), reloads the page offline (it opens from the
service worker), goes online and syncs — with the first answer lost on the way, so that the
retry must not record it twice — and finds exactly three visits on the server; a second sync
changes nothing; logging out wipes the stored worklist. A second test: the child's status is
changed on the server meanwhile, the sync shows the conflict with both versions and writes
nothing until the official decides."""

import io

import pytest
from django.utils import timezone
from PIL import Image
from playwright.sync_api import expect

from enrollment.models import EnrollmentStatus, HouseholdVisit
from enrollment.services import change_status

from ..conftest import PASSWORD
from ..factories import ChildFactory
from .a11y import AXE_SCRIPT, axe

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1280, "height": 900}
# As tests/browser/test_accessibility.py runs it (vendored axe-core, never a CDN).


def _log_in_to_the_app(browser, live_server, username):
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/?next=/visits/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/visits/")
    page.wait_for_selector("#visits-app[data-ready=true]")
    # The service worker has installed (the app's files are cached) and controls the page.
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    return context, page


def _prepare(page, count):
    page.click("#prepare")
    expect(page.locator("#worklist .worklist-item")).to_have_count(count)
    expect(page.locator("#stored-info")).to_contain_text(str(count))


def _stored_child_ids(page) -> set[int]:
    return set(page.evaluate("() => VisitStore.children().then(rows => rows.map(row => row.id))"))


def _record(page, child, *, findings, outcome, new_status=None, reason="", photo=None):
    page.click(f".record-visit[data-child='{child.pk}']")
    expect(page.locator("#visit-panel")).to_be_visible()
    page.fill("#v-visitors", "村干部王五、教师赵六")
    page.fill("#v-teacher_visitors", "1")
    page.fill("#v-findings", findings)
    page.select_option("#v-outcome", outcome)
    if photo is not None:
        page.set_input_files(
            "#v-photo", files=[{"name": "photo.png", "mimeType": "image/png", "buffer": photo}]
        )
        expect(page.locator("#v-photo-preview")).to_be_visible()
    if new_status:
        page.select_option("#v-new_status", new_status)
        page.fill("#v-status_reason", reason)


def _save(page):
    page.click("#v-save")
    expect(page.locator("#visit-panel")).to_be_hidden()


def _photo() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (1600, 1200), (40, 120, 200)).save(buffer, "PNG")
    return buffer.getvalue()


def test_three_visits_recorded_offline_are_synced_once(
    transactional_db, world, live_server, browser, screenshot
):
    third = ChildFactory(household=world.household1, name="王小三")
    fourth = ChildFactory(household=world.household1, name="王小四")
    ChildFactory(household=world.household2, name="李小五")  # township2: never on the phone
    context, page = _log_in_to_the_app(browser, live_server, "village1")
    _prepare(page, 3)
    # Only the village's children are stored (child1 is in school, child1b lives in village1b).
    assert _stored_child_ids(page) == {world.sibling1.pk, third.pk, fourth.pk}
    screenshot(page, "offline-visits-worklist")

    context.set_offline(True)
    expect(page.locator("#net-state")).to_have_text("离线")
    _record(
        page,
        world.sibling1,
        findings="孩子在家照顾祖母，从未入学",
        outcome="at_home",
        new_status="never_enrolled",
        reason="入户核实从未入学",
    )
    # The household's children may all be named (child1 is in school, not on the worklist).
    expect(page.locator("#v-children input")).to_have_count(4)
    screenshot(page, "offline-visits-form")
    _save(page)
    _record(page, third, findings="孩子随父母外出", outcome="working_away", photo=_photo())
    _save(page)
    _record(page, fourth, findings="家中无人", outcome="not_found")
    _save(page)
    expect(page.locator("#count-pending")).to_have_text("3")
    expect(page.locator(".queue-entry[data-state=pending]")).to_have_count(3)

    # With the network off, the page still opens: from the service worker.
    response = page.reload()
    assert response is not None and response.from_service_worker
    page.wait_for_selector("#visits-app[data-ready=true]")
    expect(page.locator("#count-pending")).to_have_text("3")
    expect(page.locator("#worklist .worklist-item")).to_have_count(3)
    assert HouseholdVisit.objects.count() == 0

    # Back online: the app sends what waits by itself (and on demand).
    context.set_offline(False)
    page.click("#sync")
    expect(page.locator("#count-synced")).to_have_text("3")
    expect(page.locator("#count-pending")).to_have_text("0")
    assert HouseholdVisit.objects.count() == 3
    assert set(HouseholdVisit.objects.values_list("teacher_visitors", flat=True)) == {1}
    world.sibling1.refresh_from_db()
    assert world.sibling1.status == EnrollmentStatus.NEVER_ENROLLED
    photographed = HouseholdVisit.objects.get(children=third)
    assert photographed.attachment.name.endswith(".jpg")
    with photographed.attachment.open("rb") as stored:
        assert max(Image.open(stored).size) == 1280  # made smaller on the phone

    # Sync again: nothing is sent twice.
    page.click("#sync")
    expect(page.locator("#app-message")).to_contain_text("均已上传")
    expect(page.locator("#count-synced")).to_have_text("3")
    assert HouseholdVisit.objects.count() == 3

    # A flaky connection: the server recorded a visit but its answer never reached the phone,
    # so the phone still has the entry waiting, with the same key (its client_entry). The
    # batch sent again answers it from the first answer and records nothing twice.
    page.evaluate(
        """() => VisitStore.entries().then((entries) => {
            const entry = entries[0];
            entry.state = "pending";
            return VisitStore.putEntry(entry);
        })"""
    )
    page.reload()
    page.wait_for_selector("#visits-app[data-ready=true]")
    with page.expect_response("**/api/v1/visit-sync/batch/") as retried:
        page.click("#sync")
    assert retried.value.status == 200
    results = retried.value.json()["results"]
    assert [(r["outcome"], r["replayed"]) for r in results] == [("synced", True)]
    expect(page.locator("#count-synced")).to_have_text("3")
    expect(page.locator("#count-pending")).to_have_text("0")
    assert HouseholdVisit.objects.count() == 3

    # Logging out wipes the worklist from the phone.
    page.click("#nav-person-menu")
    page.click("#logout-button")
    page.wait_for_url(lambda url: "/accounts/login/" in url)
    page.wait_for_function(
        "() => VisitStore.children().then(rows => rows.length === 0)", polling=200, timeout=5000
    )
    assert page.evaluate("() => VisitStore.meta()") is None
    assert page.evaluate("() => caches.keys().then(names => names.length)") == 0
    context.close()


def test_a_conflict_is_shown_with_both_versions_and_nothing_is_overwritten(
    transactional_db, world, live_server, browser, screenshot
):
    context, page = _log_in_to_the_app(browser, live_server, "village1")
    _prepare(page, 1)

    # Meanwhile the township finds the child at school.
    change_status(
        actor=world.township1_user,
        child=world.sibling1,
        status=EnrollmentStatus.IN_SCHOOL,
        effective_date=timezone.localdate(),
        reason="已在一镇小学入学",
        school=world.school1,
        grade=1,
    )
    context.set_offline(True)
    _record(
        page,
        world.sibling1,
        findings="孩子在外务工",
        outcome="working_away",
        new_status="dropped_out",
        reason="入户发现外出务工",
    )
    _save(page)
    context.set_offline(False)
    page.click("#sync")
    expect(page.locator("#count-conflict")).to_have_text("1")
    conflict = page.locator(".queue-entry[data-state=conflict] .conflict")
    expect(conflict).to_contain_text("待核实")  # as the phone saw it
    expect(conflict).to_contain_text("在校就读")  # as the server has it now
    screenshot(page, "offline-visits-conflict")
    world.sibling1.refresh_from_db()
    assert world.sibling1.status == EnrollmentStatus.IN_SCHOOL
    assert HouseholdVisit.objects.count() == 0

    # Nothing typed is lost: the entry waits for the official's decision, through a reload.
    page.reload()
    page.wait_for_selector("#visits-app[data-ready=true]")
    expect(page.locator(".queue-entry[data-state=conflict]")).to_contain_text("孩子在外务工")

    page.click(".apply-anyway")
    expect(page.locator("#count-synced")).to_have_text("1")
    expect(page.locator("#count-conflict")).to_have_text("0")
    assert HouseholdVisit.objects.count() == 1
    world.sibling1.refresh_from_db()
    assert world.sibling1.status == EnrollmentStatus.DROPPED_OUT
    context.close()


def test_an_ended_login_wipes_the_worklist_and_keeps_the_unsynced_visit(
    transactional_db, world, live_server, browser
):
    from django.contrib.sessions.models import Session

    context, page = _log_in_to_the_app(browser, live_server, "village1")
    _prepare(page, 1)
    context.set_offline(True)
    _record(page, world.sibling1, findings="家中无人", outcome="not_found")
    _save(page)

    # The login ends (revoked, expired) while the phone is out of signal.
    Session.objects.all().delete()
    context.set_offline(False)
    page.reload()  # the API answers 401: the worklist goes, the typed visit stays
    expect(page.locator("#session-warning")).to_be_visible()
    expect(page.locator("#worklist .worklist-item")).to_have_count(0)
    assert _stored_child_ids(page) == set()
    expect(page.locator("#count-pending")).to_have_text("1")
    assert HouseholdVisit.objects.count() == 0

    # Logged in again, the official sends it.
    page.click("#session-warning a")
    page.fill("#id_username", "village1")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/visits/")
    page.wait_for_selector("#visits-app[data-ready=true]")
    expect(page.locator("#count-synced")).to_have_text("1")
    assert HouseholdVisit.objects.count() == 1
    context.close()


def test_the_app_passes_axe_in_its_states(transactional_db, world, live_server, browser):
    """WCAG 2.1 AA (axe-core, as tests/browser/test_accessibility.py runs it) on the app's own
    states, which the route walk cannot open: the worklist, the open form with a refused save,
    and the queue with an entry."""
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN", bypass_csp=True)
    context.add_init_script(script=AXE_SCRIPT.read_text(encoding="utf-8"))
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/?next=/visits/")
    page.fill("#id_username", "village1")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("#visits-app[data-ready=true]")
    _prepare(page, 1)

    found = []
    axe(page, "worklist", found)
    page.click(f".record-visit[data-child='{world.sibling1.pk}']")
    page.click("#v-save")  # refused: the errors are shown on the form
    expect(page.locator("#v-errors")).to_be_visible()
    axe(page, "form with errors", found)
    page.fill("#v-visitors", "村干部王五")
    page.fill("#v-findings", "家中无人")
    page.select_option("#v-outcome", "not_found")
    context.set_offline(True)
    _save(page)
    axe(page, "queue", found)
    assert found == []
    context.close()


def test_a_persuasion_entered_offline_with_two_officials_counts(
    transactional_db, world, live_server, browser, legal_texts
):
    from dropout.models import Persuasion
    from dropout.services import cases

    change_status(
        actor=world.loader,
        child=world.child1,
        status=EnrollmentStatus.SUSPECTED_DROPOUT,
        effective_date=timezone.localdate(),
        reason="连续缺课",
        school=world.school1,
        grade=3,
    )
    case = cases.open_case(actor=world.township1_user, child=world.child1, cause="work")
    context, page = _log_in_to_the_app(browser, live_server, "village1")
    _prepare(page, 2)
    context.set_offline(True)
    _record(page, world.child1, findings="家长在家", outcome="refused")
    page.check("#v-persuasion")
    page.fill("#v-what_was_said", "宣讲义务教育法")
    page.fill("#v-family_answer", "暂不返校")
    page.select_option("#v-result", "refused")
    page.check(f"#v-officer-{world.village1_user.pk}")
    page.click("#v-save")  # one official is not enough
    expect(page.locator("#v-errors")).to_contain_text("不得少于两人")
    page.check(f"#v-officer-{world.township1_user.pk}")
    _save(page)
    context.set_offline(False)
    page.click("#sync")
    expect(page.locator("#count-synced")).to_have_text("1")
    persuasion = Persuasion.objects.get(case=case)
    assert set(persuasion.officers.all()) == {world.village1_user, world.township1_user}
    context.close()
