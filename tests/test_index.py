"""Index build, search and lookup on the real shipped corpus."""
from __future__ import annotations

import datetime as dt
import shutil

import pytest

from index.build import rebuild
from index.engine import KnowledgeIndex
from kb.errors import BadQuery, NotFound, NumberError
from kb.paths import shipped_corpus_dir

pytestmark = pytest.mark.both_engines  # every index here is built by each engine in turn

TODAY = dt.date(2026, 11, 26)


@pytest.fixture(scope="module")
def kb(tmp_path_factory, kb_engine):
    corpus = tmp_path_factory.mktemp("corpus")
    shutil.copy(shipped_corpus_dir() / "standards.jsonl", corpus / "standards.jsonl")
    index_dir = tmp_path_factory.mktemp("index")
    report = rebuild(corpus, index_dir, today=TODAY)
    assert report.records == 1461 and not report.corpus_errors
    index = KnowledgeIndex.open(index_dir)
    yield index
    index.close()


@pytest.mark.parametrize("spelling", ["DB23/T 2419—2026", "db23t2419-2026", "ＤＢ２３／Ｔ　２４１９－２０２６",
                                      "DB23/T2419-2026", "db23/t 2419-2026"])
def test_number_lookup_in_any_spelling(kb, spelling):
    [record] = kb.lookup(spelling)
    assert record.title == "地理标志产品 佳木斯大米"
    assert record.replaces == ["DB23/T 2419-2019"]


def test_yearless_lookup_finds_every_edition(kb):
    found = sorted(r.number for r in kb.lookup("DB23/T2419"))
    assert found == ["DB23/T 2419-2019", "DB23/T 2419-2026"]


def test_replaced_edition_knows_its_replacement(kb):
    [old] = kb.lookup("DB23/T 2419-2019")
    assert old.status == "replaced" and old.replaced_by == ["DB23/T 2419-2026"]
    assert old.title == ""  # known only from the replaces field


def test_part_numbers_do_not_match_longer_parts(kb):
    numbers = {r.number for r in kb.lookup("YS/T 1115.1")} if _has(kb, "YS/T 1115.1") else set()
    assert not any(n.startswith("YS/T 1115.10") or n.startswith("YS/T 1115.13") for n in numbers)
    assert {r.number for r in kb.lookup("YS/T 1115.10")} == {"YS/T 1115.10-2026"}


def _has(kb, text):
    try:
        kb.lookup(text)
        return True
    except NotFound:
        return False


def test_search_rice_local_with_facets(kb):
    result = kb.search("水稻", level="local", limit=50)
    assert result.total >= 10
    assert all("水稻" in hit.title for hit in result.hits)
    assert all(hit.level == "local" for hit in result.hits)
    assert result.facets["level"] == {"local": result.total}
    assert set(result.facets["region"]) <= {"23", "32", "34", "21", "51", "63", "15"}
    assert "<em>水稻</em>" in result.hits[0].snippet


def test_quoted_phrase_matches_only_adjacent_words(kb):
    adjacent = kb.search('"水稻 种植"', limit=50)
    assert [h.title for h in adjacent.hits] == ["水稻种植旱平免搅浆技术规程"]
    loose = kb.search("水稻 种植", limit=50)
    assert loose.total > adjacent.total  # 盐碱地水稻高产种植… has both words, not adjacent


def test_number_query_in_search(kb):
    result = kb.search("DB23/T2419")
    assert result.matched_as == "number"
    assert {h.id for h in result.hits} == {"DB23/T 2419-2019", "DB23/T 2419-2026"}


def test_title_above_scope_and_status_filter(kb):
    replaced = kb.search("掘进机", status="replaced", limit=50)
    assert all(h.status == "replaced" for h in replaced.hits)


@pytest.mark.parametrize("query, error", [("", BadQuery), ('"unbalanced', BadQuery), ("的", BadQuery)])
def test_bad_queries(kb, query, error):
    with pytest.raises(error):
        kb.search(query)


def test_lookup_errors(kb):
    with pytest.raises(NumberError):
        kb.lookup("GB/T")
    with pytest.raises(NotFound):
        kb.lookup("GB/T 9999999-2020")
