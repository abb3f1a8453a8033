"""`kb check`: citations found in TXT, Markdown, HTML, DOCX and PDF documents, each with its
status and line, and the exit code CI pipelines rely on."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import cli
from kb.check import check_files, check_text, parse_fail_on
from kb.citations import find_numbers
from kb.corpus import STANDARDS_FILE, load_records
from kb.errors import BadInput
from kb.lookup import RecordIndex
from tests.standards_fixtures import TODAY, build_corpus, freeze_today

runner = CliRunner()

# A document mixing every status: paragraphs of lines (a line break inside a paragraph splits
# two citations across lines); one full-width number; and things that are not citations.
PARAGRAPHS = [
    ["检验依据说明"],
    ["1 本文件按照GB/T 1.1—2020的规则起草，不再采用 GB/T 1.1-2009。"],
    ["2 电缆应符合ＧＢ／Ｔ　５０２３．１－２００８的要求。"],
    ["3 第8部分按GB/T", "5023.8-2026执行，实施前参照 GB/T 5023.1。"],
    ["4 大米应符合DB23/T 2419—", "2019，不再使用 GB/T 12345-1990。"],
    ["5 另见 GB/T 99999-2020 与 DB23/T 2419-2026。"],
    ["6 不是引用：8GB 2 内存、ABCGB 123、CH4、SF6。"],
]
EXPECTED = [  # (line in the TXT file, number, status, in the knowledge base)
    (2, "GB/T 1.1-2020", "current", True),
    (2, "GB/T 1.1-2009", "replaced", True),
    (3, "GB/T 5023.1-2008", "current", True),
    (4, "GB/T 5023.8-2026", "upcoming", True),
    (5, "GB/T 5023.1", "current", True),
    (6, "DB23/T 2419-2019", "replaced", True),
    (7, "GB/T 12345-1990", "withdrawn", True),
    (8, "GB/T 99999-2020", "unknown", False),
    (8, "DB23/T 2419-2026", "unknown", True),
]

# This PDF is ASCII plus em dashes (DejaVuSans), with the same citations and line breaks;
# the Chinese PDFs (Noto Sans CJK) are in tests/test_check_documents.py.
PDF_LINES = [
    "Inspection basis",
    "1 Drafted after GB/T 1.1—2020, no longer GB/T 1.1-2009.",
    "2 Cables: GB/T 5023.1-2008.",
    "3 Part 8 follows GB/T",
    "5023.8-2026; until then GB/T 5023.1.",
    "4 Rice: DB23/T 2419—",
    "2019; not GB/T 12345-1990.",
    "5 See GB/T 99999-2020 and DB23/T 2419-2026.",
    "6 Not citations: 8GB 2 RAM, ABCGB 123, CH4, SF6.",
]
DEJAVU = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


def write_txt(path: Path) -> Path:
    path.write_text("\n".join(line for para in PARAGRAPHS for line in para) + "\n", encoding="utf-8")
    return path


def write_md(path: Path) -> Path:
    lines = [line for para in PARAGRAPHS for line in para]
    path.write_text("\n".join(["# " + lines[0], *lines[1:]]) + "\n", encoding="utf-8")
    return path


def write_html(path: Path) -> Path:
    body = "".join(f"<p>{'<br>'.join(para)}</p>\n" for para in PARAGRAPHS[1:])
    path.write_text(f'<html><head><meta charset="utf-8"><title>{PARAGRAPHS[0][0]}</title></head><body>'
                    f'<div class="nav"><a href="/">首页</a></div><div class="content">'
                    f"<h1>{PARAGRAPHS[0][0]}</h1>\n{body}</div></body></html>", encoding="utf-8")
    return path


def write_docx(path: Path) -> Path:
    import docx

    document = docx.Document()
    document.add_heading(PARAGRAPHS[0][0], level=1)
    for para in PARAGRAPHS[1:]:
        paragraph = document.add_paragraph(para[0])
        for line in para[1:]:
            paragraph.add_run().add_break()
            paragraph.add_run(line)
    document.save(str(path))
    return path


def write_pdf(path: Path) -> Path:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    if DEJAVU.exists():
        pdf.add_font("DejaVu", fname=str(DEJAVU))
        pdf.set_font("DejaVu", size=11)
        lines = PDF_LINES
    else:
        pdf.set_font("Helvetica", size=11)
        lines = [line.replace("—", "-") for line in PDF_LINES]
    for line in lines:
        pdf.cell(0, 8, line, new_x="LMARGIN", new_y="NEXT")
    pdf.output(str(path))
    return path


WRITERS = {"txt": write_txt, "md": write_md, "html": write_html, "docx": write_docx, "pdf": write_pdf}


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    base = tmp_path_factory.mktemp("check")
    corpus = build_corpus(base / "corpus", base / "inputs")
    dirs = ["--index", str(base / "ix"), "--corpus", str(corpus)]
    built = runner.invoke(cli.app, [*dirs, "build", "--json"])
    assert built.exit_code == 0, built.output
    docs = {fmt: write(base / f"synthetic_citations.{fmt}") for fmt, write in WRITERS.items()}
    return {"dirs": dirs, "docs": docs, "corpus": corpus, "base": base}


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    freeze_today(monkeypatch)


def kb(setup, *args):
    return runner.invoke(cli.app, [*setup["dirs"], *args])


# -- the scanner ----------------------------------------------------------------------------

def test_scanner_finds_numbers_in_any_spelling_with_their_lines():
    text = "\n".join(line for para in PARAGRAPHS for line in para)
    found = [(c.line, c.found, c.number.canonical) for c in find_numbers(text)]
    assert found == [
        (2, "GB/T 1.1—2020", "GB/T 1.1-2020"),
        (2, "GB/T 1.1-2009", "GB/T 1.1-2009"),
        (3, "ＧＢ／Ｔ\u3000５０２３．１－２００８", "GB/T 5023.1-2008"),
        (4, "GB/T\n5023.8-2026", "GB/T 5023.8-2026"),
        (5, "GB/T 5023.1", "GB/T 5023.1"),
        (6, "DB23/T 2419—\n2019", "DB23/T 2419-2019"),
        (7, "GB/T 12345-1990", "GB/T 12345-1990"),
        (8, "GB/T 99999-2020", "GB/T 99999-2020"),
        (8, "DB23/T 2419-2026", "DB23/T 2419-2026"),
    ]


@pytest.mark.parametrize("text, expected", [
    ("线缆按 GB/T 5023.1-\n2008 检验", ["GB/T 5023.1-2008"]),
    ("按照GB/T 1.1—2020和GB 4943.1-2022第1号修改单", ["GB/T 1.1-2020", "GB 4943.1-2022/XG1"]),
    ("T/CAS 115-2005、JJG(京) 12-2020、YY 0505–2012", ["T/CAS 115-2005", "JJG(京) 12-2020", "YY 0505-2012"]),
    ("GB 15629.11-2003/XG1-2006 与 DB3301/T 0322.3-2020", ["GB 15629.11-2003/XG1-2006", "DB3301/T 0322.3-2020"]),
    ("见 GB/T 5606\n2 范围", ["GB/T 5606"]),
    ("ISBN 978GB 1、XGB/T 1-2000、GB 1234A、GB/T 5606.1-20081、GB/T 1-1850", []),
    ("甲烷(CH4)、SF6、1024GB 2", []),
    ("JB/T 13368 与 CH/T 4-2000", ["JB/T 13368", "CH/T 4-2000"]),
])
def test_scanner_boundaries(text, expected):
    assert [c.number.canonical for c in find_numbers(text)] == expected


# -- the library -------------------------------------------------------------------------------

def test_check_text_gives_status_replacement_and_current_edition(setup):
    index = RecordIndex(load_records(setup["corpus"] / STANDARDS_FILE).records.values())
    items = check_text(write_txt(setup["base"] / "lib.txt").read_text(encoding="utf-8"), index, TODAY)
    assert [(i["line"], i["number"], i["status"], i["in_kb"]) for i in items] == EXPECTED
    by_number = {i["number"]: i for i in items}
    assert by_number["GB/T 1.1-2009"]["replaced_by"] == ["GB/T 1.1-2020"]
    assert by_number["DB23/T 2419-2019"]["replaced_by"] == ["DB23/T 2419-2026"]
    assert by_number["DB23/T 2419-2019"]["latest"] == "DB23/T 2419-2026"
    assert by_number["DB23/T 2419-2019"]["title"] == ""  # known only as the edition 2026 replaces
    assert by_number["GB/T 5023.1"]["resolved"] == "GB/T 5023.1-2008"
    assert by_number["GB/T 5023.1"]["note"] == "未注明年份，按现行版本 GB/T 5023.1-2008"
    assert by_number["GB/T 99999-2020"]["status_label"] == "未收录"
    assert by_number["DB23/T 2419-2026"]["status_label"] == "未知"


def test_yearless_citation_of_a_replaced_series_uses_the_newest_edition(setup):
    index = RecordIndex(load_records(setup["corpus"] / STANDARDS_FILE).records.values())
    [item] = check_text("按 DB23/T 2419 执行", index, TODAY)
    assert (item["resolved"], item["status"]) == ("DB23/T 2419-2026", "unknown")
    assert item["note"] == "未注明年份，按最新版本 DB23/T 2419-2026"


def test_fail_on_words():
    assert parse_fail_on(None) == ["replaced", "withdrawn", "invalid", "title_mismatch"]
    assert parse_fail_on("名称不符,编号无效,未收录") == ["title_mismatch", "invalid", "missing"]
    assert parse_fail_on("被代替，废止,unknown") == ["replaced", "withdrawn", "unknown"]
    assert parse_fail_on("none") == []
    with pytest.raises(BadInput, match="--fail-on 中无法识别的状态 'old'"):
        parse_fail_on("old")


def test_check_files_counts(setup):
    index = RecordIndex(load_records(setup["corpus"] / STANDARDS_FILE).records.values())
    report = check_files([setup["docs"]["txt"]], index, fail_on="upcoming", today=TODAY)
    assert report["counts"] == {"current": 3, "upcoming": 1, "withdrawn": 1, "replaced": 2, "unknown": 2,
                                "missing": 1}
    assert report["failed"] is True
    assert [i["number"] for i in report["citations"] if i["failed"]] == ["GB/T 5023.8-2026"]


# -- the CLI, every format ----------------------------------------------------------------------

@pytest.mark.parametrize("fmt", list(WRITERS))
def test_check_every_format_json(setup, fmt):
    result = kb(setup, "check", str(setup["docs"][fmt]), "--json")
    assert result.exit_code == 1, result.output  # replaced and withdrawn citations fail by default
    report = json.loads(result.stdout)
    got = [(i["number"], i["status"], i["in_kb"]) for i in report["citations"]]
    assert got == [(number, status, in_kb) for _, number, status, in_kb in EXPECTED]
    assert report["fail_on"] == ["replaced", "withdrawn", "invalid", "title_mismatch"] and report["failed"] is True
    if fmt in ("txt", "md"):  # read as they are: lines are the file's lines
        assert [i["line"] for i in report["citations"]] == [line for line, *_ in EXPECTED]
    else:  # extracted text: lines still run in document order
        lines = [i["line"] for i in report["citations"]]
        assert lines == sorted(lines)


@pytest.mark.parametrize("fail_on, code", [
    ("replaced,withdrawn", 1), ("none", 0), ("upcoming", 1), ("missing", 1), ("current", 1),
])
def test_exit_code_follows_fail_on(setup, fail_on, code):
    assert kb(setup, "check", str(setup["docs"]["txt"]), "--fail-on", fail_on).exit_code == code


def test_clean_document_passes(setup, tmp_path):
    doc = tmp_path / "clean.md"
    doc.write_text("# 说明\n按 GB/T 1.1—2020 与 GB/T 5023.1 编写；参照 DB23/T 2419-2026。\n", encoding="utf-8")
    assert kb(setup, "check", str(doc)).exit_code == 0
    assert kb(setup, "check", str(doc), "--fail-on", "missing").exit_code == 0
    assert kb(setup, "check", str(doc), "--fail-on", "unknown").exit_code == 1


def test_human_table_has_chinese_labels(setup):
    result = kb(setup, "check", str(setup["docs"]["txt"]))
    out = result.stdout
    for label in ("行", "原文", "标准号", "状态", "替代为", "说明", "现行", "被代替", "废止", "即将实施", "未收录"):
        assert label in out, label
    assert "共 9 处引用：现行 3，即将实施 1，废止 1，被代替 2，未知 2（其中未收录 1）" in out
    assert "检查未通过：3处引用的状态属于--fail-onreplaced,withdrawn,invalid,title_mismatch" in "".join(out.split())


def test_csv_output(setup):
    result = kb(setup, "check", str(setup["docs"]["txt"]), "--csv")
    rows = result.stdout.splitlines()
    assert rows[0] == "文件,页,行,原文,标准号,状态,对应版本,被代替为,最新版本,标准名称,文中名称,说明"
    assert f"{setup['docs']['txt']},,2,GB/T 1.1-2009,GB/T 1.1-2009,被代替,GB/T 1.1-2009,GB/T 1.1-2020,GB/T 1.1-2020,,," in rows


def test_several_files_in_one_report(setup):
    result = kb(setup, "check", str(setup["docs"]["txt"]), str(setup["docs"]["html"]), "--json")
    report = json.loads(result.stdout)
    assert report["files"] == [str(setup["docs"]["txt"]), str(setup["docs"]["html"])]
    assert len(report["citations"]) == 2 * len(EXPECTED)


# -- bad input -------------------------------------------------------------------------------------

@pytest.mark.parametrize("name, body, code, message", [
    ("synthetic_broken.pdf", b"%PDF-1.4\nnot really a pdf", 1, "PDF 已损坏或无法读取"),
    ("synthetic_broken.docx", b"PK\x03\x04 not a zip", 1, "DOCX 已损坏或无法读取"),
    ("synthetic_binary.txt", b"\x00\x01\x02binary", 1, "是二进制数据，不是文本"),
    ("synthetic_old.doc", b"\xd0\xcf\x11\xe0", 1, "不支持旧的二进制 .doc 文件"),
])
def test_unreadable_document_is_one_line(setup, tmp_path, name, body, code, message):
    path = tmp_path / name
    path.write_bytes(body)
    result = kb(setup, "check", str(path))
    assert result.exit_code == code
    assert result.stderr.startswith("错误：") and message in result.stderr
    assert "Traceback" not in result.output


@pytest.mark.parametrize("args, message", [
    (["check", "/nonexistent/spec.txt"], "错误：/nonexistent/spec.txt：文件不存在"),
    (["check", str(Path(__file__).parent / "conftest.py") + ".d", "--json"], "错误："),
    (["check", "x.txt", "--fail-on", "old"], "错误：--fail-on 中无法识别的状态 'old'"),
])
def test_bad_arguments_exit_2(setup, args, message):
    result = kb(setup, *args)
    assert result.exit_code == 2
    assert result.stderr.startswith(message)


def test_a_line_break_after_a_full_stop_ends_the_number():
    found = find_numbers("until then GB/T 5023.1.\n4 Rice: DB23/T 2419—\n2019")
    assert [c.number.canonical for c in found] == ["GB/T 5023.1", "DB23/T 2419-2019"]
