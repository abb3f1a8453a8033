"""The coverage API (index.coverage_fields) over one open tantivy searcher. Documents are
dense ints, 0 … n-1 (a segment's local ids after the segments before it), so per-document
columns are plain arrays as with Whoosh; postings come from tantivy term queries, facet
counts over all documents from its terms aggregation."""
from __future__ import annotations

from array import array
from bisect import bisect_right

import tantivy

from index.coverage_fields import FIELDS, WordsAndRecords
from index.fields import RECORDS
from index.tantivy_engine.schema import schema, stored
from index.tantivy_engine.search import Q, all_matches

FACET_SIZE = 100_000


class CoverageReader(WordsAndRecords):
    def __init__(self, searcher):
        super().__init__()
        self._searcher = searcher
        self._schema = schema(RECORDS)
        self._bases: list[int] | None = None  # per segment ordinal, the number of its local id 0
        self._size = 0

    def _numbering(self) -> list[int]:
        if self._bases is None:
            ends: dict[int, int] = {}
            for address in all_matches(self._searcher, Q.all_query()):
                ends[address.segment_ord] = max(ends.get(address.segment_ord, 0), address.doc + 1)
            self._bases, total = [], 0
            for ordinal in range(max(ends, default=-1) + 1):
                self._bases.append(total)
                total += ends.get(ordinal, 0)
            self._size = total
        return self._bases

    def _docs(self, query) -> set[int]:
        bases = self._numbering()
        return {bases[a.segment_ord] + a.doc for a in all_matches(self._searcher, query)}

    def _address(self, doc: int) -> tantivy.DocAddress:
        bases = self._numbering()
        ordinal = bisect_right(bases, doc) - 1  # an empty segment shares its base with the next: the next holds doc
        return tantivy.DocAddress(ordinal, doc - bases[ordinal])

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

    def _codes(self) -> array:
        self._numbering()
        return array("I", bytes(4 * self._size))

    def _lexicon(self, field: str) -> list[str]:
        return self._terms(field)

    def _term_docs(self, field: str, word: str) -> set[int]:
        return self._docs(Q.term_query(self._schema, field, word))

    def _phrase_docs(self, field: str, words: list[str]) -> set[int]:
        return self._docs(Q.phrase_query(self._schema, field, words))

    def _stored(self, doc: int) -> dict:
        return stored(RECORDS, self._searcher.doc(self._address(doc)))
