"""The annual summary as a Word document (python-docx) the bureau edits into its year-end
report: for each section, the report's sentences with the figures filled in, then the table
of figures. Written from the stored snapshot, like the workbook."""

import io

from django.utils import translation
from django.utils.translation import gettext as _
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Pt

from .selectors import from_stored
from .workbook import basis_text

# Word picks the East Asian font from w:eastAsia; without it, Chinese falls back to whatever
# the reader's machine maps the Latin font to. 宋体 is on every Chinese Windows and WPS.
BODY_FONT = "宋体"
HEADING_FONT = "黑体"


def _font(style_or_run, name: str, size: float | None = None) -> None:
    font = style_or_run.font
    font.name = name
    if size:
        font.size = Pt(size)
    element = style_or_run.element
    properties = element.get_or_add_rPr()
    fonts = properties.find(qn("w:rFonts"))
    if fonts is None:
        fonts = properties.makeelement(qn("w:rFonts"), {})
        properties.append(fonts)
    fonts.set(qn("w:eastAsia"), name)


def display_value(value, unit: str) -> str:
    value = from_stored(value)
    if value is None:
        return "—"
    return f"{value}{unit}"


def build_document(summary) -> bytes:
    with translation.override("zh-hans"):
        return _build(summary)


def _build(summary) -> bytes:
    document = Document()
    _font(document.styles["Normal"], BODY_FONT, 12)
    for level in (1, 2):
        _font(document.styles[f"Heading {level}"], HEADING_FONT)
    title = document.add_heading(f"{summary.scope_name}{summary.year}年度教育扶贫工作数据", 1)
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    status = (
        _("Approved by %(who)s on %(day)s")
        % {
            "who": summary.approved_by.get_full_name() or summary.approved_by.get_username(),
            "day": f"{summary.approved_at:%Y-%m-%d}",
        }
        if summary.approved_at and summary.approved_by
        else _("Draft: not yet approved")
    )
    document.add_paragraph(
        _("Stock figures counted on %(day)s. %(status)s.")
        % {"day": summary.counted_on.isoformat(), "status": status}
    )
    for section in summary.sections:
        document.add_heading(section["title"], 2)
        for sentence in section["sentences"]:
            document.add_paragraph(sentence)
        table = document.add_table(rows=1, cols=3)
        table.style = "Table Grid"
        for cell, text in zip(
            table.rows[0].cells, (_("Figure"), _("Value counted"), _("Period counted")), strict=True
        ):
            cell.text = text
        for figure in section["figures"]:
            cells = table.add_row().cells
            cells[0].text = figure["label"]
            cells[1].text = display_value(figure["value"], figure["unit"])
            cells[2].text = basis_text(figure["basis"], summary.year, summary.counted_on)
    if summary.adjustments:
        document.add_heading(_("Adjustments after earlier years were locked"), 2)
        for item in summary.adjustments:
            document.add_paragraph(
                _("%(year)s · %(label)s: approved %(approved)s, now %(current)s (%(difference)s)")
                % item,
                style="List Bullet",
            )
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
