"""The coverage API (index.coverage_fields) over one open tantivy searcher. Documents are
ints of (segment ordinal, segment-local id); postings come from tantivy term queries,
facet counts over all documents from its terms aggregation."""
from __future__ import annotations

import json
from bisect import bisect_left
from collections import Counter

from kb.records import Record
from index.coverage_fields import FIELDS, SHORT_HYPONYM_LENGTH, words_of
from index.fields import RECORDS
from index.tantivy_engine.schema import schema, stored
from index.tantivy_engine.search import Q, all_matches, doc_address, doc_number

FACET_SIZE = 100_000


class CoverageReader:
    def __init__(self, searcher):
        self._searcher = searcher
        self._schema = schema(RECORDS)
        self._sets: dict[str, dict[str, set[int]]] = {}
        self._values: dict[str, tuple[dict[int, int], list[str]]] = {}
        self._lexicons: dict[str, list[str]] = {}

    def _docs(self, query) -> set[int]:
        return {doc_number(address) for address in all_matches(self._searcher, query)}

    def _terms(self, field: str) -> list[str]:
        """The field's terms in lexicon order (as Whoosh lists them: answers with ties come out alike)."""
        return sorted(term for term, _count in self._searcher.terms_with_prefix(field, ""))

    def live_docs(self) -> set[int]:
        return self._docs(Q.all_query())

    def docs_with(self, name: str, value: str) -> set[int]:
        if name in self._sets:
            return set(self._sets[name].get(value, ()))
        return self._docs(Q.term_query(self._schema, FIELDS[name], value))

    def docs_with_prefix(self, name: str, prefix: str) -> set[int]:
        out: set[int] = set()
        for value, docs in self.value_sets(name).items():
            if value.startswith(prefix):
                out |= docs
        return out

    def value_sets(self, name: str) -> dict[str, set[int]]:
        if name not in self._sets:
            field = FIELDS[name]
            found = {value: self._docs(Q.term_query(self._schema, field, value)) for value in self._terms(field)}
            self._sets[name] = {value: docs for value, docs in found.items() if docs}  # deleted ones left out
        return self._sets[name]

    def values(self, name: str) -> tuple[dict[int, int], list[str]]:
        """Per document, 1 + the index of its value in the list (absent: none); one value a document."""
        if name not in self._values:
            codes: dict[int, int] = {}
            values = [""]
            for value, docs in sorted(self.value_sets(name).items()):
                values.append(value)
                code = len(values) - 1
                for doc in docs:
                    codes[doc] = code
            self._values[name] = (_Codes(codes), values)
        return self._values[name]

    def facet_counts(self, name: str, docs: set[int] | None = None) -> dict[str, int]:
        if docs is None:
            field = FIELDS[name]
            found = self._searcher.aggregate(Q.all_query(), {"v": {"terms": {"field": field, "size": FACET_SIZE}}})
            return {b["key"]: b["doc_count"] for b in found.get("v", {}).get("buckets", []) if b["doc_count"]}
        codes, values = self.values(name)
        counts = Counter(codes[d] for d in docs)
        counts.pop(0, None)
        return {values[code]: n for code, n in counts.items()}

    def _words(self, name: str) -> list[str]:
        """The field's words, each reversed, sorted: words ending in a term are one range."""
        if name not in self._lexicons:
            self._lexicons[name] = sorted({term[::-1] for term in self._terms(FIELDS[name])})
        return self._lexicons[name]

    def longer_words(self, term: str, name: str) -> list[str]:
        """Indexed words that end in `term` (电动汽车, 载货汽车 for 汽车; for a one-character term
        only two-character words: 粳稻 for 稻)."""
        words, key = self._words(name), term[::-1]
        found = []
        for i in range(bisect_left(words, key), len(words)):
            if not words[i].startswith(key):
                break
            if words[i] != key and (len(term) > 1 or len(words[i]) <= SHORT_HYPONYM_LENGTH):
                found.append(words[i][::-1])
        return found

    def word_docs(self, term: str, name: str) -> dict[int, str]:
        """Documents whose `name` words hold `term`: doc → the word that matched."""
        field = FIELDS[name]
        words = words_of(term)
        found: dict[int, str] = {}
        if not words:
            return found
        if len(words) > 1:
            for doc in self._docs(Q.phrase_query(self._schema, field, words)):
                found.setdefault(doc, term)
            return found
        for word in [words[0], *self.longer_words(words[0], name)]:
            for doc in self._docs(Q.term_query(self._schema, field, word)):
                found.setdefault(doc, word)
        return found

    def record(self, doc: int) -> tuple[Record, dict]:
        fields = stored(RECORDS, self._searcher.doc(doc_address(doc)))
        facts = json.loads(fields["cover_facts"]) if fields.get("cover_facts") else {}
        return Record.from_dict(json.loads(fields["record"])), facts


class _Codes(dict):
    """Document → value code; 0 for a document without a value (as the Whoosh reader's array)."""

    def __missing__(self, key: int) -> int:
        return 0
