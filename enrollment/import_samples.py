"""Writing police extracts and school rolls as the police station and the schools send them: a
title row above the header, IDs as text, a 合计 row at the bottom. Used by the demo's example
files (`manage.py make_import_examples`), the benchmark's generator and the tests."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

import xlsxwriter

POLICE_HEADERS = [
    "序号",
    "姓名",
    "性别",
    "公民身份号码",
    "出生日期",
    "户籍地址",
    "现住址",
    "监护人姓名",
    "与儿童关系",
    "联系电话",
    "村（社区）",
]
ROLL_HEADERS = [
    "姓名",
    "公民身份号码",
    "学籍号",
    "年级",
    "班级",
    "入学日期",
    "是否寄宿",
    "随班就读",
]
GRADE_NAMES = {1: "一年级", 2: "二年级", 3: "三年级", 4: "四年级", 5: "五年级", 6: "六年级"}
GRADE_NAMES.update({7: "初一", 8: "初二", 9: "初三", 10: "高一", 11: "高二", 12: "高三"})


@dataclass
class Formula:
    """A cell holding a formula (with the value Excel cached for it)."""

    formula: str
    value: Any = ""


@dataclass
class Number:
    """A value written as an Excel number even where the column holds text (an ID Excel
    converted: 5.10304201503041E+17)."""

    value: float


def write_sheet(
    path,
    headers: list[str],
    rows,
    *,
    title: str = "",
    subtitle: str = "",
    total_row: bool = True,
    blank_row_after: int | None = None,
    constant_memory: bool = False,
) -> int:
    """Write a sheet like the ones people send: optional title rows, the header, the rows
    (strings stay text, dates are dates), optionally an empty row in the middle and a 合计 row.
    Returns the number of data rows."""
    workbook = xlsxwriter.Workbook(
        str(path),
        {
            "constant_memory": constant_memory,
            "strings_to_formulas": False,
            "strings_to_numbers": False,
            "strings_to_urls": False,
        },
    )
    sheet = workbook.add_worksheet("Sheet1")
    bold = workbook.add_format({"bold": True})
    date = workbook.add_format({"num_format": "yyyy-mm-dd"})
    text = workbook.add_format({"num_format": "@"})
    row_index = 0
    for line in (title, subtitle):
        if line:
            sheet.write_string(row_index, 0, line, bold)
            row_index += 1
    for column, header in enumerate(headers):
        sheet.write_string(row_index, column, header, bold)
        sheet.set_column(column, column, 14 if header != "公民身份号码" else 21)
    row_index += 1
    count = 0
    for count, values in enumerate(rows, start=1):
        for column, value in enumerate(values):
            if value is None or value == "":
                continue
            if isinstance(value, Formula):
                sheet.write_formula(row_index, column, value.formula, None, value.value)
            elif isinstance(value, Number):
                sheet.write_number(row_index, column, value.value)
            elif isinstance(value, str):
                sheet.write_string(row_index, column, value, text)
            elif isinstance(value, datetime.date):
                sheet.write_datetime(row_index, column, value, date)
            else:
                sheet.write(row_index, column, value)
        row_index += 1
        if blank_row_after is not None and count == blank_row_after:
            row_index += 1
    if total_row:
        sheet.write_string(row_index, 0, "合计", bold)
        sheet.write_string(row_index, 1, f"{count}人")
    workbook.close()
    return count


def police_row(sequence: int, child, *, phone: str | None = None) -> list:
    """One row of a police extract for a registered child (village by name)."""
    return [
        sequence,
        child.name,
        "男" if child.sex == "M" else "女",
        child.resident_id,
        child.birth_date,
        child.household.address,
        child.current_address or child.household.address,
        child.guardian_name,
        child.guardian_relation,
        child.guardian_phone if phone is None else phone,
        child.village.name,
    ]


def roll_row(child, *, grade: int, class_name: str, entry_date, boarder=False, inclusive=False):
    return [
        child.name,
        child.resident_id,
        "",
        GRADE_NAMES[grade],
        class_name,
        entry_date,
        "是" if boarder else "否",
        "是" if inclusive else "否",
    ]


ROSTER_HEADERS = ["全国学籍号", "姓名", "公民身份号码", "学校标识码", "年级", "班级", "学籍状态"]


def roster_row(child, *, school, grade: int, class_name: str = "1班", status: str = "在籍"):
    """One row of a 学籍 roster for a registered child: its G number unless it holds one."""
    number = child.student_number or f"G{child.resident_id}"
    return [
        number,
        child.name,
        child.resident_id or "",
        school.code,
        GRADE_NAMES[grade],
        class_name,
        status,
    ]


POVERTY_HEADERS = ["名单类别", "户编号", "户主姓名", "姓名", "公民身份号码", "认定日期"]
DISABILITY_HEADERS = ["姓名", "残疾人证号", "公民身份号码", "残疾类别", "残疾等级"]
DISABILITY_CATEGORY_DIGITS = {
    "visual": "1",
    "hearing": "2",
    "speech": "3",
    "physical": "4",
    "intellectual": "5",
    "mental": "6",
    "multiple": "7",
}
DISABILITY_CATEGORY_NAMES = {
    "1": "视力",
    "2": "听力",
    "3": "言语",
    "4": "肢体",
    "5": "智力",
    "6": "精神",
    "7": "多重",
}


def poverty_row(child, *, register: str = "脱贫户", number: str = "", listed_on) -> list:
    """One row of a poverty register naming a registered child as its household's member."""
    household = child.household
    return [
        register,
        number or household.poverty_registration_number,
        household.head_name,
        child.name,
        child.resident_id,
        listed_on,
    ]


def disability_certificate(child, *, category: str = "physical", grade: int = 2) -> str:
    return f"{child.resident_id}{DISABILITY_CATEGORY_DIGITS[category]}{grade}"


def disability_row(child, *, category: str = "physical", grade: int = 2) -> list:
    digit = DISABILITY_CATEGORY_DIGITS[category]
    return [
        child.name,
        disability_certificate(child, category=category, grade=grade),
        child.resident_id,
        DISABILITY_CATEGORY_NAMES[digit],
        f"{'一二三四'[grade - 1]}级",
    ]
