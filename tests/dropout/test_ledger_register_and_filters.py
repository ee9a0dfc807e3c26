"""The register of numbered documents (发文登记) without a gap, the ledgers page counting the
user's scope in the range, and the API lists filtered like the ledgers (issue 18, point 1)."""

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import override

from core.models import DocumentSequence
from dropout.ledgers import LEDGERS
from dropout.services import cases, documents

from ..conftest import api_for, client_for
from .conftest import SERVED, days_ago
from .ledger_workbooks import exported, is_date

# --- the register of numbered documents (发文登记) ---------------------------------------


def _case_with_notice(world, child, served_on, official=None):
    """A case of the child's township, persuaded twice by its official with the county
    administrator, and its notice to resume schooling."""
    official = official or world.township1_user
    case = cases.open_case(actor=official, child=child, cause="poverty", opened_on=days_ago(40))
    for index in range(2):
        cases.log_persuasion(
            actor=official,
            case=case,
            date=days_ago(35 - index),
            visitors="班主任",
            officers=[official, world.admin],
            what_was_said="宣讲义务教育法",
            family_answer="不愿返校",
            result="refused",
        )
    return documents.issue_resume_notice(
        actor=official, case=case, served_on=served_on, served_by="王五", **SERVED
    )


@pytest.fixture
def numbered(world, legal_texts, media):
    """Three notices of township1 this year, the second corrected (a fourth number voids it),
    and one of township2."""
    served_on = timezone.localdate()
    first = _case_with_notice(world, world.child1, served_on)
    second = _case_with_notice(world, world.sibling1, served_on)
    third = _case_with_notice(world, world.child1b, served_on)
    correction = documents.correct_document(
        actor=world.township1_user, document=second, reason="姓名有误"
    )
    other = _case_with_notice(world, world.child2, served_on, world.township2_user)
    return {
        "first": first,
        "second": second,
        "third": third,
        "correction": correction,
        "other": other,
    }


def test_the_register_numbers_each_township_kind_and_year_consecutively_from_one(world, numbered):
    sheet, rows = exported(world, "register")
    year = numbered["first"].year
    assert [(row["乡镇"], row["年度"], row["顺序号"]) for row in rows] == [
        ("一镇", year, 1),
        ("一镇", year, 2),
        ("一镇", year, 3),
        ("一镇", year, 4),
    ]
    assert [row["文号"] for row in rows] == [
        numbered[key].number for key in ("first", "second", "third", "correction")
    ]
    voided = rows[1]
    assert voided["状态"] == "已作废" and numbered["correction"].number in voided["更正情况"]
    assert voided["作废原因"] == "姓名有误"
    assert rows[3]["状态"] == "有效" and rows[3]["更正情况"] == f"更正{numbered['second'].number}"
    assert all(row["状态"] != "缺号" for row in rows)
    assert is_date(sheet, "发文日期")
    # The county sees both townships, each numbered from 1.
    _sheet_, rows = exported(world, "register", user=world.auditor)
    numbers = {}
    for row in rows:
        numbers.setdefault((row["乡镇"], row["文书种类"], row["年度"]), []).append(row["顺序号"])
    assert all(sequence == list(range(1, len(sequence) + 1)) for sequence in numbers.values())
    assert sorted(len(sequence) for sequence in numbers.values()) == [1, 4]


def test_a_number_without_its_document_shows_in_the_register(world, numbered):
    # Never by the services (a rolled-back issue gives its number back): a sequence ahead of
    # the documents, as a faulty import or a manual edit would leave it.
    sequence = DocumentSequence.objects.get(
        issuer=f"township:{world.township1.pk}", kind="resume_notice"
    )
    sequence.last_number += 1
    sequence.save()
    _sheet_, rows = exported(world, "register")
    assert [row["顺序号"] for row in rows] == [1, 2, 3, 4, 5]
    assert rows[-1]["状态"] == "缺号" and rows[-1]["更正情况"] == "未找到该号文书"
    page = client_for(world.township1_user).get(reverse("dropout:document_register"))
    assert 'id="register-missing"' in page.content.decode()


def test_the_register_page_lists_every_number_with_the_voided_one(world, numbered):
    client = client_for(world.township1_user)
    response = client.get(reverse("dropout:document_register"))
    assert response.status_code == 200
    page = response.content.decode()
    for key in ("first", "second", "third", "correction"):
        assert numbered[key].number in page
    assert numbered["other"].number not in page
    assert page.count('data-sequence="') == 4
    assert 'id="register-missing"' not in page
    with override("zh-hans"):
        assert "已作废" in page
    other = client_for(world.township2_user).get(reverse("dropout:document_register"))
    assert numbered["first"].number not in other.content.decode()
    assert numbered["other"].number in other.content.decode()
    last_year = days_ago(0).year - 1
    response = client.get(
        reverse("dropout:document_register"),
        {"date_from": f"{last_year}-01-01", "date_to": f"{last_year}-12-31"},
    )
    assert 'data-sequence="' not in response.content.decode()
    bad = client.get(reverse("dropout:document_register"), {"date_from": "2025-02-30"})
    assert bad.status_code == 400 and "请按 YYYY-MM-DD 格式填写日期" in bad.content.decode()


def test_a_village_scope_has_no_register(world, numbered):
    response = client_for(world.village1_user).get(reverse("dropout:document_register"))
    assert response.status_code == 200
    assert 'data-sequence="' not in response.content.decode()


# --- the ledgers page -------------------------------------------------------------------------


def test_the_ledgers_page_counts_the_rows_of_the_users_scope_in_the_range(world, records):
    client = client_for(world.township1_user)
    page = client.get(reverse("dropout:ledger_index")).content.decode()
    for name in LEDGERS:
        assert f'action="{reverse("dropout:ledger_export", args=[name])}"' in page
    assert 'data-count="persuasions">2<' in page and 'data-count="documents">3<' in page
    page = client.get(
        reverse("dropout:ledger_index"), {"date_from": days_ago(34).isoformat()}
    ).content.decode()
    assert 'data-count="persuasions">1<' in page and 'data-count="absences">0<' in page
    other = client_for(world.township2_user).get(reverse("dropout:ledger_index")).content.decode()
    assert 'data-count="persuasions">0<' in other and 'data-count="visits">0<' in other
    bad = client.get(reverse("dropout:ledger_index"), {"date_from": "2025-1-32"})
    assert bad.status_code == 400 and "请按 YYYY-MM-DD 格式填写日期" in bad.content.decode()


def test_the_menu_and_the_list_pages_lead_to_the_exports(world):
    client = client_for(world.township1_user)
    home = client.get(reverse("dropout:absence_list")).content.decode()
    assert reverse("dropout:ledger_index") in home
    assert f'action="{reverse("dropout:ledger_export", args=["absences"])}"' in home
    exemption_page = client.get(reverse("dropout:exemption_list")).content.decode()
    assert f'action="{reverse("dropout:ledger_export", args=["exemptions"])}"' in exemption_page


# --- the API lists: the same filters ----------------------------------------------------------


def _ids(response) -> list[int]:
    assert response.status_code == 200, response.content.decode()[:500]
    return [row["id"] for row in response.json()["results"]]


@pytest.fixture
def second_case(world, records):
    """child1b's case, opened three days ago by the county administrator (its handler)."""
    return cases.open_case(
        actor=world.admin, child=world.child1b, cause="poverty", opened_on=days_ago(3)
    )


def test_the_case_api_filters_by_date_range_stage_cause_and_handler(world, records, second_case):
    first = records["case"]
    api = api_for(world.auditor)
    url = "/api/v1/dropout-cases/"
    assert sorted(_ids(api.get(url))) == sorted([first.pk, second_case.pk])
    assert _ids(api.get(url, {"date_from": days_ago(10).isoformat()})) == [second_case.pk]
    assert _ids(api.get(url, {"date_to": days_ago(10).isoformat()})) == [first.pk]
    assert _ids(api.get(url, {"date_from": days_ago(40), "date_to": days_ago(40)})) == [first.pk]
    assert _ids(api.get(url, {"status": "penalty_decided"})) == [first.pk]
    assert _ids(api.get(url, {"cause": "poverty"})) == [second_case.pk]
    assert _ids(api.get(url, {"handler": world.admin.pk})) == [second_case.pk]
    assert _ids(api.get(url, {"handler": world.township1_user.pk})) == [first.pk]
    assert _ids(api.get(url, {"township": world.township2.pk})) == []
    assert _ids(api_for(world.township2_user).get(url, {"date_from": days_ago(60)})) == []


@pytest.mark.parametrize(
    "query, field, message",
    [
        ({"date_from": "2025-02-30"}, "date_from", "请按 YYYY-MM-DD 格式填写日期"),
        ({"date_to": "1899-12-31"}, "date_to", "请填写1900年至2100年之间的日期"),
        ({"date_from": "2025-03-02", "date_to": "2025-03-01"}, "date_to", "结束日期早于开始日期"),
        ({"handler": "me"}, "handler", ""),
    ],
)
def test_a_bad_filter_answers_400_on_the_parameter(world, records, query, field, message):
    for url in ("/api/v1/dropout-cases/", "/api/v1/exemptions/", "/api/v1/documents/"):
        if field == "handler" and url != "/api/v1/dropout-cases/":
            continue
        response = api_for(world.auditor).get(url, query)
        assert response.status_code == 400
        assert message in " ".join(response.json()[field])
    if field != "handler":
        assert api_for(world.auditor).get("/api/v1/visits/", query).status_code == 400


def test_the_exemption_document_and_visit_apis_filter_by_date(world, records):
    api = api_for(world.auditor)
    today, yesterday = timezone.localdate().isoformat(), days_ago(1).isoformat()
    exemption = records["exemption"]
    assert _ids(api.get("/api/v1/exemptions/", {"date_from": today})) == [exemption.pk]
    assert _ids(api.get("/api/v1/exemptions/", {"date_to": yesterday})) == []
    assert _ids(api.get("/api/v1/exemptions/", {"kind": "suspended"})) == [exemption.pk]
    notice, decision = records["notice"], records["decision"]
    url = "/api/v1/documents/"
    assert _ids(api.get(url, {"kind": "resume_notice"})) == [notice.pk]
    assert _ids(api.get(url, {"date_to": days_ago(25).isoformat()})) == [notice.pk]
    assert _ids(api.get(url, {"date_from": days_ago(13).isoformat()})) == [decision.pk]
    assert _ids(api_for(world.township2_user).get(url)) == []
    visit = records["visit"]
    assert _ids(api.get("/api/v1/visits/", {"date_from": days_ago(20).isoformat()})) == [visit.pk]
    assert _ids(api.get("/api/v1/visits/", {"date_from": days_ago(19).isoformat()})) == []
    assert _ids(api.get("/api/v1/visits/", {"outcome": "working_away"})) == [visit.pk]
