"""The dropout API: actions as sub-paths, 409 for refused transitions, 400 for bad input."""

import subprocess

import pytest

from dropout.models import DropoutCase, ExemptionRequest

from ..conftest import api_for
from .conftest import days_ago, exemption_body, pdf_upload, persuade, register_suspension

SERVICE = {
    "served_to": "张大山",
    "service_method": "in_person",
    "served_by": "王五",
    "service_place": "一组1号",
}


def test_a_case_walks_from_report_to_penalty_to_return(world, legal_texts):
    api = api_for(world.township1_user)
    opened = api.post(
        "/api/v1/dropout-cases/",
        {"child": world.child1.pk, "cause": "work", "opened_on": days_ago(40).isoformat()},
        format="json",
    )
    assert opened.status_code == 201, opened.json()
    case_id = opened.json()["id"]
    base = f"/api/v1/dropout-cases/{case_id}"
    for day in (35, 30):
        response = api.post(
            f"{base}/persuasions/",
            {
                "date": days_ago(day).isoformat(),
                "officers": [world.township1_user.pk, world.village1_user.pk],
                "what_was_said": "宣讲",
                "family_answer": "不返校",
                "result": "refused",
            },
            format="json",
        )
        assert response.status_code == 201
    notice = api.post(
        f"{base}/issue-notice/", {**SERVICE, "served_on": days_ago(20).isoformat()}, format="json"
    )
    assert notice.status_code == 201 and notice.json()["status"] == "notice_issued"
    officers = [world.township1_user.pk, world.admin.pk]
    prior = api.post(
        f"{base}/prior-notice/",
        {
            **{k: v for k, v in SERVICE.items() if k != "served_by"},
            "served_on": days_ago(10).isoformat(),
            "penalty_kind": "warning",
            "proposed_penalty": "警告",
            "officers": officers,
        },
        format="json",
    )
    assert prior.status_code == 201, prior.json()
    penalty = api.post(
        f"{base}/decide-penalty/",
        {
            **SERVICE,
            "officers": officers,
            "decided_on": days_ago(5).isoformat(),
            "facts_and_evidence": "记录",
            "penalty": "警告",
            "compliance": "七日内复学",
        },
        format="json",
    )
    assert penalty.status_code == 201 and penalty.json()["status"] == "penalty_decided"
    measure = api.post(
        f"{base}/measures/",
        {"kind": "demand", "date": days_ago(2).isoformat(), "description": "履行催告"},
        format="json",
    )
    assert measure.status_code == 201
    back = api.post(
        f"{base}/return/",
        {"school": world.school1.pk, "grade": 4, "returned_on": days_ago(1).isoformat()},
        format="json",
    )
    assert back.status_code == 201 and back.json()["status"] == "returned"
    documents = back.json()["documents"]
    assert [d["kind"] for d in documents] == ["resume_notice", "prior_notice", "penalty_decision"]
    pdf = api.get(documents[0]["pdf"])
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"


def test_a_refused_transition_answers_409_with_the_reason(world, case):
    api = api_for(world.township1_user)
    response = api.post(
        f"/api/v1/dropout-cases/{case.pk}/issue-notice/",
        {**SERVICE, "served_on": days_ago(1).isoformat()},
        format="json",
    )
    assert response.status_code == 409
    assert "2" in response.json()["detail"]
    case.refresh_from_db()
    assert case.status == DropoutCase.Status.REPORTED


def test_bad_input_answers_400(world, case):
    api = api_for(world.township1_user)
    response = api.post(
        f"/api/v1/dropout-cases/{case.pk}/persuasions/",
        {"date": "not-a-date", "result": "maybe"},
        format="json",
    )
    assert response.status_code == 400
    assert {"date", "result"} <= set(response.json())
    nobody = api.post(
        f"/api/v1/dropout-cases/{case.pk}/persuasions/",
        {
            "date": days_ago(1).isoformat(),
            "what_was_said": "b",
            "family_answer": "c",
            "result": "refused",
        },
        format="json",
    )
    assert nobody.status_code == 400 and "visitors" in nobody.json()
    one_officer = api.post(
        f"/api/v1/dropout-cases/{case.pk}/persuasions/",
        {
            "date": days_ago(1).isoformat(),
            "officers": [world.township1_user.pk],
            "what_was_said": "b",
            "family_answer": "c",
            "result": "refused",
        },
        format="json",
    )
    assert one_officer.status_code == 400 and "officers" in one_officer.json()
    assert case.persuasions.count() == 0
    future = api.post(
        f"/api/v1/dropout-cases/{case.pk}/persuasions/",
        {
            "date": days_ago(-3).isoformat(),
            "visitors": "a",
            "what_was_said": "b",
            "family_answer": "c",
            "result": "refused",
        },
        format="json",
    )
    assert future.status_code == 400 and "date" in future.json()


def test_other_township_gets_404_and_auditor_403(world, case):
    url = f"/api/v1/dropout-cases/{case.pk}/persuasions/"
    body = {
        "date": days_ago(1).isoformat(),
        "visitors": "a",
        "what_was_said": "b",
        "family_answer": "c",
        "result": "refused",
    }
    assert api_for(world.township2_user).get(f"/api/v1/dropout-cases/{case.pk}/").status_code == 404
    assert api_for(world.township2_user).post(url, body, format="json").status_code == 404
    assert api_for(world.auditor).get(f"/api/v1/dropout-cases/{case.pk}/").status_code == 200
    assert api_for(world.auditor).post(url, body, format="json").status_code == 403
    assert case.persuasions.count() == 0


def test_exemption_api_flow(world, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    api = api_for(world.township1_user)
    # The school registers; another official (the township's) approves (four eyes).
    created = api_for(world.school1_user).post(
        "/api/v1/exemptions/",
        exemption_body(world),
        format="multipart",
    )
    assert created.status_code == 201, created.json()
    exemption_id = created.json()["id"]
    assert api.post(f"/api/v1/exemptions/{exemption_id}/file/", {}).status_code in (403, 409)
    assert api.post(f"/api/v1/exemptions/{exemption_id}/approve/", {}).status_code == 200
    bureau = api_for(world.bureau)
    filed = bureau.post(f"/api/v1/exemptions/{exemption_id}/file/", {"note": "备案"})
    assert filed.status_code == 200 and filed.json()["status"] == "filed"
    again = bureau.post(f"/api/v1/exemptions/{exemption_id}/reject/", {"note": "x"})
    assert again.status_code == 409
    assert ExemptionRequest.objects.get().status == "filed"


def test_exemption_of_a_child_outside_the_scope_is_400(world, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    response = api_for(world.township1_user).post(
        "/api/v1/exemptions/",
        {
            "child": world.child2.pk,
            "kind": "suspended",
            "reason": "other",
            "reason_detail": "x",
            "start_date": days_ago(5).isoformat(),
            "end_date": days_ago(-10).isoformat(),
            "application_scan": pdf_upload(),
        },
        format="multipart",
    )
    assert response.status_code == 400 and "child" in response.json()


@pytest.fixture
def penalty_case(world, case):
    from dropout.services import documents

    persuade(world, case)
    documents.issue_resume_notice(
        actor=world.township1_user, case=case, served_on=days_ago(20), **SERVICE
    )
    return case


def test_the_notice_pdf_text_holds_the_child_number_and_deadline(world, penalty_case, tmp_path):
    notice = penalty_case.documents.get()
    response = api_for(world.township1_user).get(f"/api/v1/documents/{notice.pk}/pdf/")
    path = tmp_path / "notice.pdf"
    path.write_bytes(response.content)
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    flat = "".join(text.split())
    assert world.child1.name in flat
    assert notice.number in flat
    deadline = notice.deadline
    assert f"{deadline.year}年{deadline.month}月{deadline.day}日" in flat
    fonts = subprocess.run(
        ["pdffonts", str(path)], capture_output=True, text=True, check=True
    ).stdout
    assert "NotoSerifSC" in fonts and all(
        line.split()[-5] == "yes" for line in fonts.splitlines()[2:] if line.strip()
    )


CASE_STEP_PATHS = [
    "persuasions",
    "issue-notice",
    "prior-notice",
    "replies",
    "reply-reviews",
    "hearing-requests",
    "hearings",
    "legal-reviews",
    "decide-penalty",
    "serve-decision",
    "measures",
    "return",
    "close",
]


@pytest.mark.parametrize("path", CASE_STEP_PATHS)
def test_a_refused_role_gets_403_before_its_body_is_read(world, case, path):
    """Scope (404), role (403), then the body (400): an auditor's empty body is refused for the
    role, not for the body; the case's official with an empty body gets 400 (or 409 where the
    state refuses the step first)."""
    url = f"/api/v1/dropout-cases/{case.pk}/{path}/"
    assert api_for(world.auditor).post(url, {}, format="json").status_code == 403
    assert api_for(world.township2_user).post(url, {}, format="json").status_code == 404
    allowed = world.bureau if path == "legal-reviews" else world.township1_user  # 法制审核
    assert api_for(allowed).post(url, {}, format="json").status_code in (400, 409)


@pytest.mark.parametrize("path", ["approve", "file", "reject", "return"])
def test_exemption_steps_refuse_the_role_before_the_body(world, path):
    request = register_suspension(world)
    url = f"/api/v1/exemptions/{request.pk}/{path}/"
    assert api_for(world.auditor).post(url, {}, format="json").status_code == 403
    assert api_for(world.township2_user).post(url, {}, format="json").status_code == 404


def test_report_generation_refuses_the_role_before_the_body(world):
    response = api_for(world.township1_user).post(
        "/api/v1/monthly-reports/generate/", {"month": "not-a-month"}, format="json"
    )
    assert response.status_code == 403
