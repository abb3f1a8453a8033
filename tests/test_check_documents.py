"""`kb check` on real Chinese documents the tests build (PDF drawn with Debian's Noto Sans CJK,
DOCX, HTML, Markdown, TXT in UTF-8 and GB18030): every format finds the citations the TXT
finds, on the same lines, including a two-column reference list, a table of standards, a
number broken across a line, a cell and a page, full-width forms and 《》 titles. Judged
against the real announcement records (DB23/T 2419-2019 replaced by DB23/T 2419-2026 …)
plus the synthetic statuses of tests/standards_fixtures.py."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import cli
from kb.check import check_paths, edition_on, titles_match
from kb.corpus import STANDARDS_FILE, load_records
from kb.lookup import RecordIndex
from tests.cjk_documents import build_docx, build_pdf, cjk_font
from tests.standards_fixtures import TODAY, build_corpus, freeze_today

runner = CliRunner()
HEADER = "某某公司企业技术文件"
TABLE = [["序号", "标准号", "标准名称"], ["1", "GB/T 12345-1990", "（示例）已废止的标准"], ["2", "DB23/T", "2419-2026"]]
TWO_COLUMNS = ["AQ 3026-2008 化工企业设备检修作业安全规范", "GB/Z 31477-2015 航空电子过程管理"]
# The document as TXT, one entry a line; PAGE_BREAK: the PDF's page 2 starts at that line.
LINES = [
    "检验依据说明",
    "1 本规范按照GB/T 1.1—2020的规则起草。",
    "2 大米应符合《地理标志产品 佳木斯大米》（DB23/T 2419-2019）的要求。",
    "3 种子园按DB23/T 012营建，电缆应符合ＧＢ／Ｔ　５０２３．１－２００８。",
    "4 第8部分按GB/T",
    "5023.8-2026执行。",
    *["\t".join(row) for row in TABLE],
    "\t".join(TWO_COLUMNS),
    "5 另见 DB23/T 1083—",
    "2006 与 GB/T 99999-2020。",
    "6 《水稻栽培技术规程》（DB23/T 1083-2026）。",
    "7 不是引用：8GB 2 内存、CH4；编号无效：GB/T 1-1850、GX/T 123-2020。",
    "2025年3月1日",
]
PAGE_BREAK = 12
EXPECTED = [  # (TXT line, number, status, in the knowledge base, title mismatch)
    (2, "GB/T 1.1-2020", "current", True, False),
    (3, "DB23/T 2419-2019", "replaced", True, False),
    (4, "DB23/T 012", "replaced", True, False),  # no year: the edition of the document's date
    (4, "GB/T 5023.1-2008", "current", True, False),
    (5, "GB/T 5023.8-2026", "upcoming", True, False),
    (8, "GB/T 12345-1990", "withdrawn", True, False),
    (9, "DB23/T 2419-2026", "unknown", True, False),  # split across two table cells
    (10, "AQ 3026-2008", "replaced", True, False),
    (10, "GB/Z 31477-2015", "replaced", True, False),
    (11, "DB23/T 1083-2006", "replaced", True, False),  # broken across a line (and the PDF's page)
    (12, "GB/T 99999-2020", "unknown", False, False),
    (13, "DB23/T 1083-2026", "unknown", True, True),  # 《title》 of another standard
    (14, "GB/T 1-1850", "invalid", False, False),
    (14, "GX/T 123-2020", "invalid", False, False),
]


def write_txt(path: Path, encoding: str = "utf-8") -> Path:
    path.write_bytes(("\n".join(LINES) + "\n").encode(encoding))
    return path


def write_md(path: Path) -> Path:
    rows = ["| " + " | ".join(row) + " |" for row in TABLE]
    lines = ["# " + LINES[0], *LINES[1:6], rows[0], "|---|---|---|", *rows[1:], *LINES[9:]]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def write_html(path: Path) -> Path:
    cells = lambda row, tag="td": "".join(f"<{tag}>{c}</{tag}>" for c in row)  # noqa: E731
    body = "".join(f"<p>{line}</p>" for line in LINES[1:4]) + f"<p>{LINES[4]}<br>{LINES[5]}</p>"
    body += f"<table><tr>{cells(TABLE[0], 'th')}</tr>" + "".join(f"<tr>{cells(r)}</tr>" for r in TABLE[1:]) + "</table>"
    body += f"<table><tr>{cells(TWO_COLUMNS)}</tr></table><p>{LINES[10]}<br>{LINES[11]}</p>"
    body += "".join(f"<p>{line}</p>" for line in LINES[12:])
    path.write_text(f'<html><head><meta charset="utf-8"><title>{LINES[0]}</title></head><body>'
                    f'<div class="nav"><a href="/">首页</a></div><div class="content"><h1>{LINES[0]}</h1>'
                    f"{body}</div></body></html>", encoding="utf-8")
    return path


def write_docx(path: Path) -> Path:
    path.write_bytes(build_docx([LINES[0], *LINES[1:4], LINES[4:6], ("table", TABLE), ("table", [TWO_COLUMNS]),
                                 [LINES[10], "\f" + LINES[11]], *LINES[12:]], header=HEADER))
    return path


def write_pdf(path: Path) -> Path:
    def row(line: str):
        if line in ("\t".join(r) for r in TABLE):
            return list(zip((20, 50, 100), line.split("\t")))
        return list(zip((95, 95), line.split("\t"))) if "\t" in line else line

    pages = [[row(line) for line in LINES[:PAGE_BREAK - 1]], [row(line) for line in LINES[PAGE_BREAK - 1:]]]
    path.write_bytes(build_pdf(pages, header=HEADER, size=9))
    return path


WRITERS = {"txt": write_txt, "gb18030.txt": lambda p: write_txt(p, "gb18030"), "md": write_md,
           "html": write_html, "docx": write_docx, "pdf": write_pdf}


def md_line(line: int) -> int:
    return line + (line > 7)  # the table's |---| rule is a line of the Markdown file


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    base = tmp_path_factory.mktemp("check_documents")
    corpus = build_corpus(base / "corpus", base / "inputs")
    docs = base / "docs"
    docs.mkdir()
    files = {fmt: write(docs / f"synthetic_检验依据.{fmt}") for fmt, write in WRITERS.items()}
    index = RecordIndex(load_records(corpus / STANDARDS_FILE).records.values())
    return {"base": base, "corpus": corpus, "docs": docs, "files": files, "index": index}


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    freeze_today(monkeypatch)


def kb(setup, *args):
    dirs = ["--index", str(setup["base"] / "ix"), "--corpus", str(setup["corpus"])]
    return runner.invoke(cli.app, [*dirs, *args])


def citations(setup, fmt: str, **options) -> list[dict]:
    return check_paths([setup["files"][fmt]], setup["index"], today=TODAY, **options)["citations"]


def test_the_cjk_font_is_found():
    path, _ = cjk_font()
    assert "NotoSansCJK" in path or "NotoSerifCJK" in path or "CJK" in path


@pytest.mark.parametrize("fmt", list(WRITERS))
def test_every_format_finds_what_the_txt_finds_on_the_same_lines(setup, fmt):
    got = [(i["line"], i["number"], i["status"], i["in_kb"], i["title_mismatch"]) for i in citations(setup, fmt)]
    expected = [(md_line(line) if fmt == "md" else line, *rest) for line, *rest in EXPECTED]
    assert got == expected
    assert got == [(md_line(line) if fmt == "md" else line, *rest) for line, *rest in
                   [(i["line"], i["number"], i["status"], i["in_kb"], i["title_mismatch"])
                    for i in citations(setup, "txt")]]


def test_pdf_citations_have_their_pages(setup):
    pages = {(i["number"], i["page"]) for i in citations(setup, "pdf")}
    assert ("GB/T 1.1-2020", 1) in pages and ("DB23/T 1083-2006", 1) in pages  # starts on page 1
    assert ("GB/T 99999-2020", 2) in pages and ("GX/T 123-2020", 2) in pages
    assert all(i["page"] is None for i in citations(setup, "docx"))


def test_replaced_edition_fails_in_every_format(setup):
    for fmt in WRITERS:
        result = kb(setup, "check", str(setup["files"][fmt]), "--json")
        assert result.exit_code == 1, (fmt, result.output)
        report = json.loads(result.stdout)
        failed = {i["number"] for i in report["citations"] if i["failed"]}
        assert "DB23/T 2419-2019" in failed, fmt


def test_yearless_citation_is_judged_on_the_documents_date(setup):
    [item] = [i for i in citations(setup, "txt") if i["number"] == "DB23/T 012"]
    assert (item["resolved"], item["status"], item["latest"]) == ("DB23/T 012-2008", "replaced", "DB23/T 012-2026")
    assert item["note"] == "未注明年份，按文件日期 2025-03-01 有效的版本 DB23/T 012-2008"
    [later] = [i for i in citations(setup, "txt", as_of=__import__("datetime").date(2026, 9, 1))
               if i["number"] == "DB23/T 012"]
    assert (later["resolved"], later["status"]) == ("DB23/T 012-2026", "unknown")
    assert later["note"] == "未注明年份，按--as-of 2026-09-01 有效的版本 DB23/T 012-2026"


def test_edition_on_a_day_follows_the_dates(setup):
    editions = setup["index"].lookup("DB23/T 2419")
    import datetime as dt

    assert edition_on(editions, dt.date(2026, 7, 31)).number == "DB23/T 2419-2019"
    assert edition_on(editions, dt.date(2026, 8, 1)).number == "DB23/T 2419-2026"
    synthetic = setup["index"].lookup("GB/T 1.1")
    assert edition_on(synthetic, dt.date(2020, 9, 30)).number == "GB/T 1.1-2009"  # 2020 edition from 10-01
    assert edition_on(synthetic, dt.date(2020, 10, 1)).number == "GB/T 1.1-2020"


def test_title_mismatch_gives_both_titles(setup):
    [item] = [i for i in citations(setup, "docx") if i["number"] == "DB23/T 1083-2026"]
    assert (item["cited_title"], item["title"]) == ("水稻栽培技术规程", "毛葱生产技术规程")
    assert "名称不符：文中为《水稻栽培技术规程》，DB23/T 1083-2026 为《毛葱生产技术规程》" in item["note"]
    assert titles_match("地理标志产品　佳木斯大米", "地理标志产品 佳木斯大米")
    assert titles_match("标准化工作导则 第1部分", "标准化工作导则 第1部分：标准化文件的结构和起草规则")


def test_invalid_numbers_say_why(setup):
    invalid = {i["number"]: i["note"] for i in citations(setup, "pdf") if i["status"] == "invalid"}
    assert invalid == {"GB/T 1-1850": "年份 1850 不可能", "GX/T 123-2020": "未知的标准代号 GX/T"}


@pytest.mark.parametrize("fail_on, code, failed", [
    ("replaced", 1, {"DB23/T 2419-2019", "DB23/T 012", "AQ 3026-2008", "GB/Z 31477-2015", "DB23/T 1083-2006"}),
    ("withdrawn", 1, {"GB/T 12345-1990"}),
    ("invalid", 1, {"GB/T 1-1850", "GX/T 123-2020"}),
    ("title_mismatch", 1, {"DB23/T 1083-2026"}),
    ("missing", 1, {"GB/T 99999-2020"}),
    ("unknown", 1, {"GB/T 99999-2020", "DB23/T 2419-2026", "DB23/T 1083-2026"}),
    ("upcoming", 1, {"GB/T 5023.8-2026"}),
    ("none", 0, set()),
])
def test_exit_codes_per_fail_on(setup, fail_on, code, failed):
    result = kb(setup, "check", str(setup["files"]["docx"]), "--fail-on", fail_on, "--json")
    assert result.exit_code == code, result.output
    assert {i["number"] for i in json.loads(result.stdout)["citations"] if i["failed"]} == failed


def test_a_pass_never_hides_what_could_not_be_judged(setup, tmp_path):
    doc = tmp_path / "synthetic_clean.txt"
    doc.write_text("按 GB/T 1.1—2020 与 GB/T 99999-2020 编写；参照 DB23/T 2419-2026。\n", encoding="utf-8")
    result = kb(setup, "check", str(doc))
    assert result.exit_code == 0
    assert "共 3 处引用：现行 1，未知 2（其中未收录 1）" in result.stdout
    assert "2 处引用无法判断状态" in result.stdout
    assert kb(setup, "check", str(doc), "--fail-on", "unknown").exit_code == 1
    assert json.loads(kb(setup, "check", str(doc), "--json").stdout)["unjudged"] == 2


def test_a_folder_recursively_with_per_file_summary_and_reports(setup, tmp_path):
    from openpyxl import load_workbook

    nested = setup["docs"] / "sub"
    nested.mkdir(exist_ok=True)
    (nested / "synthetic_broken.pdf").write_bytes(b"%PDF-1.4\nnot really a pdf")
    (nested / "notes.bin").write_bytes(b"\x00ignored: unknown extension")
    xlsx, csv_file = tmp_path / "引用检查.xlsx", tmp_path / "引用.csv"
    result = kb(setup, "check", str(setup["docs"]), "--xlsx", str(xlsx), "--csv-file", str(csv_file))
    assert result.exit_code == 1
    assert "文件汇总" in result.stdout and "无法读取" in result.stdout
    assert "错误：" in result.stderr and "PDF 已损坏或无法读取" in result.stderr
    report = json.loads(kb(setup, "check", str(setup["docs"]), "--json").stdout)
    assert [Path(e["file"]).name for e in report["per_file"]] == ["synthetic_broken.pdf"] + sorted(
        f.name for f in setup["files"].values())  # sub/ sorts before synthetic_…
    assert len(report["citations"]) == len(WRITERS) * len(EXPECTED)
    assert all(e["citations"] == len(EXPECTED) and e["as_of"] == "2025-03-01" for e in report["per_file"][1:])
    book = load_workbook(xlsx)
    assert book.sheetnames == ["文件汇总", "引用"]
    assert [c.value for c in book["引用"][1]][:6] == ["文件", "页", "行", "原文", "标准号", "状态"]
    assert book["引用"].max_row == 1 + len(WRITERS) * len(EXPECTED)
    rows = csv_file.read_text(encoding="utf-8-sig").splitlines()
    assert rows[0].startswith("文件,页,行,原文,标准号,状态") and len(rows) == 1 + len(WRITERS) * len(EXPECTED)
    (nested / "synthetic_broken.pdf").unlink()


def test_as_of_must_be_a_date(setup):
    result = kb(setup, "check", str(setup["files"]["txt"]), "--as-of", "yesterday")
    assert result.exit_code == 2 and result.stderr.startswith("错误：--as-of 'yesterday' 不是日期")


def test_the_date_a_document_states():
    from kb.texts.readers import stated_date

    assert stated_date(["GB/T 99902—2025", "合成示例标准", "2025-03-31 发布　2025-10-01 实施", "1 范围"]) == "2025-03-31"
    assert stated_date(["关于印发某办法的通知", "各区：", "现印发给你们。", "北京市市场监督管理局", "2024年6月5日"]) == "2024-06-05"
    assert stated_date(["没有日期的文件"], "计量法实施细则(2022-03-29).md") == "2022-03-29"
    assert stated_date(["没有日期的文件"]) == ""
