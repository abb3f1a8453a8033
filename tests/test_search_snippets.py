"""--json snippets mark only the highlights (issue 18, item 4): a title's own HTML is
escaped, and the terminal shows the title as it is, highlights in bold."""
from __future__ import annotations

import json

import pytest

from typer.testing import CliRunner

import cli
from index.build import rebuild
from index.engine import KnowledgeIndex
from kb.corpus import STANDARDS_FILE, write_records
from kb.records import Record, Source

pytestmark = pytest.mark.both_engines  # every index here is built by each engine in turn

TITLE = '<img src=x onerror="alert(1)"> 水稻 <em>种植</em> & 管理规范'


def synthetic_corpus(folder):
    source = Source("table", "file:///synthetic.csv")
    write_records(folder / STANDARDS_FILE, [
        Record.for_number("DB23/T 9001-2026", title=TITLE, status="current", sources=[source]),
        Record.for_number("DB23/T 9002-2026", title="玉米栽培规范", scope="<b>水稻</b>以外的作物",
                          status="current", sources=[source])])


def test_a_title_with_html_is_escaped_and_only_highlights_are_marked(tmp_path):
    synthetic_corpus(tmp_path)
    rebuild(tmp_path, tmp_path / "index")
    index = KnowledgeIndex.open(tmp_path / "index")
    try:
        [hit] = [h for h in index.search("水稻", limit=5).hits if h.number == "DB23/T 9001-2026"]
    finally:
        index.close()
    # the fragment starts at the first word (whoosh's context fragmenter)
    assert hit.snippet == 'img src=x onerror="alert(1)"&gt; <em>水稻</em> &lt;em&gt;种植&lt;/em&gt; &amp; 管理规范'
    assert hit.title == TITLE


def test_the_terminal_shows_the_title_itself(tmp_path, monkeypatch):
    synthetic_corpus(tmp_path)
    monkeypatch.setenv("KB_HOME", str(tmp_path / "home"))
    runner = CliRunner()
    assert runner.invoke(cli.app, ["--corpus", str(tmp_path), "index", "rebuild"]).exit_code == 0
    found = runner.invoke(cli.app, ["--corpus", str(tmp_path), "search", "水稻", "--json"])
    snippets = {h["number"]: h["snippet"] for h in json.loads(found.stdout)["hits"]}
    assert snippets["DB23/T 9002-2026"] == "b&gt;<em>水稻</em>&lt;/b&gt;以外的作物"
    from rich.text import Text

    from kb.render import emphasis

    shown = Text.from_markup(emphasis(snippets["DB23/T 9001-2026"]))
    assert shown.plain == 'img src=x onerror="alert(1)"> 水稻 <em>种植</em> & 管理规范'
    assert [shown.plain[span.start:span.end] for span in shown.spans] == ["水稻"]
