"""The coverage API (index.coverage_fields) over one open tantivy searcher. Documents are
ints of (segment ordinal, segment-local id); postings come from tantivy term queries,
facet counts over all documents from its terms aggregation."""
from __future__ import annotations

from index.coverage_fields import FIELDS, WordsAndRecords
from index.fields import RECORDS
from index.tantivy_engine.schema import schema, stored
from index.tantivy_engine.search import Q, all_matches, doc_address, doc_number

FACET_SIZE = 100_000


class CoverageReader(WordsAndRecords):
    def __init__(self, searcher):
        super().__init__()
        self._searcher = searcher
        self._schema = schema(RECORDS)
        self._sets: dict[str, dict[str, set[int]]] = {}

    def _docs(self, query) -> set[int]:
        return {doc_number(address) for address in all_matches(self._searcher, query)}

    def _terms(self, field: str) -> list[str]:
        """The field's terms in lexicon order (as Whoosh lists them: answers with ties come out alike)."""
        return sorted(term for term, _count in self._searcher.terms_with_prefix(field, ""))

    def live_docs(self) -> set[int]:
        return self._docs(Q.all_query())

    def live_count(self) -> int:
        return self._searcher.num_docs

    def docs_with(self, name: str, value: str) -> set[int]:
        if name in self._sets:
            return set(self._sets[name].get(value, ()))
        return self._docs(Q.term_query(self._schema, FIELDS[name], value))

    def value_sets(self, name: str) -> dict[str, set[int]]:
        if name not in self._sets:
            field = FIELDS[name]
            found = {value: self._term_docs(field, value) for value in self._terms(field)}
            self._sets[name] = {value: docs for value, docs in found.items() if docs}  # deleted ones left out
        return self._sets[name]

    def facet_counts(self, name: str, docs: set[int] | None = None) -> dict[str, int]:
        if docs is not None:
            return self._counts_over(name, docs)
        found = self._searcher.aggregate(Q.all_query(), {"v": {"terms": {"field": FIELDS[name], "size": FACET_SIZE}}})
        return {b["key"]: b["doc_count"] for b in found.get("v", {}).get("buckets", []) if b["doc_count"]}

    def _codes(self) -> dict[int, int]:
        return _Codes()

    def _lexicon(self, field: str) -> list[str]:
        return self._terms(field)

    def _term_docs(self, field: str, word: str) -> set[int]:
        return self._docs(Q.term_query(self._schema, field, word))

    def _phrase_docs(self, field: str, words: list[str]) -> set[int]:
        return self._docs(Q.phrase_query(self._schema, field, words))

    def _stored(self, doc: int) -> dict:
        return stored(RECORDS, self._searcher.doc(doc_address(doc)))


class _Codes(dict):
    """Document → value code; 0 for a document without a value (as the Whoosh reader's array)."""

    def __missing__(self, key: int) -> int:
        return 0
