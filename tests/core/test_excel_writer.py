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
