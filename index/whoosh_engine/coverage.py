"""The coverage API (index.coverage_fields) over one open Whoosh searcher."""
from __future__ import annotations

import json
from array import array
from bisect import bisect_left
from collections import Counter

from whoosh.query import Phrase, Term

from kb.records import Record
from index.coverage_fields import FIELDS, SHORT_HYPONYM_LENGTH, words_of
from index.whoosh_engine.speedups import matching_ids, term_ids


class CoverageReader:
    """The coverage API over one open Whoosh searcher (see the module docstring)."""

    def __init__(self, searcher):
        self._searcher = searcher
        self._sets: dict[str, dict[str, set[int]]] = {}
        self._values: dict[str, tuple[array, list[str]]] = {}
        self._lexicons: dict[str, list[str]] = {}

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

    def docs_with_prefix(self, name: str, prefix: str) -> set[int]:
        out: set[int] = set()
        for value, docs in self.value_sets(name).items():
            if value.startswith(prefix):
                out |= docs
        return out

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

    def values(self, name: str) -> tuple[array, list[str]]:
        """Per document, 1 + the index of its value in the list (0: none); one value a document."""
        if name not in self._values:
            codes = array("I", bytes(4 * self._searcher.doc_count_all()))
            values = [""]
            for value, docs in sorted(self.value_sets(name).items()):
                values.append(value)
                code = len(values) - 1
                for doc in docs:
                    codes[doc] = code
            self._values[name] = (codes, values)
        return self._values[name]

    def facet_counts(self, name: str, docs: set[int] | None = None) -> dict[str, int]:
        if docs is None:
            return {value: len(found) for value, found in self.value_sets(name).items() if found}
        codes, values = self.values(name)
        counts = Counter(codes[d] for d in docs)
        counts.pop(0, None)
        return {values[code]: n for code, n in counts.items()}

    def _words(self, name: str) -> list[str]:
        """The field's words, each reversed, sorted: words ending in a term are one range."""
        if name not in self._lexicons:
            words = {btext.decode("utf-8")[::-1] for reader, _ in self._leaves()
                     for btext in reader.lexicon(FIELDS[name])}
            self._lexicons[name] = sorted(words)
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
            for doc in self._searcher.docs_for_query(Phrase(field, words)):
                found.setdefault(doc, term)
            return found
        for word in [words[0], *self.longer_words(words[0], name)]:
            for doc in matching_ids(self._searcher, Term(field, word)):
                found.setdefault(doc, word)
        return found

    def record(self, doc: int) -> tuple[Record, dict]:
        stored = self._searcher.stored_fields(doc)
        facts = json.loads(stored["cover_facts"]) if stored.get("cover_facts") else {}
        return Record.from_dict(json.loads(stored["record"])), facts
