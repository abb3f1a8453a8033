"""Readers: real Markdown laws, the real policy capture, real and synthetic HTML pages, and PDF /
DOCX files the tests build themselves; bad input raises ParseError with one line."""
from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from kb.errors import ParseError
from kb.texts.readers import (dates_in, decode, name_parts, read_bytes, read_docx, read_html,
                              read_markdown, read_pdf, read_text)
from kb.texts.segment import segment_text

ROOT = Path(__file__).resolve().parents[1]
SHARED = (ROOT / ".." / "shared").resolve()
LAWS = SHARED / "corpus" / "laws"
POLICY = SHARED / "corpus" / "policy" / "质量强国首善之区建设意见.txt"
GOV_PAGE = ROOT / "tests" / "fixtures" / "synthetic_gov_policy_page.html"
ANNOUNCEMENT = SHARED / "pages" / "announcements" / "001_gb_2026_31.html"


def law(relative: str):
    path = LAWS / relative
    return read_markdown(path.read_bytes(), path.name)


# -- Markdown laws ---------------------------------------------------------------------------

def test_markdown_law_title_dates_and_body():
    read = law("经济法/标准化法(2017-11-04).md")
    assert read.title == "中华人民共和国标准化法"
    assert read.name_title == "标准化法"
    assert read.dates == {"issued": "1988-12-29", "amended": "2017-11-04", "version": "2017-11-04"}
    lines = read.text.split("\n")
    assert lines[:2] == ["第一章 总则", lines[1]] and lines[1].startswith("第一条 为了加强标准化工作")
    assert "<!--" not in read.text and "#" not in read.text


def test_markdown_dates_several_on_one_line_and_file_name_version():
    read = law("经济法/产品质量法(2018-12-29).md")
    assert read.dates == {"issued": "1993-02-22", "amended": "2018-12-29", "version": "2018-12-29"}
    older = law("行政法规/计量法实施细则(2018-03-19).md")
    # the header stops at the 2017 revision; the file name says which version this is
    assert older.dates == {"issued": "1987-01-19", "amended": "2017-03-01", "version": "2018-03-19"}


def test_markdown_subtitle_and_front_matter():
    assert law("民法典/合同编.md").title == "中华人民共和国民法典·合同编"
    index = read_markdown(b"---\nbookCollapseSection: true\n---\n# Title\n\nbody line", "x.md")
    assert (index.title, index.text) == ("Title", "body line")


def test_dates_in_words():
    assert dates_in(["1990年4月6日 中华人民共和国国务院令第53号发布", "2021年11月1日 施行"]) == \
        {"issued": "1990-04-06", "effective": "2021-11-01"}
    assert dates_in(["2023年2月30日 通过", "2023年3月1日 修订"]) == {"amended": "2023-03-01"}


def test_name_parts():
    assert name_parts("../x/计量法实施细则(2022-03-29).md") == ("计量法实施细则", "2022-03-29")
    assert name_parts("https://example.org/a/%E6%A0%87%E5%87%86.html") == ("标准", "")


# -- plain text -------------------------------------------------------------------------------

def test_policy_capture_strips_page_boilerplate():
    read = read_text(POLICY.read_bytes(), POLICY.name)
    lines = read.text.split("\n")
    assert len(lines) == 81
    assert lines[-1].endswith("重大事项及时向市委、市政府请示报告。")
    assert "扫一扫关注" not in read.text and "微信公众号" not in read.text
    assert read.title == ""  # the capture has no title line: the file name supplies it
    assert read.best_title == "质量强国首善之区建设意见"
    assert read.dates == {}


def test_plain_text_title_line_and_gb18030():
    body = "中华人民共和国测试法\n（2001年1月1日通过）\n第一条 为了测试。\n第二条 测试。".encode("gb18030")
    read = read_text(body, "测试法.txt")
    assert read.title == "中华人民共和国测试法"
    assert read.dates == {"issued": "2001-01-01", "version": "2001-01-01"}
    assert read.text.startswith("（2001年1月1日通过）\n第一条")


def test_standard_cover_gives_number_and_title():
    path = ROOT / "tests" / "fixtures" / "synthetic_standard_gbt.txt"
    read = read_text(path.read_bytes(), path.name)
    assert read.number == "GB/T 99901-2025"
    assert read.title == "合成示例 质量基础设施一站式服务 通用要求"
    assert read.dates == {"issued": "2025-03-14", "effective": "2025-10-01", "version": "2025-03-14"}


# -- HTML ------------------------------------------------------------------------------------

def test_gov_page_main_text_only():
    read = read_html(GOV_PAGE.read_bytes(), "https://www.example.gov.cn/zwgk/synthetic.html")
    assert read.title == "合成示例市关于推进计量服务一站式办理的通知"
    lines = read.text.split("\n")
    assert lines[0] == "各区人民政府，市政府各委、办、局："
    assert lines[-2:] == ["合成示例市人民政府办公厅", "2024年5月18日"]
    for chrome in ("首页", "当前位置", "tracker", "分享到", "相关链接", "版权所有", "打印本页", "来源："):
        assert chrome not in read.text
    assert "窗口应公开服务事项和办理时限。" in lines  # <br> splits a paragraph
    assert read.dates == {"issued": "2024-05-18", "version": "2024-05-18"}


def test_gov_page_segments_as_policy():
    read = read_html(GOV_PAGE.read_bytes(), "page.html")
    tree = segment_text("policy", read.text)
    assert [c.path for c in tree if c.kind != "preamble"] == [
        "一", "一(一)", "一(二)", "二", "二(一)", "二(二)", "二(二)1", "二(二)2", "专栏1", "专栏1/1", "专栏1/2", "三"]


def test_gov_page_in_gb18030_with_declared_charset():
    body = GOV_PAGE.read_text(encoding="utf-8").replace('charset="utf-8"', 'charset="gb2312"').encode("gb18030")
    read = read_html(body, "page.html")
    assert read.title == "合成示例市关于推进计量服务一站式办理的通知"
    assert "（二）工作目标。到2025年，全市计量服务事项实现一站式办理。" in read.text.split("\n")


def test_real_announcement_page():
    read = read_html(ANNOUNCEMENT.read_bytes(), ANNOUNCEMENT.name)
    assert read.title == "关于批准发布《空间碎片在轨清除指南》等16项国家标准化指导性技术文件的公告"
    assert read.text.split("\n") == [
        "国家市场监督管理总局（国家标准化管理委员会）批准《空间碎片在轨清除指南》等16项国家标准化指导性技术文件，现予以公告。",
        "国家市场监督管理总局 国家标准化管理委员会", "2026-07-02"]


# -- PDF --------------------------------------------------------------------------------------

def cjk_pdf(pages: list[list[str]]) -> bytes:
    """A PDF whose text uses the standard Adobe-GB1 font STSong-Light (UniGB-UCS2-H), which PDF
    readers know without an embedded font file: Chinese text with no CJK font on this machine."""
    font = [b"<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /UniGB-UCS2-H "
            b"/DescendantFonts [4 0 R] >>",
            b"<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light /CIDSystemInfo "
            b"<< /Registry (Adobe) /Ordering (GB1) /Supplement 2 >> /FontDescriptor 5 0 R /DW 1000 >>",
            b"<< /Type /FontDescriptor /FontName /STSong-Light /Flags 6 /FontBBox [0 -200 1000 900] "
            b"/ItalicAngle 0 /Ascent 880 /Descent -120 /CapHeight 880 /StemV 93 >>"]
    objects: list[bytes] = [b"<< /Type /Catalog /Pages 2 0 R >>", b""] + font
    kids = []
    for lines in pages:
        ops = ["BT /F1 11 Tf 14 TL 40 800 Td"]
        ops += ["<" + line.encode("utf-16-be").hex().upper() + "> Tj T*" for line in lines]
        stream = "\n".join(ops + ["ET"]).encode("ascii")
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
        objects.append(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
                       b"/Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>" % (len(objects)))
        kids.append(len(objects))
    objects[1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (
        b" ".join(b"%d 0 R" % k for k in kids), len(kids))
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def test_chinese_pdf_rejoins_wrapped_lines_and_drops_page_furniture():
    pdf = cjk_pdf([
        ["中华人民共和国测试法", "第一章 总则", "第一条 为了规范测试工作，提高测试质量，保障人身健康和生命",
         "财产安全，制定本法。", "第二条 本法适用于测试。", "- 1 -"],
        ["第三条 测试应当客观公正。", "- 2 -"],
    ])
    read = read_pdf(pdf, "测试法.pdf")
    assert read.format == "pdf" and read.title == "中华人民共和国测试法"
    assert read.text.split("\n") == [
        "第一章 总则", "第一条 为了规范测试工作，提高测试质量，保障人身健康和生命财产安全，制定本法。",
        "第二条 本法适用于测试。", "第三条 测试应当客观公正。"]
    tree = segment_text("law", read.text)
    assert [c.path for c in tree] == ["第一章", "第一条", "第二条", "第三条"]


def test_ascii_pdf_from_fpdf2():
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("Helvetica", size=11)
    for page in (["GB/T 99902-2025", "Synthetic ascii standard", "1 Scope", "2 Normative references",
                  "GB/T 1.1-2020 Directives for standardization", "Running footer"],
                 ["3 Terms", "3.1 quality", "Running footer"]):
        pdf.add_page()
        for line in page:
            pdf.cell(0, 8, line, new_x="LMARGIN", new_y="NEXT")
    read = read_pdf(bytes(pdf.output()), "ascii.pdf")
    assert read.number == "GB/T 99902-2025"
    tree = segment_text("standard", read.text)
    assert [c.path for c in tree if c.kind != "cover"] == ["1", "2", "3", "3.1"]
    assert tree.get("2").refs == ["GB/T 1.1-2020"]
    assert "Running footer" not in read.text


@pytest.mark.parametrize("body,message", [
    (b"%PDF-1.4\n1 0 obj << /Type /Catalog >> garbage", "PDF 已损坏或无法读取"),
    (b"hello, not a pdf", "不是 PDF 文件"),
])
def test_bad_pdf(body, message):
    with pytest.raises(ParseError, match=message):
        read_pdf(body, "bad.pdf")


def test_pdf_without_text_layer():
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.rect(10, 10, 50, 50)
    with pytest.raises(ParseError, match="没有文字层"):
        read_pdf(bytes(pdf.output()), "scan.pdf")


# -- DOCX -------------------------------------------------------------------------------------

def build_docx() -> bytes:
    import docx

    document = docx.Document()
    document.add_heading("合成示例市计量监督管理办法", level=0)
    document.add_paragraph("第一章 总则")
    document.add_paragraph("第一条 为了加强计量监督管理，制定本办法。")
    document.add_paragraph("第二条 本办法所称计量器具，是指能用以直接或者间接测出被测对象量值的装置。")
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "项目", "时限"
    table.cell(1, 0).text, table.cell(1, 1).text = "检定", "5日"
    document.add_paragraph("第三条 本办法自2024年1月1日起施行。")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def test_docx_paragraphs_tables_and_title():
    read = read_docx(build_docx(), "办法.docx")
    assert read.title == "合成示例市计量监督管理办法"
    assert read.text.split("\n") == [
        "第一章 总则", "第一条 为了加强计量监督管理，制定本办法。",
        "第二条 本办法所称计量器具，是指能用以直接或者间接测出被测对象量值的装置。",
        "项目\t时限", "检定\t5日", "第三条 本办法自2024年1月1日起施行。"]
    assert read_bytes(build_docx(), "办法.docx").format == "docx"


def test_corrupt_docx():
    good = build_docx()
    with pytest.raises(ParseError, match=r"^bad\.docx：DOCX 已损坏或无法读取"):
        read_docx(good[: len(good) // 2], "bad.docx")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "not a word document")
    with pytest.raises(ParseError, match="DOCX 已损坏或无法读取"):
        read_docx(buffer.getvalue(), "bad.docx")


# -- bad input --------------------------------------------------------------------------------

@pytest.mark.parametrize("body,name,message", [
    (b"\x00\x01\x02binary", "x.txt", "是二进制数据"),
    (bytes(range(0x80, 0x100)) * 4, "x.txt", "不是 UTF-8 或 GB18030"),
    (b"   \n\n", "x.txt", "没有文字"),
    (b"anything", "old.doc", "不支持旧的二进制 .doc"),
])
def test_bad_text_input(body, name, message):
    with pytest.raises(ParseError, match=message) as caught:
        read_bytes(body, name)
    assert "\n" not in str(caught.value)


def test_decode_prefers_declared_then_utf8():
    assert decode("标准".encode("utf-8")) == "标准"
    assert decode("标准".encode("gb18030"), declared="gb18030") == "标准"
    assert decode("\ufeff标准\r\n".encode("utf-8")) == "标准\n"
