"""CCS/ICS import and model, the category vocabulary, resolve_category, user vocabularies."""
from __future__ import annotations

import json

import pytest

from kb.categories import (default_vocabulary, load_user_vocabulary, load_vocabulary, resolve,
                           resolve_category)
from kb.errors import BadInput, CorpusError, NotFound
from kb.taxonomy import (TAXONOMY_SCHEMA, Category, CrossRef, import_taxonomy, load_taxonomy,
                         normalize_code, parse_note, read_taxonomy, split_terms, taxonomy_path)
from tests.conftest import ROOT, SHARED

CCS_DIR = SHARED / "taxonomy" / "ccs"
ICS_FILE = SHARED / "taxonomy" / "ics" / "ics_ed7.jsonl"


@pytest.fixture(scope="module")
def imported(tmp_path_factory):
    out = tmp_path_factory.mktemp("taxonomy") / "taxonomy.jsonl"
    return import_taxonomy(CCS_DIR, ICS_FILE, out)


# -- importer ------------------------------------------------------------------------

def test_import_counts_every_level(imported):
    assert imported.counts == {"ccs level 1": 24, "ccs level 2": 225, "ccs level 3": 1608,
                               "ics level 1": 40, "ics level 2": 401, "ics level 3": 940}
    lines = imported.out_path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 24 + 225 + 1608 + 1381
    assert all(json.loads(line)["schema"] == TAXONOMY_SCHEMA for line in lines)


def test_import_reports_corrections_and_oddities(imported):
    assert imported.corrections == ["FF2 异步电机：更正为 K22"]
    assert imported.warnings == ["D47 非金属矿综合 不在其上级范围 D50/59 之内"]


def test_committed_corpus_file_is_the_import_of_the_shared_files(imported):
    committed = ROOT / "corpus" / "taxonomy.jsonl"
    assert committed.read_bytes() == imported.out_path.read_bytes()


def test_k13_line_holds_the_extracted_facts(imported):
    lines = [json.loads(line) for line in imported.out_path.read_text(encoding="utf-8").splitlines()]
    k13 = next(line for line in lines if line["code"] == "K13")
    assert k13 == {
        "schema": 1, "scheme": "ccs", "code": "K13", "level": 3, "name": "电缆及其附件",
        "parent": "K10/19", "note": "各种电力电缆、通信电缆、信号电缆及其附件等。电子设备电缆入L91。",
        "name_terms": ["电缆"], "terms": ["电力电缆", "通信电缆", "信号电缆"],
        "refs": [{"term": "电子设备电缆", "target": "L91"}],
    }


def test_import_of_a_missing_directory_is_a_corpus_error(tmp_path):
    with pytest.raises(CorpusError, match="无法读取"):
        import_taxonomy(tmp_path / "nope", ICS_FILE, tmp_path / "out.jsonl")


# -- model -------------------------------------------------------------------------------

def test_k13_name_note_and_cross_reference():
    tax = load_taxonomy()
    k13 = tax["K13"]
    assert k13.name == "电缆及其附件"
    assert k13.label == "K13 电缆及其附件"
    assert k13.refs == (CrossRef("电子设备电缆", "L91"),)
    assert tax[k13.refs[0].target].name == "电子设备用导线、电缆"
    assert [c.code for c in tax.ancestors("K13")] == ["K10/19", "K"]
    assert tax.ccs_range("K13") == "K10/19"


def test_level_counts_and_tree():
    tax = load_taxonomy()
    assert len(tax.of("ccs", 1)) == 24
    assert len(tax.of("ccs", 2)) == 225
    assert len(tax.of("ccs", 3)) == 1608
    assert len(tax.of("ics")) == 1381
    assert [c.code for c in tax.children("K10/19")] == ["K10", "K11", "K12", "K13", "K14", "K15", "K16"]
    assert tax["K22"].published_code == "FF2"
    assert tax["29.060.20"].parent == "29.060"
    assert tax["29.060.20"].name == "Cables"


def test_is_within():
    tax = load_taxonomy()
    assert tax.is_within("K13", "K13") and tax.is_within("K13", "K10/19") and tax.is_within("K13", "K")
    assert not tax.is_within("K13", "L") and not tax.is_within("K13", "K20/29")
    assert tax.is_within("29.060.20", "29")


def test_expand_reference_targets():
    tax = load_taxonomy()
    assert tax.expand("L91") == ["L91"]
    assert tax.expand("G80/81") == ["G80", "G81"]
    assert len(tax.expand("K10/19")) == 7
    assert tax.expand("K98") == []


@pytest.mark.parametrize("text, code", [
    ("K13", "K13"), ("k13", "K13"), ("Ｋ１３", "K13"), ("K 13", "K13"), ("A.00", "A00"),
    ("k10-19", "K10/19"), ("K10/19", "K10/19"), ("k", "K"), ("29.060.20", "29.060.20"),
    ("53.06", "53.060"), ("电缆", None), ("K1", None),
])
def test_normalize_code(text, code):
    assert normalize_code(text) == code


def test_split_terms_drops_noise_words():
    assert split_terms("各种电力电缆、通信电缆、信号电缆及其附件等") == ["电力电缆", "通信电缆", "信号电缆"]
    assert split_terms("炉灶、炊事器具、餐具、绞肉机、和面机、切面机等") == [
        "炉灶", "炊事器具", "餐具", "绞肉机", "和面机", "切面机"]
    assert split_terms("其他有关仪器") == ["仪器"]


def test_parse_note_terms_and_cross_references():
    terms, refs = parse_note("电影胶片、照相胶卷入G80/81，照相级化学药品入G84/85。电光源入K71。")
    assert terms == []
    assert refs == [CrossRef("电影胶片", "G80/81"), CrossRef("照相胶卷", "G80/81"),
                    CrossRef("照相级化学药品", "G84/85"), CrossRef("电光源", "K71")]
    terms, refs = parse_note("石膏板、条、嵌板等。牙科用石膏入C33，粉笔、美术石膏制品分别入Y50和Y88。")
    assert refs == [CrossRef("牙科用石膏", "C33"), CrossRef("粉笔", "Y50"), CrossRef("美术石膏制品", "Y88")]
    terms, refs = parse_note("各种叉车入此。")
    assert (terms, refs) == (["叉车"], [])


def test_synthetic_taxonomy_with_a_foreign_schema_is_rejected(tmp_path):
    path = tmp_path / "taxonomy.jsonl"
    path.write_text(json.dumps({"schema": 99, "scheme": "ccs", "code": "K", "level": 1, "name": "电工"}) + "\n",
                    encoding="utf-8")
    with pytest.raises(CorpusError, match="分类表的 schema 99 不是 1"):
        read_taxonomy(path)


def test_runtime_reads_the_corpus_file():
    assert taxonomy_path().name == "taxonomy.jsonl"
    assert isinstance(load_taxonomy()["K"], Category)


# -- resolve_category ----------------------------------------------------------------------

@pytest.mark.parametrize("query, code", [("K13", "K13"), ("k10/19", "K10/19"), ("K", "K"),
                                         ("29.060.20", "29.060.20"), ("电缆及其附件", "K13")])
def test_resolve_codes_and_names(query, code):
    assert [c.code for c in resolve_category(query)] == [code]


def test_resolve_term_cable():
    found = resolve("电缆", limit=3)
    assert [r.category.code for r in found][:2] == ["K13", "L91"]
    assert found[0].reason == "电缆 ∈ K13 电缆及其附件"


def test_resolve_broader_synonym():
    found = resolve("电线电缆", limit=3)
    assert found[0].category.code == "K13"
    assert found[0].reason == "电线电缆 ≈ 电缆 ∈ K13 电缆及其附件"


def test_resolve_synonym_term():
    found = resolve("稻谷", limit=1)  # 大米, the processed product, is no synonym of the crop since issue 11
    assert found[0].category.code == "B22"
    assert found[0].reason == "稻谷 ≈ 稻 ∈ B22 禾谷类作物与产品（范围说明）"


def test_resolve_note_cross_reference():
    found = resolve("电子设备电缆")
    assert found[0].category.code == "L91"
    assert found[0].reason == "电子设备电缆 → L91 电子设备用导线、电缆（K13 说明：电子设备电缆入L91）"


def test_resolve_phrase_falls_back_to_its_words():
    assert resolve_category("智能网联汽车")[0].code == "T40"


def test_unknown_code_is_not_found_with_neighbours():
    with pytest.raises(NotFound, match="未知的 CCS 分类号 K98") as info:
        resolve_category("K98")
    assert info.value.hint == "相近的类目：K97 其他电工生产设备，K96 蓄电池生产设备，K95 电光源与灯具生产设备"


def test_unknown_term_is_not_found_with_suggestions():
    with pytest.raises(NotFound, match="没有与 'zzqq' 相符的类目") as info:
        resolve_category("zzqq")
    assert info.value.hint.startswith("请试试 CCS 分类号") or info.value.hint.startswith("是否要找：")


def test_empty_query_is_bad_input():
    with pytest.raises(BadInput):
        resolve_category("  ")


# -- user vocabulary -------------------------------------------------------------------------

def test_synthetic_user_yaml_extends_the_vocabulary(tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text("categories:\n"
                    "  - {code: ICV, name: 智能网联汽车, parent: T40, terms: [车路协同, 自动驾驶]}\n"
                    "  - {code: K13, terms: [光伏电缆]}\n"
                    "synonyms:\n"
                    "  - [车联网, 车路协同]\n", encoding="utf-8")
    vocabulary = load_vocabulary([path])
    assert resolve_category("智能网联汽车", vocabulary)[0].code == "ICV"
    assert resolve_category("车联网", vocabulary)[0].code == "ICV"
    found = resolve("光伏电缆", vocabulary)[0]
    assert (found.category.code, found.reason) == ("K13", "光伏电缆 ∈ K13 电缆及其附件（用户词表）")
    assert vocabulary.letter_of("ICV") == "T"
    assert vocabulary.is_within("ICV", "T40/49") and not vocabulary.is_within("ICV", "K")
    # the shipped vocabulary is unchanged
    assert resolve_category("智能网联汽车")[0].code == "T40"


def test_synthetic_user_csv_extends_the_vocabulary(tmp_path):
    path = tmp_path / "mine.csv"
    path.write_text("code,name,parent,terms,synonyms\n"
                    "SMART,智慧灯杆,K73,多功能灯杆|综合杆,智能灯杆\n", encoding="utf-8")
    user = load_user_vocabulary(path)
    assert [(c.code, c.name, c.parent, c.terms) for c in user.categories] == [
        ("SMART", "智慧灯杆", "K73", ["多功能灯杆", "综合杆"])]
    assert user.synonyms == [["智慧灯杆", "智能灯杆"]]
    vocabulary = default_vocabulary().extended(user)
    assert resolve_category("智能灯杆", vocabulary)[0].code == "SMART"


@pytest.mark.parametrize("name, text, message", [
    ("bad.yaml", "categories: [unclosed\n", "用户词表 .*bad.yaml:2：YAML 有误"),
    ("bad.yaml", "- just a list\n", "应为含 'categories' 和/或 'synonyms' 的映射"),
    ("bad.yaml", "categories:\n  - {name: 无代码}\n", "第 1 个类目：每个类目都须有 'code'"),
    ("bad.yaml", "colours: []\n", "未知的键"),
    ("bad.yaml", "synonyms:\n  - [独词]\n", "第 1 组同义词至少要有两个词"),
    ("bad.yaml", "categories:\n  - {code: ICV}\n", "新类目 ICV 须有名称"),
    ("bad.yaml", "categories:\n  - {code: K98, name: 新电缆}\n", "K98 不是 CCS 或 ICS 代码"),
    ("bad.yaml", "categories:\n  - {code: ICV, name: 车, parent: Z99X}\n", "ICV 的上级 Z99X 不是已知的类目"),
    ("bad.csv", "name,terms\n电缆,线\n", "bad.csv:1：表头须有 'code' 列"),
    ("bad.csv", "code,name\n,电缆\n", "bad.csv:2：code 为空"),
    ("bad.txt", "anything", "请用 .yaml、.yml 或 .csv 文件"),
])
def test_synthetic_malformed_user_file_is_one_line_bad_input(tmp_path, name, text, message):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(BadInput, match=message) as info:
        load_vocabulary([path])
    assert "\n" not in str(info.value)


def test_missing_user_file_is_bad_input(tmp_path):
    with pytest.raises(BadInput, match="不存在"):
        load_user_vocabulary(tmp_path / "none.yaml")
