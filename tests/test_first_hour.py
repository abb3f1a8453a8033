"""Issue 14, the first hour of a new user: each rough edge a newcomer hit, on the shipped corpus."""
from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

import cli
from kb import render
from kb.changes import diff_records
from kb.paths import shipped_corpus_dir
from kb.records import Record, Source
from tests.conftest import SHARED

runner = CliRunner()


@pytest.fixture(scope="module")
def dirs(tmp_path_factory):
    corpus = tmp_path_factory.mktemp("corpus")
    for name in ("standards.jsonl", "texts.jsonl"):
        shutil.copy(shipped_corpus_dir() / name, corpus / name)
    index = tmp_path_factory.mktemp("home") / "index"
    built = runner.invoke(cli.app, ["--index", str(index), "--corpus", str(corpus), "build", "--json"])
    assert built.exit_code == 0, built.output
    return ["--index", str(index), "--corpus", str(corpus)]


def kb(dirs, *args, **kwargs):
    return runner.invoke(cli.app, [*dirs, *args], **kwargs)


# -- 1. words need no quotes ----------------------------------------------------------------

def test_search_takes_several_words(dirs):
    result = kb(dirs, "search", "计量器具", "强制检定", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["query"] == "计量器具 强制检定"
    clauses = kb(dirs, "search", "计量器具", "强制检定", "--clauses", "--json")
    assert clauses.exit_code == 0 and json.loads(clauses.stdout)["query"] == "计量器具 强制检定"


def test_get_joins_the_words_of_a_number(dirs):
    one = kb(dirs, "get", "DB23/T", "2419-2026", "--json")
    assert one.exit_code == 0, one.output
    assert json.loads(one.stdout)["number"] == "DB23/T 2419-2026"
    two = kb(dirs, "get", "DB23/T", "2419-2026", "db23t2419-2019", "YS/T", "575", "--json")
    assert [a["number"] for a in json.loads(two.stdout)] == ["DB23/T 2419-2026", "DB23/T 2419-2019", "YS/T 575.1-2026"]


def test_clause_outline_term_and_cover_take_several_words(dirs):
    clause = kb(dirs, "clause", "计量法", "实施细则", "第二十一条", "--json")
    assert clause.exit_code == 0, clause.output
    assert (json.loads(clause.stdout)["doc"]["title"], json.loads(clause.stdout)["path"]) == \
        ("中华人民共和国计量法实施细则", "第二十一条")
    assert kb(dirs, "clause", "标准化法第十条", "--json").exit_code == 0
    assert kb(dirs, "outline", "计量法", "实施细则", "--depth", "1", "--json").exit_code == 0
    assert kb(dirs, "term", "计量", "器具", "--json").exit_code == 0
    assert json.loads(kb(dirs, "cover", "水稻", "种植", "--json").stdout)["query"] == "水稻 种植"


def test_extra_words_where_one_is_expected_say_to_quote_in_chinese(dirs):
    result = kb(dirs, "parse", "auto", "a.html", "b.html")
    assert result.exit_code == 2
    assert result.stderr == ("错误：多余的参数：b.html（含空格的一整项请加引号）\n"
                             "提示：运行 `kb parse --help` 查看用法\n")


# -- 2. progress over every phase -------------------------------------------------------------

def test_build_json_reports_every_phase_with_counts_and_eta(dirs, tmp_path):
    result = runner.invoke(cli.app, ["--index", str(tmp_path / "ix"), "--corpus", dirs[3], "build", "--json"])
    events = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(e["event"], e.get("phase")) for e in events] == [
        ("start", None), ("progress", "records"), ("progress", "records"), ("progress", "records"),
        ("commit", "records"), ("phase", "clauses"), ("progress", "clauses"), ("commit", "clauses"), ("done", None)]
    assert [(e["done"], e["total"]) for e in events if e["event"] == "progress"] == \
        [(500, 1461), (1000, 1461), (1461, 1461), (9, 9)]
    assert all(isinstance(e["eta"], float) and e["eta"] >= 0 for e in events if e["event"] == "progress")
    assert events[-2 - 1]["clauses"] == events[-1]["clauses"] == 543


def test_the_bar_follows_the_phases():
    progress = render.Progress(False, "建立索引")
    progress({"event": "start", "action": "rebuild", "total": 1380, "generation": "gen-x"})
    task = progress._bar.tasks[0]
    assert (task.description, task.total) == ("建立索引 · 记录", 1380)
    progress({"event": "progress", "phase": "records", "done": 1380, "total": 1380})
    progress({"event": "commit", "phase": "records"})
    assert progress._bar.tasks[0].description == "建立索引 · 写入磁盘（记录）"
    progress({"event": "phase", "phase": "clauses", "total": 1106})
    task = progress._bar.tasks[0]
    assert (task.description, task.total, task.completed) == ("建立索引 · 条款", 1106, 0)
    progress({"event": "done"})
    assert progress._bar is None


# -- 3. output that never garbles -------------------------------------------------------------

def test_a_corpus_error_on_line_100_is_not_an_emoji(tmp_path):
    lines = (shipped_corpus_dir() / "standards.jsonl").read_text(encoding="utf-8").splitlines()
    lines[99] = '{"id": '
    (tmp_path / "standards.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = runner.invoke(cli.app, ["--index", str(tmp_path / "ix"), "--corpus", str(tmp_path), "build"])
    assert result.exit_code == 1
    assert f"{tmp_path / 'standards.jsonl'}:100: 无效的 JSON" in result.stderr and "💯" not in result.stderr


def test_stats_labels_the_kind_in_chinese(dirs):
    result = kb(dirs, "stats")
    assert "类型: 标准 1451" in result.stdout and "standard" not in result.stdout


def test_changes_label_an_implementation_date_as_such(tmp_path):
    source = Source("table", url="file:///清单.csv", fetched_at="2026-11-26T01:00:00+00:00")
    new = Record.for_number("GB/T 1.1-2020", title="标准化工作导则", status="upcoming",
                            implementation_date="2027-03-01", sources=[source])
    entries = diff_records({}, {new.id: new}, "import 清单.csv", when="2026-11-26")
    assert entries[0]["effective_date_kind"] == "implementation"
    (tmp_path / "changes.jsonl").write_text(json.dumps(entries[0], ensure_ascii=False) + "\n", encoding="utf-8")
    (tmp_path / "standards.jsonl").write_text(new.to_json() + "\n", encoding="utf-8")
    result = runner.invoke(cli.app, ["--corpus", str(tmp_path), "changes"], env={"COLUMNS": "200"})
    assert "实施 2027-03-01" in result.stdout and "发布 2027-03-01" not in result.stdout


def test_an_upcoming_standard_is_not_negative_years_old():
    record = Record.for_number("GB/T 1.1-2026", title="导则", status="upcoming", implementation_date="2027-03-01")
    assert record.age_years(dt.date(2026, 12, 2)) == 0.0


def test_search_shows_the_whole_title_not_a_fragment(dirs):
    result = kb(dirs, "search", "极端空间天气", env={"COLUMNS": "200"})
    assert "航空电子过程管理 大气辐射影响 第6部分：极端空间天气对航空电子设备环境和电子设备的潜在影响" in result.stdout


def test_status_help_names_unknown(dirs):
    assert "unknown" in kb(dirs, "search", "--help").stdout


def test_at_80_columns_numbers_and_urls_stay_whole(dirs):
    search = kb(dirs, "search", "计量", "--limit", "6", "--json")
    numbers = [hit["number"] for hit in json.loads(search.stdout)["hits"]]
    table = kb(dirs, "search", "计量", "--limit", "6", env={"COLUMNS": "80"}).stdout
    assert all(f"│ {number}" in table for number in numbers)
    record = json.loads(kb(dirs, "get", "DB23/T 2419-2019", "--json").stdout)
    shown = kb(dirs, "get", "DB23/T 2419-2019", env={"COLUMNS": "80"}).stdout
    assert any(line.endswith(record["sources"][0]["url"]) for line in shown.splitlines())


# -- 4. answers that say what they know ---------------------------------------------------------

def test_a_missing_edition_names_the_editions_that_exist(dirs):
    result = kb(dirs, "get", "DB23/T 2419-2018")
    assert result.exit_code == 1
    assert result.stderr == ("错误：知识库中没有 DB23/T 2419-2018；已收录的版本：DB23/T 2419-2026、DB23/T 2419-2019\n"
                             "提示：运行 `kb get DB23/T 2419` 查看现行版本和各版本\n")


def test_a_replaced_newest_edition_says_what_replaced_it(dirs):
    answer = json.loads(kb(dirs, "get", "AQ1051", "--json").stdout)
    assert answer["note"] == "AQ 1051 未注明年份，显示收录的最新版本 AQ 1051-2008（已被 KA 34-2026 代替）"


def test_an_empty_status_filter_says_why(dirs):
    data = json.loads(kb(dirs, "search", "水稻", "--status", "现行", "--json").stdout)
    assert data["total"] == 0
    assert data["note"].startswith("没有状态为现行的结果；不限状态有 12 条（未知 12）。状态“未知”的记录")
    assert "注：没有状态为现行的结果" in kb(dirs, "search", "水稻", "--status", "现行").stdout


def test_ingest_names_each_skipped_file_and_why_and_without_an_index_suggests_a_build(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(shipped_corpus_dir() / "standards.jsonl", corpus)
    laws = SHARED / "corpus" / "laws" / "经济法"
    result = runner.invoke(cli.app, ["--index", str(tmp_path / "ix"), "--corpus", str(corpus), "ingest", str(laws)],
                           env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert f"跳过 {laws / '_index.md'}：目录索引、模板或说明文件，不是文本" in result.stdout
    assert "还没有索引：运行 `kb build`" in result.stdout and "kb index update" not in result.stdout
    lines = runner.invoke(cli.app, ["--corpus", str(corpus), "ingest", str(laws), "--json"]).stdout.splitlines()
    data = json.loads(lines[-1])
    assert data["skipped_files"] == [{"path": str(laws / "_index.md"), "reason": "目录索引、模板或说明文件，不是文本"}]


# -- 5. errors for a Chinese user ------------------------------------------------------------------

@pytest.mark.parametrize("args, first_line", [
    (["search", "水稻", "--limit", "x"], "错误：--limit 的值无效：应为整数"),
    (["search", "水稻", "--nope"], "错误：没有选项 --nope"),
    (["nosuch"], "错误：没有命令 nosuch"),
    (["search", "水稻", "--status", "sleeping"], "错误：无法识别的状态 'sleeping'：可用 current, upcoming, withdrawn, replaced, unknown"),
])
def test_usage_errors_are_chinese(dirs, args, first_line):
    result = kb(dirs, *args)
    assert result.exit_code == 2 and result.stderr.splitlines()[0] == first_line


def test_index_on_a_file_is_one_clear_line(tmp_path):
    file = tmp_path / "index.txt"
    file.write_text("not a folder", encoding="utf-8")
    result = runner.invoke(cli.app, ["--index", str(file), "search", "水稻"])
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [f"错误：--index {file}：{file} 是文件，不是目录",
                                          "提示：--index 应指向一个目录（不存在时会自动创建）"]


def test_every_failure_under_json_ends_with_an_error_event(dirs):
    for args, code in ((["search", "水稻", "--level", "city"], 2), (["get", "GB/T 9999999-2020"], 1),
                       (["search", "水稻", "--limit", "x"], 2), (["clause", "没有这部法", "第一条"], 1)):
        result = kb(dirs, *args, "--json")
        last = json.loads(result.stdout.splitlines()[-1])
        assert result.exit_code == code, args
        assert (last["event"], last["exit_code"]) == ("error", code) and last["message"] in result.stderr


def test_ctrl_c_ends_with_130_and_the_error_event(dirs, monkeypatch):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("kb.stats.index_stats", interrupted)
    result = kb(dirs, "stats", "--json")
    assert result.exit_code == 130 and result.stderr == "错误：已中断（Ctrl-C）\n"
    assert json.loads(result.stdout.splitlines()[-1])["exit_code"] == 130


def test_csv_error_column_and_verify_details_are_chinese(dirs):
    rows = kb(dirs, "get", "DB23/T 2419-2026", "GB/T 9999999-2020", "--csv").stdout.splitlines()
    assert rows[0].endswith(",错误") and rows[2].endswith(",知识库中没有 GB/T 9999999-2020")
    checks = json.loads(kb(dirs, "index", "verify", "--json").stdout)["checks"]
    assert "索引 1461 条，语料 1461 条" in [c["detail"] for c in checks]


def test_group_help_has_examples():
    for group in ("index", "watch"):
        assert "Example: kb " in runner.invoke(cli.app, [group, "--help"]).stdout


# -- 7. set-up without noise ---------------------------------------------------------------------

ROOT = Path(__file__).resolve().parents[1]


def test_package_metadata_gives_setuptools_nothing_to_warn_about():
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert project["project"]["license"] == "MIT"  # an SPDX string, not the deprecated table
    assert project["build-system"]["requires"] == ["setuptools>=77"]  # the first to read it
    folders = {str(p.parent.relative_to(ROOT)).replace("/", ".") for p in ROOT.glob("*/**/*.py")
               if p.parts[len(ROOT.parts)] in ("kb", "index", "crawlers", "corpus")}
    data = {str(p.relative_to(ROOT)).replace("/", ".") for p in (ROOT / "kb" / "data", ROOT / "index" / "data")}
    assert folders | data <= set(project["tool"]["setuptools"]["packages"])  # no "package would be ignored"


def test_the_test_command_installs_the_browser_driver_and_a_cjk_font():
    script = (ROOT / "scripts" / "ensure-test-packages").read_text(encoding="utf-8")
    assert "PACKAGES=(chromium chromium-driver fonts-noto-cjk)" in script
    assert "\tscripts/ensure-test-packages\n" in (ROOT / "Makefile").read_text(encoding="utf-8")
    assert (ROOT / ".ci" / "run").read_text(encoding="utf-8").rstrip().endswith("make test")


def test_a_word_that_is_no_number_says_to_quote(dirs):
    result = kb(dirs, "get", "GB", "T", "1.1", "2020")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == ("错误：2020：不是标准号：'2020'（标准号以 GB/T、DB11/T、T/CAS 等代号开头）；"
                                              "若这些词是同一个标准号，请整体加引号，如 kb get \"GB/T 1.1-2020\"")


CJK = re.compile(r"[\u4e00-\u9fff]")


def _bad_input_commands(tmp: Path) -> list[list[str]]:
    """A representative set of bad input, one command each (files synthetic, in tmp)."""
    no_number = tmp / "synthetic_no_number.csv"
    no_number.write_text("名称,备注\n水稻种植,无\n", encoding="utf-8")
    empty = tmp / "synthetic_empty.csv"
    empty.write_text("", encoding="utf-8")
    blank_page = tmp / "synthetic_blank.html"
    blank_page.write_text("   ", encoding="utf-8")
    not_pages = tmp / "synthetic_not_saved_pages"
    not_pages.mkdir()
    return [
        ["search", "水稻", "--year", "12"], ["search", "水稻", "--level", "city"], ["search", "水稻", "--nope"],
        ["get", "XYZ abc"], ["get", "GB/T 9999999-2020"], ["get", "--from", str(no_number)],
        ["sync", "nosuch"], ["sync", "sacinfo"], ["crawl", "nowhere"], ["crawl", "sacinfo"],
        ["crawl", "openstd", "--query", "GB/T 1.1", "--max-pages", "0"],
        ["crawl", "openstd", "--query", "GB/T 1.1", "--since", "yesterday"],
        ["crawl", "openstd", "--query", "GB/T 1.1", "--base-url", "http://[::1"],
        ["cover", "量子引力波"], ["cover", "K99"], ["gaps", "--by", "nosuch"], ["changes", "--since", "nonsense"],
        ["check", "/dev/zero"], ["check", str(tmp / "nosuch.txt")], ["ingest", "/dev/zero"],
        ["import", "/dev/zero"], ["import", str(no_number)], ["import", str(empty)],
        ["import", "--saved-pages", str(not_pages)],
        ["parse", "openstd.detail", str(blank_page)], ["parse", "nosuch.parser", str(blank_page)],
        ["clause", "标准化法", "第九百条"], ["outline", "没有这部法"], ["term", "没有这个词的说法"],
        ["watch", "remove", "GB/T 1-2000"],
    ]


def test_bad_input_through_the_cli_is_chinese_on_every_line(dirs, tmp_path):
    """Every error line starts with 错误： and has Chinese in it; hints and warnings likewise."""
    env = {"KB_HOME": str(tmp_path / "home"), "COLUMNS": "200"}
    english = []
    for args in _bad_input_commands(tmp_path):
        result = kb(dirs, *args, env=env)
        lines = result.stderr.splitlines()
        assert result.exit_code not in (0, None) and lines, (args, result.output)
        assert "Traceback" not in result.output, args
        assert lines[0].startswith("错误：") or lines[0].startswith("警告："), (args, lines)
        assert any(line.startswith("错误：") for line in lines), (args, lines)
        english += [(args, line) for line in lines
                    if not line.startswith(("错误：", "提示：", "警告：")) or not CJK.search(line)]
    assert english == []


def test_corpus_line_errors_of_a_build_are_chinese(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    good = (shipped_corpus_dir() / "standards.jsonl").read_text(encoding="utf-8").splitlines()[:3]
    (corpus / "standards.jsonl").write_text("\n".join([*good, '{"id": "broken", ', '{"id": "X", "number": 7}',
                                                       '{"id": "Y", "number": "Y", "colour": 1}']) + "\n",
                                            encoding="utf-8")
    result = runner.invoke(cli.app, ["--index", str(tmp_path / "ix"), "--corpus", str(corpus), "build"])
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert [line.split(": ", 1)[-1] for line in lines[:3]] == [
        "无效的 JSON（第 19 个字符：Expecting property name enclosed in double quotes）",
        "X：number 须为字符串，而不是数字", "未知的字段：colour"]
    assert lines[-1] == "错误：语料中有 3 行无法读取；其余 3 条记录已建入索引"
    assert all(line.startswith(("警告：", "错误：")) and CJK.search(line) for line in lines)


@pytest.mark.parametrize("width", [80, 120])
def test_cover_reads_at_80_and_120_columns(dirs, width):
    from rich.cells import cell_len

    data = json.loads(kb(dirs, "cover", "J50", "--json").stdout)
    shown = kb(dirs, "cover", "J50", env={"COLUMNS": str(width)}).stdout
    rows = [line for line in shown.splitlines() if line.startswith("│")]
    assert all(cell_len(line) <= width for line in shown.splitlines() if line.startswith(("│", "┃", "┏")))
    cells = [[cell.strip() for cell in row.strip("│").split("│")] for row in rows]
    # every number and date whole on its row's first line; 分类 never stranded from its code
    for standard in data["standards"]:
        first = next(c for c in cells if c[0] == standard["number"])
        assert standard["issue_date"] in (" ".join(first) if width >= 110 else shown)
    reasons = [c[1].removeprefix("依据：") for c in cells] if width < 110 else [c[-1] for c in cells]
    assert not any(re.match(r"分类(?! [A-Z])", reason) for reason in reasons)
    assert all(c[0] == "" or c[0] in {s["number"] for s in data["standards"]} for c in cells)
    header = next(line for line in shown.splitlines() if line.startswith("┃"))
    if width == 80:  # four columns: the title cell holds why it matched
        assert [h.strip() for h in header.strip("┃").split("┃")] == ["标准号", "标准名称 · 匹配依据", "状态 · 发布日期", "标龄"]
        assert "依据：分类 J50（推断）" in shown
    else:
        assert [h.strip() for h in header.strip("┃").split("┃")] == ["标准号", "标准名称", "状态", "发布日期", "标龄", "匹配依据"]
        title = data["standards"][0]["title"]
        assert title in "".join(c[1] for c in cells[:3])
