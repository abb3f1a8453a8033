"""The Whoosh engine's weighting, made to give a document the score tantivy gives it:

- the BM25 idf that tantivy (and Lucene) use, ln(1 + (N − n + 0.5) / (n + 0.5)), in place of
  Whoosh's log(N / (n + 1)) + 1 (documents counted with deletions, as tantivy counts them);
- a phrase scored by its own count (BM25Phrase);
- a field's length kept in its one byte as tantivy keeps it (exact to 40 words, then 8 steps
  each of 2, 4, 8 … words, rounded down), in place of Whoosh's coarser table: applied to
  Whoosh's codec on import of index.whoosh_engine.schema, for writing and reading alike.
  It is process-wide: another Whoosh index read in the same process (bench/run's stock
  baseline) has its length bytes read with this table too; the bench compares its speed only.
"""
from __future__ import annotations

from bisect import bisect_right
from math import log

from whoosh.codec import whoosh3
from whoosh.matching import WrappingMatcher
from whoosh.query import Phrase
from whoosh.scoring import BM25F, bm25


def _field_norms() -> list[int]:
    table, step = list(range(41)), 2
    while len(table) < 256:
        for _ in range(min(8, 256 - len(table))):
            table.append(table[-1] + step)
        step *= 2
    return table


FIELD_NORMS = _field_norms()  # byte → length (tantivy's fieldnorm table)


def length_to_byte(length: int | None) -> int:
    return bisect_right(FIELD_NORMS, length) - 1 if length else 0


def byte_to_length(byte: int) -> int:
    return FIELD_NORMS[byte]


def apply() -> None:
    whoosh3.length_to_byte = length_to_byte
    whoosh3.byte_to_length = byte_to_length


class BM25(BM25F):
    def idf(self, searcher, fieldname, text):
        parent = searcher.get_parent()
        n = parent.doc_frequency(fieldname, text)
        total = parent.doc_count_all()
        return log(1 + (total - n + 0.5) / (n + 0.5))


class BM25Phrase(Phrase):
    """A phrase scored as tantivy scores one: BM25 of how often the phrase occurs in the
    field, with the sum of its words' idfs. (Whoosh scores a phrase as the sum of its
    words' own scores, so a title that repeats a word of the phrase outranks one that
    holds the phrase alone.)"""

    def matcher(self, searcher, context=None):
        inner = Phrase(self.fieldname, self.words, slop=self.slop).matcher(searcher, context)
        if not inner.is_active():
            return inner
        parent = searcher.get_parent()
        idf = sum(parent.idf(self.fieldname, word) for word in self.words)
        weighting = searcher.weighting
        return _PhraseMatcher(inner, searcher, self.fieldname, idf * self.boost,
                              parent.avg_field_length(self.fieldname) or 1, weighting.B, weighting.K1)


class _PhraseMatcher(WrappingMatcher):
    def __init__(self, child, searcher, fieldname, idf, avgfl, b, k1):
        super().__init__(child)
        self._args = (searcher, fieldname, idf, avgfl, b, k1)

    def _replacement(self, newchild):
        return _PhraseMatcher(newchild, *self._args)

    def copy(self):
        return _PhraseMatcher(self.child.copy(), *self._args)

    def supports_block_quality(self):
        return False

    def max_quality(self):  # the child's bound is of its words' scores, unboosted: BM25's own bound
        _searcher, _fieldname, idf, _avgfl, _b, k1 = self._args
        return idf * (k1 + 1)

    block_quality = max_quality

    def score(self):
        searcher, fieldname, idf, avgfl, b, k1 = self._args
        length = searcher.doc_field_length(self.child.id(), fieldname) or 1
        return bm25(idf, len(self.child.spans()), length, avgfl, b, k1)
