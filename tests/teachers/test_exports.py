"""The teacher list's Excel export: the page's filters applied, Chinese headers, IDs masked
unless the user's role needs the full number; read back cell by cell."""

import datetime

from django.urls import reverse

from core.models import ExportJob

from ..conftest import client_for
from .conftest import export_and_read, register


def test_teacher_export_applies_the_filters_cell_by_cell(world, staff, media):
    register(world, world.school1, name="代课甲", post_type="substitute", title="second")
    sheet = export_and_read(
        client_for(world.admin), reverse("teachers:teacher_export"), {"post_type": "regular"}
    )
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == (
        "序号",
        "姓名",
        "性别",
        "出生日期",
        "身份证号",
        "乡镇",
        "学校",
        "任教学科",
        "职称",
        "岗位类型",
        "招聘方式",
        "招聘年份",
        "入职日期",
        "本校任职起始",
        "状态",
        "特岗服务期满",
    )
    assert len(rows) == 3
    first = rows[1]
    assert first[:3] == (1, "王一师", "女")
    assert first[3].date() == datetime.date(1990, 5, 4)
    assert first[4] == staff.teacher1.resident_id  # the bureau sees full numbers
    assert first[5:12] == ("一镇", "一镇小学", "语文", "未定级", "在编", "公开招聘", 2015)
    assert first[12].date() == datetime.date(2015, 8, 25)
    assert (first[14], first[15]) == ("在职", None)
    assert rows[2][1] == "李二师"
    job = ExportJob.objects.get()
    assert job.params == {"query": {"post_type": ["regular"]}}


def test_teacher_export_of_a_township_official_is_scoped_and_masked(world, staff, media):
    sheet = export_and_read(client_for(world.township2_user), reverse("teachers:teacher_export"))
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert [(row[1], row[4]) for row in rows] == [("李二师", staff.teacher2.masked_resident_id)]
