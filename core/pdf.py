"""Official documents (公文) as PDF, laid out after GB/T 9704-2012, with the bundled CJK font.

The renderer knows no domain: a caller fills an OfficialDocument (header, title, number, body
sections, signature, optional service record) and gets PDF bytes back. Every PDF embeds a subset
of Noto Serif SC (SIL OFL, see core/fonts/README.md), so the text shows on machines without
Chinese fonts and survives text extraction.

Layout (GB/T 9704-2012 §5, §7): A4, type area 156 × 225 mm (top 37 mm, left 28 mm), 22 lines of
28 characters, body text 三号 (trimmed from 16 pt to 15.75 pt so that 28 characters fill a line),
paragraphs indented by two characters, issuing authority in red with a red rule, date right-spaced
by four characters with the authority centred above it, page numbers "— 1 —" under the type area
(odd pages right, even pages left). Chinese has no spaces, so lines break between any two
characters, except that closing punctuation never starts a line, opening punctuation never ends
one, and runs of Latin letters and digits stay together; full lines are justified.
"""

import re
from dataclasses import dataclass
from pathlib import Path

from fpdf import FPDF

FONT_DIR = Path(__file__).resolve().parent / "fonts"
REGULAR_FONT = FONT_DIR / "NotoSerifSC-Regular.ttf"  # all 30,928 characters of Noto Serif SC
BOLD_FONT = FONT_DIR / "NotoSerifSC-Bold-GB2312.ttf"  # GB 2312 + punctuation; rest from regular
FAMILY = "notoserifsc"

MM_PER_PT = 25.4 / 72

PAGE_W, PAGE_H = 210.0, 297.0
MARGIN_TOP, MARGIN_LEFT = 37.0, 28.0
TEXT_W, TEXT_H = 156.0, 225.0
TEXT_LEFT, TEXT_RIGHT = MARGIN_LEFT, MARGIN_LEFT + TEXT_W
TEXT_BOTTOM = MARGIN_TOP + TEXT_H  # 262 mm: bottom margin 35 mm

BODY_PT = 15.75  # 三号; 28 characters × 15.75 pt = 155.6 mm
CHAR_W = BODY_PT * MM_PER_PT
LINE_H = TEXT_H / 22  # 10.23 mm ≈ 29 pt
HEADER_PT = 36  # 发文机关标志: shrunk further when the name is long
TITLE_PT = 22  # 二号
TITLE_LINE_H = 12.0
PAGE_NUMBER_PT = 14  # 四号
NOTE_PT = 12  # 小四
NOTE_LINE_H = 6.5
TABLE_PT = 14
TABLE_LINE_H = 7.5

RED = (230, 0, 18)
BLACK = (0, 0, 0)
SEAL_GREY = (185, 185, 185)
SEAL_RADIUS = 20.0  # a 4 cm official seal

_NO_LINE_START = set("，。、；：？！）】〕》」』”’…—·%‰,.;:?!)]}>")
_NO_LINE_END = set("（【〔《「『“‘([{<")
# Tokens that are not split: runs of Latin letters and digits (with inner . , : / -) of up to
# LONG_RUN characters, doubled dashes and ellipses; everything else is one character.
LONG_RUN = 8
_TOKEN = re.compile(r"[0-9A-Za-z]+(?:[.,:/\-][0-9A-Za-z]+)*|——|……|\n|.", re.DOTALL)


@dataclass
class DocumentSection:
    heading: str | None  # e.g. "一、违法事实和证据", or None for plain paragraphs
    paragraphs: list[str]


@dataclass
class ServiceRecord:
    """送达回证, printed on its own page after the document. An empty value leaves a box to sign."""

    title: str
    rows: list[tuple[str, str]]


@dataclass
class OfficialDocument:
    issuer_name: str  # 发文机关, printed in red as the header with a red rule under it
    title: str
    number: str  # 发文字号, e.g. "城关镇教字〔2025〕7号"
    addressee: str | None  # 主送, e.g. "张三（王小明之监护人）："
    sections: list[DocumentSection]
    signature_lines: list[str]  # e.g. ["城关镇人民政府", "2025年3月4日"]; the last one is the date
    service_record: ServiceRecord | None = None
    footer_note: str | None = None  # e.g. "本通知书一式两份，一份送达监护人，一份存档。"


def render_pdf(document: OfficialDocument) -> bytes:
    # GB/T 9704 §7.3.5.4: the signature (and the 版记 under it) never stands alone on a page.
    # When it would, the body's last lines are carried over to its page.
    for carry in (0, 2, 4, 6):
        pdf, alone = _layout(document, carry=carry)
        if not alone:
            break
    return bytes(pdf.output())


def _layout(document: OfficialDocument, *, carry: int) -> tuple["_OfficialPDF", bool]:
    """The document with the last `carry` lines of its body moved to a new page; and whether
    the signature ended up on a page without body text."""
    pdf = _OfficialPDF()
    pdf.set_title(document.title)
    pdf.set_author(document.issuer_name)
    pdf.set_subject(document.number)
    pdf.set_lang("zh-CN")
    pdf.add_page()
    y = _header(pdf, document.issuer_name, document.number)
    y = _centered_lines(pdf, document.title, y + LINE_H * 0.6, TITLE_PT, TITLE_LINE_H, bold=True)
    y += LINE_H * 0.6
    if document.addressee:
        y = _paragraph(pdf, document.addressee, y, indent=0)
    last = (
        (len(document.sections) - 1, len(document.sections[-1].paragraphs) - 1)
        if (document.sections and document.sections[-1].paragraphs)
        else None
    )
    for index, section in enumerate(document.sections):
        if section.heading:
            y = _paragraph(
                pdf, section.heading, y, bold=True, keep_with_next=bool(section.paragraphs)
            )
        for number, text in enumerate(section.paragraphs):
            carried = carry if (index, number) == last else 0
            y = _paragraph(pdf, text, y, carry=carried)
    body_page = pdf.page_no()
    # The signature makes room for the 版记 at the foot of its page.
    note_h = _footer_note_height(pdf, document.footer_note) + 4 if document.footer_note else 0
    y = _signature(pdf, document.signature_lines, y, bottom=TEXT_BOTTOM - note_h)
    alone = pdf.page_no() > body_page
    if document.footer_note:
        _footer_note(pdf, document.footer_note, y)
        alone = alone or pdf.page_no() > body_page
    if document.service_record:
        pdf.numbered_pages = pdf.page_no()
        _service_record(pdf, document.service_record)
    return pdf, alone


class _OfficialPDF(FPDF):
    def __init__(self) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.set_margins(MARGIN_LEFT, MARGIN_TOP, PAGE_W - TEXT_RIGHT)
        self.set_auto_page_break(False)  # the layout below breaks pages itself
        self.c_margin = 0
        self.add_font(FAMILY, "", REGULAR_FONT)
        self.add_font(FAMILY, "B", BOLD_FONT)
        # A bold character outside GB 2312 is taken from the regular font instead of vanishing.
        self.set_fallback_fonts([FAMILY], exact_match=False)
        self.numbered_pages: int | None = None  # None: every page; n: pages 1..n only

    def footer(self) -> None:
        page = self.page_no()
        if self.numbered_pages is not None and page > self.numbered_pages:
            return
        self._font(PAGE_NUMBER_PT)
        self.set_text_color(*BLACK)
        self.set_char_spacing(0)
        text = f"— {page} —"
        width = self.get_string_width(text)
        one_char = PAGE_NUMBER_PT * MM_PER_PT
        x = TEXT_RIGHT - one_char - width if page % 2 else TEXT_LEFT + one_char
        self.set_xy(x, TEXT_BOTTOM + 7)
        self.cell(width, PAGE_NUMBER_PT * MM_PER_PT, text)

    def _font(self, size_pt: float, bold: bool = False) -> None:
        self.set_font(FAMILY, "B" if bold else "", size_pt)


# ---------------------------------------------------------------------------------------- layout


def _header(pdf: _OfficialPDF, issuer: str, number: str) -> float:
    size = HEADER_PT
    pdf._font(size, bold=True)
    while pdf.get_string_width(issuer) > TEXT_W * 0.95 and size > 16:
        size -= 1
        pdf._font(size, bold=True)
    height = size * MM_PER_PT * 1.3
    pdf.set_text_color(*RED)
    pdf.set_xy(TEXT_LEFT, MARGIN_TOP)
    pdf.cell(TEXT_W, height, issuer, align="C")
    rule_y = MARGIN_TOP + height + 4
    pdf.set_draw_color(*RED)
    pdf.set_line_width(0.6)
    pdf.line(TEXT_LEFT, rule_y, TEXT_RIGHT, rule_y)
    pdf.set_text_color(*BLACK)
    pdf.set_draw_color(*BLACK)
    return _centered_lines(pdf, number, rule_y + 3, BODY_PT, LINE_H)


def _centered_lines(
    pdf: _OfficialPDF, text: str, y: float, size_pt: float, line_h: float, bold: bool = False
) -> float:
    pdf._font(size_pt, bold=bold)
    for line in _break_lines(pdf, text, TEXT_W):
        y = _need(pdf, y, line_h)
        pdf.set_xy(TEXT_LEFT, y)
        pdf.cell(TEXT_W, line_h, line, align="C")
        y += line_h
    return y


def _paragraph(
    pdf: _OfficialPDF,
    text: str,
    y: float,
    *,
    indent: float = 2 * CHAR_W,
    bold: bool = False,
    size_pt: float = BODY_PT,
    line_h: float = LINE_H,
    left: float = TEXT_LEFT,
    width: float = TEXT_W,
    keep_with_next: bool = False,
    carry: int = 0,
) -> float:
    """Justified paragraph with a first-line indent; returns the y under its last line.
    With keep_with_next (headings) it moves to the next page unless a line fits under it;
    with `carry`, its last lines start a new page (they keep the signature company)."""
    pdf._font(size_pt, bold=bold)
    lines = _break_lines(pdf, text, width, first_indent=indent)
    if keep_with_next:
        y = _need(pdf, y, (len(lines) + 1) * line_h)
    carried_from = len(lines) - carry if 0 < carry < len(lines) else None
    for i, line in enumerate(lines):
        if i == carried_from:
            pdf.add_page()
            y = MARGIN_TOP
        y = _need(pdf, y, line_h)
        x = left + (indent if i == 0 else 0)
        last = i == len(lines) - 1 or line.endswith("\n")
        _draw_line(pdf, line.rstrip("\n"), x, y, left + width - x, line_h, justify=not last)
        y += line_h
    return y


def _draw_line(
    pdf: _OfficialPDF, text: str, x: float, y: float, avail: float, h: float, justify: bool
) -> None:
    spacing_mm = 0.0
    if justify and len(text) > 1:
        spacing_mm = (avail - pdf.get_string_width(text)) / (len(text) - 1)
        if not 0 < spacing_mm <= 0.3 * pdf.font_size:  # a ragged line beats a gappy one
            spacing_mm = 0.0
    pdf.set_char_spacing(spacing_mm / MM_PER_PT)
    pdf.set_xy(x, y)
    pdf.cell(avail, h, text)
    pdf.set_char_spacing(0)


def _need(pdf: _OfficialPDF, y: float, height: float) -> float:
    """The y to draw a block of `height` at: `y`, or the top of a new page if it does not fit."""
    if y + height > TEXT_BOTTOM + 0.01:
        pdf.add_page()
        return MARGIN_TOP
    return y


def _signature(
    pdf: _OfficialPDF, lines: list[str], y: float, *, bottom: float = TEXT_BOTTOM
) -> float:
    """发文机关署名 and 成文日期 (GB/T 9704-2012 §7.3.5.1): the date right-spaced by four
    characters, the lines above it centred on the date, the seal over both. Returns the y under
    the last line."""
    if not lines:
        return y
    pdf._font(BODY_PT)
    date_width = pdf.get_string_width(lines[-1])
    center_x = TEXT_RIGHT - 4 * CHAR_W - date_width / 2
    widest = max(pdf.get_string_width(line) for line in lines)
    center_x = min(center_x, TEXT_RIGHT - widest / 2)  # a long name still stays on the page
    lines_h = len(lines) * LINE_H
    # The seal's top lies within a line of the body; the signature sits a little below its centre.
    seal_cy = y + 2 + SEAL_RADIUS
    first_line_y = max(seal_cy + 4 - lines_h / 2, y + LINE_H)
    if max(first_line_y + lines_h, seal_cy + SEAL_RADIUS) > bottom:
        # Short of room (GB/T 9704 §7.3.5.4: tighten rather than leave the signature alone on a
        # page): the signature right under the body, the seal reaching up over the last line.
        first_line_y = y + 2
        seal_cy = first_line_y + lines_h / 2 - 4
        if first_line_y + lines_h > bottom or seal_cy + SEAL_RADIUS > bottom + 6:
            pdf.add_page()
            y = MARGIN_TOP
            seal_cy = y + 2 + SEAL_RADIUS
            first_line_y = max(seal_cy + 4 - lines_h / 2, y + LINE_H)
    _seal_placeholder(pdf, center_x, seal_cy)
    pdf._font(BODY_PT)
    pdf.set_text_color(*BLACK)
    for i, line in enumerate(lines):
        width = pdf.get_string_width(line)
        pdf.set_xy(center_x - width / 2, first_line_y + i * LINE_H)
        pdf.cell(width, LINE_H, line)
    return first_line_y + lines_h  # the seal may reach lower: it can overlap a footer note


def _seal_placeholder(pdf: _OfficialPDF, cx: float, cy: float) -> None:
    pdf.set_draw_color(*SEAL_GREY)
    pdf.set_line_width(0.3)
    pdf.set_dash_pattern(dash=1.6, gap=1.2)
    pdf.circle(cx, cy, SEAL_RADIUS)
    pdf.set_dash_pattern()
    pdf.set_draw_color(*BLACK)
    pdf._font(10.5)
    pdf.set_text_color(*SEAL_GREY)
    label = "（印章）"
    width = pdf.get_string_width(label)
    pdf.set_xy(cx - width / 2, cy - SEAL_RADIUS + 5)
    pdf.cell(width, 5, label)
    pdf.set_text_color(*BLACK)


def _footer_note_lines(pdf: _OfficialPDF, note: str) -> list[str]:
    pdf._font(NOTE_PT)
    return _break_lines(pdf, note, TEXT_W - 2 * NOTE_PT * MM_PER_PT)


def _footer_note_height(pdf: _OfficialPDF, note: str) -> float:
    return len(_footer_note_lines(pdf, note)) * NOTE_LINE_H + 3


def _footer_note(pdf: _OfficialPDF, note: str, y: float) -> None:
    """Small print at the foot of the last page, between two rules like a 版记."""
    lines = _footer_note_lines(pdf, note)
    one_char = NOTE_PT * MM_PER_PT
    height = _footer_note_height(pdf, note)
    top = TEXT_BOTTOM - height
    if y + 4 > top:
        pdf.add_page()
    pdf.set_draw_color(*BLACK)
    pdf.set_line_width(0.35)
    pdf.line(TEXT_LEFT, top, TEXT_RIGHT, top)
    pdf.line(TEXT_LEFT, TEXT_BOTTOM, TEXT_RIGHT, TEXT_BOTTOM)
    for i, line in enumerate(lines):
        pdf.set_xy(TEXT_LEFT + one_char, top + 1.5 + i * NOTE_LINE_H)
        pdf.cell(TEXT_W - 2 * one_char, NOTE_LINE_H, line.rstrip("\n"))


def _service_record(pdf: _OfficialPDF, record: ServiceRecord) -> None:
    """送达回证 on a page of its own: the title, then a two-column table of labels and values."""
    pdf.add_page()
    y = _centered_lines(pdf, record.title, MARGIN_TOP, TITLE_PT, TITLE_LINE_H, bold=True)
    y += LINE_H
    label_w, pad = 40.0, 3.0
    value_w = TEXT_W - label_w
    pdf.set_line_width(0.4)
    pdf.set_draw_color(*BLACK)
    for label, value in record.rows:
        pdf._font(TABLE_PT)
        label_lines = _break_lines(pdf, label, label_w - 2 * pad)
        value_lines = _break_lines(pdf, value, value_w - 2 * pad) if value else []
        content = max(len(label_lines), len(value_lines)) * TABLE_LINE_H
        height = max(content + 2 * pad, 16.0 if value else 32.0)
        if y + height > TEXT_BOTTOM:
            pdf.add_page()
            y = MARGIN_TOP
        pdf.rect(TEXT_LEFT, y, label_w, height)
        pdf.rect(TEXT_LEFT + label_w, y, value_w, height)
        top = y + (height - len(label_lines) * TABLE_LINE_H) / 2
        for i, line in enumerate(label_lines):
            pdf.set_xy(TEXT_LEFT + pad, top + i * TABLE_LINE_H)
            pdf.cell(label_w - 2 * pad, TABLE_LINE_H, line.rstrip("\n"), align="C")
        top = y + (height - len(value_lines) * TABLE_LINE_H) / 2
        for i, line in enumerate(value_lines):
            last = i == len(value_lines) - 1 or line.endswith("\n")
            x = TEXT_LEFT + label_w + pad
            _draw_line(
                pdf,
                line.rstrip("\n"),
                x,
                top + i * TABLE_LINE_H,
                value_w - 2 * pad,
                TABLE_LINE_H,
                justify=not last,
            )
        y += height


# ----------------------------------------------------------------------------------- line breaks


def _break_lines(pdf: FPDF, text: str, width: float, first_indent: float = 0.0) -> list[str]:
    """Split `text` into lines no wider than `width` in the current font (the first line is
    `first_indent` narrower). A line ended by an explicit newline keeps its "\\n"."""
    lines: list[str] = []
    current: list[str] = []
    current_w = 0.0
    avail = width - first_indent

    def flush(newline: bool = False) -> None:
        nonlocal current, current_w, avail
        lines.append("".join(current) + ("\n" if newline else ""))
        current, current_w, avail = [], 0.0, width

    for token in _TOKEN.findall(text):
        if token == "\n":
            flush(newline=True)
            continue
        # Short Latin runs (years, amounts) stay whole; long ones (ID numbers, URLs) may break
        # anywhere rather than leave a half-empty line, as in print.
        if len(token) > LONG_RUN or pdf.get_string_width(token) > width:
            for char in token:
                current, current_w, avail = _append(
                    pdf, lines, current, current_w, avail, width, char
                )
            continue
        current, current_w, avail = _append(pdf, lines, current, current_w, avail, width, token)
    if current or not lines:
        flush()
    return lines


def _append(
    pdf: FPDF,
    lines: list[str],
    current: list[str],
    current_w: float,
    avail: float,
    width: float,
    token: str,
) -> tuple[list[str], float, float]:
    token_w = pdf.get_string_width(token)
    if not current or current_w + token_w <= avail + 0.01:
        return current + [token], current_w + token_w, avail
    # The token starts a new line. Closing punctuation may not start it and opening punctuation
    # may not end the line before: carry the line's last tokens over with it (推出).
    carry = [token]
    while len(current) > 1 and (carry[0][0] in _NO_LINE_START or current[-1][-1] in _NO_LINE_END):
        carry.insert(0, current.pop())
    lines.append("".join(current))
    return carry, sum(pdf.get_string_width(t) for t in carry), width
