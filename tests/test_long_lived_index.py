"""A long-lived KnowledgeIndex reopens on the serving generation when its own was removed
by later builds, before it first opens its clause index (issue 18, item 7)."""
from __future__ import annotations

import shutil

import pytest

from index import build, store
from index.engine import KnowledgeIndex
from kb.paths import shipped_corpus_dir

pytestmark = pytest.mark.both_engines  # every index here is built by each engine in turn


def test_clause_search_after_two_generation_switches(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name in ("standards.jsonl", "texts.jsonl"):
        shutil.copy(shipped_corpus_dir() / name, corpus)
    index_dir = tmp_path / "index"
    build.rebuild(corpus, index_dir)
    index = KnowledgeIndex.open(index_dir)
    first = index.generation.name
    try:
        build.rebuild(corpus, index_dir)
        build.rebuild(corpus, index_dir)  # the first generation is removed now
        assert not (index_dir / first).exists()
        result = index.search_clauses("标准化", limit=3)
        assert result.hits and index.generation.name == store.current_name(index_dir)
        assert index.lookup("AQ 1051-2008")[0].number == "AQ 1051-2008"
    finally:
        index.close()
