"""The Whoosh engine's KnowledgeIndex: records search, number lookup and facets over one
generation's Whoosh index (index/whoosh_engine/speedups.py keeps it fast)."""
from __future__ import annotations

import json
from collections import Counter

from whoosh import index as whoosh_index
from whoosh.highlight import ContextFragmenter
from whoosh.query import And, NumericRange, Or, Term

from kb import numbers
from kb.errors import IndexMissing
from kb.records import Record
from index.analysis import use_vocabulary
from index.engine import TIE_WINDOW, Filters, Hit, KnowledgeIndex, SearchResult, by_count, empty_result, first_hits
from index.fields import FACET_FIELDS, RECORD_TEXT_FIELDS, RECORDS
from index.query import ParsedQuery
from index.snippets import EmFormatter, plain_snippet
from index.whoosh_engine import schema as _schema  # noqa: F401  (applies the speed-ups)
from index.whoosh_engine.scoring import BM25, BM25Phrase
from index.whoosh_engine.speedups import matching_ids, value_codes

MAX_CACHED_FILTERS = 64
STORED_FACETS_LIMIT = 5000  # matches counted from stored fields while facet values are not loaded


def _highlight(hit, name: str) -> str:
    return hit.highlights(name) if name in hit else ""


def _field_or(fields: dict[str, float], make) -> Or:
    return Or([make(name, boost) for name, boost in fields.items()])


def text_query(parsed: ParsedQuery, fields: dict[str, float], require_all: bool = True):
    """AND (or OR) of the query's words and phrases, each matched in any of `fields`."""
    parts = [_field_or(fields, lambda f, b, t=term: Term(f, t, boost=b)) for term in parsed.terms]
    parts += [_field_or(fields, lambda f, b, w=words: BM25Phrase(f, w, boost=b)) for words in parsed.phrases]
    if not parts:
        return None
    return And(parts) if require_all else Or(parts)


def filter_query(filters: Filters):
    terms = [Term(name, value) for name, value in filters.terms()]
    if filters.year:
        terms.append(NumericRange("year", int(filters.year), int(filters.year)))
    return And(terms) if terms else None


def number_query(parsed: numbers.StandardNumber):
    """Exact edition with a year; all editions (and parts, for a bare series) without."""
    if parsed.year is not None:
        return Term("number_key", parsed.key)
    if parsed.part:
        return Term("edition_key", parsed.edition_free_key)
    return Term("series_key", parsed.series_key)


class WhooshIndex(KnowledgeIndex):
    engine = "whoosh"

    def _open_engine(self) -> None:
        use_vocabulary(self.index_dir)  # cut queries without loading jieba's whole dictionary
        try:
            self._records = whoosh_index.open_dir(str(self.generation.path), indexname=RECORDS)
            self._searcher = self._records.searcher(weighting=BM25())
        except Exception as exc:  # a missing or damaged segment fails in many ways inside Whoosh
            raise IndexMissing(f"无法打开索引版本 {self.generation.name}"
                               f"（{type(exc).__name__}: {exc}）") from None
        self._filters: dict = {}
        self._facet_codes: dict[str, tuple[bytearray, list[str]]] = {}

    def _close_engine(self) -> None:
        self._searcher.close()
        self._records.close()

    def _coverage_reader(self):
        from index.whoosh_engine.coverage import CoverageReader

        return CoverageReader(self._searcher)

    # -- records -------------------------------------------------------------

    def _search_text(self, text, parsed, filters, limit, facets, require_all) -> SearchResult:
        return self._run(text, text_query(parsed, RECORD_TEXT_FIELDS, require_all), filters, limit, facets,
                         "text" if require_all else "text-any")

    def _search_number(self, text, number, filters, limit, facets) -> SearchResult:
        return self._run(text, number_query(number), filters, limit, facets, "number")

    def _run(self, text, query, filters: Filters, limit, facets, matched_as) -> SearchResult:
        # Top hits come from Whoosh's optimized top-k search (no scoring of every match);
        # the total and the facet counts from the unscored set of matching documents.
        allowed = self._filter_ids(filters)
        if allowed is not None and not allowed:  # Whoosh reads an empty filter as no filter
            return empty_result(text, matched_as, facets)
        results = self._searcher.search(query, limit=limit + TIE_WINDOW, filter=allowed)
        results.fragmenter = ContextFragmenter(maxchars=120, surround=30)
        results.formatter = EmFormatter()
        hits = []
        for hit in first_hits(results[:limit + TIE_WINDOW], limit, lambda h: h.score, lambda h: h["id"]):
            snippet = _highlight(hit, "title") or _highlight(hit, "scope") or plain_snippet(hit.get("scope", "")[:120])
            hits.append(Hit(id=hit["id"], number=hit["id"], title=hit.get("title", ""),
                            level=hit.get("level", ""), status=hit.get("status", ""),
                            score=round(hit.score, 3), snippet=snippet))
        matched = matching_ids(self._searcher, query)
        if allowed is not None:
            matched &= allowed
        facet_counts = self._facets(matched) if facets else {}
        return SearchResult(query=text, total=len(matched), hits=hits, facets=facet_counts,
                            matched_as=matched_as)

    def _filter_ids(self, filters: Filters) -> set[int] | None:
        """The documents a filter allows, computed once per filter while this index is open (never mutated)."""
        if not filters:
            return None
        allowed = self._filters.get(filters)
        if allowed is None:
            if len(self._filters) >= MAX_CACHED_FILTERS:
                self._filters.clear()
            # a set: Whoosh takes no frozenset
            allowed = self._filters[filters] = matching_ids(self._searcher, filter_query(filters))
        return allowed

    def _facets(self, matched: set[int]) -> dict[str, dict[str, int]]:
        """Facet counts over `matched`. A small result set in an index whose per-document
        facet values are not loaded yet (a cold `kb search`) is counted from the stored
        fields: reading every posting of every facet value costs more than that."""
        if len(matched) <= STORED_FACETS_LIMIT and not all(n in self._facet_codes for n in FACET_FIELDS):
            counts = {name: Counter() for name in FACET_FIELDS}
            for docnum in matched:
                stored = self._searcher.stored_fields(docnum)
                for name in FACET_FIELDS:
                    if stored.get(name):
                        counts[name][stored[name]] += 1
            return {name: by_count(counts[name].items()) for name in FACET_FIELDS}
        return {name: self._facet_counts(name, matched) for name in FACET_FIELDS}

    def _facet_counts(self, name: str, matched: set[int]) -> dict[str, int]:
        """Value → count over `matched`, most frequent first (documents without a value left out)."""
        if name not in self._facet_codes:
            self._facet_codes[name] = value_codes(self._searcher, name)
        codes, values = self._facet_codes[name]
        counts = Counter(map(codes.__getitem__, matched))
        counts.pop(0, None)
        return by_count((values[code], n) for code, n in counts.items())

    def number_records(self, number) -> list[Record]:
        return [Record.from_dict(json.loads(hit["record"]))
                for hit in self._searcher.search(number_query(number), limit=None)]

    def record(self, record_id: str) -> Record | None:
        stored = self._searcher.document(id=record_id)
        return Record.from_dict(json.loads(stored["record"])) if stored else None

    def all_records(self) -> list[Record]:
        return [Record.from_dict(json.loads(fields["record"]))
                for fields in self._searcher.all_stored_fields()]

    def doc_count(self) -> int:
        return self._searcher.doc_count()
