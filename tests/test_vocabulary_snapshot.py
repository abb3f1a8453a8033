"""The vocabulary snapshot readers cut queries with yields exactly jieba's tokens.

Readers (KnowledgeIndex) cut with jieba's own code over a snapshot of the loaded
dictionary instead of loading it (index.analysis). These tests compare every token
(text, position, offsets; index and query mode) with the full dictionary's on the
real corpus: every title and department of corpus/standards.jsonl and the texts of
the quality-infrastructure laws in ../shared/corpus/laws.
"""
from __future__ import annotations

import json

import pytest

from conftest import ROOT, SHARED
from index import analysis

LAWS = [SHARED / "corpus" / "laws" / name for name in (
    "经济法/标准化法(2017-11-04).md", "经济法/计量法(2018-10-26).md", "经济法/产品质量法(2018-12-29).md",
    "民法典/总则.md")]


def corpus_texts() -> list[str]:
    texts = []
    for line in (ROOT / "corpus" / "standards.jsonl").read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        texts += [record["title"], record["dept"], record["scope"]]
    for path in LAWS:
        texts += path.read_text(encoding="utf-8").splitlines()
    return [t for t in texts if t.strip()]


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory):
    path = analysis.save_vocabulary(tmp_path_factory.mktemp("index"))
    return analysis.snapshot_tokenizer(path)


def test_the_law_files_exist():
    assert all(path.exists() for path in LAWS)


def test_snapshot_holds_the_loaded_dictionary(snapshot):
    full = analysis.jieba_tokenizer()
    assert snapshot.total == full.total
    assert snapshot.FREQ.get("电线电缆") == full.FREQ["电线电缆"]
    assert "电线电" in snapshot.FREQ and snapshot.FREQ["电线电"] == 0  # prefixes are kept, with 0
    assert snapshot.FREQ.get("电线电缆检") is None and "电线电缆检" not in snapshot.FREQ


def test_snapshot_cuts_the_corpus_like_jieba(snapshot):
    full = analysis.jieba_tokenizer()
    differ = [text for text in corpus_texts()
              if list(snapshot.cut(text, HMM=False)) != list(full.cut(text, HMM=False))]
    assert differ == []


def test_analyzer_tokens_are_identical_with_the_snapshot(snapshot, monkeypatch):
    texts = corpus_texts()
    analyzer = analysis.chinese_analyzer()

    def tokens(mode):
        return [[(t.text, t.pos, t.startchar, t.endchar) for t in analyzer(text, positions=True, chars=True, mode=mode)]
                for text in texts]

    analysis.jieba_tokenizer()
    expected = {mode: tokens(mode) for mode in ("index", "query")}
    monkeypatch.setattr(analysis, "_jieba", None)
    monkeypatch.setattr(analysis, "_snapshot", snapshot)
    assert analysis.current_tokenizer() is snapshot
    assert {mode: tokens(mode) for mode in ("index", "query")} == expected


def test_a_reader_uses_the_snapshot_a_build_saved(tmp_path, monkeypatch):
    analysis.save_vocabulary(tmp_path)
    monkeypatch.setattr(analysis, "_jieba", None)
    monkeypatch.setattr(analysis, "_snapshot", None)
    assert analysis.use_vocabulary(tmp_path) is True
    assert analysis.current_tokenizer() is analysis._snapshot
    assert analysis.analyze("电线电缆检测方法") == ["电线电缆", "检测方法"]


def test_without_a_snapshot_the_reader_loads_jieba(tmp_path, monkeypatch):
    monkeypatch.setattr(analysis, "_snapshot", None)
    assert analysis.use_vocabulary(tmp_path) is False
    assert analysis._snapshot is None
