"""The coverage API (index.coverage_fields) over one open Whoosh searcher."""
from __future__ import annotations

from array import array
from collections import Counter

from whoosh.query import Phrase, Term

from index.coverage_fields import FIELDS, WordsAndRecords
from index.whoosh_engine.speedups import matching_ids, term_ids


class CoverageReader(WordsAndRecords):
    def __init__(self, searcher):
        super().__init__()
        self._searcher = searcher

    def _leaves(self):
        return [(leaf.reader(), offset) for leaf, offset in self._searcher.leaf_searchers()]

    def live_docs(self) -> set[int]:
        out: set[int] = set()
        for docs in self.value_sets("kind").values():
            out |= docs
        return out

    def docs_with(self, name: str, value: str) -> set[int]:
        if name in self._sets:
            return set(self._sets[name].get(value, ()))
        return matching_ids(self._searcher, Term(FIELDS[name], value))

    def value_sets(self, name: str) -> dict[str, set[int]]:
        if name not in self._sets:
            field = FIELDS[name]
            found: dict[str, set[int]] = {}
            for reader, offset in self._leaves():
                for btext in reader.lexicon(field):
                    text = btext.decode("utf-8")
                    ids = term_ids(reader, field, text)
                    found.setdefault(text, set()).update(ids if not offset else (d + offset for d in ids))
            self._sets[name] = found
        return self._sets[name]

    def facet_counts(self, name: str, docs: set[int] | None = None) -> dict[str, int]:
        if docs is not None:
            return self._counts_over(name, docs)
        if name in self._sets:
            return {value: len(found) for value, found in self._sets[name].items() if found}
        return self._counts(name)

    def _counts(self, name: str) -> dict[str, int]:
        """value → live documents, from posting counts: no document sets built (`kb stats`).
        A segment with deletions counts its postings' live documents instead."""
        field = FIELDS[name]
        counts: Counter = Counter()
        for reader, _ in self._leaves():
            if reader.has_deletions():
                for btext in reader.lexicon(field):
                    text = btext.decode("utf-8")
                    counts[text] += len(term_ids(reader, field, text))
            else:
                for btext, info in reader.iter_field(field):  # KEYWORD/ID fields: bytes
                    counts[btext.decode("utf-8") if isinstance(btext, bytes) else btext] += info.doc_frequency()
        return {value: n for value, n in counts.items() if n}

    def live_count(self) -> int:
        """How many documents the index holds (each has one kind)."""
        return sum(self.facet_counts("kind").values())

    def _codes(self) -> array:
        return array("I", bytes(4 * self._searcher.doc_count_all()))

    def _lexicon(self, field: str) -> set[str]:
        return {btext.decode("utf-8") for reader, _ in self._leaves() for btext in reader.lexicon(field)}

    def _term_docs(self, field: str, word: str) -> set[int]:
        return matching_ids(self._searcher, Term(field, word))

    def _phrase_docs(self, field: str, words: list[str]):
        return self._searcher.docs_for_query(Phrase(field, words))

    def _stored(self, doc: int) -> dict:
        return self._searcher.stored_fields(doc)
