"""Lookup over the shipped texts plus the synthetic standard: every DOC and clause spelling,
versions, outlines, terms, not-found messages and the flat clause docs for the indexer."""
from __future__ import annotations

from pathlib import Path

import pytest

from kb.errors import BadInput, NotFound
from kb.texts.ingest import document_from_bytes
from kb.texts.lookup import (document_outline, find_clause, iter_clause_docs, lookup_clause, outline,
                             resolve_document, split_citation, terms)
from kb.texts.model import load_documents
from kb.texts.segment import normalize_clause_ref

ROOT = Path(__file__).resolve().parents[1]
STANDARD = ROOT / "tests" / "fixtures" / "synthetic_standard_gbt.txt"


@pytest.fixture(scope="module")
def docs():
    loaded = load_documents(ROOT / "corpus" / "texts.jsonl")
    assert loaded.errors == []
    standard = document_from_bytes(STANDARD.read_bytes(), STANDARD.name)
    return {**loaded.documents, standard.id: standard}


# -- documents ----------------------------------------------------------------------------------

@pytest.mark.parametrize("arg", ["标准化法", "中华人民共和国标准化法", "《中华人民共和国标准化法》",
                                 "law:标准化法@2017-11-04", "标准化法@2017", " 标准化法 "])
def test_document_by_title_alias_or_id(docs, arg):
    assert resolve_document(docs, arg).document.id == "law:标准化法@2017-11-04"


def test_several_versions_prefer_the_latest_and_say_so(docs):
    match = resolve_document(docs, "计量法实施细则")
    assert match.document.id == "law:计量法实施细则@2022-03-29"
    assert match.versions == ["law:计量法实施细则@2022-03-29", "law:计量法实施细则@2018-03-19"]
    assert match.note == ("有 2 个版本，显示最新的 2022-03-29 （law:计量法实施细则@2022-03-29）；"
                          "其他：law:计量法实施细则@2018-03-19")


@pytest.mark.parametrize("arg", ["计量法实施细则@2018-03-19", "计量法实施细则@2018", "计量法实施细则(2018-03-19)",
                                 "中华人民共和国计量法实施细则 2018"])
def test_a_version_can_be_picked(docs, arg):
    match = resolve_document(docs, arg)
    assert match.document.id == "law:计量法实施细则@2018-03-19" and match.note == ""


@pytest.mark.parametrize("arg", ["GB/T 99901—2025", "gbt99901-2025", "ＧＢ／Ｔ　９９９０１－２０２５", "GB/T 99901",
                                 "standard:GB/T 99901-2025", "合成示例 质量基础设施一站式服务 通用要求"])
def test_standard_by_number_in_any_spelling_or_title(docs, arg):
    assert resolve_document(docs, arg).document.id == "standard:GB/T 99901-2025"


def test_unique_part_of_a_title(docs):
    assert resolve_document(docs, "首善之区").document.id == "policy:质量强国首善之区建设意见"
    assert resolve_document(docs, "认证认可").document.id == "law:认证认可条例@2023-07-20"


@pytest.mark.parametrize("arg,message", [
    ("计量", "'计量' 对应 2 篇文本：中华人民共和国计量法、中华人民共和国计量法实施细则；请写得更具体"),
    ("食品安全法", "没有与 '食品安全法' 对应的文本；是否要找：产品质量法？"),
    ("GB/T 1.1-2020", "没有与 'GB/T 1.1-2020' 对应的文本"),
    ("计量法实施细则@2019", "中华人民共和国计量法实施细则 没有 2019 版（已有版本：2022-03-29、2018-03-19）"),
])
def test_unknown_documents(docs, arg, message):
    with pytest.raises(NotFound) as caught:
        resolve_document(docs, arg)
    assert str(caught.value).startswith(message)


def test_empty_arguments(docs):
    with pytest.raises(BadInput, match="文本名称为空"):
        resolve_document(docs, "  ")
    with pytest.raises(BadInput, match="条款路径为空"):
        lookup_clause(docs, "标准化法", "")


# -- clauses ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("ref", ["第十条", "10", "第10条", "第 10 条", "第１０条", "10条"])
def test_law_article_forms(docs, ref):
    result = lookup_clause(docs, "标准化法", ref)
    assert result["doc"] == {"id": "law:标准化法@2017-11-04", "title": "中华人民共和国标准化法", "kind": "law"}
    assert (result["path"], result["label"], result["kind"]) == ("第十条", "第十条", "article")
    assert result["text"].startswith("对保障人身健康和生命财产安全")
    assert [c["path"] for c in result["children"]] == [f"第十条第{n}款" for n in "一二三四五"]


def test_law_paragraph_and_item_forms(docs):
    assert lookup_clause(docs, "标准化法", "第2条第3款")["text"] == "强制性标准必须执行。国家鼓励采用推荐性标准。"
    for ref in ["第四条第一项", "第四条(一)", "第4条第（一）项", "第四条第一款第一项"]:
        result = lookup_clause(docs, "计量法实施细则", ref)
        assert (result["path"], result["text"]) == ("第四条第一款第一项", "经国家鉴定合格；")
        assert result["note"].startswith("有 2 个版本")


@pytest.mark.parametrize("ref", ["八(一)", "八、(一)", "八、（一）", "八（一）", "第八部分(一)"])
def test_policy_subsection_forms(docs, ref):
    result = lookup_clause(docs, "质量强国首善之区建设意见", ref)
    assert (result["path"], result["heading"]) == ("八(一)", "加强质量基础设施能力建设")
    assert "note" not in result


@pytest.mark.parametrize("ref", ["专栏6", "专栏六", "专栏 6", "专栏６"])
def test_policy_box_forms(docs, ref):
    result = lookup_clause(docs, "质量强国首善之区建设意见", ref)
    assert (result["path"], result["label"], result["heading"]) == ("专栏6", "专栏6", "夯实质量基础设施")
    assert [(c["path"], c["heading"]) for c in result["children"]] == [
        ("专栏6/1", "保持标准化领先优势"), ("专栏6/2", "提升计量支撑保障能力"), ("专栏6/3", "发挥检验检测认证作用")]


def test_policy_box_item_and_section(docs):
    assert lookup_clause(docs, "质量强国首善之区建设意见", "专栏6-3")["path"] == "专栏6/3"
    section = lookup_clause(docs, "质量强国首善之区建设意见", "八、")
    assert [c["path"] for c in section["children"]] == ["八(一)", "八(二)", "八(三)", "专栏6"]


def test_standard_clause_returns_its_children(docs):
    result = lookup_clause(docs, "GB/T 99901-2025", "5.2")
    assert (result["path"], result["heading"], result["text"]) == ("5.2", "服务内容", "")
    assert [c["path"] for c in result["children"]] == ["5.2.1", "5.2.2", "5.2.3", "5.2.4"]
    calibration = result["children"][0]["children"][2]
    assert calibration["path"] == "5.2.1.3"
    assert [c["path"] for c in calibration["children"]] == ["5.2.1.3.1", "5.2.1.3.2"]
    assert calibration["children"][0]["refs"] == ["JJF 1071-2010"]
    assert calibration["children"][1]["children"][0]["kind"] == "note"


@pytest.mark.parametrize("ref,path", [("第5.2条", "5.2"), ("５．２", "5.2"), ("附录 a", "附录A"), ("a.1", "A.1"),
                                      ("表 A.1", "表A.1"), ("3.1", "3.1"), ("前 言", "前言")])
def test_standard_reference_forms(docs, ref, path):
    assert lookup_clause(docs, "GB/T 99901", ref)["path"] == path


@pytest.mark.parametrize("kind,ref,path", [
    ("law", "10之1", "第十条之一"), ("law", "第10条之1", "第十条之一"), ("law", "第2章第1节", "第二章第一节"),
    ("law", "第一百一十条", "第一百一十条"), ("law", "110", "第一百一十条"), ("law", "序言", "序言"),
    ("policy", "八(一)1.", "八(一)1"), ("policy", "十、(三)", "十(三)"), ("policy", "专栏七第2项", "专栏7/2"),
    ("standard", "5.2.1.3", "5.2.1.3"), ("standard", "附录B", "附录B"),
])
def test_normalize_clause_ref(kind, ref, path):
    assert normalize_clause_ref(kind, ref) == path


@pytest.mark.parametrize("doc,ref,message", [
    ("标准化法", "第九百条", "中华人民共和国标准化法（law:标准化法@2017-11-04）中没有条款 '第九百条'；"
                            "条文从第一条到第四十五条；最接近的：第四条、第九条、第十九条、第二十九条、第三十九条"),
    ("质量强国首善之区建设意见", "(一)", "质量强国首善之区建设意见（policy:质量强国首善之区建设意见）"
                                     "中没有条款 '(一)'；最接近的："),
    ("GB/T 99901", "9.9", "合成示例 质量基础设施一站式服务 通用要求（standard:GB/T 99901-2025）中没有条款 '9.9'；"
                          "最接近的：封面、前言、引言、1、2、3"),
])
def test_unknown_clause(docs, doc, ref, message):
    with pytest.raises(NotFound) as caught:
        lookup_clause(docs, doc, ref)
    assert str(caught.value).startswith(message)


def test_find_clause_on_a_document(docs):
    assert find_clause(docs["law:计量法@2018-10-26"], "9").path == "第九条"


# -- outline and terms ---------------------------------------------------------------------------------

def test_law_outline(docs):
    result = document_outline(docs, "标准化法", depth=1)
    assert result["doc"]["id"] == "law:标准化法@2017-11-04" and result["clauses"] == 91
    assert [(n["path"], n["heading"], n["children"]) for n in result["outline"]][:2] == [
        ("第一章", "总则", []), ("第二章", "标准的制定", [])]
    full = outline(docs["law:标准化法@2017-11-04"])
    first = full["outline"][0]["children"][0]
    assert first["path"] == "第一条" and first["summary"].startswith("为了加强标准化工作")
    assert first["children"] == []  # 款 and 项 are left out of outlines


def test_policy_and_standard_outlines(docs):
    policy = outline(docs["policy:质量强国首善之区建设意见"])
    assert [n["path"] for n in policy["outline"]] == ["前文", "一", "二", "三", "四", "五", "六", "七", "八", "九", "十"]
    assert [n["path"] for n in policy["outline"][8]["children"]] == ["八(一)", "八(二)", "八(三)", "专栏6"]
    assert len(policy["outline"][8]["children"][3]["children"]) == 3
    standard = document_outline(docs, "GB/T 99901-2025", depth=2)
    chapter5 = [n for n in standard["outline"] if n["path"] == "5"][0]
    assert [(n["path"], n["heading"]) for n in chapter5["children"]] == [
        ("5.1", "总则"), ("5.2", "服务内容"), ("5.3", "服务流程"), ("5.4", "服务人员")]
    assert chapter5["children"][1]["children"] == []


def test_terms_from_a_standard(docs):
    [entry] = terms(docs, "质量基础设施")
    assert entry == {"term": "质量基础设施", "english": "quality infrastructure",
                     "definition": "由计量、标准、认证认可、检验检测等要素构成，支撑产品、工程和服务质量的技术体系。",
                     "notes": ["质量基础设施有时简称QI。"],
                     "doc": {"id": "standard:GB/T 99901-2025", "title": "合成示例 质量基础设施一站式服务 通用要求",
                             "kind": "standard"}, "path": "3.1"}
    assert [e["term"] for e in terms(docs, "service")] == ["一站式服务", "服务站点", "服务时限"]


def test_legal_definitions_from_the_latest_version(docs):
    [entry] = terms(docs, "计量器具")
    assert (entry["doc"]["id"], entry["path"]) == ("law:计量法实施细则@2022-03-29", "第五十六条第一项")
    assert entry["definition"].startswith("能用以直接或间接测出被测对象量值的装置")
    standard = terms(docs, "标准")
    assert standard[0]["path"] == "第二条" and standard[0]["doc"]["id"] == "law:标准化法@2017-11-04"
    assert [(e["term"], e["path"]) for e in terms(docs, "认证")] == [("认证", "第二条"), ("计量认证", "第五十六条第四项")]
    with pytest.raises(NotFound, match="10 篇文本中没有与 '量子' 对应的术语"):
        terms(docs, "量子")


# -- clause docs for the indexer ------------------------------------------------------------------

def test_iter_clause_docs(docs):
    rows = list(iter_clause_docs(docs))
    assert len({r["id"] for r in rows}) == len(rows)
    tenth = next(r for r in rows if r["id"] == "law:标准化法@2017-11-04#第十条")
    assert {k: tenth[k] for k in ("doc_id", "doc_title", "doc_kind", "path", "label", "heading", "parent",
                                  "clause_kind", "aliases")} == {
        "doc_id": "law:标准化法@2017-11-04", "doc_title": "中华人民共和国标准化法", "doc_kind": "law",
        "path": "第十条", "label": "第十条", "heading": "", "parent": "第二章", "clause_kind": "article",
        "aliases": ["中华人民共和国标准化法", "标准化法"]}
    assert tenth["text"].startswith("对保障人身健康和生命财产安全") and len(tenth["content_hash"]) == 16
    box = next(r for r in rows if r["id"] == "policy:质量强国首善之区建设意见#专栏6/3")
    assert (box["heading"], box["parent"], box["clause_kind"]) == ("发挥检验检测认证作用", "专栏6", "box_item")
    assert sum(1 for r in rows if r["doc_kind"] == "policy") == 72


# -- citations in one string, laws stored in parts ----------------------------------------------------

@pytest.mark.parametrize("text,expected", [
    ("中华人民共和国民法典第五十四条", ("中华人民共和国民法典", "第五十四条")),
    ("《中华人民共和国标准化法》第二十九条第二款", ("中华人民共和国标准化法", "第二十九条第二款")),
    ("个体工商户条例第二条", ("个体工商户条例", "第二条")),
    ("GB/T 99901-2025 5.2.1", ("GB/T 99901-2025", "5.2.1")),
])
def test_split_citation(text, expected):
    assert split_citation(text) == expected


def test_split_citation_needs_a_clause():
    with pytest.raises(BadInput, match="分出文本和条款"):
        split_citation("中华人民共和国民法典")


@pytest.fixture(scope="module")
def civil_code():
    folder = ROOT / ".." / "shared" / "corpus" / "laws" / "民法典"
    parts = [document_from_bytes(p.read_bytes(), p.name, kind="law") for p in sorted(folder.glob("*.md"))
             if p.name != "_index.md"]
    return {d.id: d for d in parts}


def test_a_law_stored_in_parts(civil_code):
    assert len(civil_code) == 8
    result = lookup_clause(civil_code, *split_citation("中华人民共和国民法典第五十四条"))
    assert result["doc"]["title"] == "中华人民共和国民法典·总则" and result["path"] == "第五十四条"
    assert result["note"] == "中华人民共和国民法典 分 8 部分收录；第五十四条 在 中华人民共和国民法典·总则 中"
    assert lookup_clause(civil_code, "民法典", "464")["doc"]["title"] == "中华人民共和国民法典·合同编"
    assert lookup_clause(civil_code, "民法典·合同编", "第四百六十四条")["path"] == "第四百六十四条"
    with pytest.raises(NotFound, match=r"民法典 的 8 个部分（总则、物权编、合同编、"
                                       r"人格权编、婚姻家庭编、继承编、侵权责任编、附则）中都没有条款 '第二千条'$"):
        lookup_clause(civil_code, "民法典", "第二千条")


def test_lookup_citation(docs):
    from kb.texts.lookup import lookup_citation

    assert lookup_citation(docs, "中华人民共和国标准化法第二十九条第二款")["path"] == "第二十九条第二款"
    assert lookup_citation(docs, "GB/T 99901-2025 附录A")["label"] == "附录A（规范性）"
