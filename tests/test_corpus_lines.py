"""One bad corpus line costs one line (issue 18, item 6): well-formed JSON of the wrong
types, lone surrogates, deep nesting and impossible dates are reported with file:line,
and every other line still loads and is indexed."""
from __future__ import annotations

import json

import pytest

from conftest import ANNOUNCEMENTS
from crawlers.importer import import_files
from kb.corpus import STANDARDS_FILE, load_records
from mirror import Mirror, Page

GOOD = {"id": "GB 1-2020", "number": "GB 1-2020", "title": "合成标准", "level": "national",
        "status": "current", "sources": [{"source": "table", "url": "file:///x.csv"}]}


def line(**changes) -> str:
    return json.dumps({**GOOD, **changes}, ensure_ascii=True)


MISTYPED = [
    (line(number=123), "GB 1-2020：number 须为字符串，而不是数字"),
    (line(sources=["x"]), "source 须为 JSON 对象，而不是字符串"),
    (line(sources="x"), "sources 须为列表，而不是字符串"),
    (line(ccs=[13]), "GB 1-2020：ccs 须为字符串列表"),
    (line(title={}), "GB 1-2020：title 须为字符串，而不是对象"),
    (line(title="\ud800"), "孤立的代理字符（\\ud800-\\udfff）不是有效的 Unicode 文本"),
    ("[" * 100_000 + "]" * 100_000, "无效的 JSON（嵌套过深）"),
    (line(issue_date="2026-99-99"), "GB 1-2020：issue_date '2026-99-99' 不是日期（YYYY-MM-DD）"),
    (line(replaces=[["x"]]), "GB 1-2020：replaces 须为字符串列表"),
    (line(force=7), "GB 1-2020：force 7 不是 mandatory、recommended、guidance 之一"),
    (line(replaces=["GB 1-2020"]), "GB 1-2020：标准不能代替自身"),
]


@pytest.mark.parametrize("bad, message", MISTYPED, ids=[m for _, m in MISTYPED])
def test_a_mistyped_line_is_reported_and_the_rest_loads(tmp_path, bad, message):
    path = tmp_path / STANDARDS_FILE
    other = json.dumps({**GOOD, "id": "GB 2-2020", "number": "GB 2-2020"})
    path.write_text(f"{other}\n{bad}\n", encoding="utf-8")
    loaded = load_records(path)
    assert [str(e) for e in loaded.errors] == [f"{path}:2: {message}"]
    assert list(loaded.records) == ["GB 2-2020"]


def test_a_surrogate_with_its_pair_is_text(tmp_path):
    path = tmp_path / STANDARDS_FILE
    path.write_text(line(title="\ud83d\ude00") + "\n", encoding="utf-8")
    assert load_records(path).records["GB 1-2020"].title == "\U0001f600"


def test_the_index_holds_every_good_line_beside_the_bad_ones(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    import cli

    corpus = tmp_path / "corpus"
    import_files([ANNOUNCEMENTS], corpus)
    lines = (corpus / STANDARDS_FILE).read_text(encoding="utf-8").splitlines()
    good = len(lines)
    (corpus / STANDARDS_FILE).write_text("\n".join(lines[:3] + [bad for bad, _ in MISTYPED] + lines[3:]) + "\n",
                                         encoding="utf-8")
    monkeypatch.setenv("KB_HOME", str(tmp_path / "home"))
    runner = CliRunner()
    built = runner.invoke(cli.app, ["--corpus", str(corpus), "index", "rebuild", "--json"])
    assert built.exit_code == 1, built.output  # skipped lines are a failure to report
    assert f"错误：语料中有 {len(MISTYPED)} 行无法读取；其余 {good} 条记录已建入索引" \
        in built.output
    stats = runner.invoke(cli.app, ["--corpus", str(corpus), "stats", "--json"])
    assert stats.exit_code == 0, stats.output
    assert json.loads(stats.stdout)["total"] == good


JJG = "https://jjg.spc.org.cn/resmea/api/standard/search/page"


def test_a_surrogate_in_a_crawled_json_page_costs_that_record_only(tmp_path):
    from crawlers.crawl import crawl
    from crawlers.fetch import FetchPolicy
    from conftest import PAGES

    page = json.loads((PAGES / "pilotstd" / "jjg_api_search.json").read_text(encoding="utf-8"))
    page["rows"][0]["title"] = "检定\ud800规程"
    body = json.dumps(page, ensure_ascii=True).encode("ascii")
    with Mirror() as mirror:
        mirror.add("GET", JJG, Page(200, body, {"Content-Type": "application/json;charset=UTF-8"}),
                   any_query=True)
        report = crawl("jjg", "检定", base_url=mirror.base_url, corpus_dir=tmp_path / "corpus",
                       home=tmp_path / "home", max_pages=1,
                       policy=FetchPolicy(allowed_hosts=(), delay=0, backoff=0, retries=0, timeout=5))
    stored = load_records(tmp_path / "corpus" / STANDARDS_FILE)
    assert stored.errors == []
    assert len(stored.records) == len(page["rows"]) - 1
    assert "JJG 2099-2026" not in stored.records
    assert report.quarantined == [(JJG + "?keyword=%E6%A3%80%E5%AE%9A&pageNum=1&pageSize=20",
                                   "JJG 2099-2026：某个字段含有孤立的代理字符（不是有效的 Unicode 文本）")]
