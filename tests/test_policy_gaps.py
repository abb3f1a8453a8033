"""kb policy-gaps on the real Beijing policy (质量强国首善之区建设意见) and the real corpus: the
areas each clause names (with clause paths), their standards, the gaps; the extractor's
rules on sentences of that policy; XLSX; bad input."""
from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

import cli
from index.engine import KnowledgeIndex
from kb.categories import default_vocabulary
from kb.coverage import category_namer, load_policy, policy_gaps
from kb.errors import NotFound
from kb.paths import shipped_corpus_dir
from kb.policy_areas import extract_areas, noun_phrase
from tests.conftest import SHARED

pytestmark = pytest.mark.both_engines  # every index here is built by each engine in turn

runner = CliRunner()
TODAY = dt.date(2026, 11, 26)
POLICY_FILE = SHARED / "corpus" / "policy" / "质量强国首善之区建设意见.txt"
POLICY = "质量强国首善之区建设意见"


@pytest.fixture(scope="module")
def real(tmp_path_factory, kb_engine):
    corpus = tmp_path_factory.mktemp("corpus")
    for name in ("standards.jsonl", "texts.jsonl"):
        shutil.copy(shipped_corpus_dir() / name, corpus / name)
    index = tmp_path_factory.mktemp("home") / "index"
    dirs = ["--index", str(index), "--corpus", str(corpus)]
    assert runner.invoke(cli.app, [*dirs, "build", "--json"]).exit_code == 0
    kb = KnowledgeIndex.open(index)
    yield dirs, kb, corpus
    kb.close()


@pytest.fixture(scope="module")
def report(real):
    return policy_gaps(real[1], load_policy(POLICY, real[2]), today=TODAY)


def area(report: dict, name: str) -> dict:
    return next(a for a in report["areas"] if a["area"] == name)


# -- the extractor on sentences of the policy ------------------------------------------------------

def texts(text: str, names=None) -> list[tuple[str, str, str]]:
    return [(a.text, a.kind, a.how) for a in extract_areas(text, names)]


def test_enumeration_under_a_product_class():
    sentence = "加强对外墙保温材料、水泥、电线电缆、钢筋等重点建材产品质量监督抽查,严格建材使用单位质量责任。"
    assert texts(sentence) == [("外墙保温材料", "product", "enumeration"), ("水泥", "product", "enumeration"),
                               ("电线电缆", "product", "enumeration"), ("钢筋", "product", "enumeration")]


def test_enumeration_under_a_field_class():
    sentence = "聚焦智能制造与装备、医药健康、智能网联汽车等领域发展需求,加强先进技术应用"
    assert texts(sentence) == [("智能制造与装备", "product", "enumeration"), ("医药健康", "industry", "enumeration"),
                               ("智能网联汽车", "product", "enumeration")]


def test_two_lists_in_one_phrase():
    sentence = "开展机器人、物联网、城市轨道交通装备等中高端产品和体育、金融、电商等服务领域认证"
    assert [t for t, _, _ in texts(sentence)] == ["机器人", "物联网", "城市轨道交通装备", "体育", "金融", "电商"]


def test_head_phrases_lose_their_verbs_and_generic_modifiers():
    assert texts("加快构建高效便利的流通网络,提升冷链物流服务质量,推动流通服务模式创新升级。") == \
        [("冷链物流", "industry", "head"), ("流通服务", "industry", "head")]
    assert texts("加强基本养老服务标准化建设,开展养老服务机构服务质量达标活动和服务质量星级评定。") == \
        [("养老服务", "industry", "head")]
    assert noun_phrase("产业链质量升级计划在消费品") == "消费品"


def test_policy_words_and_quality_infrastructure_are_no_areas():
    assert texts("推动产业计量测试服务、标准化服务、检验检测认证服务、品牌咨询等新兴质量服务业态发展") == []
    assert texts("完善质量多元救济机制,落实质量保证金制度") == []


def test_vocabulary_rule_needs_the_vocabulary():
    sentence = "建设北京市疫苗检验中心,健全疫苗产业服务与监管体系"
    assert texts(sentence) == []
    assert texts(sentence, category_namer(default_vocabulary())) == [("疫苗", "product", "vocabulary")]


# -- the policy, clause by clause -----------------------------------------------------------------------

def test_policy_gaps_counts(report):
    assert report["doc"] == {"id": "policy:质量强国首善之区建设意见", "title": POLICY, "kind": "policy"}
    # 89 areas have no standard in this knowledge base at all: "not in the KB", not 缺口
    assert report["counts"] == {"areas": 101, "covered": 11, "gaps": 0, "not_in_kb": 90, "clauses_with_areas": 24}
    assert report["extent"]["standards"] == 1461 and "北京" in report["extent"]["provinces_without_local"]
    assert report["notes"][0].startswith("知识库范围：1,461 条标准")
    assert report["clauses_scanned"] == 72


def test_building_materials_clause(report):
    clause = next(c for c in report["clauses"] if c["path"] == "五(二)")
    assert clause["heading"] == "强化重大工程和城市更新质量保障"
    assert clause["areas"] == ["居住建筑", "公共建筑", "外墙保温材料", "水泥", "电线电缆", "钢筋"]
    assert (area(report, "外墙保温材料")["judgement"], area(report, "钢筋")["judgement"]) == ("not_in_kb", "not_in_kb")
    cables = area(report, "电线电缆")
    assert (cables["gap"], cables["in_force"], cables["clauses"]) == (False, 4, ["五(二)"])
    assert [s["number"] for s in cables["standards"]] == \
        ["SJ/T 12087.3-2025", "YD/T 6955-2026", "YD/T 6956-2026", "YD/T 7066-2026"]  # as `kb cover 电线电缆`
    assert cables["standards"][1]["reason"] == "title contains 通信电缆 (≈ 电缆) (synonym of 电线电缆)"
    assert cables["categories"][0] == "K13 电缆及其附件"
    cement = area(report, "水泥")  # SY/T 7877 油气井水泥环…: a well's cement sheath, no cement
    assert (cement["judgement"], cement["standards"]) == ("not_in_kb", [])


def test_named_areas_with_clause_paths_and_gaps(report):
    expected = {"智能网联汽车": (["三(四)", "专栏2/2"], "not_in_kb"), "冷链物流": (["六(一)"], "not_in_kb"),
                "养老服务": (["六(三)"], "not_in_kb"), "医疗器械": (["四(二)"], "covered"),
                "物联网": (["专栏6/3"], "covered"), "疫苗": (["四(二)"], "not_in_kb")}
    assert {name: (area(report, name)["clauses"], area(report, name)["judgement"]) for name in expected} == expected
    assert area(report, "智能网联汽车")["how"] == "enumeration"
    assert area(report, "冷链物流")["how"] == "head" and area(report, "疫苗")["how"] == "vocabulary"
    assert report["gaps"] == [] and report["not_in_kb"][:3] == ["信息技术", "医药健康", "生物医药"]


def test_covered_areas(report):
    assert [a["area"] for a in report["areas"] if a["judgement"] == "covered"] == \
        ["建筑", "交通", "应用软件", "医疗器械", "服装", "电线电缆", "乡村旅游", "公共交通", "创业服务", "商务", "物联网"]
    # the same matching as `kb cover 医疗器械`: by category (C45 机动轮椅车, C30 guessed) and by its kinds (医用 …)
    assert [s["number"] for s in area(report, "医疗器械")["standards"]] == \
        ["GB 12995-2006", "YS/T 1836-2026", "YS/T 1854-2026", "DB34/T 5502-2026", "DB44/T 2864-2026",
         "JJG 1078-2026", "JJG 806-2026", "JJG 543-2026"]


# -- the CLI ------------------------------------------------------------------------------------------------

def test_cli_json_and_human(real, report):
    data = json.loads(runner.invoke(cli.app, [*real[0], "policy-gaps", POLICY, "--json"]).stdout)
    assert data["counts"] == report["counts"]
    assert area(data, "冷链物流")["clauses"] == ["六(一)"]
    human = runner.invoke(cli.app, [*real[0], "policy-gaps", POLICY], env={"COLUMNS": "200"})
    assert human.exit_code == 0
    assert "24 个条款提到 101 个产品/行业领域，有在用标准 11 个，缺口 0 个，知识库未收录 90 个" in human.stdout
    assert "外墙保温材料" in human.stdout and "知识库未收录" in human.stdout and "五(二)" in human.stdout


def test_cli_reads_a_policy_file(real, report):
    result = runner.invoke(cli.app, [*real[0], "policy-gaps", str(POLICY_FILE), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["counts"] == report["counts"]


def test_cli_xlsx(real, tmp_path):
    target = tmp_path / "政策缺口.xlsx"
    result = runner.invoke(cli.app, [*real[0], "policy-gaps", POLICY, "--xlsx", str(target)], env={"COLUMNS": "300"})
    assert result.exit_code == 0 and f"已写入 {target}" in result.stdout
    book = load_workbook(target)
    assert book.sheetnames == ["领域", "缺口", "标准", "条款", "说明"]
    assert all(book[name].freeze_panes == "A2" for name in book.sheetnames)
    areas = book["领域"]
    assert [c.value for c in areas[1]][:7] == ["领域", "类型", "提取规则", "条款", "标准数", "在用标准数", "缺口或未收录"]
    cement_wall = next(r for r in areas.iter_rows(min_row=2, values_only=True) if r[0] == "外墙保温材料")
    assert cement_wall[:7] == ("外墙保温材料", "产品", "列举", "五(二)", 0, 0, "知识库未收录")
    assert book["缺口"].max_row == 91 and areas.max_row == 102


def test_bad_input(real, tmp_path):
    unknown = runner.invoke(cli.app, [*real[0], "policy-gaps", "不存在的政策"])
    assert unknown.exit_code == 1 and "错误：没有与 '不存在的政策' 对应的文本" in unknown.stderr
    missing = runner.invoke(cli.app, [*real[0], "policy-gaps", str(tmp_path / "nothing.txt")])
    assert missing.exit_code == 1 and "错误：没有文件" in missing.stderr
    unwritable = runner.invoke(cli.app, [*real[0], "policy-gaps", POLICY, "--xlsx", str(tmp_path / "no" / "x.xlsx")])
    assert unwritable.exit_code == 1 and "错误：无法写入" in unwritable.stderr
    assert "Traceback" not in unknown.output + missing.output + unwritable.output
    with pytest.raises(NotFound):
        load_policy("不存在的政策", real[2])


def test_empty_corpus(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "standards.jsonl").write_text("", encoding="utf-8")
    dirs = ["--index", str(tmp_path / "index"), "--corpus", str(corpus)]
    result = runner.invoke(cli.app, [*dirs, "policy-gaps", str(POLICY_FILE)])
    assert result.exit_code == 1 and "错误：知识库中没有任何标准" in result.stderr
