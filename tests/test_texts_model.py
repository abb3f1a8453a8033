"""The Document model, its JSONL store and the shipped corpus/texts.jsonl."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from kb.errors import CorpusError
from kb.records import Source
from kb.texts.model import Document, document_id, load_documents, merge_documents, short_title, \
    write_documents
from kb.texts.shipped import SHIPPED, build_shipped, write_shipped

ROOT = Path(__file__).resolve().parents[1]
SHARED = (ROOT / ".." / "shared").resolve()
SHIPPED_FILE = ROOT / "corpus" / "texts.jsonl"


@pytest.mark.parametrize("kind,title,version,number,expected", [
    ("law", "中华人民共和国标准化法", "2017-11-04", "", "law:标准化法@2017-11-04"),
    ("policy", "质量强国首善之区建设意见", "", "", "policy:质量强国首善之区建设意见"),
    ("standard", "标准化工作导则", "2020-03-31", "GB/T 1.1—2020", "standard:GB/T 1.1-2020"),
    ("law", "《 中华人民共和国 计量法 》", "", "", "law:计量法"),
])
def test_document_ids(kind, title, version, number, expected):
    assert document_id(kind, title, version, number) == expected


def test_short_title_keeps_a_bare_country_name():
    assert short_title("中华人民共和国") == "中华人民共和国"


def test_create_derives_id_and_aliases():
    doc = Document.create("law", "中华人民共和国计量法", "第一条 甲。", dates={"version": "2018-10-26", "issued": ""},
                          aliases=["计量法", "计量法(2018)"])
    assert doc.id == "law:计量法@2018-10-26"
    assert doc.aliases == ["中华人民共和国计量法", "计量法", "计量法(2018)"]
    assert doc.dates == {"version": "2018-10-26"}
    standard = Document.create("standard", "合成示例", "1 范围", number="gb/t 99901-2025")
    assert (standard.id, standard.number, standard.aliases) == \
        ("standard:GB/T 99901-2025", "GB/T 99901-2025", ["合成示例", "GB/T 99901-2025"])


def test_load_reports_bad_lines_and_keeps_the_rest(tmp_path):
    good = Document.create("policy", "甲意见", "一、总体要求")
    path = tmp_path / "texts.jsonl"
    lines = [good.to_json(), "{not json", json.dumps({"id": "law:x", "kind": "law", "title": "x"}),
             json.dumps({**good.to_dict(), "kind": "novel", "id": "novel:x"}),
             json.dumps({**good.to_dict(), "dates": {"issued": "2020/01/01"}, "id": "policy:乙"}),
             json.dumps({**good.to_dict(), "extra": 1, "id": "policy:丙"}), good.to_json(), ""]
    path.write_text("\n".join(lines), encoding="utf-8")
    loaded = load_documents(path)
    assert list(loaded.documents) == ["policy:甲意见"]
    assert [(e.line, e.message) for e in loaded.errors] == [
        (2, "无效的 JSON（第 2 个字符：Expecting property name enclosed in double quotes）"),
        (3, "缺少 'text'"),
        (4, "novel:x：kind 'novel' 不是 policy、law、standard 之一"),
        (5, "policy:乙：日期 issued '2020/01/01' 不是 YYYY-MM-DD"),
        (6, "未知的字段：extra"),
        (7, "重复的 id 'policy:甲意见'")]


def test_write_is_sorted_and_round_trips(tmp_path):
    docs = [Document.create("policy", name, "正文") for name in ("乙意见", "甲意见")]
    path = tmp_path / "sub" / "texts.jsonl"
    write_documents(path, docs)
    assert [json.loads(line)["id"] for line in path.read_text(encoding="utf-8").splitlines()] == \
        sorted(d.id for d in docs)
    assert load_documents(path).documents["policy:甲意见"] == docs[1]


def test_merge_keeps_provenance_and_aliases():
    old = Document.create("law", "计量法", "旧", aliases=["旧名"], sources=[Source("a", "u1", "2020", "h1")])
    same = Document.create("law", "计量法", "旧", aliases=["旧名"], sources=[Source("a", "u1", "2024", "h1")])
    new = Document.create("law", "计量法", "新", sources=[Source("b", "u2", "2024", "h2")])
    other = Document.create("policy", "某意见", "正文")
    unchanged = merge_documents({old.id: old}, [same])
    assert (unchanged.unchanged, unchanged.updated, unchanged.documents[old.id]) == ([old.id], [], old)
    merged = merge_documents({old.id: old}, [new, other])
    assert (merged.new, merged.updated) == (["policy:某意见"], ["law:计量法"])
    doc = merged.documents["law:计量法"]
    assert doc.text == "新" and doc.aliases == ["计量法", "旧名"]
    assert [s.source for s in doc.sources] == ["a", "b"]


def test_from_dict_rejects_a_wrong_schema():
    data = Document.create("policy", "甲", "正文").to_dict()
    with pytest.raises(CorpusError, match="文本的 schema 2 不是 1"):
        Document.from_dict({**data, "schema": 2})


# -- the shipped corpus ---------------------------------------------------------------------------

def test_shipped_texts_are_exactly_the_quality_laws_and_the_policy():
    loaded = load_documents(SHIPPED_FILE)
    assert loaded.errors == []
    assert sorted(loaded.documents) == [
        "law:产品质量法@2018-12-29", "law:标准化法@2017-11-04", "law:标准化法实施条例@1990-04-06",
        "law:计量法@2018-10-26", "law:计量法实施细则@2018-03-19", "law:计量法实施细则@2022-03-29",
        "law:认证认可条例@2020-11-29", "law:认证认可条例@2023-07-20", "policy:质量强国首善之区建设意见"]


def test_shipped_provenance():
    docs = load_documents(SHIPPED_FILE).documents
    [source] = docs["law:标准化法@2017-11-04"].sources
    assert source.source == "../shared/corpus/laws/经济法/标准化法(2017-11-04).md"
    assert source.url == ("https://github.com/LawRefBook/Laws/blob/2f4c5c23716267af9dbebbbbd6cbbf732b101981/"
                          "经济法/标准化法(2017-11-04).md")
    assert source.fetched_at == "2025-04-19"
    import hashlib
    assert source.content_hash == hashlib.sha256(
        (SHARED / "corpus/laws/经济法/标准化法(2017-11-04).md").read_bytes()).hexdigest()
    [policy_source] = docs["policy:质量强国首善之区建设意见"].sources
    assert (policy_source.source, policy_source.url) == ("../shared/corpus/policy/质量强国首善之区建设意见.txt", "")


def test_shipped_file_is_reproducible(tmp_path):
    assert len(build_shipped(SHARED)) == len(SHIPPED) == 9
    fresh = write_shipped(tmp_path, SHARED)
    assert fresh.read_bytes() == SHIPPED_FILE.read_bytes(), "run scripts/ship_texts.py"


def test_load_texts_for_read_commands(tmp_path):
    from kb.texts.model import load_texts

    assert load_texts(tmp_path) == {}
    assert len(load_texts(ROOT / "corpus")) == 9
    (tmp_path / "texts.jsonl").write_text("{}\n", encoding="utf-8")
    with pytest.raises(CorpusError, match=r"texts\.jsonl:1: 缺少 'id'（texts\.jsonl 中有 1 行无法读取）"):
        load_texts(tmp_path)
