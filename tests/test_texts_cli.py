"""Clause lookup and clause search through the CLI, on the shipped texts (real laws and the Beijing policy)."""
from __future__ import annotations

import json
import shutil

import pytest
from typer.testing import CliRunner

import cli
from kb.paths import shipped_corpus_dir
from tests.conftest import SHARED

pytestmark = pytest.mark.both_engines  # every index here is built by each engine in turn

runner = CliRunner()


@pytest.fixture(scope="module")
def dirs(tmp_path_factory, kb_engine):
    corpus = tmp_path_factory.mktemp("corpus")
    for name in ("standards.jsonl", "texts.jsonl"):
        shutil.copy(shipped_corpus_dir() / name, corpus / name)
    index = tmp_path_factory.mktemp("home") / "index"
    result = runner.invoke(cli.app, ["--index", str(index), "--corpus", str(corpus), "build"])
    assert result.exit_code == 0, result.output
    return ["--index", str(index), "--corpus", str(corpus)]


def kb(dirs, *args):
    return runner.invoke(cli.app, [*dirs, *args])


@pytest.mark.parametrize("ref", ["第十条", "10", "第10条"])
def test_law_article_in_every_form(dirs, ref):
    result = kb(dirs, "clause", "标准化法", ref, "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["doc"]["title"] == "中华人民共和国标准化法"
    assert data["path"] == "第十条"
    assert data["text"].startswith("对保障人身健康和生命财产安全、国家安全、生态环境安全")


def test_full_title_alias_and_human_output(dirs):
    result = kb(dirs, "clause", "中华人民共和国产品质量法", "第二十六条")
    assert result.exit_code == 0
    assert result.stdout.splitlines()[1] == "第二十六条"
    assert "生产者应当对其生产的产品质量负责" in result.stdout


def test_policy_subsection_and_box(dirs):
    sub = json.loads(kb(dirs, "clause", "质量强国首善之区建设意见", "八(一)", "--json").stdout)
    assert (sub["path"], sub["heading"]) == ("八(一)", "加强质量基础设施能力建设")
    assert json.loads(kb(dirs, "clause", "质量强国首善之区建设意见", "八、（一）", "--json").stdout)["path"] == "八(一)"
    box = json.loads(kb(dirs, "clause", "质量强国首善之区建设意见", "专栏6", "--json").stdout)
    assert box["heading"] == "夯实质量基础设施"
    assert [c["path"] for c in box["children"]] == ["专栏6/1", "专栏6/2", "专栏6/3"]


def test_outline_of_the_policy(dirs):
    data = json.loads(kb(dirs, "outline", "质量强国首善之区建设意见", "--depth", "1", "--json").stdout)
    sections = [node["path"] for node in data["outline"] if node["kind"] == "section"]
    assert sections == ["一", "二", "三", "四", "五", "六", "七", "八", "九", "十"]


def test_term_with_its_source_clause(dirs):
    entries = json.loads(kb(dirs, "term", "计量器具", "--json").stdout)
    first = entries[0]
    assert first["doc"]["title"] == "中华人民共和国计量法实施细则"
    assert first["definition"].startswith("能用以直接或间接测出被测对象量值的装置")


def test_clause_search_puts_the_metrology_laws_first(dirs):
    data = json.loads(kb(dirs, "search", "计量器具", "--clauses", "--json").stdout)
    assert set(data) == {"query", "total", "matched_as", "hits"}
    top = data["hits"][:5]
    assert {h["doc_title"] for h in top} <= {"中华人民共和国计量法", "中华人民共和国计量法实施细则"}
    assert all("<em>计量器具</em>" in h["snippet"] for h in top)
    # Only the newest version of 计量法实施细则 is searched.
    assert not any(h["doc"] == "law:计量法实施细则@2018-03-19" for h in data["hits"])


def test_clause_search_of_a_question_and_by_words(dirs):
    data = json.loads(kb(dirs, "search", "买了不合格的秤被罚款怎么办", "--clauses", "--json").stdout)
    assert data["matched_as"] == "ranked"
    assert (data["hits"][0]["doc_title"], data["hits"][0]["path"]) == ("中华人民共和国计量法", "第二十四条")
    words = json.loads(kb(dirs, "search", "计量器具", "--clauses", "--words", "--json").stdout)
    assert words["matched_as"] == "text" and all("<em>计量器具</em>" in h["snippet"] for h in words["hits"])


def test_unknown_clause_and_document(dirs):
    missing = kb(dirs, "clause", "标准化法", "第九十九条")
    assert missing.exit_code == 1
    assert missing.stderr.startswith("错误：中华人民共和国标准化法（law:标准化法@2017-11-04）中没有条款 '第九十九条'")
    unknown = kb(dirs, "clause", "不存在的法", "第一条")
    assert unknown.exit_code == 1 and "Traceback" not in unknown.output


def test_ingest_then_update_makes_new_texts_searchable(dirs, tmp_path):
    corpus = tmp_path / "corpus"
    shutil.copytree(dirs[3], corpus)
    args = ["--index", str(tmp_path / "ix"), "--corpus", str(corpus)]
    assert runner.invoke(cli.app, [*args, "build"]).exit_code == 0
    law = SHARED / "corpus" / "laws" / "经济法" / "农产品质量安全法(2022-09-02).md"
    ingested = runner.invoke(cli.app, [*args, "ingest", str(law), "--json"])
    assert ingested.exit_code == 0, ingested.output
    updated = runner.invoke(cli.app, [*args, "index", "update", "--json"])
    assert json.loads(updated.stdout.splitlines()[-1])["clauses"] > 543
    hits = json.loads(runner.invoke(cli.app, [*args, "search", "农产品质量安全标准", "--clauses", "--json"]).stdout)["hits"]
    assert hits[0]["doc_title"] == "中华人民共和国农产品质量安全法"
    verify = runner.invoke(cli.app, [*args, "index", "verify"])
    assert verify.exit_code == 0, verify.output
