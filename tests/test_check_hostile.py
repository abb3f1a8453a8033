"""Hostile documents for `kb check` and the readers: each refused with one line (exit 1, no
traceback) or read correctly, within the size limits of kb.texts.limits. Timings and peak
memory of the full-size cases are measured by bench/hostile_files.py, not here."""
from __future__ import annotations

import io
import os
import zipfile
import zlib
from pathlib import Path

import pytest
from typer.testing import CliRunner

import cli
from kb.check import check_paths
from kb.citations import find_citations, normalized_view
from kb.corpus import STANDARDS_FILE, load_records
from kb.errors import ParseError
from kb.lookup import RecordIndex
from kb.texts import limits
from kb.texts.readers import decode, docx_content, document_lines, pdf_lines, read_docx, read_html
from tests.cjk_documents import build_docx

ROOT = Path(__file__).resolve().parents[1]
runner = CliRunner()


@pytest.fixture(scope="module")
def index():
    return RecordIndex(load_records(ROOT / "corpus" / STANDARDS_FILE).records.values())


def synthetic_flate_pdf(inflated: int) -> bytes:
    """A one-page PDF whose content stream inflates to `inflated` bytes of spaces."""
    compressor = zlib.compressobj(9)
    chunk = b" " * (1 << 20)
    data = b"".join(compressor.compress(chunk) for _ in range(inflated >> 20)) + compressor.flush()
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
               b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(data) + data + b"\nendstream"]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 5\n0000000000 65535 f \n" + b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size 5 /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


def synthetic_docx_with(part: str, size: int) -> bytes:
    """A real DOCX plus one part of `size` zero bytes (deflated: a few hundred KB)."""
    buffer = io.BytesIO(build_docx(["标题", "按 DB23/T 2419-2019 执行。"]))
    with zipfile.ZipFile(buffer, "a", zipfile.ZIP_DEFLATED) as archive:
        with archive.open(part, "w", force_zip64=True) as handle:
            for _ in range(size >> 20):
                handle.write(bytes(1 << 20))
    return buffer.getvalue()


def test_pdf_with_a_flate_bomb_is_refused():
    body = synthetic_flate_pdf(limits.MAX_STREAM_BYTES + (1 << 20))
    assert len(body) < 200_000
    with pytest.raises(ParseError, match=r"^bomb\.pdf：一个 PDF 数据流解压后超过 64 MB（是解压炸弹？）$"):
        pdf_lines(body, "bomb.pdf")


def test_docx_part_that_expands_past_the_limit_is_refused():
    body = synthetic_docx_with("word/media/big.xml", limits.MAX_PART_BYTES + (1 << 20))
    with pytest.raises(ParseError, match=r"^bomb\.docx：部件 word/media/big\.xml 解压后为 65 MB"):
        read_docx(body, "bomb.docx")


def test_zip_bomb_of_many_parts_is_refused_from_its_directory():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/document.xml", "<w:document/>")
        for n in range(5):
            archive.writestr(f"word/media/image{n}.bin", bytes(60 << 20))
    with pytest.raises(ParseError, match=r"解压后为 300 MB（上限为 256 MB；是压缩炸弹？）"):
        docx_content(buffer.getvalue(), "bomb.docx")


def test_encrypted_and_damaged_pdfs_are_one_line():
    from fpdf import FPDF
    from fpdf.enums import EncryptionMethod

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=11)
    pdf.cell(0, 8, "GB/T 1.1-2020")
    pdf.set_encryption(owner_password="owner", user_password="user", encryption_method=EncryptionMethod.RC4)
    with pytest.raises(ParseError, match=r"^x\.pdf：PDF 已加密（需要密码）"):
        pdf_lines(bytes(pdf.output()), "x.pdf")
    with pytest.raises(ParseError, match=r"^x\.pdf：PDF 已损坏或无法读取"):
        pdf_lines(synthetic_flate_pdf(1 << 20)[:300], "x.pdf")


def test_docx_with_20000_styles_reads_its_text():
    buffer = io.BytesIO(build_docx(["检验依据", "按 DB23/T 2419-2019 执行。"]))
    source = zipfile.ZipFile(buffer)
    styles = source.read("word/styles.xml").decode("utf-8")
    extra = "".join(f'<w:style w:type="paragraph" w:styleId="S{n}"><w:name w:val="synthetic {n}"/></w:style>'
                    for n in range(20_000))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "word/styles.xml":
                data = styles.replace("</w:styles>", extra + "</w:styles>").encode("utf-8")
            target.writestr(info.filename, data)
    content = docx_content(out.getvalue(), "styles.docx")
    assert (content.first_style, content.body) == ("heading 1", ["检验依据", "按 DB23/T 2419-2019 执行。"])


@pytest.mark.parametrize("declared", ["iso-8859-1", "windows-1252", "gb2312"])
def test_html_whose_charset_label_the_bytes_contradict(declared):
    page = (f'<html><head><meta charset="{declared}"><title>检验依据</title></head><body><div class="content">'
            "<p>大米应符合 DB23/T 2419-2019《地理标志产品 佳木斯大米》，并参照相关国家标准和行业标准执行。</p>"
            "</div></body></html>")
    for encoding in ("utf-8", "gb18030"):
        read = read_html(page.encode(encoding), "page.html")
        assert "DB23/T 2419-2019《地理标志产品 佳木斯大米》" in read.text, (declared, encoding)
    assert decode("GB/T 1.1—2020".encode("utf-8"), "x", "iso-8859-1") == "GB/T 1.1—2020"


def test_a_fifo_a_device_and_a_huge_file_are_refused_without_reading(tmp_path, index):
    fifo = tmp_path / "synthetic_pipe.txt"
    os.mkfifo(fifo)
    huge = tmp_path / "synthetic_huge.txt"
    with open(huge, "wb") as handle:
        handle.truncate(1 << 30)  # sparse: 1 GB without the disk space
    for path, message in [(fifo, "不是普通文件"), (Path("/dev/zero"), "不是普通文件"),
                          (huge, "文件过大（1024 MB；上限为 64 MB）")]:
        with pytest.raises(ParseError, match=message.replace("(", r"\(").replace(")", r"\)")):
            limits.read_file(path)
        report = check_paths([path], index)
        assert report["failed"] and message in report["errors"][0]


def test_cli_gives_one_line_and_exit_1_for_hostile_files(tmp_path):
    bomb = tmp_path / "synthetic_bomb.pdf"
    bomb.write_bytes(synthetic_flate_pdf(limits.MAX_STREAM_BYTES + (1 << 20)))
    fifo = tmp_path / "synthetic_pipe.txt"
    os.mkfifo(fifo)
    for path in (bomb, fifo, Path("/dev/zero")):
        result = runner.invoke(cli.app, ["--index", str(tmp_path / "ix"), "check", str(path)])
        assert result.exit_code == 1, result.output
        assert result.stderr.startswith("错误：") and len(result.stderr.strip().splitlines()) == 1
        assert result.stdout.strip().endswith("检查未通过：1 个文件无法读取")
        assert "Traceback" not in result.output


def test_normalized_view_is_the_old_one_and_linear_in_whitespace():
    text = "按GB/T 5023.1.\n4 条，ＧＢｎ　１２３－１９８０\n\n\n   GB/T 1.1 —  2020 与 DB23/T 2419—\n2019"
    view, origin = normalized_view(text)
    assert view == "按GB/T5023.1. 4条,GBN123-1980GB/T1.1-2020与DB23/T2419-2019"
    assert len(origin) == len(view) and text[origin[view.index("GBN")]] == "Ｇ"
    spaced = "GB/T 1.1-2020" + " " * 200_000 + "1"
    assert [c.number.canonical for c in find_citations(spaced)] == ["GB/T 1.1-2020"]


def test_lines_of_a_gb18030_text_file():
    body = "第一行\n按 DB23/T 2419-2019。\n".encode("gb18030")
    assert [line.text for line in document_lines(body, "x.txt")] == ["第一行", "按 DB23/T 2419-2019。", ""]


def test_html_of_20000_nested_containers_reads_its_text():
    depth = 20_000
    page = ('<html><body>' + '<div class="content">' * depth + "按 DB23/T 2419-2019 执行，并参照有关国家标准和行业标准的规定。"
            + "</div>" * depth + "<table><tr><td>DB23/T</td><td>2419-2026</td></tr></table></body></html>")
    lines = [line.text for line in document_lines(page.encode("utf-8"), "nested.html")]
    assert lines == ["按 DB23/T 2419-2019 执行，并参照有关国家标准和行业标准的规定。", "DB23/T\t2419-2026"]


def test_pdf_in_an_opentype_cjk_font_is_read_through_pdfium():
    """fpdf2 embeds Noto Sans CJK's CFF outlines with an embedded CMap: pdfminer reads no text,
    PDFium does; a number broken across the page still is found, on the page it starts."""
    from fpdf import FPDF

    from tests.cjk_documents import cjk_font

    path, index = cjk_font()
    pdf = FPDF()
    pdf.add_font("CJK", fname=path, collection_font_number=index)
    pdf.set_font("CJK", size=10)
    pdf.add_page()
    pdf.cell(0, 7, "大米应符合DB23/T 2419—")
    pdf.add_page()
    pdf.cell(0, 7, "2019的要求。")
    lines = pdf_lines(bytes(pdf.output()), "otf.pdf")
    assert [(line.page, line.text) for line in lines] == [(1, "大米应符合DB23/T 2419—"), (2, "2019的要求。")]
    assert [c.number.canonical for c in find_citations("\n".join(line.text for line in lines))] == ["DB23/T 2419-2019"]


def test_docx_footnotes_endnotes_headers_and_footers_are_read_after_the_body():
    w = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
    notes = {"word/footnotes.xml": f'<w:footnotes {w}><w:footnote w:type="separator" w:id="-1"><w:p><w:r>'
                                   '<w:separator/></w:r></w:p></w:footnote><w:footnote w:id="1"><w:p><w:r>'
                                   '<w:t>脚注：见 AQ 3026-2008。</w:t></w:r></w:p></w:footnote></w:footnotes>',
             "word/endnotes.xml": f'<w:endnotes {w}><w:endnote w:id="1"><w:p><w:r><w:t>尾注：GB/Z 31477-2015</w:t>'
                                  "</w:r></w:p></w:endnote></w:endnotes>",
             "word/footer1.xml": f'<w:ftr {w}><w:p><w:r><w:t>页脚 DB23/T 1083-2026</w:t></w:r></w:p></w:ftr>'}
    source = zipfile.ZipFile(io.BytesIO(build_docx(["正文", "按 DB23/T 2419-2019。"], header="页眉：企业技术文件")))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info.filename, source.read(info.filename))
        for part, xml in notes.items():
            target.writestr(part, xml)
    lines = [line.text for line in document_lines(out.getvalue(), "notes.docx")]
    assert lines == ["正文", "按 DB23/T 2419-2019。", "脚注：见 AQ 3026-2008。", "尾注：GB/Z 31477-2015",
                     "页脚 DB23/T 1083-2026", "页眉：企业技术文件"]
