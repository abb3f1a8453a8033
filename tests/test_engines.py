"""The two engines behind one contract (index.engine): on the shipped corpus both hold the
same tokens, give the same totals, facets, lookups, coverage answers and stats, and rank
alike; a generation is opened only by the engine that built it."""
from __future__ import annotations

import json
import shutil
import statistics

import pytest
import tantivy
import whoosh.index
from typer.testing import CliRunner

import cli
from index import build, store
from index.engine import KnowledgeIndex
from index.fields import RECORD_FIELDS, RECORDS
from index.tantivy_engine.schema import folder
from index.tantivy_engine.search import TantivyIndex
from index.whoosh_engine.search import WhooshIndex
from kb.corpus import STANDARDS_FILE
from kb.coverage import cover, gap_report
from kb.errors import VersionMismatch
from kb.paths import shipped_corpus_dir
from kb.stats import index_stats

runner = CliRunner()
QUERIES = ["水稻", "技术规程", "水稻 技术", '"种植技术"', "煤矿 安全", "通信", "检测 方法", "安全生产", "地理标志",
           "铁路", "石油 天然气", "电力", "钢", "water"]
FILTERED = [("技术", {"level": "local"}), ("规范", {"status": "current"}),
            ("规范", {"region": "23"}), ("规程", {"year": 2026})]
NUMBERS = ["DB23/T 2419-2026", "DB23/T 2419", "db23t2419-2019", "AQ 1051-2008", "GB 11120", "JJG 1189.1-2026", "KA 34-2026"]
COVER_TERMS = ["水稻", "汽车", "医疗器械", "水泥", "钢材", "K13", "煤矿"]


@pytest.fixture(scope="module")
def indexes(tmp_path_factory):
    built = {}
    for engine in ("whoosh", "tantivy"):
        index_dir = tmp_path_factory.mktemp(engine)
        build.rebuild(shipped_corpus_dir(), index_dir, engine=engine)
        built[engine] = KnowledgeIndex.open(index_dir)
    yield built
    for kb in built.values():
        kb.close()


def test_each_generation_is_opened_by_its_own_engine(indexes):
    assert isinstance(indexes["whoosh"], WhooshIndex) and isinstance(indexes["tantivy"], TantivyIndex)
    for engine, kb in indexes.items():
        assert kb.meta["engine"] == engine


def whoosh_terms(kb, field: str) -> dict[str, int]:
    ix = whoosh.index.open_dir(str(kb.generation.path), indexname=RECORDS)
    with ix.reader() as reader:
        return {text.decode("utf-8") if isinstance(text, bytes) else text: reader.doc_frequency(field, text)
                for text in reader.lexicon(field)}


def tantivy_terms(kb, field: str) -> dict[str, int]:
    searcher = tantivy.Index.open(str(folder(kb.generation.path, RECORDS))).searcher()
    return dict(searcher.terms_with_prefix(field, ""))


@pytest.mark.parametrize("field", [name for name, spec in RECORD_FIELDS.items() if spec.kind in ("text", "keywords", "id")])
def test_both_engines_index_the_same_tokens(indexes, field):
    """Every indexed field holds the same terms with the same document frequencies: our
    analyzers cut the text for both engines."""
    ours = whoosh_terms(indexes["whoosh"], field)
    assert ours, field
    assert tantivy_terms(indexes["tantivy"], field) == ours


@pytest.mark.parametrize("text", QUERIES)
def test_same_totals_facets_and_close_rankings(indexes, text):
    a, b = (indexes[e].search(text, limit=10) for e in ("whoosh", "tantivy"))
    assert (a.total, a.facets, a.matched_as) == (b.total, b.facets, b.matched_as)
    assert a.total == 0 or len({h.id for h in a.hits} & {h.id for h in b.hits}) >= 0.7 * len(a.hits)


def test_top10_overlap_over_all_queries(indexes):
    overlaps = []
    for text in QUERIES:
        a, b = (indexes[e].search(text, limit=10) for e in ("whoosh", "tantivy"))
        if a.hits:
            overlaps.append(len({h.id for h in a.hits} & {h.id for h in b.hits}) / len(a.hits))
    assert statistics.mean(overlaps) >= 0.95


@pytest.mark.parametrize("text", ["水稻", "煤矿 安全", '"种植技术"', '"安全 生产"', "检测 方法"])
def test_both_engines_score_a_document_alike(indexes, text):
    """One BM25 in both (the same idf, weights at query time only, a phrase scored by its own
    count, field lengths rounded alike): a hit's two scores differ only in float precision."""
    a, b = (indexes[e].search(text, limit=10) for e in ("whoosh", "tantivy"))
    theirs = {h.id: h.score for h in b.hits}
    shared = [(h.score, theirs[h.id]) for h in a.hits if h.id in theirs]
    assert len(shared) == len(a.hits) > 0
    assert all(abs(ours - other) <= 0.001 * other for ours, other in shared), shared


@pytest.mark.parametrize("engine", ["whoosh", "tantivy"])
def test_equal_scores_come_in_number_order(indexes, engine, tmp_path):
    """Ties are ordered by standard number, not by where an engine keeps its documents: the
    shipped corpus indexed in reverse gives the same hits in the same order."""
    corpus = tmp_path / "corpus"
    shutil.copytree(shipped_corpus_dir(), corpus)
    lines = (corpus / STANDARDS_FILE).read_text(encoding="utf-8").splitlines(keepends=True)
    (corpus / STANDARDS_FILE).write_text("".join(reversed(lines)), encoding="utf-8")
    build.rebuild(corpus, tmp_path / "index", engine=engine)
    reversed_kb = KnowledgeIndex.open(tmp_path / "index")
    hits = reversed_kb.search("技术规程", limit=20).hits
    reversed_kb.close()
    ties = [(a.id, b.id) for a, b in zip(hits, hits[1:]) if a.score == b.score]
    assert ties and all(first < second for first, second in ties)
    assert [h.id for h in hits] == [h.id for h in indexes[engine].search("技术规程", limit=20).hits]


@pytest.mark.parametrize("text,filters", FILTERED)
def test_same_filtered_answers(indexes, text, filters):
    a, b = (indexes[e].search(text, limit=20, **filters) for e in ("whoosh", "tantivy"))
    assert a.total and (a.total, a.facets) == (b.total, b.facets)


@pytest.mark.parametrize("number", NUMBERS)
def test_same_number_lookups(indexes, number):
    a, b = (sorted(r.id for r in indexes[e].lookup(number)) for e in ("whoosh", "tantivy"))
    assert a and a == b


@pytest.mark.parametrize("term", COVER_TERMS)
def test_same_cover_answers(indexes, term):
    a, b = (cover(indexes[e], term) for e in ("whoosh", "tantivy"))
    assert [r["number"] for r in a["standards"]] == [r["number"] for r in b["standards"]]
    assert a["counts"] == b["counts"]


def test_same_gaps_and_stats(indexes):
    a, b = (gap_report(indexes[e]) for e in ("whoosh", "tantivy"))
    assert json.dumps(a, sort_keys=True, default=str) == json.dumps(b, sort_keys=True, default=str)
    assert index_stats(indexes["whoosh"]) == index_stats(indexes["tantivy"])


def test_same_clause_answers(indexes):
    for question in ("计量器具 强制检定", "产品质量 抽查", "标准 制定 程序"):
        a, b = (indexes[e].search_clauses(question, limit=10) for e in ("whoosh", "tantivy"))
        assert a.total and [(h.doc, h.path) for h in a.hits] == [(h.doc, h.path) for h in b.hits]
        words_a, words_b = (indexes[e].search_clauses(question, limit=10, words=True) for e in ("whoosh", "tantivy"))
        assert words_a.total == words_b.total


def kb(index_dir, *args):
    return runner.invoke(cli.app, ["--index", str(index_dir), "--corpus", str(shipped_corpus_dir()), *args])


def test_a_generation_is_never_opened_by_the_other_engine(tmp_path):
    index_dir = tmp_path / "index"
    assert kb(index_dir, "build", "--engine", "tantivy").exit_code == 0
    with pytest.raises(VersionMismatch):
        WhooshIndex.open(index_dir)
    updated = kb(index_dir, "index", "update", "--engine", "whoosh")
    assert updated.exit_code == 5
    assert updated.stderr.startswith(f"错误：{index_dir} 中的索引由 tantivy 引擎建立，不能用 whoosh 引擎更新")
    assert "kb index rebuild --engine whoosh" in updated.stderr
    stats = json.loads(kb(index_dir, "stats", "--json").stdout)
    assert stats["engine"] == "tantivy"
    rebuilt = kb(index_dir, "index", "rebuild", "--json")  # no --engine: the serving index's engine
    assert json.loads(rebuilt.stdout.splitlines()[-1])["engine"] == "tantivy"
    assert kb(index_dir, "build", "--engine", "whoosh").exit_code == 0  # switching is a rebuild
    assert store.open_generation(index_dir).meta["engine"] == "whoosh"
    assert json.loads(kb(index_dir, "stats", "--json").stdout)["engine"] == "whoosh"


def test_an_unknown_engine_is_a_usage_error(tmp_path):
    result = kb(tmp_path / "index", "build", "--engine", "lucene")
    assert result.exit_code == 2
    assert result.stderr.startswith("错误：未知的索引引擎 'lucene'（可用：whoosh、tantivy）")
    assert not (tmp_path / "index" / store.POINTER).exists()
