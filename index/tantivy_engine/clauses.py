"""The tantivy engine's clause store: stored fields by clause id, and BM25 word search."""
from __future__ import annotations

from pathlib import Path

from index.clauses import ClauseHit, ClauseResult
from index.fields import CLAUSE_TEXT_FIELDS, CLAUSES
from index.snippets import highlight, plain_snippet
from index.tantivy_engine.schema import folder, schema, stored
from index.tantivy_engine.search import Q, exact_query, filtered, open_searcher, query_terms, text_query


class TantivyClauseStore:
    def __init__(self, gen_path: Path):
        self._ix, self._searcher = open_searcher(folder(gen_path, CLAUSES))
        self._schema = schema(CLAUSES)

    def close(self) -> None:
        self._searcher = self._ix = None

    def count(self) -> int:
        return self._searcher.num_docs

    def document(self, clause_id: str) -> dict | None:
        found = self._searcher.search(Q.term_query(self._schema, "id", clause_id), limit=1, count=False).hits
        return stored(CLAUSES, self._searcher.doc(found[0][1])) if found else None

    def search_words(self, text, parsed, filters: dict[str, str], limit: int, require_all: bool) -> ClauseResult:
        matched_as = "text" if require_all else "text-any"
        query = text_query(self._schema, parsed, CLAUSE_TEXT_FIELDS, require_all)
        query = filtered(query, exact_query(self._schema, sorted(filters.items())) if filters else None)
        found = self._searcher.search(query, limit=limit, count=True)
        terms = query_terms(parsed)
        hits = []
        for score, address in found.hits:
            doc = stored(CLAUSES, self._searcher.doc(address))
            body = doc.get("text", "")
            snippet = highlight(body, terms, maxchars=160, surround=40) or plain_snippet(body[:160])
            hits.append(ClauseHit(doc=doc["doc_id"], doc_title=doc.get("doc_title", ""),
                                  doc_kind=doc.get("doc_kind", ""), path=doc["path"], heading=doc.get("heading", ""),
                                  score=round(score, 3), snippet=snippet.replace("\n", " ")))
        return ClauseResult(query=text, total=found.count, hits=hits, matched_as=matched_as)
