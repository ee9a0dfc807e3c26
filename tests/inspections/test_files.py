"""Evidence and attachments are read through the record's scope (404 outside it)."""

from django.urls import reverse

from inspections.services import inspections, issues

from ..conftest import client_for
from .conftest import PDF_BYTES, area, days_ago, pdf_upload, raise_issue


def _body(response):
    return b"".join(response.streaming_content)


def test_issue_evidence_and_rectification_evidence_are_scoped(world, media):
    issue = raise_issue(world, evidence_file=pdf_upload("现场照片.pdf"))
    issues.submit_rectification(
        actor=world.school1_user, issue=issue, note="已整改", evidence_file=pdf_upload()
    )
    event = issue.events.get(action="submitted")
    urls = [
        reverse("inspections:issue_evidence", args=[issue.pk]),
        reverse("inspections:issue_event_evidence", args=[issue.pk, event.pk]),
    ]
    for url in urls:
        assert _body(client_for(world.school1_user).get(url)) == PDF_BYTES
        assert _body(client_for(world.auditor).get(url)) == PDF_BYTES
        assert client_for(world.township2_user).get(url).status_code == 404
        assert client_for(world.village1_user).get(url).status_code == 404
    raised = issue.events.get(action="raised")
    missing = reverse("inspections:issue_event_evidence", args=[issue.pk, raised.pk])
    assert client_for(world.inspector).get(missing).status_code == 404
    detail = client_for(world.school1_user).get(
        reverse("inspections:issue_detail", args=[issue.pk])
    )
    assert all(url in detail.content.decode() for url in urls)
    assert "/media/" not in detail.content.decode()


def test_inspection_attachments_are_scoped(world, media):
    inspection = inspections.record_inspection(
        actor=world.inspector,
        county=world.county,
        date=days_ago(1),
        unit=world.school1,
        areas=[area()],
        attachments=[pdf_upload("反馈意见.pdf")],
    )
    attachment = inspection.attachments.get()
    url = reverse("inspections:inspection_attachment", args=[inspection.pk, attachment.pk])
    assert _body(client_for(world.school1_user).get(url)) == PDF_BYTES
    assert client_for(world.township2_user).get(url).status_code == 404
