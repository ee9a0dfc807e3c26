import datetime

from openpyxl import load_workbook

from core.exports import Column, Export, neutralise, write_xlsx


def test_formula_prefixes_are_neutralised():
    for text in ("=1+1", "+86 138", "-2", "@SUM(A1)"):
        assert neutralise(text) == "'" + text
    assert neutralise("王小一") == "王小一" and neutralise(5) == 5


def test_writer_streams_rows_with_headers_and_reports_progress(tmp_path):
    seen = []
    export = Export(
        title="测试",
        columns=[Column("姓名"), Column("日期"), Column("数")],
        rows=([f"孩子{i}", datetime.date(2020, 1, 1), i] for i in range(25)),
        total=25,
    )
    written = write_xlsx(tmp_path / "t.xlsx", export, progress=seen.append, every=10)
    sheet = load_workbook(tmp_path / "t.xlsx").active
    assert written == 25 and seen == [10, 20]
    assert [c.value for c in sheet[1]] == ["姓名", "日期", "数"]
    assert sheet["A26"].value == "孩子24" and sheet["C26"].value == 24
    assert sheet["B2"].value.date() == datetime.date(2020, 1, 1)
    assert sheet.freeze_panes == "A2"


def test_columns_are_wide_enough_for_their_chinese_headers_and_capped():
    from core.exports import Column, column_width

    assert column_width(Column("户籍所在村（社区）", 8)) == 20
    assert column_width(Column("姓名", 10)) == 10
    assert column_width(Column("备注", 200)) == 60


def test_every_value_is_written_as_a_spreadsheet_user_expects_and_every_sheet_has_a_filter(
    tmp_path,
):
    from decimal import Decimal

    from django.utils import timezone

    moment = timezone.make_aware(datetime.datetime(2026, 12, 7, 9, 30, 5))
    export = Export(
        title="测试",
        columns=[Column("文字"), Column("电话"), Column("日期"), Column("时间"), Column("金额")],
        rows=iter(
            [
                [
                    '=HYPERLINK("http://x")',
                    "+86 138 0000 0000",
                    datetime.date(2026, 12, 8),
                    moment,
                    Decimal("1250.50"),
                ],
                ["王小一", "13800000000", None, None, Decimal("0.00")],
            ]
        ),
        total=2,
    )
    write_xlsx(tmp_path / "t.xlsx", export)
    sheet = load_workbook(tmp_path / "t.xlsx").active
    formula, phone = sheet["A2"], sheet["B2"]
    # Shown as typed, never run: the quote-prefix style, no apostrophe in the value.
    assert formula.value == '=HYPERLINK("http://x")' and formula.data_type == "s"
    assert formula.quotePrefix and phone.quotePrefix and phone.value == "+86 138 0000 0000"
    assert not sheet["A3"].quotePrefix and sheet["A3"].value == "王小一"
    assert sheet["C2"].is_date and sheet["C2"].value.date() == datetime.date(2026, 12, 8)
    assert sheet["D2"].is_date and sheet["D2"].value == datetime.datetime(2026, 12, 7, 9, 30, 5)
    assert sheet["E2"].value == 1250.5 and sheet["E2"].number_format == "#,##0.00"
    assert sheet["E3"].value == 0 and sheet["E3"].number_format == "#,##0.00"
    assert sheet.auto_filter.ref == "A1:E3"
