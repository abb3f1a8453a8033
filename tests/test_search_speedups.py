"""The search fast paths (index/whoosh_engine/speedups.py, WhooshIndex) give Whoosh's own answers.

On an index of the shipped corpus: unscored matching sets equal Whoosh's
docs_for_query, in-memory field lengths equal the column reads, facet counts and
totals equal Whoosh's groupedby counts, and cached filters equal fresh ones.
"""
from __future__ import annotations

import pytest
from whoosh import sorting
from whoosh.codec import whoosh3
from whoosh.query import And, Or, Phrase, Term

from conftest import ROOT
from index.build import rebuild
from index.engine import Filters, KnowledgeIndex
from index.fields import FACET_FIELDS, RECORD_TEXT_FIELDS
from index.whoosh_engine.search import filter_query, text_query
from index.query import parse_query
from index.whoosh_engine.speedups import matching_ids, term_ids


@pytest.fixture(scope="module")
def kb(tmp_path_factory):
    index_dir = tmp_path_factory.mktemp("index")
    rebuild(ROOT / "corpus", index_dir, engine="whoosh")  # Whoosh fast paths only
    kb = KnowledgeIndex.open(index_dir)
    yield kb
    kb.close()


QUERIES = ["水稻", "技术规程", "水稻 技术", '"种植技术"', "煤矿 安全", "通信", "检测 方法"]


@pytest.mark.parametrize("text", QUERIES)
def test_matching_ids_equal_whoosh(kb, text):
    query = text_query(parse_query(text), RECORD_TEXT_FIELDS)
    assert matching_ids(kb._searcher, query) == set(kb._searcher.docs_for_query(query))


def test_term_ids_read_whole_blocks_in_order(kb):
    reader = kb._searcher.reader()
    ids = term_ids(reader, "level", "local")
    assert ids == list(reader.postings("level", "local").all_ids())
    assert len(ids) == 519
    assert term_ids(reader, "level", "no-such-level") == []


def test_and_or_phrase_filters(kb):
    s = kb._searcher
    for query in (And([Term("level", "local"), Term("status", "unknown")]),
                  Or([Term("region", "23"), Term("region", "32")]),
                  Phrase("title", ["种植", "技术"])):
        assert matching_ids(s, query) == set(s.docs_for_query(query))


def test_field_lengths_in_memory_equal_column_reads(kb):
    reader = kb._searcher.reader()
    perdoc = reader._perdoc
    for name in ("title", "scope", "dept", "number_key", "level"):
        fresh = whoosh3.W3PerDocReader(perdoc._storage, perdoc._segment)
        for docnum in range(reader.doc_count_all()):
            assert perdoc.doc_field_length(docnum, name) == _column_length(fresh, docnum, name)


def _column_length(perdoc, docnum, fieldname, default=0):
    """Whoosh's own doc_field_length, reading the column one byte at a time."""
    reader = perdoc._cached_reader(whoosh3._lenfield(fieldname), whoosh3.LENGTHS_COLUMN)
    if reader is None:
        return default
    lbyte = reader[docnum]
    if lbyte:
        return whoosh3.byte_to_length(lbyte)
    return None


@pytest.mark.parametrize("text,filters", [("水稻", {}), ("技术规程", {}), ("技术", {"level": "local"}),
                                          ("标准", {"level": "industry", "status": "replaced"})])
def test_totals_and_facets_equal_whoosh_groupedby(kb, text, filters):
    result = kb.search(text, **filters)
    query = text_query(parse_query(text), RECORD_TEXT_FIELDS)
    groupedby = {name: sorting.FieldFacet(name, maptype=sorting.Count) for name in FACET_FIELDS}
    whoosh = kb._searcher.search(query, limit=10, filter=filter_query(Filters(**filters)), groupedby=groupedby)
    assert result.total == len(whoosh)
    for name in FACET_FIELDS:
        expected = {k: v for k, v in whoosh.groups(name).items() if k}
        assert result.facets[name] == dict(sorted(expected.items(), key=lambda kv: (-kv[1], kv[0])))
    assert [h.id for h in result.hits] == [hit["id"] for hit in whoosh[:10]]


def test_cached_filter_is_reused_and_not_changed(kb):
    first = kb.search("技术", level="local", facets=False)
    allowed = kb._filter_ids(Filters(level="local"))
    size = len(allowed)
    second = kb.search("规程", level="local", facets=False)
    assert kb._filter_ids(Filters(level="local")) is allowed and len(allowed) == size == 519
    assert first.total and second.total


def test_a_filter_that_allows_nothing_finds_nothing(kb):
    result = kb.search("技术", level="metrology")
    assert (result.total, result.hits) == (0, [])
    assert result.facets == {"level": {}, "status": {}, "region": {}}


def test_meta_json_stays_small_and_update_reads_hashes_json(kb):
    import json

    from index import store

    generation = store.open_generation(kb.index_dir)
    meta = json.loads((generation.path / store.META).read_text(encoding="utf-8"))
    assert "record_hashes" not in meta and meta["records"] == 1461
    assert len(generation.record_hashes) == 1461
    assert generation.record_hashes == json.loads((generation.path / store.HASHES).read_text(encoding="utf-8"))


@pytest.mark.parametrize("text", QUERIES)
def test_remembered_bm25f_scores_equal_whoosh_scores(kb, text, monkeypatch):
    from whoosh import scoring

    from index.whoosh_engine import speedups

    fast = [(h.id, h.score) for h in kb.search(text, facets=False, limit=50).hits]

    def whoosh_init(self, searcher, fieldname, txt, B, K1, qf=1):
        speedups._bm25f_init(self, searcher, fieldname, txt, B, K1, qf)

    monkeypatch.setattr(scoring.BM25FScorer, "__init__", whoosh_init)
    monkeypatch.setattr(scoring.BM25FScorer, "score", scoring.WeightLengthScorer.score)
    assert [(h.id, h.score) for h in kb.search(text, facets=False, limit=50).hits] == fast


def test_mapped_file_reads_pickles_and_bytes_without_copying_the_whole_file():
    import pickle

    from index.whoosh_engine.speedups import MappedFile

    long_value = ["电线电缆"] * 5000  # longer than the pickle window
    data = pickle.dumps({"a": 1}, -1) + pickle.dumps(long_value, -1) + b"tail"
    view = memoryview(bytearray(b"xx" + data))[2:]
    f = MappedFile(view)
    assert f.read_pickle() == {"a": 1}
    assert f.read_pickle() == long_value
    assert f.read(4) == b"tail" and f.read(1) == b""
    f.seek(0)
    assert f.read_pickle() == {"a": 1}
    assert f.get(len(data) - 4, 4) == b"tail"


def test_bisecting_skip_to_lands_where_whoosh_lands(kb):
    from index.whoosh_engine.speedups import _whoosh_skip_to

    reader = kb._searcher.reader()
    for field, text in (("level", "industry"), ("status", "unknown"), ("title", "技术规程")):
        for target in range(0, reader.doc_count_all() + 3, 7):
            ours, theirs = reader.postings(field, text), reader.postings(field, text)
            ours.skip_to(target)
            _whoosh_skip_to(theirs, target)
            assert ours.is_active() == theirs.is_active()
            if ours.is_active():
                assert ours.id() == theirs.id()
