"""行政处罚法 Art. 61 and 42 on the case: a penalty decision served within seven days (or marked
late), persuasions that count only with two officials, and the case page's progress line."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied

from core.errors import DomainError, TransitionRefused
from dropout.models import CaseEvent, DropoutCase
from dropout.progress import case_progress
from dropout.services import cases, documents, penalties
from dropout.transitions import CASE_TRANSITIONS

from ..conftest import api_for, client_for
from .conftest import days_ago, persuade

C = DropoutCase.Status
SERVED = {"served_to": "张大山", "service_method": "in_person", "service_place": "一组1号"}


def officers(world):
    return [world.township1_user, world.admin]


@pytest.fixture
def noticed(world, case):
    persuade(world, case)
    documents.issue_resume_notice(
        actor=world.township1_user, case=case, served_on=days_ago(30), served_by="王五", **SERVED
    )
    return case


def decide_unserved(world, case, decided_on):
    penalties.issue_prior_notice(
        actor=world.township1_user,
        case=case,
        served_on=decided_on - datetime.timedelta(days=6),
        penalty_kind="warning",
        proposed_penalty="警告",
        officers=officers(world),
        **SERVED,
    )
    return documents.decide_penalty(
        actor=world.township1_user,
        case=case,
        decided_on=decided_on,
        facts_and_evidence="入户记录两份",
        penalty="警告",
        compliance="七日内复学",
        officers=officers(world),
    )


def serve(world, case, served_on, actor=None, who=None):
    return penalties.serve_decision(
        actor=actor or world.township1_user,
        case=case,
        served_on=served_on,
        officers=who if who is not None else officers(world),
        served_by="村干部 王芳",
        **SERVED,
    )


def test_a_decision_without_a_service_record_awaits_service_then_is_served(world, noticed):
    decision = decide_unserved(world, noticed, days_ago(3))
    assert decision.served_on is None and decision.served_to == ""
    assert decision.service_due_on == days_ago(3) + datetime.timedelta(days=7)
    rows = dict(decision.content["service_record"]["rows"])
    assert rows["送达时间"] == "" and rows["送达方式"] == ""
    noticed.refresh_from_db()
    assert noticed.status == C.PENALTY_DECIDED
    assert CASE_TRANSITIONS.can(noticed, "serve_decision", world.township1_user)

    served = serve(world, noticed, days_ago(1))
    assert served.pk == decision.pk and served.served_on == days_ago(1)
    assert not served.served_late
    rows = dict(served.content["service_record"]["rows"])
    assert rows["送达方式"] == "当面送达" and rows["受送达人"] == "张大山"
    assert rows["送达时间"] != "" and "村干部 王芳" in rows["送达人"]
    event = CaseEvent.objects.filter(case=noticed, action="decision_served").get()
    assert decision.number in event.note and "超过" not in event.note
    # Once served, the step is explained, not offered, and refused by the service.
    noticed.refresh_from_db()
    answer = CASE_TRANSITIONS.can(noticed, "serve_decision", world.township1_user)
    assert not answer and answer.explains and days_ago(1).isoformat() in answer.reason
    with pytest.raises(TransitionRefused):
        serve(world, noticed, days_ago(0))


def test_a_service_after_seven_days_is_recorded_as_late(world, noticed, settings):
    settings.DECISION_SERVICE_DAYS = 7
    decision = decide_unserved(world, noticed, days_ago(10))
    served = serve(world, noticed, days_ago(2))  # day 8 after the decision
    assert served.served_late
    event = CaseEvent.objects.get(case=noticed, action="decision_served")
    assert "超过7日送达期限" in event.note and decision.service_due_on.isoformat() in event.note


def test_a_service_on_the_seventh_day_is_in_time(world, noticed):
    decide_unserved(world, noticed, days_ago(7))
    assert not serve(world, noticed, days_ago(0)).served_late


@pytest.mark.parametrize(
    "served_on, who, field",
    [
        (4, None, "served_on"),  # before the decision (made 3 days ago)
        (-1, None, "served_on"),  # in the future
        (1, "one", "officers"),  # one officer only
        (1, "outsider", "officers"),  # an official of another township
    ],
)
def test_bad_services_are_refused_and_change_nothing(world, noticed, served_on, who, field):
    decision = decide_unserved(world, noticed, days_ago(3))
    people = {
        None: None,
        "one": [world.township1_user],
        "outsider": [world.township1_user, world.township2_user],
    }[who]
    with pytest.raises(DomainError) as refused:
        serve(world, noticed, days_ago(served_on), who=people)
    assert refused.value.field == field
    decision.refresh_from_db()
    assert decision.served_on is None
    assert not CaseEvent.objects.filter(case=noticed, action="decision_served").exists()


def test_a_decision_served_on_the_spot_has_nothing_left_to_serve(world, noticed):
    penalties.issue_prior_notice(
        actor=world.township1_user,
        case=noticed,
        served_on=days_ago(10),
        penalty_kind="warning",
        proposed_penalty="警告",
        officers=officers(world),
        **SERVED,
    )
    decision = documents.decide_penalty(
        actor=world.township1_user,
        case=noticed,
        decided_on=days_ago(2),
        facts_and_evidence="入户记录",
        penalty="警告",
        compliance="七日内复学",
        officers=officers(world),
        **SERVED,
    )
    assert decision.served_on == days_ago(2)
    with pytest.raises(TransitionRefused):
        serve(world, noticed, days_ago(1))


@pytest.mark.parametrize("user_name", ["village1_user", "school1_user", "bureau", "auditor"])
def test_only_the_case_roles_serve_a_decision(world, noticed, user_name):
    decide_unserved(world, noticed, days_ago(3))
    with pytest.raises(PermissionDenied):
        serve(world, noticed, days_ago(1), actor=getattr(world, user_name))


def test_the_service_page_scope_role_and_form(world, noticed):
    decide_unserved(world, noticed, days_ago(3))
    url = f"/dropout/cases/{noticed.pk}/decision-service/"
    assert client_for(world.township2_user).get(url).status_code == 404
    assert client_for(world.auditor).get(url).status_code == 403
    township = client_for(world.township1_user)
    page = township.get(url)
    assert page.status_code == 200 and "送达行政处罚决定书" in page.content.decode()
    body = {
        "served_on": days_ago(1).isoformat(),
        "officers": [world.township1_user.pk],
        **SERVED,
    }
    refused = township.post(url, body)
    assert refused.status_code == 200 and "至少" in refused.content.decode()
    body["officers"] = [u.pk for u in officers(world)]
    assert township.post(url, body).status_code == 302
    case_page = township.get(f"/dropout/cases/{noticed.pk}/").content.decode()
    assert 'id="decision-service"' in case_page and days_ago(1).isoformat() in case_page


def test_the_decision_form_serves_on_the_spot_only_when_ticked(world, noticed):
    penalties.issue_prior_notice(
        actor=world.township1_user,
        case=noticed,
        served_on=days_ago(10),
        penalty_kind="warning",
        proposed_penalty="警告",
        officers=officers(world),
        **SERVED,
    )
    township = client_for(world.township1_user)
    url = f"/dropout/cases/{noticed.pk}/penalty/"
    body = {
        "decided_on": days_ago(1).isoformat(),
        "facts_and_evidence": "入户记录",
        "penalty_kind": "warning",
        "penalty": "警告",
        "compliance": "七日内复学",
        "officers": [u.pk for u in officers(world)],
        "served_now": "on",
        "served_to": "",
        **{k: v for k, v in SERVED.items() if k != "served_to"},
    }
    missing = township.post(url, body)
    assert missing.status_code == 200 and not noticed.documents.filter(kind="penalty_decision")
    del body["served_now"]
    assert township.post(url, body).status_code == 302
    decision = noticed.documents.get(kind="penalty_decision")
    assert decision.served_on is None and decision.service_place == ""


def test_the_api_serves_a_decision(world, noticed):
    decide_unserved(world, noticed, days_ago(3))
    url = f"/api/v1/dropout-cases/{noticed.pk}/serve-decision/"
    body = {
        "served_on": days_ago(1).isoformat(),
        "officers": [u.pk for u in officers(world)],
        "served_by": "",
        **SERVED,
    }
    assert api_for(world.township2_user).post(url, body, format="json").status_code == 404
    assert api_for(world.auditor).post(url, body, format="json").status_code == 403
    answer = api_for(world.township1_user).post(url, body, format="json")
    assert answer.status_code == 201, answer.json()
    decision = next(d for d in answer.json()["documents"] if d["kind"] == "penalty_decision")
    assert decision["served_on"] == days_ago(1).isoformat()
    again = api_for(world.township1_user).post(url, body, format="json")
    assert again.status_code == 409


# --- persuasions by two officials (Art. 42) ---------------------------------------------------


def _persuasion(world, case, officers=(), visitors=""):
    return cases.log_persuasion(
        actor=world.township1_user,
        case=case,
        date=days_ago(10),
        visitors=visitors,
        officers=officers,
        what_was_said="宣讲",
        family_answer="不愿",
        result="refused",
    )


def test_a_persuasion_without_two_officials_is_recorded_but_does_not_count(world, case, settings):
    settings.DROPOUT_MIN_PERSUASIONS = 2
    _persuasion(world, case, visitors="班主任 赵丽")
    _persuasion(world, case, visitors="村干部")
    case.refresh_from_db()
    assert case.persuasions.count() == 2
    answer = CASE_TRANSITIONS.can(case, "issue_notice", world.township1_user)
    assert not answer and answer.reason.startswith("还需2次劝返")
    _persuasion(world, case, officers=[world.township1_user, world.village1_user])
    _persuasion(world, case, officers=[world.school1_user, world.bureau])
    case.refresh_from_db()
    assert CASE_TRANSITIONS.can(case, "issue_notice", world.township1_user)


@pytest.mark.parametrize(
    "names, visitors",
    [
        (["township1_user"], ""),  # one official
        (["township1_user", "township2_user"], ""),  # another township's official
        (["township1_user", "auditor"], ""),  # a role that does not persuade
        ([], "  "),  # nobody at all
    ],
)
def test_a_persuasion_names_who_went_properly(world, case, names, visitors):
    with pytest.raises(DomainError):
        _persuasion(world, case, officers=[getattr(world, n) for n in names], visitors=visitors)
    assert case.persuasions.count() == 0


def test_the_persuasion_form_offers_the_officials_of_the_case(world, case):
    township = client_for(world.township1_user)
    url = f"/dropout/cases/{case.pk}/persuasion/"
    page = township.get(url).content.decode()
    assert "孙" in page or world.township1_user.username in page
    posted = township.post(
        url,
        {
            "date": days_ago(2).isoformat(),
            "officers": [world.township1_user.pk, world.village1_user.pk],
            "what_was_said": "宣讲",
            "family_answer": "不愿",
            "result": "refused",
        },
    )
    assert posted.status_code == 302
    persuasion = case.persuasions.get()
    assert set(persuasion.officers.all()) == {world.township1_user, world.village1_user}
    outsider = township.post(
        url,
        {
            "date": days_ago(2).isoformat(),
            "officers": [world.township1_user.pk, world.township2_user.pk],
            "what_was_said": "宣讲",
            "family_answer": "不愿",
            "result": "refused",
        },
    )
    assert outsider.status_code == 200 and case.persuasions.count() == 1


# --- the progress line -----------------------------------------------------------------------


def states(case, day=None):
    case.refresh_from_db()
    progress = case_progress(case, day=day or days_ago(0))
    return [stage.state for stage in progress.stages], progress.deadline


def test_the_progress_line_follows_the_case(world, case):
    assert states(case)[0] == ["done", "current", "ahead", "ahead", "ahead"]
    persuade(world, case)
    notice = documents.issue_resume_notice(
        actor=world.township1_user, case=case, served_on=days_ago(2), served_by="王五", **SERVED
    )
    stages, deadline = states(case)
    assert stages == ["done", "done", "current", "ahead", "ahead"]
    assert deadline.on == notice.deadline and deadline.days_left == 5
    assert "还剩5天" in deadline.text
    stages, deadline = states(case, day=notice.deadline + datetime.timedelta(days=3))
    assert deadline.days_left == -3 and "已过期3天" in deadline.text


def test_the_progress_line_through_the_penalty_to_the_return(world, noticed):
    decision = decide_unserved(world, noticed, days_ago(3))
    stages, deadline = states(noticed)
    assert stages == ["done", "done", "done", "current", "ahead"]
    assert deadline.on == decision.service_due_on and deadline.days_left == 4
    serve(world, noticed, days_ago(1))
    stages, deadline = states(noticed)
    assert stages == ["done", "done", "done", "done", "ahead"] and deadline is None
    cases.return_to_school(
        actor=world.township1_user,
        case=noticed,
        school=world.school1,
        grade=3,
        returned_on=days_ago(0),
    )
    assert states(noticed)[0] == ["done", "done", "done", "done", "done"]


def test_a_case_closed_early_shows_the_stages_it_never_reached(world, case):
    cases.close_case(
        actor=world.township1_user,
        case=case,
        reason=DropoutCase.CloseReason.MOVED_OUT,
        evidence="迁出证明",
        closed_on=days_ago(1),
    )
    assert states(case)[0] == ["done", "skipped", "skipped", "skipped", "done"]


def test_the_case_page_shows_the_progress_line(world, noticed):
    decide_unserved(world, noticed, days_ago(3))
    page = client_for(world.township1_user).get(f"/dropout/cases/{noticed.pk}/").content.decode()
    assert 'id="case-progress"' in page
    assert 'data-stage="penalty" data-state="current" aria-current="step"' in page
    assert "处罚决定书送达期限" in page and "还剩4天" in page
    assert "待送达" in page and 'id="action-serve-decision"' in page


def test_the_decision_pdf_has_a_blank_service_record_until_served(world, noticed, tmp_path):
    import subprocess

    decision = decide_unserved(world, noticed, days_ago(3))
    client = client_for(world.township1_user)

    def pdf_text(name):
        response = client.get(f"/dropout/documents/{decision.pk}/pdf/")
        assert response.status_code == 200
        path = tmp_path / name
        path.write_bytes(response.content)
        fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True).stdout
        assert all(" yes " in line for line in fonts.splitlines()[2:])  # fonts embedded
        text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True)
        return "".join(text.stdout.split())

    blank = pdf_text("blank.pdf")
    assert "行政处罚决定书" in blank and decision.number in blank and "送达回证" in blank
    assert "当面送达" not in blank and "村干部王芳" not in blank
    serve(world, noticed, days_ago(1))
    served = pdf_text("served.pdf")
    assert "当面送达" in served and "村干部王芳" in served


def test_the_case_page_reads_each_record_of_the_procedure_once(
    world, noticed, django_assert_max_num_queries
):
    """The steps' checks, the progress line and the procedure card share one lookup of each
    document, the prior notice and its replies, hearings and reviews (no query per step)."""
    decide_unserved(world, noticed, days_ago(3))
    client = client_for(world.township1_user)
    client.get(f"/dropout/cases/{noticed.pk}/")  # the session and the caches warm
    with django_assert_max_num_queries(16):
        page = client.get(f"/dropout/cases/{noticed.pk}/")
    assert page.status_code == 200
