"""core.pdf: official documents come out with real, embedded Chinese text (read back with poppler's
pdftotext and pdffonts, which must be installed: apt-get install poppler-utils)."""

import re
import shutil
import subprocess

import pytest

from core.pdf import DocumentSection, OfficialDocument, ServiceRecord, render_pdf

NUMBER = "城关镇教字〔2025〕7号"
BODY_SENTENCE = "请你在收到本通知书之日起7日内，送王小明到城关镇中心小学报到复学。"


def _poppler(tool: str, *args: str) -> str:
    if shutil.which(tool) is None:
        pytest.fail(f"`{tool}` is missing: install poppler-utils (apt-get install poppler-utils)")
    return subprocess.run([tool, *args], capture_output=True, text=True, check=True).stdout


def _document(service_record: bool = True) -> OfficialDocument:
    return OfficialDocument(
        issuer_name="城关镇人民政府",
        title="限期复学通知书",
        number=NUMBER,
        addressee="张三（王小明之监护人）：",
        sections=[
            DocumentSection(
                None,
                [
                    "经查，你的子女王小明（身份证号码510304201503041234）系本镇城关村适龄儿童，"
                    "自2024年11月18日起未经学校批准连续缺课达30天以上，学校和村（居）民委员会"
                    "多次上门劝返未果。" * 3,
                ],
            ),
            DocumentSection(
                "一、限期复学要求",
                [
                    BODY_SENTENCE + "复学后学校将为其制定个别化的学业补偿计划，安排教师“一对一”"
                    "帮扶；确有困难的，可向镇人民政府、学校申请资助。" * 4,
                    "逾期不送子女复学的，本机关将依照《中华人民共和国义务教育法》第五十八条的规定"
                    "给予批评教育，责令限期改正。",
                ],
            ),
        ],
        signature_lines=["城关镇人民政府", "2025年3月4日"],
        service_record=(
            ServiceRecord(
                "送达回证",
                [
                    ("送达文书", f"限期复学通知书 {NUMBER}"),
                    ("受送达人", "张三"),
                    ("送达时间", "2025年3月4日"),
                    ("送达方式", "直接送达"),
                    ("受送达人签名", ""),
                ],
            )
            if service_record
            else None
        ),
        footer_note="本通知书一式两份，一份送达监护人，一份存档。",
    )


@pytest.fixture(scope="module")
def pdf_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("pdf") / "notice.pdf"
    path.write_bytes(render_pdf(_document()))
    return path


def test_text_reads_back(pdf_file):
    text = _poppler("pdftotext", "-enc", "UTF-8", str(pdf_file), "-")
    flat = re.sub(r"\s+", "", text)  # body lines wrap anywhere
    for expected in (
        "城关镇人民政府",
        "限期复学通知书",
        NUMBER,
        "张三（王小明之监护人）：",
        BODY_SENTENCE,
        "送达回证",
        "受送达人签名",
    ):
        assert expected in flat, expected


def test_document_number_survives_extraction_exactly(pdf_file):
    lines = _poppler("pdftotext", "-enc", "UTF-8", str(pdf_file), "-").splitlines()
    assert NUMBER in [line.strip() for line in lines]


def test_every_font_is_embedded_as_a_subset(pdf_file):
    rows = _poppler("pdffonts", str(pdf_file)).splitlines()[2:]
    assert rows, "no fonts listed"
    for row in rows:
        # name type... encoding emb sub uni object-id generation
        emb, sub, uni = row.split()[-5:-2]
        assert (emb, sub, uni) == ("yes", "yes", "yes"), row
    assert any("NotoSerifSC" in row for row in rows)


def _pages(path) -> int:
    return int(re.search(r"^Pages:\s+(\d+)", _poppler("pdfinfo", str(path)), re.M).group(1))


def test_service_record_gets_its_own_page(pdf_file):
    pages = _pages(pdf_file)
    assert pages >= 2
    last_page = _poppler("pdftotext", "-enc", "UTF-8", "-f", str(pages), str(pdf_file), "-")
    assert "送达回证" in last_page and "受送达人签名" in last_page
    assert "逾期不送子女复学" not in last_page  # no body text on the service record's page


def test_metadata_title_is_the_document_title(pdf_file):
    assert re.search(r"^Title:\s+限期复学通知书$", _poppler("pdfinfo", str(pdf_file)), re.M)


def test_pages_are_numbered_without_a_service_record(tmp_path):
    path = tmp_path / "notice.pdf"
    path.write_bytes(render_pdf(_document(service_record=False)))
    text = re.sub(r"\s+", "", _poppler("pdftotext", "-enc", "UTF-8", str(path), "-"))
    assert "送达回证" not in text
    assert all(f"—{page}—" in text for page in range(1, _pages(path) + 1))


@pytest.mark.parametrize("repeat", range(1, 9))
def test_the_footer_note_never_stands_alone_on_a_page(tmp_path, repeat):
    """Bodies of every length that leave the signature near the foot of a page: every page
    before the service record carries body text, never the 版记 alone (the demo's notice left
    a near-blank page 2 with only "本通知书一式两份…")."""
    document = _document()
    document.sections = [
        DocumentSection(
            None, ["经查，你的子女王小明系本镇适龄儿童，未经批准连续缺课。" * repeat] * 3
        )
    ]
    path = tmp_path / "notice.pdf"
    path.write_bytes(render_pdf(document))
    pages = _pages(path)
    for page in range(1, pages):
        text = _poppler(
            "pdftotext", "-enc", "UTF-8", "-f", str(page), "-l", str(page), str(path), "-"
        )
        assert "经查" in text or "王小明" in text.replace("本通知书一式两份", ""), (page, text)
        if "本通知书一式两份" in text:
            assert "2025年3月4日" in text  # the note sits under the signature
    last = _poppler("pdftotext", "-enc", "UTF-8", "-f", str(pages), str(path), "-")
    assert last.lstrip().startswith("送达回证")
