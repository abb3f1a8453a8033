"""Ingest: files and directories into a texts store in tmp_path; stable ids, skipped names,
per-file errors, and nothing stored lost on error."""
from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest

from kb.errors import BadInput, CorpusError, ParseError
from kb.texts.ingest import document_from_bytes, guess_kind, ingest, store_documents
from kb.texts.model import Document, load_documents
from kb.texts.readers import read_text

ROOT = Path(__file__).resolve().parents[1]
SHARED = (ROOT / ".." / "shared").resolve()
ECONOMIC_LAWS = SHARED / "corpus" / "laws" / "经济法"
POLICY = SHARED / "corpus" / "policy" / "质量强国首善之区建设意见.txt"
STANDARD = ROOT / "tests" / "fixtures" / "synthetic_standard_gbt.txt"


def make_docx(lines: list[str]) -> bytes:
    import docx

    document = docx.Document()
    for line in lines:
        document.add_paragraph(line)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


@pytest.fixture()
def inbox(tmp_path):
    """A folder of mixed files: the names the laws corpus uses for indexes and templates, a policy,
    a standard, a Word file, a damaged PDF and an image."""
    folder = tmp_path / "inbox"
    (folder / "sub").mkdir(parents=True)
    for name in ("_index.md", "法律法规模版.md", "README.md"):
        (folder / name).write_text("---\nbookCollapseSection: true\n---\n# 模版\n\n第一条 xxxxx\n", encoding="utf-8")
    shutil.copy(POLICY, folder / "质量强国首善之区建设意见.txt")
    shutil.copy(STANDARD, folder / "sub" / "synthetic_standard_gbt.txt")
    (folder / "sub" / "计量办法.docx").write_bytes(make_docx(
        ["合成示例计量办法", "第一条 为了测试，制定本办法。", "第二条 本办法自2024年1月1日起施行。"]))
    (folder / "sub" / "broken.pdf").write_bytes(b"%PDF-1.4\n%broken")
    (folder / "logo.png").write_bytes(b"\x89PNG")
    return folder


def test_ingest_a_folder(inbox, tmp_path):
    events = []
    report = ingest([inbox], corpus=tmp_path / "corpus", progress=events.append)
    assert sorted(report.new) == ["law:合成示例计量办法", "policy:质量强国首善之区建设意见", "standard:GB/T 99901-2025"]
    assert sorted(Path(p).name for p in report.skipped) == ["README.md", "_index.md", "logo.png", "法律法规模版.md"]
    assert report.errors == [f"{inbox / 'sub' / 'broken.pdf'}：PDF 已损坏或无法读取（PdfminerException）"]
    assert [e["event"] for e in events] == ["start", "error", "read", "read", "read", "done"]  # sorted paths
    assert events[0] == {"event": "start", "total": 4}
    stored = load_documents(tmp_path / "corpus" / "texts.jsonl").documents
    assert stored["standard:GB/T 99901-2025"].title == "合成示例 质量基础设施一站式服务 通用要求"
    docx = stored["law:合成示例计量办法"]  # the title line of the text beats the file name
    assert (docx.title, docx.aliases, docx.dates) == ("合成示例计量办法", ["合成示例计量办法", "计量办法"], {})
    assert docx.text.startswith("第一条 为了测试")
    assert docx.sources[0].source == "kb.texts.docx"


def test_reingesting_gives_the_same_ids_and_changes_nothing(tmp_path):
    corpus = tmp_path / "corpus"
    first = ingest([ECONOMIC_LAWS], corpus=corpus)
    assert len(first.new) == 90 and first.errors == [] and first.skipped == [str(ECONOMIC_LAWS / "_index.md")]
    assert "law:标准化法@2017-11-04" in first.new
    before = (corpus / "texts.jsonl").read_bytes()
    again = ingest([ECONOMIC_LAWS / "标准化法(2017-11-04).md", ECONOMIC_LAWS / "计量法(2018-10-26).md"],
                   corpus=corpus)
    assert (again.new, again.updated, again.unchanged) == \
        ([], [], ["law:标准化法@2017-11-04", "law:计量法@2018-10-26"])
    assert (corpus / "texts.jsonl").read_bytes() == before


def test_two_versions_stay_two_documents(tmp_path):
    laws = SHARED / "corpus" / "laws" / "行政法规"
    report = ingest([laws / "认证认可条例(2020-11-29).md", laws / "认证认可条例(2023-07-20).md"],
                    corpus=tmp_path)
    assert report.new == ["law:认证认可条例@2020-11-29", "law:认证认可条例@2023-07-20"]


def test_explicit_kind_and_title(tmp_path):
    report = ingest([POLICY], kind="policy", title="关于全面推进质量强国首善之区建设的意见", corpus=tmp_path)
    assert report.new == ["policy:关于全面推进质量强国首善之区建设的意见"]
    doc = load_documents(tmp_path / "texts.jsonl").documents[report.new[0]]
    assert doc.aliases == ["关于全面推进质量强国首善之区建设的意见", "质量强国首善之区建设意见"]


def test_a_bad_store_is_never_overwritten(tmp_path):
    store = tmp_path / "texts.jsonl"
    good = Document.create("policy", "甲意见", "正文")
    store.write_text(good.to_json() + "\n{broken\n", encoding="utf-8")
    before = store.read_bytes()
    with pytest.raises(CorpusError, match=r"texts\.jsonl:2: 无效的 JSON.*请先修正文本文件再收录"):
        ingest([POLICY], corpus=tmp_path)
    assert store.read_bytes() == before


def test_errors_leave_stored_texts_alone(tmp_path):
    ingest([POLICY], corpus=tmp_path)
    bad = tmp_path / "bad.docx"
    bad.write_bytes(b"PK\x03\x04 not really")
    report = ingest([bad], corpus=tmp_path)
    assert report.new == [] and len(report.errors) == 1
    assert list(load_documents(tmp_path / "texts.jsonl").documents) == ["policy:质量强国首善之区建设意见"]


@pytest.mark.parametrize("inputs,kwargs,message", [
    (["https://www.gov.cn/zhengce/content.htm"], {}, "网址请用 kb crawl 抓取"),
    (["/nonexistent/nowhere.txt"], {}, "文件或目录不存在"),
    ([POLICY, STANDARD], {"title": "一个标题"}, "--title 只用于单个文件"),
    ([POLICY], {"kind": "novel"}, "类型 'novel' 不在 policy, law, standard 之中"),
])
def test_bad_requests(tmp_path, inputs, kwargs, message):
    with pytest.raises(BadInput, match=message):
        ingest(inputs, corpus=tmp_path, **kwargs)
    assert not (tmp_path / "texts.jsonl").exists()


def test_standard_needs_a_number(tmp_path):
    with pytest.raises(ParseError, match="封面上没有标准号"):
        document_from_bytes("1 范围\n本文件规定了…\n".encode(), "x.txt", kind="standard", title="无编号")


def test_guess_kind():
    assert guess_kind(read_text(STANDARD.read_bytes(), STANDARD.name)) == "standard"
    assert guess_kind(read_text(POLICY.read_bytes(), POLICY.name)) == "policy"
    assert guess_kind(read_text("第一条 甲。\n第二条 乙。".encode(), "x.txt")) == "law"


def test_store_documents_for_crawlers(tmp_path):
    doc = document_from_bytes("一、总体要求\n（一）指导思想".encode(), "https://example.gov.cn/a/某意见.html?x=1",
                              kind="policy")
    assert doc.id == "policy:某意见" and doc.sources[0].url == "https://example.gov.cn/a/某意见.html?x=1"
    report = store_documents([doc], corpus=tmp_path)
    assert report.new == ["policy:某意见"]
    assert store_documents([doc], corpus=tmp_path).unchanged == ["policy:某意见"]


def test_a_300_character_name_is_no_such_file(tmp_path):
    from kb.errors import BadInput
    from kb.texts.ingest import ingest

    with pytest.raises(BadInput) as error:
        ingest(["质" * 300], corpus=tmp_path)
    assert str(error.value) == f"{'质' * 300}：文件或目录不存在"


def test_an_empty_file_is_reported_and_nothing_is_written(tmp_path):
    from kb.texts.ingest import ingest

    (tmp_path / "synthetic_empty.txt").write_bytes(b"")
    report = ingest([tmp_path / "synthetic_empty.txt"], corpus=tmp_path / "corpus")
    assert report.errors == [f"{tmp_path / 'synthetic_empty.txt'}：没有文字"]
    assert not (tmp_path / "corpus" / "texts.jsonl").exists()
