"""The dropout pages: scope (404), role (403), forms that explain refusals, the documents."""

import pytest
from django.urls import reverse

from dropout.models import DropoutCase, OfficialDocument
from dropout.services import documents

from ..conftest import client_for
from .conftest import days_ago, persuade, register_suspension

SERVICE = {
    "served_to": "张大山",
    "service_method": "in_person",
    "served_by": "王五",
    "service_place": "一组1号",
}

CASE_PAGES = [
    "case_detail",
    "case_persuasion",
    "case_notice",
    "case_penalty",
    "case_measure",
    "case_return",
    "case_close",
    "case_edit",
]


@pytest.mark.parametrize("name", CASE_PAGES)
def test_other_township_gets_404_on_every_case_page(world, case, name):
    url = reverse(f"dropout:{name}", args=[case.pk])
    assert client_for(world.township2_user).get(url).status_code == 404
    assert client_for(world.township2_user).post(url, {}).status_code == 404


@pytest.mark.parametrize("name", CASE_PAGES[1:])
def test_auditor_gets_403_on_every_case_action(world, case, name):
    url = reverse(f"dropout:{name}", args=[case.pk])
    client = client_for(world.auditor)
    assert client.get(reverse("dropout:case_detail", args=[case.pk])).status_code == 200
    assert client.get(url).status_code == 403
    assert client.post(url, {}).status_code == 403


def test_the_notice_form_explains_too_few_persuasions(world, case):
    response = client_for(world.township1_user).post(
        reverse("dropout:case_notice", args=[case.pk]),
        {**SERVICE, "served_on": days_ago(1).isoformat()},
    )
    assert response.status_code == 200
    errors = response.context["form"].non_field_errors()
    assert errors and "2" in errors[0]
    assert not OfficialDocument.objects.exists()


def test_persuasion_form_records_and_moves_the_case(world, case):
    response = client_for(world.village1_user).post(
        reverse("dropout:case_persuasion", args=[case.pk]),
        {
            "date": days_ago(2).isoformat(),
            "visitors": "村干部",
            "what_was_said": "劝返",
            "family_answer": "考虑",
            "result": "promised",
        },
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == DropoutCase.Status.PERSUADING


def test_case_queues(world, case):
    persuade(world, case)
    documents.issue_resume_notice(
        actor=world.township1_user, case=case, served_on=days_ago(20), **SERVICE
    )
    client = client_for(world.township1_user)
    overdue = client.get(reverse("dropout:case_list") + "?queue=overdue")
    assert [c.pk for c in overdue.context["page"]] == [case.pk]
    stale = client.get(reverse("dropout:case_list") + "?queue=stale")
    assert list(stale.context["page"]) == []
    assert client.get(reverse("dropout:case_list") + "?queue=bogus").status_code == 404
    other = client_for(world.township2_user).get(reverse("dropout:case_list") + "?queue=open")
    assert list(other.context["page"]) == []


def test_document_print_page_and_pdf(world, case):
    persuade(world, case)
    notice = documents.issue_resume_notice(
        actor=world.township1_user, case=case, served_on=days_ago(3), **SERVICE
    )
    client = client_for(world.township1_user)
    page = client.get(reverse("dropout:document_page", args=[notice.pk]))
    assert notice.number in page.content.decode() and "送达回证" in page.content.decode()
    pdf = client.get(reverse("dropout:document_pdf", args=[notice.pk]))
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    assert (
        client_for(world.township2_user)
        .get(reverse("dropout:document_pdf", args=[notice.pk]))
        .status_code
        == 404
    )


def test_suspected_and_dropout_ledgers(world, case):
    client = client_for(world.township1_user)
    dropped = client.get(reverse("dropout:dropout_ledger", args=["township", world.township1.pk]))
    assert {c.name for c in dropped.context["table"].data} == {world.child1.name}
    assert "辍学台账" in dropped.content.decode()
    suspected = client.get(
        reverse("dropout:suspected_ledger", args=["township", world.township1.pk])
    )
    assert list(suspected.context["table"].data) == []
    assert client.get(reverse("dropout:dropout_ledger", args=["planet", 1])).status_code == 404


def test_child_page_shows_the_case_and_offers_actions_by_role(world, case):
    page = (
        client_for(world.township1_user)
        .get(reverse("enrollment:child_detail", args=[world.child1.pk]))
        .content.decode()
    )
    assert reverse("dropout:case_detail", args=[case.pk]) in page
    assert reverse("dropout:exemption_new") in page
    auditor_page = (
        client_for(world.auditor)
        .get(reverse("enrollment:child_detail", args=[world.child1.pk]))
        .content.decode()
    )
    assert reverse("dropout:exemption_new") not in auditor_page


def test_exemption_pages_scope_and_queue(world, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    request = register_suspension(world)
    url = reverse("dropout:exemption_detail", args=[request.pk])
    assert client_for(world.township2_user).get(url).status_code == 404
    township = client_for(world.township1_user)
    assert (
        township.get(reverse("dropout:exemption_list") + "?queue=township")
        .context["page"]
        .paginator.count
        == 1
    )
    township.post(reverse("dropout:exemption_action", args=[request.pk, "approve"]), {"note": ""})
    bureau = client_for(world.bureau)
    queue = bureau.get(reverse("dropout:exemption_list") + "?queue=bureau")
    assert [r.pk for r in queue.context["page"]] == [request.pk]
    response = bureau.post(
        reverse("dropout:exemption_action", args=[request.pk, "file"]), {"note": "同意"}
    )
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.status == "filed"
    scan = township.get(reverse("dropout:exemption_file", args=[request.pk, "application"]))
    assert scan.status_code == 200
    assert (
        client_for(world.township2_user)
        .get(reverse("dropout:exemption_file", args=[request.pk, "application"]))
        .status_code
        == 404
    )


def test_the_dropout_ledger_exports_only_dropouts(world, case, tmp_path, settings):
    import io

    from django.test import TestCase
    from openpyxl import load_workbook

    from core.models import ExportJob

    settings.MEDIA_ROOT = tmp_path
    client = client_for(world.township1_user)
    page = client.get(reverse("dropout:dropout_ledger", args=["township", world.township1.pk]))
    hidden = dict(page.context["export_query"])
    assert hidden == {"status": "dropped_out"}
    with TestCase.captureOnCommitCallbacks(execute=True):
        client.post(
            reverse("enrollment:export_ledger", args=["township", world.township1.pk]), hidden
        )
    job = ExportJob.objects.get()
    download = client.get(reverse("core:export_download", args=[job.pk]))
    sheet = load_workbook(io.BytesIO(b"".join(download.streaming_content))).active
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert [(row[1], row[12]) for row in rows] == [(world.child1.name, "辍学")]


def test_exemption_steps_appear_dated_and_attributed_on_the_child_page(world, tmp_path, settings):
    from dropout.services import exemptions

    settings.MEDIA_ROOT = tmp_path
    request = register_suspension(world)
    exemptions.township_approve(actor=world.township1_user, request=request, note="属实")
    page = (
        client_for(world.township1_user)
        .get(reverse("enrollment:child_detail", args=[world.child1.pk]))
        .content.decode()
    )
    panel = page[page.index('id="dropout-panel"') :]
    assert "township1" in panel and "属实" in panel
    from django.utils import timezone

    assert timezone.localtime(request.steps.last().at).strftime("%Y-%m-%d") in panel


def test_editing_the_case_details_is_recorded(world, case):
    response = client_for(world.township1_user).post(
        reverse("dropout:case_edit", args=[case.pk]),
        {
            "cause": "learning",
            "cause_detail": "厌学",
            "responsible_persons": "镇长 张三",
            "version": case.version,
        },
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert (case.cause, case.responsible_persons) == ("learning", "镇长 张三")
    assert case.events.filter(action="edited", actor=world.township1_user).exists()


def test_the_child_page_reads_a_full_record_in_a_fixed_number_of_queries(
    world, case, tmp_path, settings, django_assert_max_num_queries
):
    """Cases, exemption requests with their steps, visits and pairings: one query per list,
    whatever their lengths."""
    from dropout.services import exemptions
    from enrollment.services import assign_help_partner, record_visit

    settings.MEDIA_ROOT = tmp_path
    rejected = register_suspension(world, actor=world.township1_user)
    exemptions.reject_exemption(actor=world.township1_user, request=rejected, note="证明不足")
    register_suspension(world, actor=world.township1_user)
    for index in range(3):
        record_visit(
            actor=world.township1_user,
            household=world.household1,
            children=[world.child1, world.sibling1],
            visit_date=days_ago(10 - index),
            visitors="镇干部",
            findings=f"第{index + 1}次家访",
            outcome="refused",
        )
        assign_help_partner(
            actor=world.township1_user,
            child=world.child1,
            partner_name=f"教师{index}",
            partner_kind="teacher",
            plan="每周联系",
            start_date=days_ago(20 - index),
        )
    client = client_for(world.township1_user)
    url = reverse("enrollment:child_detail", args=[world.child1.pk])
    client.get(url)
    # 18 in a request (the subsidies panel: payments, the latest check's gaps; one query each
    # for the risk score and the transfers panel); in a test the audit row's block adds a
    # SAVEPOINT and its RELEASE. A query per visit or pairing would pass 20.
    with django_assert_max_num_queries(20):
        page = client.get(url).content.decode()
    assert reverse("dropout:case_detail", args=[case.pk]) in page
    assert page.count('class="border-bottom pb-2 mb-2 visit"') == 3
    assert "证明不足" in page


def test_a_case_outside_the_users_scope_is_hidden_but_still_blocks_a_second_case(world, case):
    open_case_link = f"{reverse('dropout:open_case')}?child={world.child1.pk}"
    case_link = reverse("dropout:case_detail", args=[case.pk])
    DropoutCase.objects.filter(pk=case.pk).update(township=world.township2)  # opened elsewhere
    page = (
        client_for(world.township1_user)
        .get(reverse("enrollment:child_detail", args=[world.child1.pk]))
        .content.decode()
    )
    assert case_link not in page
    assert open_case_link not in page
    bureau_page = (
        client_for(world.bureau)
        .get(reverse("enrollment:child_detail", args=[world.child1.pk]))
        .content.decode()
    )
    assert case_link in bureau_page


def test_a_child_without_an_open_case_is_offered_one(world, case):
    DropoutCase.objects.filter(pk=case.pk).update(status=DropoutCase.Status.RETURNED)
    page = (
        client_for(world.township1_user)
        .get(reverse("enrollment:child_detail", args=[world.child1.pk]))
        .content.decode()
    )
    assert f"{reverse('dropout:open_case')}?child={world.child1.pk}" in page
