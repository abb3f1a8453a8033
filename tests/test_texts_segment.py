"""Clause segmentation on the real Beijing policy, real laws and the synthetic GB/T 1.1 standard."""
from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kb.texts.model import Document
from kb.texts.readers import read_markdown, read_text
from kb.texts.segment import segment, segment_text
from kb.texts.segment_law import segment_law
from kb.texts.segment_policy import segment_policy
from kb.texts.segment_standard import cited_numbers, segment_standard

ROOT = Path(__file__).resolve().parents[1]
SHARED = (ROOT / ".." / "shared").resolve()
POLICY = SHARED / "corpus" / "policy" / "质量强国首善之区建设意见.txt"
LAWS = SHARED / "corpus" / "laws"
STANDARD = ROOT / "tests" / "fixtures" / "synthetic_standard_gbt.txt"


def law_tree(relative: str):
    path = LAWS / relative
    return segment_law(read_markdown(path.read_bytes(), path.name).text)


@pytest.fixture(scope="module")
def policy():
    return segment_policy(read_text(POLICY.read_bytes(), POLICY.name).text)


@pytest.fixture(scope="module")
def standard():
    return segment_standard(read_text(STANDARD.read_bytes(), STANDARD.name).text)


# -- the Beijing policy -----------------------------------------------------------------

def test_policy_top_sections(policy):
    sections = [(c.path, c.heading) for c in policy.of_kind("section")]
    assert sections == [
        ("一", "总体要求"), ("二", "提升经济发展质量效益"), ("三", "构筑产业质量竞争优势"),
        ("四", "推动产品质量提档升级"), ("五", "提升建设工程品质"), ("六", "提升“北京服务”品牌竞争力"),
        ("七", "激发市场主体提质增效新动能"), ("八", "构建高水平质量基础设施"),
        ("九", "推进质量治理能力现代化"), ("十", "组织保障")]
    assert policy.roots == ["前文", "一", "二", "三", "四", "五", "六", "七", "八", "九", "十"]


def test_policy_subsections(policy):
    counts = {c.path: len([k for k in policy.children(c) if k.kind == "subsection"])
              for c in policy.of_kind("section")}
    assert counts == {"一": 2, "二": 5, "三": 4, "四": 4, "五": 3, "六": 3, "七": 3, "八": 3, "九": 5, "十": 3}
    assert policy.get("八").children == ["八(一)", "八(二)", "八(三)", "专栏6"]
    first = policy.get("一(一)")
    assert (first.label, first.heading, first.parent, first.level) == ("(一)", "指导思想", "一", 2)
    assert first.text.startswith("以习近平新时代中国特色社会主义思想为指导")
    lead = policy.get("八(一)")
    assert lead.heading == "加强质量基础设施能力建设"
    assert lead.text.startswith("实施质量基础设施能力提升行动,")


def test_policy_goals_keep_their_dash_lines_as_text(policy):
    goals = policy.get("一(二)")
    assert goals.heading == "发展目标" and goals.children == []
    lines = goals.text.split("\n")
    assert len(lines) == 8
    assert lines[1].startswith("——经济发展质量效益明显提升。")
    assert lines[-1].startswith("到2035年,")


def test_policy_boxes_and_items(policy):
    boxes = [(c.path, c.parent, c.heading, len(c.children)) for c in policy.of_kind("box")]
    assert boxes == [
        ("专栏1", "三", "提升高精尖产业质量竞争力", 3), ("专栏2", "四", "促进重点产品质量提升", 3),
        ("专栏3", "五", "提升建设工程质量管理水平", 3), ("专栏4", "六", "打造“北京服务”品牌", 3),
        ("专栏5", "七", "实施质量管理数字化赋能", 2), ("专栏6", "八", "夯实质量基础设施", 3),
        ("专栏7", "九", "推进质量监管现代化", 2)]
    item = policy.get("专栏6/3")
    assert (item.kind, item.label, item.heading, item.parent) == ("box_item", "——", "发挥检验检测认证作用", "专栏6")
    assert item.text.startswith("大力推行高端品质认证")


def test_policy_clause_count_and_preamble(policy):
    assert len(policy) == 72  # 前文 + 10 sections + 35 subsections + 7 boxes + 19 box items
    assert policy.get("前文").text.startswith("为深入贯彻落实中共中央、国务院《质量强国建设纲要》")
    last = policy.get("十(三)")
    assert last.text.endswith("重大事项及时向市委、市政府请示报告。")  # boilerplate stripped


# -- laws ----------------------------------------------------------------------------------

def test_standardization_law_articles():
    tree = law_tree("经济法/标准化法(2017-11-04).md")
    assert len(tree.of_kind("article")) == 45
    assert [c.path for c in tree.of_kind("chapter")] == ["第一章", "第二章", "第三章", "第四章", "第五章", "第六章"]
    assert tree.get("第一章").heading == "总则"
    tenth = tree.get("第十条")
    assert tenth.parent == "第二章" and tenth.label == "第十条"
    assert tenth.text.startswith("对保障人身健康和生命财产安全")
    assert len(tenth.children) == 5
    second = tree.get("第二条")
    assert second.children == ["第二条第一款", "第二条第二款", "第二条第三款"]
    assert tree.get("第二条第三款").text == "强制性标准必须执行。国家鼓励采用推荐性标准。"
    assert tree.get("第一条").children == []  # one paragraph: no 款 children
    review = tree.get("第二十九条第二款")
    assert "标准的复审周期一般不超过五年" in review.text  # DOMAIN.md: 第二十九条 第二款


def test_items_hang_from_their_paragraph_or_article():
    tree = law_tree("行政法规/计量法实施细则(2022-03-29).md")
    fourth = tree.get("第四条")
    assert fourth.children == ["第四条第一款", "第四条第二款"]
    assert tree.get("第四条第一款").children == [f"第四条第一款第{n}项" for n in "一二三四"]
    item = tree.get("第四条第一款第一项")
    assert (item.kind, item.label, item.text) == ("item", "第一项", "经国家鉴定合格；")
    assert "（一）经国家鉴定合格；" in tree.get("第四条第一款").text


def test_parts_sections_and_inserted_articles():
    tree = law_tree("诉讼与非诉讼程序法/刑事诉讼法(2018-10-26).md")
    assert tree.get("第二编第一章").heading == "立案"
    assert tree.get("第二编第二章第二节").heading == "讯问犯罪嫌疑人"
    assert tree.get("第二编第二章第二节").parent == "第二编第二章"
    criminal = law_tree("刑法/刑法.md")
    inserted = criminal.get("第十七条之一")
    assert inserted.label == "第十七条之一" and inserted.text.startswith("已满七十五周岁的人故意犯罪的")
    constitution = law_tree("宪法/宪法.md")
    assert constitution.roots[0] == "序言"
    assert constitution.get("序言").text.startswith("中国是世界上历史最悠久的国家之一。")


def test_arabic_numbers_and_unspaced_labels_in_plain_text():
    text = "第一章 总则\n第1条 为了测试，制定本法。\n第2条本法适用于测试。\n第二条规定的事项另行规定。\n第3条之一 插入的条文。"
    tree = segment_law(text)
    assert [c.path for c in tree.of_kind("article")] == ["第一条", "第二条", "第三条之一"]
    assert tree.get("第二条").text == "本法适用于测试。\n第二条规定的事项另行规定。"


def test_table_of_contents_is_skipped():
    text = "目　录\n第一章　总　则\n第二章　附　则\n第一章 总则\n第一条 甲。\n第二章 附则\n第二条 乙。"
    tree = segment_law(text)
    assert [c.path for c in tree] == ["第一章", "第一条", "第二章", "第二条"]
    assert tree.get("第一章").heading == "总则"


# -- the synthetic standard -------------------------------------------------------------

def test_standard_front_parts_and_chapters(standard):
    assert standard.roots == ["封面", "前言", "引言", "1", "2", "3", "4", "5", "6", "附录A", "附录B", "参考文献", "索引"]
    assert [standard.get(p).heading for p in ["1", "2", "3", "4", "5", "6"]] == [
        "范围", "规范性引用文件", "术语和定义", "缩略语", "服务要求", "评价与改进"]
    assert standard.get("前言").text.startswith("本文件按照GB/T 1.1—2020")
    assert "目" not in standard.get("封面").text.split("\n")  # the table of contents is dropped


def test_standard_normative_references(standard):
    assert standard.get("2").refs == ["GB/T 19000-2016", "GB/T 27000", "JJF 1001-2011", "GB/T 24421.1"]
    assert standard.get("参考文献").refs == ["GB/T 1.1-2020", "GB/T 20000.1-2014", "JJF 1139-2005"]


def test_standard_terms(standard):
    terms = [(c.path, c.heading) for c in standard.of_kind("term")]
    assert terms == [("3.1", "质量基础设施 quality infrastructure"), ("3.2", "一站式服务 one-stop service"),
                     ("3.3", "服务站点 service site"), ("3.4", "服务时限 service time limit")]
    assert standard.get("3.2").text == "在一个服务窗口或平台上提供多项质量基础设施服务的服务方式。"
    assert standard.get("3.1").children == ["3.1/注"]
    assert standard.get("3.3/示例").text == "设在经济技术开发区的计量、检验检测联合服务站。"
    assert standard.get("3.4").children == ["3.4/注1", "3.4/注2"]


def test_standard_numbered_clauses_to_depth_five(standard):
    assert standard.get("5.2").children == ["5.2.1", "5.2.2", "5.2.3", "5.2.4"]
    deep = standard.get("5.2.1.3.1")
    assert (deep.level, deep.parent, deep.refs) == (5, "5.2.1.3", ["JJF 1071-2010"])
    assert standard.get("5.2.1.3").heading == "校准服务"
    assert standard.get("5.1.1").heading == "" and standard.get("5.1.1").text.startswith("服务机构应建立")
    assert standard.get("5.2.2").children == ["5.2.2/示例1", "5.2.2/示例2"]
    assert standard.get("5.2.1.3.2/注").text == "校准周期的确定可参考JJF 1139—2005。"
    staff = standard.get("5.4")  # a) b) and 1) 2) list items stay in their clause's text
    assert (staff.heading, staff.children) == ("服务人员", [])
    assert staff.text.split("\n")[1:3] == ["a）熟悉计量、标准、认证认可和检验检测的基本知识；", "b）掌握服务流程，能够："]


def test_standard_tables_figures_and_annexes(standard):
    table = standard.get("表1")
    assert (table.kind, table.heading, table.parent) == ("table", "服务流程各阶段要求", "5.3.1")
    assert table.text.split("\n")[0] == "阶段\t要求\t时限"
    assert table.children == ["表1/注"]
    assert standard.get("图1").heading == "一站式服务流程"
    annex = standard.get("附录A")
    assert (annex.label, annex.heading, annex.children) == ("附录A（规范性）", "服务能力评价指标", ["A.1", "A.2"])
    assert standard.get("附录B").label == "附录B（资料性）"
    assert standard.get("A.2.2").parent == "A.2"
    assert standard.get("表A.1").parent == "A.2.1"
    assert len(standard) == 57


def test_standard_with_full_width_numbers():
    tree = segment_standard("１　范围\n本文件规定了１项要求。\n２ 要求\n２．１ 总则\n２．１．１ 应符合ＧＢ／Ｔ　１．１—２０２０。\n"
                            "附录Ａ\n（资料性）\n示例\nＡ．１ 概述")
    assert [c.path for c in tree] == ["1", "2", "2.1", "2.1.1", "附录A", "A.1"]
    assert tree.get("1").text == "本文件规定了１项要求。"  # the text keeps its printed form
    assert tree.get("2.1.1").text == "应符合ＧＢ／Ｔ　１．１—２０２０。"
    assert tree.get("2.1.1").refs == ["GB/T 1.1-2020"]
    assert (tree.get("附录A").label, tree.get("附录A").heading) == ("附录A（资料性）", "示例")


def test_cited_numbers_in_any_spelling():
    assert cited_numbers("按ＧＢ／Ｔ　２８２８．１—２０１２和SAC/TC 151、ICS 03.120.10的规定") == ["GB/T 2828.1-2012"]


# -- odd input degrades, never crashes ---------------------------------------------------------

ODD = [
    ("law", "", 0, set()),
    ("law", "没有任何结构的一段话。\n又一段话。", 2, {"block"}),
    ("policy", "一、甲\n一、乙\n(一)丙", 2, {"section", "subsection"}),  # the duplicate 一、 stays text
    ("policy", "（一）全角\n(二)半角\n（三）全角", 3, {"subsection"}),
    ("policy", "三、从三开始\n四、接着", 2, {"section"}),
    ("law", "第一条 甲。\n第一条 又一个第一条。", 2, {"article"}),
    ("standard", "1 范围\n1 范围\n2\n3.1.1 没有父条", 1, {"chapter"}),
    ("standard", "5.2\n\n\n9999 x", 2, {"block"}),
    ("policy", "1.从一开始\n3.跳号\n（2）不从一开始", 1, {"point"}),
    ("law", "第十条之 缺号\n第条 无号\n（一）\n第一百二三条 坏数字", 2, {"preamble", "subsection"}),
]


@pytest.mark.parametrize("kind,text,count,kinds", ODD)
def test_odd_text_degrades(kind, text, count, kinds):
    tree = segment_text(kind, text)
    assert len(tree) == count
    assert {c.kind for c in tree} == kinds


def test_duplicate_article_numbers_get_distinct_paths():
    tree = segment_law("第一条 甲。\n第一条 又一个第一条。")
    assert [c.path for c in tree] == ["第一条", "第一条#2"]


def test_segment_dispatches_and_falls_back():
    doc = Document.create("policy", "测试办法", "第一条 按条文写的政策。\n第二条 也能分条。")
    assert [c.path for c in segment(doc)] == ["第一条", "第二条"]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["一、", "(一)", "（二）", "1.", "（1）", "专栏1", "——", "第一条 ", "第二章 ",
                                 "5.2 ", "附录A", "A.1 ", "表1 ", "注：", "示例", "甲乙", "。", "\n", " ", "第",
                                 "条", "之", "十", "２", "３.", "(", "）"]), max_size=40),
       st.sampled_from(["law", "policy", "standard"]))
def test_random_text_never_crashes(pieces, kind):
    text = "".join(pieces)
    tree = segment_text(kind, text)
    assert len(set(c.path for c in tree)) == len(tree)
    for clause in tree:
        assert clause.parent == "" or clause.parent in tree
        assert all(child in tree for child in clause.children)


def test_full_text(policy):
    box = policy.get("专栏6")
    full = policy.full_text(box)
    assert full.split("\n")[0] == "夯实质量基础设施"
    assert "—— 保持标准化领先优势\n支持高精尖产业" in full
    tree = law_tree("经济法/标准化法(2017-11-04).md")
    assert tree.full_text(tree.get("第十条")) == tree.get("第十条").text  # articles already hold their 款
    assert tree.full_text(tree.get("第二章")).split("\n")[1].startswith("第十条 对保障人身健康")
