"""Disability certificates (残联): the 20-digit 残疾人证号 sets the child's disability fields; each
fault is refused with row/column/value/why and writes nothing; scopes hold; the number is masked
like an ID in the report."""

import datetime

import pytest

from core.models import ImportJob
from enrollment.import_samples import DISABILITY_HEADERS, disability_certificate, disability_row
from enrollment.imports.disability import parse_certificate
from enrollment.models import Child

from .conftest import commit, errors_of, new_id, upload, xlsx_bytes


def certificate_bytes(rows) -> bytes:
    return xlsx_bytes(DISABILITY_HEADERS, rows, title="残疾人证名单")


def _snapshot():
    return list(
        Child.objects.order_by("pk").values_list(
            "pk",
            "is_disabled",
            "disability_category",
            "disability_grade",
            "disability_certificate_number",
        )
    )


def test_a_certificate_sets_the_childs_disability_fields_with_history(world):
    w = world
    rows = [
        disability_row(w.child1, category="intellectual", grade=3),
        disability_row(w.child2, category="visual", grade=1),
    ]
    _r, job = upload(
        w.admin, "disability_certificates", f"county:{w.county.pk}", certificate_bytes(rows)
    )
    assert job.status == ImportJob.Status.CHECKED, job.report
    assert (job.rows_new, job.rows_error) == (2, 0)
    changes = [change for row in job.report["rows"] for change in row["changes"]]
    assert all(w.child1.resident_id not in str(change) for change in changes)  # masked
    _r, job = commit(w.admin, job)
    assert job.status == ImportJob.Status.COMMITTED, job.error
    w.child1.refresh_from_db()
    assert (
        w.child1.is_disabled,
        w.child1.disability_category,
        w.child1.disability_grade,
        w.child1.disability_certificate_number,
    ) == (True, "intellectual", 3, w.child1.resident_id + "53")
    latest = w.child1.history.first()
    assert (latest.history_change_reason, latest.history_user) == ("残疾人证名单导入", w.admin)
    assert w.child1.masked_disability_certificate_number == (
        w.child1.resident_id[:4] + "*" * 12 + w.child1.resident_id[-2:] + "53"
    )
    _r, again = upload(
        w.admin, "disability_certificates", f"county:{w.county.pk}", certificate_bytes(rows)
    )
    assert (again.rows_new, again.rows_changed, again.rows_unchanged) == (0, 0, 2)
    # A re-assessed grade changes it.
    rows[0] = disability_row(w.child1, category="intellectual", grade=2)
    _r, job = upload(
        w.admin, "disability_certificates", f"county:{w.county.pk}", certificate_bytes(rows)
    )
    assert (job.rows_new, job.rows_changed) == (0, 1)


@pytest.mark.parametrize(
    ("ending", "why"),
    [("83", "第19位"), ("05", "第19位"), ("45", "第20位"), ("40", "第20位")],
)
def test_category_and_grade_digits_out_of_range_are_refused(ending, why):
    number = new_id(datetime.date(2015, 3, 4), 5)
    with pytest.raises(ValueError, match=why):
        parse_certificate(number + ending, today=datetime.date(2026, 1, 1))


def _faulty(w):
    rows = [disability_row(w.child1)]  # row 3
    wrong = w.child2.resident_id[:17] + ("1" if w.child2.resident_id[17] != "1" else "2")
    bad_digit = disability_row(w.child1b)
    bad_digit[1] = bad_digit[1][:18] + "92"
    other = new_id(datetime.date(2015, 6, 1), 8)
    mismatched = disability_row(w.child2)
    mismatched[2] = other
    rows += [
        [w.child2.name, wrong + "42", "", "", ""],  # 4: a wrong check digit
        bad_digit,  # 5: category 9
        list(rows[0]),  # 6: the same person twice
        [w.sibling1.name, w.sibling1.resident_id + "4", "", "", ""],  # 7: 19 characters
        mismatched,  # 8: the ID column against the certificate
        ["王小错", disability_certificate(w.child1b), "", "", ""],  # 9: name against the ID
        [w.sibling1.name, disability_certificate(w.sibling1), "", "听力", "五级"],  # 10
    ]
    return rows


def test_each_fault_is_refused_with_row_column_value_and_why_and_nothing_is_written(world):
    w = world
    before = _snapshot()
    _r, job = upload(
        w.admin, "disability_certificates", f"county:{w.county.pk}", certificate_bytes(_faulty(w))
    )
    assert job.status == ImportJob.Status.REJECTED
    by_row = {}
    for row, column, value, message in errors_of(job):
        by_row.setdefault(row, []).append((column, value, message))
    assert sorted(by_row) == [4, 5, 6, 7, 8, 9, 10]
    [(column, value, message)] = by_row[4]
    assert column == "残疾人证号" and "前18位" in message and "校验码" in message
    assert value.count("*") == 12  # masked like an ID
    assert by_row[5][0][2] == "第19位为残疾类别，应为1–7（视力……多重），不能是 9。"
    assert by_row[6][0][2] == "同一人已在本文件第 3 行。"
    assert by_row[7][0][2] == "残疾人证号为20位（公民身份号码、类别位、等级位）；此号为 19 位。"
    assert by_row[8][0][:1] == ("公民身份号码",) and "不一致" in by_row[8][0][2]
    assert by_row[9][0][0] == "姓名" and w.child1b.name in by_row[9][0][2]
    assert [entry[0] for entry in by_row[10]] == ["残疾类别", "残疾等级"]
    assert all(
        w.child2.resident_id not in str(entry) for entries in by_row.values() for entry in entries
    )
    assert _snapshot() == before


def test_an_adult_holder_is_reported_and_skipped(world):
    w = world
    adult = new_id(datetime.date(1970, 1, 1), 13)
    _r, job = upload(
        w.admin,
        "disability_certificates",
        f"county:{w.county.pk}",
        certificate_bytes([["张成人", adult + "41", "", "", ""]]),
    )
    assert job.status == ImportJob.Status.CHECKED, job.report
    assert len(job.report["rows"][0]["notes"]) == 1
    assert job.rows_new == 0


def test_a_township_imports_its_own_children_only(world):
    w = world
    rows = [disability_row(w.child2)]
    _r, job = upload(
        w.township1_user,
        "disability_certificates",
        f"township:{w.township1.pk}",
        certificate_bytes(rows),
    )
    assert job.status == ImportJob.Status.REJECTED
    [(row, column, _value, message)] = errors_of(job)
    assert (row, column) == (3, "残疾人证号") and "其他乡镇" in message
    _r, job = upload(
        w.township2_user,
        "disability_certificates",
        f"township:{w.township2.pk}",
        certificate_bytes(rows),
    )
    assert job.status == ImportJob.Status.CHECKED, job.report
    response, job = upload(
        w.township2_user,
        "disability_certificates",
        f"township:{w.township1.pk}",
        certificate_bytes(rows),
    )
    assert response.status_code == 404 and job is None
    response, job = upload(
        w.auditor, "disability_certificates", f"county:{w.county.pk}", certificate_bytes(rows)
    )
    assert response.status_code == 403 and job is None


def test_the_certificate_number_is_masked_like_the_id_on_the_childs_page(world):
    from django.urls import reverse

    from ..conftest import client_for

    w = world
    certificate = w.child1.resident_id + "42"
    Child.objects.filter(pk=w.child1.pk).update(
        is_disabled=True, disability_certificate_number=certificate
    )
    url = reverse("enrollment:child_detail", args=[w.child1.pk])
    full = client_for(w.township1_user).get(url).content.decode()
    assert certificate in full
    for user in (w.village1_user, w.auditor):
        page = client_for(user).get(url).content.decode()
        assert w.child1.resident_id not in page
        assert certificate[:4] + "*" * 12 + certificate[-4:] in page
