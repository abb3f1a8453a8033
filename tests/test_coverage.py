"""kb cover on the real corpus (水稻, K13, synonyms) and on a synthetic one (level order,
status order, region, withdrawn), through the library and the CLI; bad input."""
from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

import cli
from index.engine import KnowledgeIndex
from kb.coverage import cover, level_group, resolve_request
from kb.categories import default_vocabulary
from kb.errors import BadInput, NotFound
from kb.paths import shipped_corpus_dir
from kb.records import Record

pytestmark = pytest.mark.both_engines  # every index here is built by each engine in turn

runner = CliRunner()
TODAY = dt.date(2026, 11, 26)

# Word-level matching: 稻 finds 粳稻 (a two-character word ending in it), not 稻麦体系, 稻田养殖 or 稻曲病;
# 大米 (the processed product) is no synonym of the crop.
RICE = ["JB/T 15606-2026",
        "DB23/T 1307-2026", "DB23/T 4018-2026", "DB23/T 4021-2026", "DB23/T 4022-2026",
        "DB23/T 4027-2026", "DB23/T 4033-2026", "DB23/T 4039-2026", "DB23/T 4041-2026",
        "DB32/T 5422-2026", "DB32/T 5423-2026", "DB32/T 5425-2026", "DB32/T 5427-2026",
        "DB34/T 5503-2026"]  # 稻曲病 (rice false smut): a rice disease


def build(corpus, index) -> list[str]:
    result = runner.invoke(cli.app, ["--index", str(index), "--corpus", str(corpus), "build", "--json"])
    assert result.exit_code == 0, result.output
    return ["--index", str(index), "--corpus", str(corpus)]


@pytest.fixture(scope="module")
def real(tmp_path_factory, kb_engine):
    corpus = tmp_path_factory.mktemp("corpus")
    shutil.copy(shipped_corpus_dir() / "standards.jsonl", corpus / "standards.jsonl")
    dirs = build(corpus, tmp_path_factory.mktemp("home") / "index")
    index = KnowledgeIndex.open(Path(dirs[1]))
    yield dirs, index
    index.close()


def synthetic_records() -> list[Record]:
    """Cable standards at every level and status (with own CCS codes), for order and flags."""
    def make(number, title, **fields):
        return Record.for_number(number, title=title, **fields)
    return [
        make("T/CEEIA 6-2024", "电缆桥架", status="current", issue_date="2024-03-01", ccs=["K13"]),
        make("DB31/T 5-2023", "电缆隧道运行维护规范", status="current", issue_date="2023-05-01", ccs=["K13"]),
        make("DB11/T 4-2023", "电缆敷设施工规范", status="current", issue_date="2023-06-01", ccs=["K13"]),
        make("YD/T 3-2024", "通信电缆 聚乙烯护套", status="unknown", issue_date="2024-02-01"),
        make("GB/T 9-2026", "电缆导体", status="upcoming", issue_date="2026-06-01",
             implementation_date="2027-03-01", ccs=["K13"]),
        make("GB/T 2-2015", "电缆试验方法", status="current", issue_date="2015-01-01", ccs=["K13"],
             replaces=["GB/T 7-2010"]),
        make("GB 1-2020", "电缆安全要求", status="current", issue_date="2020-01-01", ccs=["K13"]),
        make("GB/T 7-2010", "电缆试验方法", status="replaced", issue_date="2010-01-01", ccs=["K13"]),
        make("GB/T 8-2012", "电缆用护层", status="withdrawn", issue_date="2012-01-01", ccs=["K13"],
             withdrawal_date="2020-01-01"),
        make("T/CAS 10-2024", "光纤熔接机", status="current", issue_date="2024-01-01", ccs=["M33"]),
        make("JB/T 11-2010", "屏蔽电泵", status="current", issue_date="2010-01-01", ccs=["J71"]),
        make("GB/T 12-2019", "通用硅酸盐水泥 化学分析", status="withdrawn", issue_date="2019-01-01", ccs=["Q11"]),
        make("NY/T 13-2026", "稻谷干燥技术规范", status="upcoming", issue_date="2026-10-01",
             implementation_date="2027-01-01", ccs=["B22"]),
    ]


@pytest.fixture(scope="module")
def synthetic_corpus(tmp_path_factory, kb_engine):
    corpus = tmp_path_factory.mktemp("synthetic")
    (corpus / "standards.jsonl").write_text("".join(r.to_json() + "\n" for r in synthetic_records()),
                                            encoding="utf-8")
    dirs = build(corpus, tmp_path_factory.mktemp("synthetic-home") / "index")
    index = KnowledgeIndex.open(Path(dirs[1]))
    yield dirs, index
    index.close()


def numbers(result: dict) -> list[str]:
    return [s["number"] for s in result["standards"]]


def by_number(result: dict, number: str) -> dict:
    return next(s for s in result["standards"] if s["number"] == number)


# -- the real corpus ------------------------------------------------------------------------

def test_cover_rice_lists_the_rice_standards_of_the_corpus(real):
    result = cover(real[1], "水稻", today=TODAY)
    assert result["mode"] == "term"
    assert [c["code"] for c in result["categories"]] == ["B22"]
    assert numbers(result) == RICE  # industry before local; then by number (same date, same status)
    salt = by_number(result, "DB23/T 4021-2026")
    assert (salt["title"], salt["matched_by"], salt["reason"]) == \
        ("盐碱地水稻高产种植技术规程", ["title"], "title contains 水稻")
    assert (salt["level_label"], salt["status"], salt["status_display"], salt["in_force"], salt["age_years"]) == \
        ("地方标准", "unknown", "现行（未确认）", True, 0.3)
    assert result["counts"] == {"standards": 14, "in_force": 14, "unconfirmed": 14,
                                "by_level": {"industry": 1, "local": 13}, "by_status": {"unknown": 14},
                                "hidden_withdrawn": 0}
    assert any("按现行（未确认）处理" in n for n in result["notes"])


def test_cover_rice_finds_titles_that_use_a_synonym(real):
    result = cover(real[1], "水稻", today=TODAY)
    assert "DB23/T 2419-2026" not in numbers(result)  # 佳木斯大米: rice, the product, not the crop
    assert by_number(result, "DB32/T 5422-2026")["reason"] == "title contains 粳稻 (≈ 稻) (synonym of 水稻)"


def test_a_synonym_with_no_title_of_its_own_finds_the_others(real):
    result = cover(real[1], "稻谷", today=TODAY)  # no title says 稻谷
    assert numbers(result) == RICE
    assert by_number(result, "DB23/T 4021-2026")["reason"] == "title contains 水稻 (synonym of 稻谷)"


def test_cable_term_finds_titles_by_its_synonyms(real):
    result = cover(real[1], "电线电缆", today=TODAY)
    assert numbers(result) == ["SJ/T 12087.3-2025", "YD/T 6955-2026", "YD/T 6956-2026", "YD/T 7066-2026"]
    assert by_number(result, "YD/T 6955-2026")["reason"] == "title contains 通信电缆 (≈ 电缆) (synonym of 电线电缆)"
    assert by_number(result, "YD/T 6956-2026")["reason"] == "title contains 光电混合缆 (a kind of 电线电缆)"
    assert by_number(result, "SJ/T 12087.3-2025")["reason"] == "title contains 线缆 (synonym of 电线电缆)"


def test_cover_k13_by_ccs_code(real):
    result = cover(real[1], "K13", today=TODAY)
    assert result["mode"] == "code"
    assert result["categories"][0]["label"] == "K13 电缆及其附件"
    assert numbers(result) == ["SJ/T 12087.3-2025", "YD/T 6955-2026", "YD/T 7066-2026"]
    coax = by_number(result, "YD/T 6955-2026")
    assert coax["matched_by"] == ["code", "title"]
    assert coax["reason"].startswith("classified K13 (0.52): title term 通信电缆 → K13 电缆及其附件"
                                     "（S71 说明：通信电缆入K13）")
    assert coax["match"] == "分类 K13（推断）；标题含“通信电缆”"
    assert by_number(result, "YD/T 7066-2026")["reason"] == "title contains 通信电缆 (≈ 电缆) (K13 name)"
    terms = [t["term"] for t in result["terms"]]
    assert terms[0] == "电缆" and set(terms[1:3]) == {"信号电缆", "通信电缆"} and "线缆" in terms  # name, notes sending here


def test_code_query_uses_note_terms_but_not_everyday_words():
    vocabulary = default_vocabulary()
    request = resolve_request("Q11", vocabulary)
    assert [t for t, _ in request.terms] == ["水泥"]  # the name; scope-note words are the classifier's evidence
    request = resolve_request("K13", vocabulary)
    assert request.exclusions == ["电子设备电缆"]  # the note sends it to L91


def test_a_category_name_searches_the_category_and_the_word(real):
    result = cover(real[1], "水泥", today=TODAY)
    assert result["mode"] == "name"
    assert [c["code"] for c in result["categories"]] == ["Q11"]
    # 油气井|水泥|环|密封…: the head character 环 ends the word before it (水泥环, a well's cement sheath)
    assert numbers(result) == []
    assert any("知识库中没有覆盖“水泥”的标准" in n for n in result["notes"])


def test_include_withdrawn_adds_the_earlier_editions_with_their_replacement(real):
    result = cover(real[1], "佳木斯大米", include_withdrawn=True, today=TODAY)
    assert numbers(result) == ["DB23/T 2419-2026", "DB23/T 2419-2019"]
    old = by_number(result, "DB23/T 2419-2019")
    assert (old["status"], old["replaced_by"], old["matched_by"], old["age_years"]) == \
        ("replaced", ["DB23/T 2419-2026"], ["edition"], 7.9)


def test_region_keeps_only_that_regions_local_standards(real):
    result = cover(real[1], "水稻", region="32", today=TODAY)
    assert numbers(result) == ["JB/T 15606-2026", "DB32/T 5422-2026", "DB32/T 5423-2026", "DB32/T 5425-2026",
                               "DB32/T 5427-2026"]
    assert any("地方标准只列本地区的" in n for n in result["notes"])


def test_cli_cover_json_csv_and_human(real):
    dirs = real[0]
    data = json.loads(runner.invoke(cli.app, [*dirs, "cover", "K13", "--json"]).stdout)
    assert set(data) >= {"query", "categories", "standards"}
    assert data["query"] == "K13" and data["categories"][0]["code"] == "K13"
    assert set(data["standards"][0]) >= {"number", "title", "level", "status", "matched_by"}
    csv_out = runner.invoke(cli.app, [*dirs, "cover", "水稻", "--csv"]).stdout.splitlines()
    assert csv_out[0] == "标准号,标准名称,层级,状态,发布日期,实施日期,标龄(年),被代替为,地区,匹配依据,匹配说明,匹配原因"
    assert len(csv_out) == 15 and csv_out[4].startswith("DB23/T 4021-2026,盐碱地水稻高产种植技术规程,地方标准,现行（未确认）")
    human = runner.invoke(cli.app, [*dirs, "cover", "水稻"])
    assert human.exit_code == 0
    assert "行业标准" in human.stdout and "地方标准" in human.stdout and "DB23/T 4021-2026" in human.stdout
    assert "现行（未确认）" in human.stdout


# -- synthetic corpus: order, status, flags of cover ---------------------------------------------

def test_levels_in_order_mandatory_national_first_current_first(synthetic_corpus):
    result = cover(synthetic_corpus[1], "K13", today=TODAY)
    assert numbers(result) == ["GB 1-2020", "GB/T 2-2015", "GB/T 9-2026", "YD/T 3-2024", "DB11/T 4-2023",
                               "DB31/T 5-2023", "T/CEEIA 6-2024"]
    assert [s["level_label"] for s in result["standards"]][:3] == ["强制性国家标准", "推荐性国家标准", "推荐性国家标准"]
    assert by_number(result, "GB/T 2-2015")["overdue"] is True
    inferred = by_number(result, "YD/T 3-2024")  # no code of its own: classified by its title
    assert inferred["matched_by"] == ["code", "title"] and inferred["reason"].startswith("classified K13")
    assert by_number(result, "GB 1-2020")["reason"] == "own CCS code K13; title contains 电缆 (K13 name)"
    assert result["counts"]["hidden_withdrawn"] == 2
    assert any("2 条被代替或废止的标准未列出" in n for n in result["notes"])


def test_withdrawn_and_replaced_come_last_with_their_replacement(synthetic_corpus):
    result = cover(synthetic_corpus[1], "K13", include_withdrawn=True, today=TODAY)
    national = [(s["number"], s["status"], s["replaced_by"]) for s in result["standards"]
                if s["level_group"] == "national_recommended"]
    assert national == [("GB/T 2-2015", "current", []), ("GB/T 9-2026", "upcoming", []),
                        ("GB/T 7-2010", "replaced", ["GB/T 2-2015"]), ("GB/T 8-2012", "withdrawn", [])]


def test_level_group_names():
    assert level_group(Record.for_number("GB 4943.1-2022")) == "national_mandatory"
    assert level_group(Record.for_number("GB/Z 41270.6-2026")) == "national_guidance"
    assert level_group(Record.for_number("JJG 1028-2024")) == "metrology"


# -- bad input ------------------------------------------------------------------------------------

def test_unknown_category_is_a_clear_error(real):
    result = runner.invoke(cli.app, [*real[0], "cover", "量子引力波"])
    assert result.exit_code == 1
    assert "错误：没有与 '量子引力波' 相符的类目" in result.stderr
    assert "Traceback" not in result.output


def test_unknown_ccs_code_is_a_clear_error(real):
    result = runner.invoke(cli.app, [*real[0], "cover", "K99"])
    assert result.exit_code == 1 and "错误：未知的 CCS 分类号 K99" in result.stderr


def test_empty_query_is_bad_input(real):
    with pytest.raises(BadInput):
        cover(real[1], "  ", today=TODAY)
    assert runner.invoke(cli.app, [*real[0], "cover", " "]).exit_code == 2


def test_empty_corpus_is_a_clear_error(tmp_path):
    (tmp_path / "corpus").mkdir()
    (tmp_path / "corpus" / "standards.jsonl").write_text("", encoding="utf-8")
    dirs = ["--index", str(tmp_path / "index"), "--corpus", str(tmp_path / "corpus")]
    result = runner.invoke(cli.app, [*dirs, "cover", "水稻"])
    assert result.exit_code == 1
    assert "错误：知识库中没有任何标准" in result.stderr
    assert "Traceback" not in result.output


def test_a_word_no_category_knows_still_finds_titles(real):
    with pytest.raises(NotFound):
        raise resolve_request("盐碱地", default_vocabulary()).not_found
    result = cover(real[1], "盐碱地", today=TODAY)
    assert numbers(result) == ["DB23/T 4021-2026", "DB23/T 4042-2026", "DB54/T 0661-2026"]
    # the nearest categories: those its matching standards are classified in
    assert [c["code"] for c in result["categories"]] == ["B05"]
    assert result["categories"][0]["reason"] == "2 of the 3 matching standards are classified B05"
    assert result["notes"][0].startswith("“盐碱地”不是类目名称：按标题和范围中的词")


def test_words_match_on_word_boundaries_only(real):
    """氢 never matches 硫化氢, nor 汽车 (a category name) its scope-note words; 钢材, with no
    category, finds the kinds of steel the vocabulary lists and the nearest categories."""
    cars = cover(real[1], "汽车", today=TODAY)
    assert numbers(cars) == ["JB/T 15566-2026", "YB/T 6434-2026", "DB12/T 3054-2026"]
    # 小客车 guessed into T42 at 0.40 only: a guess below COVER_CONFIDENCE lists nothing by code alone
    assert cars["notes"][-1].startswith("另有 1 条标准只因建索引时推断的类目（置信度低于 0.45）")
    steel = cover(real[1], "钢材", today=TODAY)
    assert steel["mode"] == "term" and steel["categories"][0]["code"] == "H46"
    assert by_number(steel, "YB/T 6508-2026")["reason"] == "title contains 钢板 (a kind of 钢材)"
    assert "YS/T 1842-2026" not in numbers(steel)  # 铜铝复合扁线材
    medical = cover(real[1], "医疗器械", today=TODAY)
    assert numbers(medical) == ["GB 12995-2006", "YS/T 1836-2026", "YS/T 1854-2026", "DB34/T 5502-2026",
                                "DB44/T 2864-2026", "JJG 1078-2026", "JJG 806-2026", "JJG 543-2026"]
    assert by_number(medical, "YS/T 1854-2026")["reason"] == "title contains 医用 (a kind of 医疗器械)"
    assert by_number(medical, "JJG 543-2026")["reason"] == "title contains 心电图机 (a kind of 医疗器械)"
    assert numbers(cover(real[1], "Q11", today=TODAY)) == []  # 水泥环 is no cement


def test_a_product_used_as_a_setting_or_worked_by_a_tool_is_not_covered(real):
    """eval/cover/README.md: grazing inside a PV plant is no PV standard; a glass greenhouse, a
    diamond grinding head for glass and a polishing powder for glass substrates are no glass standards."""
    pv = numbers(cover(real[1], "光伏", today=TODAY))
    assert "SJ/T 12056-2025" in pv and "DB34/T 5501-2026" in pv  # PV modules, household PV grid connection
    assert not {"DB54/T 0663-2026", "DB54/T 0664-2026", "DB54/T 0665-2026", "DB54/T 0666-2026"} & set(pv)
    glass = numbers(cover(real[1], "玻璃", today=TODAY))
    assert not {"DB34/T 5449-2026", "JB/T 12545-2026", "XB/T 529-2026"} & set(glass)
    assert "JB/T 12545-2026" in numbers(cover(real[1], "磨头", today=TODAY))  # the tool itself still is


def test_a_generic_word_proposes_no_category():
    resolved = resolve_request("计量器具", default_vocabulary()).resolved
    assert [r.category.code for r in resolved] == ["A50", "A50/64"]  # not 器具's W90/99 纺织机械与器具


def test_a_long_query_is_one_clear_error(real):
    result = runner.invoke(cli.app, [*real[0], "cover", "水" * 4000])
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines()[0] == "错误：查询过长：4000 个字符，最多 100 个（请给出分类号、类目名称或产品词）"
    senses, part = default_vocabulary().senses_for_word("电缆" * 2000)  # linear: the longest term bounds each part
    assert part == "电缆"


# -- gaps and stats from the index's coverage facts ----------------------------------------------

def test_gaps_state_the_extent_and_flag_what_the_real_records_show(real):
    from kb.coverage import gap_report

    report = gap_report(real[1], today=TODAY)
    extent = report["extent"]
    assert (extent["standards"], extent["status_known"], extent["status_unknown"]) == (1461, 350, 1111)
    assert extent["by_level"] == {"national_mandatory": 13, "national_recommended": 39, "national_guidance": 17,
                                  "industry": 862, "local": 519, "group": 1, "metrology": 10}
    assert extent["sources"]["announcement.json"] == 1364 and "北京" in extent["provinces_without_local"]
    flagged = {row["code"]: row["flags"] for row in report["rows"] if row["flags"]}
    assert flagged["B32"] == ["no_current", "withdrawn_unreplaced"] and flagged["A80"] == ["all_overdue"]
    notes = report["notes"]
    assert notes[0].startswith("知识库范围：1,461 条标准（强制性国家标准 13、推荐性国家标准 39、国家标准化指导性技术文件 17、"
                               "行业标准 862、地方标准 519、团体标准 1、计量技术法规 10）")
    ccs_note = next(n for n in notes if "没有自带 CCS 分类号" in n)
    assert ccs_note.startswith("1,461 条标准中 1,419 条没有自带 CCS 分类号（42 条自带）")  # not "1037 lack CCS"
    assert all(e["judgement"] == "知识库未收录" for e in report["views"]["ccs"]["empty"])


def test_gaps_with_no_flagged_row_say_why(real):
    from kb.coverage import gap_report

    report = gap_report(real[1], level="local", region="23", today=TODAY)  # Heilongjiang's local standards
    assert report["rows"] and not any(row["flags"] for row in report["rows"])
    why = next(n for n in report["notes"] if n.startswith("没有被标记的行："))
    assert f"{len(report['rows'])} 行中每一行都至少有一条现行" in why


def test_stats_count_from_the_index(real):
    result = runner.invoke(cli.app, [*real[0], "stats", "--json"])
    data = json.loads(result.stdout)
    assert (data["total"], data["level"]) == (1461, {"industry": 862, "local": 519, "national": 69, "metrology": 10, "group": 1})
    assert sum(data["status"].values()) == 1461 and data["kind"] == {"standard": 1451, "metrology": 10}


def test_an_index_built_before_coverage_facts_asks_for_a_rebuild(tmp_path):
    from index import store

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "standards.jsonl").write_text("".join(r.to_json() + "\n" for r in synthetic_records()[:3]),
                                            encoding="utf-8")
    dirs = build(corpus, tmp_path / "index")
    meta_path = store.open_generation(tmp_path / "index").path / store.META
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    meta["schema"] = 2  # the schema before coverage facts were indexed
    meta_path.write_text(json.dumps(meta), encoding="utf-8")
    for command in (["cover", "K13"], ["gaps"], ["stats"], ["policy-gaps", "质量强国首善之区建设意见"]):
        result = runner.invoke(cli.app, [*dirs, *command])
        assert result.exit_code == 5, command
        assert "由 schema/analyzer 2/" in result.stderr and "提示：运行 `kb index rebuild`" in result.stderr


@pytest.mark.parametrize("title, words", [
    # real titles of corpus/standards.jsonl
    ("油气井水泥环密封完整性评价方法及技术要求", ["油气井", "水泥环", "密封", "完整性", "评价", "方法", "技术要求"]),
    ("心电图机检定规程", ["心电图机", "检定规程"]),  # a head character ends the word before it
    ("寒地水稻机插秧1次施肥及诊断避损技术规程", ["寒地", "水稻", "机插秧", "1", "次施肥", "诊断", "避损", "技术规程"]),
    ("藏猪猪流行性腹泻防治技术规范", ["藏猪", "猪流行性", "腹泻", "防治", "技术规范"]),
    ("铈镨钕氧化物", ["铈", "镨", "钕", "氧化物"]),  # rare-earth elements stay words of their own
    ("可插拔掺铒光纤放大器 第2部分：QSFP系列", ["可插拔", "掺铒", "光纤", "放大器", "第", "2", "部分", "qsfp", "系列"]),
    ("面向车联网应用场景高精度定位卫星增强定位技术要求和测试方法",
     ["面向", "车联网", "应用", "场景", "高精度", "定位", "卫星", "增强", "定位", "技术要求", "测试方法"]),
    # a facility named after a product is one word (index/data/userdict.txt): the title is about the facility
    ("光伏电站绵羊放牧管理技术规程", ["光伏电站", "绵羊", "放牧", "管理", "技术规程"]),
    ("玻璃温室建造技术与验收规范", ["玻璃温室", "建造", "技术", "验收", "规范"]),
    # a tool or consumable: what it works on is no word of the title, down to the series name
    ("液晶显示器玻璃基板用稀土抛光粉", ["用", "稀土", "抛光粉"]),
    ("超硬磨料制品触摸屏玻璃加工用金刚石磨头", ["超硬", "磨料", "制品", "用", "金刚石", "磨头"]),
    ("汽车空气悬架用弹簧扁钢", ["汽车", "空气", "悬架", "用", "弹簧", "扁钢"]),  # a material made for a car stays
])
def test_coverage_words_of_real_titles(title, words):
    from index.coverage_fields import words_of

    assert words_of(title) == words
