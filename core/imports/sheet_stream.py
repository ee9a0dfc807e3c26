"""The first worksheet of an uploaded workbook, row by row, without a grid of the whole sheet.

python-calamine builds the whole sheet in memory before the first row comes out (a cell costs
~90 bytes there, and as many again as a Python object): a county's extract of 150,000 rows and
50 columns held 1.1 GB. This reader streams the sheet's XML instead, a row at a time, so the
memory is that of one row plus the shared strings (at ~2.5× calamine's time per cell). It gives
the values calamine gives (`read_grid`): text as str, numbers as float, booleans, dates as
`date` (or `datetime` with a time of day, `time` for a time alone) where the cell's number
format is a date, "" for an empty cell and for an error (#DIV/0!).

The workbook has passed `check_workbook` (no DTD anywhere, sizes bounded) before this reads it;
the XML parser is the standard library's, which expands no external entities.
"""

from __future__ import annotations

import datetime
import re
import zipfile
from collections.abc import Iterator
from typing import Any
from xml.etree.ElementTree import iterparse

_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"

# Built-in number formats that are dates or times (as calamine counts them, Chinese ones too).
_BUILTIN_DATES = {*range(14, 23), *range(27, 37), *range(45, 48), *range(50, 59), *range(71, 82)}
_BUILTIN_TIMES = {18, 19, 20, 21, 45, 46, 47}
_QUOTED = re.compile(r'"[^"]*"|\[[^\]]*\]|\\.|_.|\*.')
_EPOCH_1900 = datetime.datetime(1899, 12, 30)
_EPOCH_1904 = datetime.datetime(1904, 1, 1)


class UnreadableSheet(Exception):
    """The sheet's XML is not what a spreadsheet writes."""


def _column_index(reference: str) -> int:
    """0-based column of a cell reference (B7 -> 1)."""
    index = 0
    for letter in reference:
        code = ord(letter)
        if code > 90 or code < 65:
            break
        index = index * 26 + code - 64
    return index - 1


def _format_kind(code: str) -> str | None:
    """ "date", "time" or None for a custom number format."""
    bare = _QUOTED.sub("", code.split(";")[0]).lower()
    has_date = any(letter in bare for letter in "dy") or (
        "m" in bare and not any(letter in bare for letter in "hs")
    )
    has_time = any(letter in bare for letter in "hs")
    if has_date:
        return "date"
    if has_time:
        return "time"
    return None


def _style_kinds(archive: zipfile.ZipFile) -> list[str | None]:
    """Per cell style (the s attribute): whether its number format is a date or a time."""
    try:
        stream = archive.open("xl/styles.xml")
    except KeyError:
        return []
    custom, kinds = {}, []
    with stream:
        in_cell_xfs = False
        for event, element in iterparse(stream, events=("start", "end")):
            tag = element.tag
            if tag == f"{_MAIN}numFmt" and event == "end":
                custom[int(element.get("numFmtId", "0"))] = element.get("formatCode", "")
            elif tag == f"{_MAIN}cellXfs":
                in_cell_xfs = event == "start"
            elif tag == f"{_MAIN}xf" and event == "end" and in_cell_xfs:
                number_format = int(element.get("numFmtId", "0"))
                if number_format in custom:
                    kinds.append(_format_kind(custom[number_format]))
                elif number_format in _BUILTIN_TIMES:
                    kinds.append("time")
                elif number_format in _BUILTIN_DATES:
                    kinds.append("date")
                else:
                    kinds.append(None)
    return kinds


_TEXT_RUN = re.compile(rb"<t(?:\s[^>]*)?>(.*?)</t>|<t(?:\s[^>]*)?/>", re.S)
_PHONETIC_RUN = re.compile(rb"<rPh\b.*?</rPh>|<rPh\b[^>]*/>", re.S)
_ENTITY = re.compile(r"&(#x[0-9A-Fa-f]+|#[0-9]+|lt|gt|amp|quot|apos);")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"', "apos": "'"}
_ESCAPED = re.compile(r"_x([0-9A-Fa-f]{4})_")


def _entity(match) -> str:
    name = match.group(1)
    if name[0] == "#":
        return chr(int(name[2:], 16) if name[1] == "x" else int(name[1:]))
    return _NAMED[name]


def _decode(raw: bytes) -> str:
    text = raw.decode("utf-8")
    if "&" in text:
        text = _ENTITY.sub(_entity, text)
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")  # as an XML parser reads it
    if "_x" in text:
        text = _ESCAPED.sub(lambda match: chr(int(match.group(1), 16)), text)
    return text


def _text_of(inner: bytes) -> str:
    """The text of a shared or inline string (its <t> runs, without phonetic guides)."""
    if b"<rPh" in inner:
        inner = _PHONETIC_RUN.sub(b"", inner)
    parts = _TEXT_RUN.findall(inner)
    if len(parts) == 1:
        return _decode(parts[0])
    return "".join(_decode(part) for part in parts)


_SHARED = re.compile(rb"<si>(.*?)</si>|<si/>", re.S)


def _shared_strings(archive: zipfile.ZipFile) -> list[str]:
    try:
        data = archive.read("xl/sharedStrings.xml")
    except KeyError:
        return []
    return [_text_of(inner) for inner in _SHARED.findall(data)]


def _is_1904(archive: zipfile.ZipFile) -> bool:
    try:
        data = archive.read("xl/workbook.xml")
    except KeyError:
        return False
    match = re.search(rb"date1904=\"(1|true)\"", data)
    return bool(match)


class SheetStream:
    """Rows of a worksheet as (Excel row number, cells from column A, "" where none);
    rows without any cell are not given."""

    def __init__(self, path, sheet_path: str):
        self.path = str(path)
        self.sheet_path = sheet_path

    def rows(self) -> Iterator[tuple[int, list[Any]]]:
        with zipfile.ZipFile(self.path) as archive:
            shared = _shared_strings(archive)
            kinds = _style_kinds(archive)
            epoch = _EPOCH_1904 if _is_1904(archive) else _EPOCH_1900
            with archive.open(self.sheet_path) as stream:
                yield from self._rows(stream, shared, kinds, epoch)

    def _rows(self, stream, shared, kinds, epoch):
        carry = b""
        previous = 0
        number = 0
        cells: list[Any] = []
        in_row = False
        while True:
            chunk = stream.read(_CHUNK)
            data = carry + chunk
            if chunk:
                cut = data.rfind(b"</row>")
                if cut < 0:
                    carry = data
                    continue
                cut += 6
                part, carry = data[:cut], data[cut:]
            else:
                part, carry = data, b""
            for match in _TOKEN.finditer(part):
                letters = match.group(2)
                if letters is None:
                    if match.group(1) is not None:  # <row …> or <row …/>
                        if in_row:
                            yield number, cells
                        row_attributes = match.group(1)
                        reference = _ROW_NUMBER.search(row_attributes)
                        number = int(reference.group(1)) if reference else previous + 1
                        previous = number
                        cells = []
                        in_row = not row_attributes.endswith(b"/")
                        continue
                    if match.group(8) is not None:  # </row>
                        if in_row:
                            yield number, cells
                        in_row = False
                        continue
                    # a cell of an unusual layout
                    attributes, inner = match.group(9), match.group(10)
                    reference = _CELL_COLUMN.search(attributes)
                    index = _column_of(reference.group(1)) if reference else len(cells)
                    style, kind = _CELL_STYLE.search(attributes), _CELL_TYPE.search(attributes)
                    style = style.group(1) if style else None
                    kind = kind.group(1) if kind else None
                    raw = None
                else:
                    index = _column_of(letters)
                    style, kind, raw, text, inner = match.group(3, 4, 5, 6, 7)
                    if text is not None:  # <is><t>…</t></is>
                        inner = b"<is><t>" + text + b"</t></is>"
                        if kind == b"inlineStr" and index >= len(cells):
                            while len(cells) < index:
                                cells.append("")
                            cells.append(_decode(text))  # the common inline string
                            continue
                if index < len(cells):
                    continue  # a cell written twice: the first one counts
                while len(cells) < index:
                    cells.append("")
                if raw is not None and kind is None and style is None:
                    cells.append(float(raw))  # the common number
                elif raw is not None and kind == b"s" and raw.isdigit() and int(raw) < len(shared):
                    cells.append(shared[int(raw)])  # the common shared string
                else:
                    cells.append(_value(style, kind, raw, inner, shared, kinds, epoch))
            if not chunk:
                break
        if in_row:
            yield number, cells


_CHUNK = 4 * 1048576
# A row's start (its attributes); a cell as spreadsheets write it (column, style, type, value or
# other content); a row's end; a cell of another layout (attributes, content).
_TOKEN = re.compile(
    rb"<row\b([^>]*)>"
    rb'|<c r="([A-Z]{1,3})\d+"(?: s="(\d+)")?(?: t="(\w+)")?\s*'
    rb"(?:/>|>(?:<v>([^<]*)</v>|<is><t>([^<]*)</t></is>|(.*?))</c>)"
    rb"|(</row>)"
    rb"|<c\b([^>]*?)(?:/>|>(.*?)</c>)",
    re.S,
)
_ROW_NUMBER = re.compile(rb'\br="(\d+)"')
_CELL_COLUMN = re.compile(rb'\br="([A-Z]+)')
_CELL_TYPE = re.compile(rb'\bt="(\w+)"')
_CELL_STYLE = re.compile(rb'\bs="(\d+)"')
_CELL_VALUE = re.compile(rb"<v(?:\s[^>]*)?>(.*?)</v>", re.S)
_COLUMNS: dict[bytes, int] = {}


def _column_of(letters: bytes) -> int:
    index = _COLUMNS.get(letters)
    if index is None:
        index = _COLUMNS[letters] = _column_index(letters.decode())
    return index


def _value(style, kind, raw, inner, shared, kinds, epoch) -> Any:
    if raw is None:
        if not inner:
            return ""
        if kind == b"inlineStr":
            return _text_of(inner)
        found = _CELL_VALUE.search(inner)
        if found is None:
            return ""
        raw = found.group(1)
    if kind == b"s":
        try:
            return shared[int(raw)]
        except (ValueError, IndexError):
            raise UnreadableSheet from None
    if kind == b"str":
        return _decode(raw)
    if kind == b"e":
        return ""  # as calamine gives an error cell (#DIV/0!)
    if kind == b"b":
        return raw.strip() in (b"1", b"true")
    if kind == b"d":
        text = _decode(raw)
        try:
            moment = datetime.datetime.fromisoformat(text)
        except ValueError:
            return text
        return moment.date() if moment.time() == datetime.time() else moment
    try:
        number = float(raw)
    except ValueError:
        raise UnreadableSheet from None
    if style is not None and kinds:
        position = int(style)
        format_kind = kinds[position] if position < len(kinds) else None
        if format_kind is not None:
            return _moment(number, format_kind, epoch)
    return number


def _moment(number: float, kind: str, epoch: datetime.datetime) -> Any:
    milliseconds = round(number * 86_400_000)  # as calamine rounds a moment
    if kind == "time" and 0 <= number < 1:
        clock = datetime.datetime.min + datetime.timedelta(milliseconds=milliseconds)
        return clock.time()
    if epoch is _EPOCH_1900 and number < 60:
        milliseconds += 86_400_000  # Excel's 29 February 1900, which never was
    try:
        moment = epoch + datetime.timedelta(milliseconds=milliseconds)
    except OverflowError:
        return number
    if moment.time() == datetime.time():
        return moment.date()
    return moment
