"""The poverty and assistance registers: a listed household's status comes from the register with
its date; a household the new full list no longer names is shown and waits for staff; each fault
is refused with row/column/value/why and writes nothing; scopes hold."""

import datetime

import pytest
from django.urls import reverse

from core.models import ImportJob
from enrollment.import_samples import POVERTY_HEADERS, poverty_row
from enrollment.models import Household, PovertyRegisterEntry, PovertyStatus
from enrollment.registers import confirm_left_register

from ..conftest import client_for
from .conftest import commit, errors_of, new_id, upload, xlsx_bytes

DAY = datetime.date(2021, 6, 1)


def poverty_bytes(rows) -> bytes:
    return xlsx_bytes(POVERTY_HEADERS, rows, title="脱贫户名单")


def _household_fields(household):
    household.refresh_from_db()
    return (
        household.poverty_status,
        household.poverty_source,
        household.poverty_registration_number,
        household.poverty_registered_on,
    )


def _import(user, scope_key, rows):
    _r, job = upload(user, "poverty_registers", scope_key, poverty_bytes(rows))
    assert job.status == ImportJob.Status.CHECKED, job.report
    _r, job = commit(user, job)
    assert job.status == ImportJob.Status.COMMITTED, job.error
    return job


def _snapshot():
    return (
        list(Household.objects.order_by("pk").values_list("pk", *_FIELDS)),
        list(PovertyRegisterEntry.objects.order_by("pk").values_list("pk", "register")),
    )


_FIELDS = ("poverty_status", "poverty_source", "poverty_registration_number")


def test_a_register_sets_the_status_with_its_source_and_date_and_keeps_history(world):
    w = world
    adult = new_id(datetime.date(1980, 2, 2), 11)
    rows = [
        poverty_row(w.child1, number="H001", listed_on=DAY),
        # The head (an adult the registry does not hold) follows the household by its number.
        ["脱贫户", "H001", "王一", "王一", adult, DAY],
        poverty_row(w.child2, register="低保", number="D002", listed_on=DAY),
    ]
    _r, job = upload(w.admin, "poverty_registers", f"county:{w.county.pk}", poverty_bytes(rows))
    assert job.status == ImportJob.Status.CHECKED, job.report
    assert (job.rows_new, job.rows_error) == (2, 0)
    _r, job = commit(w.admin, job)
    assert job.status == ImportJob.Status.COMMITTED, job.error
    assert _household_fields(w.household1) == ("lifted", "lifted", "H001", DAY)
    assert _household_fields(w.household2) == ("low_income", "low_income", "D002", DAY)
    latest = w.household1.history.first()
    assert (latest.history_change_reason, latest.history_user) == ("贫困户名单导入", w.admin)
    assert (latest.poverty_status, latest.poverty_source) == ("lifted", "lifted")
    # On two registers: the one of greatest need decides; a second import changes nothing.
    more = [*rows, poverty_row(w.child1, register="边缘易致贫户", number="M9", listed_on=DAY)]
    _import(w.admin, f"county:{w.county.pk}", more)
    assert _household_fields(w.household1)[:2] == ("monitored", "monitored")
    _r, again = upload(w.admin, "poverty_registers", f"county:{w.county.pk}", poverty_bytes(more))
    assert (again.rows_new, again.rows_changed) == (0, 0)


def test_a_household_missing_from_the_new_full_list_is_shown_and_changes_only_once_confirmed(
    world,
):
    w = world
    _import(
        w.admin,
        f"county:{w.county.pk}",
        [
            poverty_row(w.child1, number="H001", listed_on=DAY),
            poverty_row(w.child1b, number="H002", listed_on=DAY),
        ],
    )
    # The next 脱贫户 list names household1 only; a 低保 household is not on that register.
    Household.objects.filter(pk=w.household2.pk).update(
        poverty_status=PovertyStatus.LIFTED, poverty_registration_number="T1"
    )  # typed in, without a source
    rows = [poverty_row(w.child1, number="H001", listed_on=DAY)]
    _r, job = upload(w.admin, "poverty_registers", f"county:{w.county.pk}", poverty_bytes(rows))
    assert job.status == ImportJob.Status.CHECKED, job.report
    [leavers] = job.report["lists"]
    assert sorted(item.split("（")[0] for item in leavers["items"]) == ["李二", "王乙"]
    assert job.report["lists_write"] is True
    page = client_for(w.admin).get(reverse("core:import_detail", args=[job.pk])).content.decode()
    assert "王乙" in page and reverse("enrollment:left_registers") in page
    _r, job = commit(w.admin, job)
    assert job.status == ImportJob.Status.COMMITTED, job.error
    # Not silently changed: both keep their status until confirmed.
    assert _household_fields(w.household1b)[:2] == ("lifted", "lifted")
    assert _household_fields(w.household2)[:2] == ("lifted", "")
    waiting = PovertyRegisterEntry.objects.filter(missing_since__isnull=False, left_on=None)
    assert {entry.household_id for entry in waiting} == {w.household1b.pk, w.household2.pk}
    page = client_for(w.township1_user).get(reverse("enrollment:left_registers"))
    assert "王乙" in page.content.decode() and "李二" not in page.content.decode()
    entry = waiting.get(household=w.household1b)
    # Another township's official: 404; an auditor reads the list but may not confirm: 403.
    client = client_for(w.township2_user)
    url = reverse("enrollment:left_register_confirm", args=[entry.pk])
    assert client.post(url).status_code == 404
    assert client_for(w.auditor).post(url).status_code == 403
    response = client_for(w.township1_user).post(url)
    assert response.status_code == 302
    assert _household_fields(w.household1b) == ("none", "", "", None)
    entry.refresh_from_db()
    assert entry.left_on == entry.missing_since
    assert w.household1b.history.first().history_change_reason == "确认退出名单"
    # Confirming twice is refused (409 as a message); listed again, the entry is active again.
    with pytest.raises(Exception, match="已确认"):
        confirm_left_register(actor=w.admin, entry_pk=entry.pk)
    _import(
        w.admin,
        f"county:{w.county.pk}",
        [
            poverty_row(w.child1, number="H001", listed_on=DAY),
            poverty_row(w.child1b, number="H002", listed_on=DAY),
        ],
    )
    entry.refresh_from_db()
    assert (entry.left_on, entry.missing_since) == (None, None)
    assert _household_fields(w.household1b)[:2] == ("lifted", "lifted")


def _faulty(w):
    rows = [poverty_row(w.child1, number="H001", listed_on=DAY)]  # row 3
    wrong = w.child2.resident_id[:17] + ("1" if w.child2.resident_id[17] != "1" else "2")
    rows += [
        ["脱贫户", "", "李二", "李小二", wrong, DAY],  # 4: a wrong check digit
        poverty_row(w.child1b, register="五保户", listed_on=DAY),  # 5: unknown register kind
        list(rows[0]),  # 6: the same person twice on the same list
        poverty_row(w.sibling1, listed_on=datetime.date.today() + datetime.timedelta(days=3)),
        ["脱贫户", "", "王一", "王小二", w.child2.resident_id, DAY],  # 8: name against the ID
        poverty_row(w.child2, register="低保", number="H001", listed_on=DAY),  # 9: H001 is hh1
        poverty_row(w.child1b, listed_on="2021.13.01"),  # 10: not a date
    ]
    return rows


def test_each_fault_is_refused_with_row_column_value_and_why_and_nothing_is_written(world):
    w = world
    before = _snapshot()
    _r, job = upload(
        w.admin, "poverty_registers", f"county:{w.county.pk}", poverty_bytes(_faulty(w))
    )
    assert job.status == ImportJob.Status.REJECTED
    by_row = {}
    for row, column, _value, message in errors_of(job):
        by_row.setdefault(row, []).append((column, message))
    assert sorted(by_row) == [4, 5, 6, 7, 8, 9, 10]
    assert by_row[4][0][0] == "公民身份号码" and "校验码" in by_row[4][0][1]
    assert by_row[5] == [
        ("名单类别", "不是名单类别；请填写脱贫户、监测户、低保或特困供养（或边缘易致贫户等）。")
    ]
    assert by_row[6] == [("公民身份号码", "同一人已在本文件第 3 行（同一名单）。")]
    assert by_row[7] == [("认定日期", "日期在今天之后。")]
    assert by_row[8][0][0] == "姓名" and "李小二" in by_row[8][0][1]
    assert by_row[9] == [("户编号", "第 3 行已将该户编号给了另一户。")]
    assert by_row[10][0][0] == "认定日期"
    assert _snapshot() == before
    assert not PovertyRegisterEntry.objects.exists()


def test_an_unknown_household_is_reported_and_skipped(world):
    w = world
    stranger = new_id(datetime.date(1975, 1, 1), 12)
    rows = [["低保", "X99", "陌生人", "陌生人", stranger, DAY]]
    _r, job = upload(w.admin, "poverty_registers", f"county:{w.county.pk}", poverty_bytes(rows))
    assert job.status == ImportJob.Status.CHECKED, job.report
    assert job.report["rows"][0]["notes"] == [
        "本地没有持此成员身份证号或户编号的户（无登记儿童）：该行不记录。"
    ]
    assert (job.rows_new, job.rows_changed) == (0, 0)


def test_a_township_imports_its_own_households_only(world):
    w = world
    rows = [poverty_row(w.child2, listed_on=DAY)]
    _r, job = upload(
        w.township1_user, "poverty_registers", f"township:{w.township1.pk}", poverty_bytes(rows)
    )
    assert job.status == ImportJob.Status.REJECTED  # child2 lives in township2
    [(row, column, _value, message)] = errors_of(job)
    assert (row, column) == (3, "公民身份号码") and "范围" in message
    # Township1's list does not take township2's households off the register either.
    Household.objects.filter(pk=w.household2.pk).update(poverty_status=PovertyStatus.LIFTED)
    _import(
        w.township1_user,
        f"township:{w.township1.pk}",
        [poverty_row(w.child1, listed_on=DAY)],
    )
    assert not PovertyRegisterEntry.objects.filter(household=w.household2).exists()
    response, job = upload(
        w.township2_user, "poverty_registers", f"township:{w.township1.pk}", poverty_bytes(rows)
    )
    assert response.status_code == 404 and job is None
    response, job = upload(
        w.township1_user, "poverty_registers", f"county:{w.county.pk}", poverty_bytes(rows)
    )
    assert response.status_code == 404 and job is None
    response, job = upload(
        w.auditor, "poverty_registers", f"county:{w.county.pk}", poverty_bytes(rows)
    )
    assert response.status_code == 403 and job is None


def test_the_template_downloads_with_the_columns(world):
    response = client_for(world.admin).get(
        reverse("core:import_template", args=["poverty_registers"])
    )
    assert response.status_code == 200
    import io

    import openpyxl

    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    assert [cell.value for cell in sheet[1]] == POVERTY_HEADERS


def test_a_number_the_registry_gives_another_household_is_refused(world):
    w = world
    Household.objects.filter(pk=w.household2.pk).update(poverty_registration_number="D9")
    rows = [poverty_row(w.child1, number="D9", listed_on=DAY)]
    _r, job = upload(w.admin, "poverty_registers", f"county:{w.county.pk}", poverty_bytes(rows))
    assert job.status == ImportJob.Status.REJECTED
    assert errors_of(job) == [(3, "户编号", "D9", "该户编号属于另一户，不是该儿童所在的户。")]
