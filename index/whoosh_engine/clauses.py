"""The Whoosh engine's clause store: stored fields by clause id, and BM25F word search."""
from __future__ import annotations

from pathlib import Path

from whoosh import index as whoosh_index
from whoosh.highlight import ContextFragmenter
from whoosh.query import And, Term

from index.clauses import ClauseHit, ClauseResult
from index.fields import CLAUSE_TEXT_FIELDS, CLAUSES
from index.snippets import EmFormatter, plain_snippet
from index.whoosh_engine.scoring import BM25
from index.whoosh_engine.search import text_query
from index.whoosh_engine.speedups import matching_ids

MAX_CACHED_FILTERS = 64


class WhooshClauseStore:
    def __init__(self, gen_path: Path):
        self._ix = whoosh_index.open_dir(str(gen_path), indexname=CLAUSES)
        self._searcher = self._ix.searcher(weighting=BM25())
        self._filters: dict = {}  # filter → allowed doc numbers, while this store is open

    def close(self) -> None:
        self._searcher.close()
        self._ix.close()

    def count(self) -> int:
        return self._searcher.doc_count()

    def document(self, clause_id: str) -> dict | None:
        return self._searcher.document(id=clause_id)

    def search_words(self, text, parsed, filters: dict[str, str], limit: int, require_all: bool) -> ClauseResult:
        # As WhooshIndex._run: the filter as a cached doc set, the total from unscored
        # posting sets (len(results) would run the query a second time), top hits from
        # Whoosh's optimized top-k.
        matched_as = "text" if require_all else "text-any"
        query = text_query(parsed, CLAUSE_TEXT_FIELDS, require_all)
        allowed = self._filter_ids(filters)
        if allowed is not None and not allowed:  # Whoosh reads an empty filter as no filter
            return ClauseResult(query=text, total=0, hits=[], matched_as=matched_as)
        results = self._searcher.search(query, limit=limit, filter=allowed)
        results.fragmenter = ContextFragmenter(maxchars=160, surround=40)
        results.formatter = EmFormatter()
        hits = [ClauseHit(doc=hit["doc_id"], doc_title=hit.get("doc_title", ""), doc_kind=hit.get("doc_kind", ""),
                          path=hit["path"], heading=hit.get("heading", ""), score=round(hit.score, 3),
                          snippet=((hit.highlights("text") if "text" in hit else "")
                                   or plain_snippet(hit.get("text", "")[:160])).replace("\n", " "))
                for hit in results]
        matched = matching_ids(self._searcher, query)
        if allowed is not None:
            matched &= allowed
        return ClauseResult(query=text, total=len(matched), hits=hits, matched_as=matched_as)

    def _filter_ids(self, filters: dict[str, str]) -> set[int] | None:
        if not filters:
            return None
        key = tuple(sorted(filters.items()))
        allowed = self._filters.get(key)
        if allowed is None:
            if len(self._filters) >= MAX_CACHED_FILTERS:
                self._filters.clear()
            query = And([Term(name, value) for name, value in key])
            allowed = self._filters[key] = matching_ids(self._searcher, query)  # never mutated
        return allowed
