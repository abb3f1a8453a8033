"""The tantivy engine's KnowledgeIndex: records search, number lookup and facets, in Rust.

Queries are built from our parsed words (index.query), never by tantivy's parser: a term
per field with the field's weight (the same weights as Whoosh), phrases by positions,
filters as zero-score clauses. Totals come with the top hits; facet counts are a terms
aggregation over the raw fast fields, both computed inside tantivy."""
from __future__ import annotations

import json
from pathlib import Path

import tantivy

from kb import numbers
from kb.errors import IndexMissing
from kb.records import Record
from index.analysis import use_vocabulary
from index.engine import TIE_WINDOW, Filters, Hit, KnowledgeIndex, SearchResult, by_count, empty_result, first_hits
from index.fields import FACET_FIELDS, RECORD_TEXT_FIELDS, RECORDS
from index.query import ParsedQuery
from index.snippets import highlight, plain_snippet
from index.tantivy_engine.schema import folder, schema, stored

Q = tantivy.Query
MUST, SHOULD = tantivy.Occur.Must, tantivy.Occur.Should
FACET_SIZE = 10_000


def open_searcher(path: Path) -> tuple[tantivy.Index, tantivy.Searcher]:
    ix = tantivy.Index.open(str(path))
    return ix, ix.searcher()


def text_query(sch, parsed: ParsedQuery, fields: dict[str, float], require_all: bool = True):
    """AND (or OR) of the query's words and phrases, each matched in any of `fields` with its weight."""
    def any_field(make):
        return Q.boolean_query([(SHOULD, Q.boost_query(make(name), boost)) for name, boost in fields.items()])

    parts = [any_field(lambda name, t=term: Q.term_query(sch, name, t)) for term in parsed.terms]
    parts += [any_field(lambda name, w=words: Q.phrase_query(sch, name, w)) for words in parsed.phrases]
    return Q.boolean_query([(MUST if require_all else SHOULD, part) for part in parts])


def exact_query(sch, terms: list[tuple[str, str]]):
    return Q.boolean_query([(MUST, Q.term_query(sch, name, value)) for name, value in terms])


def filtered(query, filt):
    """`query` restricted to `filt` without changing its scores."""
    if filt is None:
        return query
    return Q.boolean_query([(MUST, query), (MUST, Q.const_score_query(filt, 0.0))])


def filter_query(sch, filters: Filters):
    if not filters:
        return None
    clauses = [(MUST, Q.term_query(sch, name, value)) for name, value in filters.terms()]
    if filters.year:
        clauses.append((MUST, Q.range_query(sch, "year", tantivy.FieldType.Integer, int(filters.year),
                                            int(filters.year))))
    return Q.boolean_query(clauses)


def number_query(sch, parsed: numbers.StandardNumber):
    """Exact edition with a year; all editions (and parts, for a bare series) without."""
    if parsed.year is not None:
        return Q.term_query(sch, "number_key", parsed.key)
    if parsed.part:
        return Q.term_query(sch, "edition_key", parsed.edition_free_key)
    return Q.term_query(sch, "series_key", parsed.series_key)


def all_matches(searcher, query) -> list:
    """The addresses of every document `query` matches."""
    if searcher.num_docs == 0:
        return []
    return [address for _score, address in searcher.search(query, limit=searcher.num_docs, count=False).hits]


def query_terms(parsed: ParsedQuery) -> set[str]:
    return {*parsed.terms, *(w for words in parsed.phrases for w in words)}


class TantivyIndex(KnowledgeIndex):
    engine = "tantivy"

    def _open_engine(self) -> None:
        use_vocabulary(self.index_dir)  # cut queries without loading jieba's whole dictionary
        try:
            self._ix, self._searcher = open_searcher(folder(self.generation.path, RECORDS))
        except Exception as exc:  # a missing or damaged segment
            raise IndexMissing(f"无法打开索引版本 {self.generation.name}"
                               f"（{type(exc).__name__}: {exc}）") from None
        self._schema = schema(RECORDS)

    def _close_engine(self) -> None:
        self._searcher = self._ix = None

    def _coverage_reader(self):
        from index.tantivy_engine.coverage import CoverageReader

        return CoverageReader(self._searcher)

    # -- records -------------------------------------------------------------

    def _search_text(self, text, parsed, filters, limit, facets, require_all) -> SearchResult:
        query = text_query(self._schema, parsed, RECORD_TEXT_FIELDS, require_all)
        return self._run(text, query, filters, limit, facets, "text" if require_all else "text-any",
                         query_terms(parsed))

    def _search_number(self, text, number, filters, limit, facets) -> SearchResult:
        return self._run(text, number_query(self._schema, number), filters, limit, facets, "number", set())

    def _run(self, text, query, filters: Filters, limit, facets, matched_as, terms: set[str]) -> SearchResult:
        query = filtered(query, filter_query(self._schema, filters))
        found = self._searcher.search(query, limit=limit + TIE_WINDOW, count=True)
        if not found.count:
            return empty_result(text, matched_as, facets)
        candidates = [(score, stored(RECORDS, self._searcher.doc(address))) for score, address in found.hits]
        hits = []
        for score, doc in first_hits(candidates, limit, lambda c: c[0], lambda c: c[1]["id"]):
            title, scope = doc.get("title", ""), doc.get("scope", "")
            snippet = highlight(title, terms, maxchars=120, surround=30) \
                or highlight(scope, terms, maxchars=120, surround=30) or plain_snippet(scope[:120])
            hits.append(Hit(id=doc["id"], number=doc["id"], title=title, level=doc.get("level", ""),
                            status=doc.get("status", ""), score=round(score, 3), snippet=snippet))
        return SearchResult(query=text, total=found.count, hits=hits,
                            facets=self._facets(query) if facets else {}, matched_as=matched_as)

    def _facets(self, query) -> dict[str, dict[str, int]]:
        spec = {name: {"terms": {"field": name, "size": FACET_SIZE}} for name in FACET_FIELDS}
        found = self._searcher.aggregate(query, spec)
        return {name: by_count((b["key"], b["doc_count"]) for b in found.get(name, {}).get("buckets", []))
                for name in FACET_FIELDS}

    def _records(self, query) -> list[Record]:
        return [Record.from_dict(json.loads(stored(RECORDS, self._searcher.doc(address))["record"]))
                for address in all_matches(self._searcher, query)]

    def number_records(self, number) -> list[Record]:
        return self._records(number_query(self._schema, number))

    def record(self, record_id: str) -> Record | None:
        found = self._searcher.search(Q.term_query(self._schema, "id", record_id), limit=1, count=False).hits
        if not found:
            return None
        return Record.from_dict(json.loads(stored(RECORDS, self._searcher.doc(found[0][1]))["record"]))

    def all_records(self) -> list[Record]:
        return self._records(Q.all_query())

    def doc_count(self) -> int:
        return self._searcher.num_docs
