"""Ranking clauses for a layperson's question: BM25 over the clause words, fused with what was
learned from real question → article pairs (kb/data: index/clause_learning.py) and with sentence
vectors (index/dense.py).

Components, each a score per clause row, each scaled so that the best row scores 1:
    bm25       the question's words (jieba, stop words out) against the clause text
    expansion  statute words that questions with these words are answered by (假货 → 欺诈)
    asked      BM25 against the training questions whose gold answer the clause is (document expansion)
    dense      cosine of the question's and the clause's sentence vectors
    law        log P(law | question), a naive Bayes prior over laws learned from the questions
The fused score is the weighted sum over the union of each component's best CANDIDATES rows.
"""
from __future__ import annotations

import gzip
import json
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

K1, B = 1.2, 0.75
CANDIDATES = 300
LAW_FLOOR = 1e-3  # P(law | question) below this counts as this (log prior ≥ log 1e-3)
COMPONENTS = ("bm25", "expansion", "asked", "dense", "law")
LEARNED_FILE = Path(__file__).resolve().parent / "data" / "clause_learned.json.gz"  # eval/learn_clauses.py


class StringColumn(Sequence):
    """Strings stored as two .npy files, their UTF-8 bytes end to end and the offsets between
    them, memory-mapped: a cold process reads the strings it is asked for, not all of them.
    `find` is a binary search, for a column saved in sorted order (UTF-8 byte order is code
    point order, Python's string order)."""

    def __init__(self, data: np.ndarray, offsets: np.ndarray):
        self.data, self.offsets = data, offsets

    @staticmethod
    def save(folder: Path, name: str, strings) -> None:
        encoded = [s.encode("utf-8") for s in strings]
        offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
        np.cumsum([len(b) for b in encoded], out=offsets[1:])
        np.save(folder / f"{name}.npy", np.frombuffer(b"".join(encoded), dtype=np.uint8))
        np.save(folder / f"{name}-offsets.npy", offsets)

    @classmethod
    def load(cls, folder: Path, name: str) -> "StringColumn":
        data = np.load(folder / f"{name}.npy", mmap_mode="r")
        offsets = np.load(folder / f"{name}-offsets.npy", mmap_mode="r")
        # plain ndarray views of the maps: slicing a np.memmap costs a subclass finalizer each time
        return cls(data.view(np.ndarray), offsets.view(np.ndarray))

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def raw(self, i: int) -> bytes:
        return self.data[int(self.offsets[i]):int(self.offsets[i + 1])].tobytes()

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError(i)
        return self.raw(i).decode("utf-8")

    def tolist(self) -> list[str]:
        blob, offsets = self.data.tobytes(), self.offsets.tolist()
        return [blob[a:b].decode("utf-8") for a, b in zip(offsets, offsets[1:])]

    def find(self, text: str) -> int:
        """The position of `text` in a sorted column, -1 where it is not."""
        key, lo, hi = text.encode("utf-8"), 0, len(self)
        while lo < hi:
            mid = (lo + hi) // 2
            if self.raw(mid) < key:
                lo = mid + 1
            else:
                hi = mid
        return lo if lo < len(self) and self.raw(lo) == key else -1


class _ColumnVocabulary:
    """A stored TermMatrix's term → id (the terms saved in sorted order, id = position)."""

    def __init__(self, column: StringColumn):
        self.column = column

    def get(self, term: str, default=None):
        i = self.column.find(term)
        return default if i < 0 else i

    def __len__(self) -> int:
        return len(self.column)


class TermMatrix:
    """BM25 weights of every (term, row) as an inverted index: a query is a weighted sum of postings."""

    def __init__(self, vocab: dict[str, int], indptr: np.ndarray, rows: np.ndarray, weights: np.ndarray,
                 n_rows: int):
        self.vocab, self.indptr, self.rows, self.weights, self.n_rows = vocab, indptr, rows, weights, n_rows

    @classmethod
    def build(cls, token_lists: list[list[str]]) -> "TermMatrix":
        n = len(token_lists)
        lengths = np.array([len(t) for t in token_lists], dtype=np.float32)
        avg = float(lengths.mean()) if n and lengths.sum() else 1.0
        # every (row, term, tf) once, then grouped by term (stable: rows ascending within a term)
        terms_flat: list[str] = []
        rows_flat: list[int] = []
        tfs_flat: list[int] = []
        for row, tokens in enumerate(token_lists):
            counts = Counter(tokens)
            terms_flat += counts.keys()
            tfs_flat += counts.values()
            rows_flat += [row] * len(counts)
        vocab = {term: i for i, term in enumerate(sorted(set(terms_flat)))}
        term_ids = np.fromiter(map(vocab.__getitem__, terms_flat), dtype=np.int64, count=len(terms_flat))
        order = np.argsort(term_ids, kind="stable")
        rows = np.array(rows_flat, dtype=np.int32)[order]
        tf = np.array(tfs_flat, dtype=np.float32)[order]
        df = np.bincount(term_ids, minlength=len(vocab))
        # float32 throughout, as one term's postings at a time computed it (the same value bit for bit)
        idf = np.array([math.log(1 + (n - d + 0.5) / (d + 0.5)) for d in df.tolist()], dtype=np.float32)
        weights = (idf[term_ids[order]] * tf * (K1 + 1) / (tf + K1 * (1 - B + B * lengths[rows] / avg))
                   ).astype(np.float32)
        indptr = np.zeros(len(vocab) + 1, dtype=np.int64)
        np.cumsum(df, out=indptr[1:])
        return cls(vocab, indptr, rows, weights, n)

    def scores(self, query: dict[str, float]) -> np.ndarray:
        out = np.zeros(self.n_rows, dtype=np.float32)
        for term, qw in query.items():
            i = self.vocab.get(term)
            if i is None:
                continue
            lo, hi = self.indptr[i], self.indptr[i + 1]
            out[self.rows[lo:hi]] += qw * self.weights[lo:hi]
        return out

    def save(self, folder: Path, prefix: str) -> None:
        terms = sorted(self.vocab, key=self.vocab.get)  # built: ids are the terms' sorted order
        if terms != sorted(terms):
            raise ValueError("a term matrix is saved with its terms in sorted order")
        StringColumn.save(folder, f"{prefix}-vocab", terms)
        np.save(folder / f"{prefix}-indptr.npy", self.indptr)
        np.save(folder / f"{prefix}-rows.npy", self.rows)
        np.save(folder / f"{prefix}-weights.npy", self.weights)

    @classmethod
    def load(cls, folder: Path, prefix: str, n_rows: int) -> "TermMatrix":
        vocab = _ColumnVocabulary(StringColumn.load(folder, f"{prefix}-vocab"))  # looked up, not read whole
        return cls(vocab, np.load(folder / f"{prefix}-indptr.npy", mmap_mode="r"),
                   np.load(folder / f"{prefix}-rows.npy", mmap_mode="r"),
                   np.load(folder / f"{prefix}-weights.npy", mmap_mode="r"), n_rows)


@dataclass
class Learned:
    """What real questions taught (index/clause_learning.py builds it; kb/data ships it)."""
    expansion: dict[str, list[tuple[str, float]]] = field(default_factory=dict)  # question word → statute words
    asked: dict[str, list[str]] = field(default_factory=dict)  # article key → words of questions it answered
    law_words: dict[str, dict[str, float]] = field(default_factory=dict)  # law → word counts of its questions
    law_questions: dict[str, int] = field(default_factory=dict)  # law → questions answered by it
    weights: dict[str, float] = field(default_factory=dict)  # component → fusion weight

    def to_json(self) -> str:
        return json.dumps(self.__dict__, ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> "Learned":
        data = json.loads(text)
        data["expansion"] = {w: [tuple(p) for p in v] for w, v in data["expansion"].items()}
        return cls(**data)


def load_learned(path: Path = LEARNED_FILE) -> Learned:
    """The shipped tables and weights."""
    return Learned.from_json(gzip.decompress(path.read_bytes()).decode("utf-8"))


class LawPrior:
    """Multinomial naive Bayes over laws: each law's documents are its title's words (TITLE_COUNT
    times each) and the questions it answered; Dirichlet smoothing towards all laws' words."""
    TITLE_COUNT = 3.0
    MU = 30.0

    def __init__(self, law_titles: dict[str, list[str]], learned: Learned):
        self.laws = sorted(law_titles)
        entry_laws: list[int] = []  # one entry per (law, word) with the word's count in that law
        entry_words: list[str] = []
        entry_counts: list[float] = []
        for law_i, law in enumerate(self.laws):
            c: dict[str, float] = dict.fromkeys(law_titles[law], self.TITLE_COUNT)
            for w, n in learned.law_words.get(law, {}).items():
                c[w] = c.get(w, 0) + n
            entry_words += c.keys()
            entry_counts += c.values()
            entry_laws += [law_i] * len(c)
        self.vocab = {w: i for i, w in enumerate(sorted(set(entry_words)))}
        word_ids = np.fromiter(map(self.vocab.__getitem__, entry_words), dtype=np.int64, count=len(entry_words))
        counts = np.array(entry_counts, dtype=np.float64)
        # counts are whole numbers: these sums are exact in any order
        totals = np.bincount(np.array(entry_laws, dtype=np.int64), weights=counts, minlength=len(self.laws))
        background = np.bincount(word_ids, weights=counts, minlength=len(self.vocab))
        self.bg = background / (float(background.sum()) or 1.0)
        order = np.argsort(word_ids, kind="stable")  # by word, laws ascending within a word
        self.word_laws = np.array(entry_laws, dtype=np.int64)[order]
        self.word_counts = counts[order]
        self.word_ptr = np.zeros(len(self.vocab) + 1, dtype=np.int64)
        np.cumsum(np.bincount(word_ids, minlength=len(self.vocab)), out=self.word_ptr[1:])
        self.denom = np.log(totals + self.MU)
        questions = np.array([learned.law_questions.get(law, 0) for law in self.laws], dtype=np.float64)
        self.log_prior = np.log((questions + 1.0) / (questions + 1.0).sum())

    def posterior(self, tokens: list[str]) -> np.ndarray:
        logp = self.log_prior.copy()
        for w in tokens:
            i = self.vocab.get(w)
            if i is None:
                continue
            smooth = self.MU * self.bg[i]
            logp += math.log(smooth) - self.denom
            lo, hi = self.word_ptr[i], self.word_ptr[i + 1]
            laws, c = self.word_laws[lo:hi], self.word_counts[lo:hi]
            logp[laws] += np.log(c + smooth) - math.log(smooth)
        logp -= logp.max()
        p = np.exp(logp)
        return p / p.sum()


def _scaled(s: np.ndarray) -> np.ndarray:
    top = float(s.max()) if s.size else 0.0
    return s / top if top > 0 else s


def _dense_scaled(s: np.ndarray) -> np.ndarray:
    mean, top = float(s.mean()), float(s.max())
    return (s - mean) / (top - mean) if top > mean else s * 0


@dataclass
class Rows:
    """The clause rows a ranker scores: their article keys (<law title><path>) and laws.
    index/clause_rows.py's StoredRows answers the two questions below from mapped arrays."""
    keys: Sequence[str]
    laws: Sequence[str]

    def rows_of(self, keys: list[str]) -> list[np.ndarray]:
        """The rows of each of `keys` (several versions of a law share keys; empty where none)."""
        where: dict[str, list[int]] = {}
        for i, key in enumerate(self.keys):
            where.setdefault(key, []).append(i)
        return [np.array(where.get(k, ()), dtype=np.int64) for k in keys]

    def law_codes(self, laws: list[str]) -> np.ndarray:
        """Each row's law as its position in `laws`, -1 where it is not there."""
        law_index = {law: i for i, law in enumerate(laws)}
        return np.array([law_index.get(law, -1) for law in self.laws], dtype=np.int64)


class ClauseRanker:
    def __init__(self, rows: Rows, terms: TermMatrix, learned: Learned | None = None,
                 vectors: np.ndarray | None = None, law_titles: dict[str, list[str]] | None = None):
        self.rows, self.terms = rows, terms
        self.vectors = None if vectors is None else np.asarray(vectors, dtype=np.float32)  # BLAS needs float32
        self.learned = learned or Learned()
        found = [(k, r) for k, r in zip(self.learned.asked, rows.rows_of(list(self.learned.asked))) if r.size]
        self.asked_keys = [k for k, _ in found]
        self.asked_rows = [r for _, r in found]  # the rows of each asked key
        self.asked = TermMatrix.build([self.learned.asked[k] for k in self.asked_keys]) if found else None
        titles = law_titles or {}
        self.prior = LawPrior(titles, self.learned) if titles else None
        if self.prior:
            self.row_law = rows.law_codes(self.prior.laws)

    def components(self, tokens: list[str], query_vector: np.ndarray | None) -> dict[str, np.ndarray]:
        """Each component's score of every row (unscaled)."""
        q = Counter(tokens)
        out = {"bm25": self.terms.scores(q)}
        expansion: dict[str, float] = Counter()
        for w in q:
            for v, weight in self.learned.expansion.get(w, ()):
                if v not in q:
                    expansion[v] += weight
        out["expansion"] = self.terms.scores(expansion)
        asked = np.zeros(self.terms.n_rows, dtype=np.float32)
        if self.asked is not None:
            by_key = self.asked.scores(q)
            for j in np.flatnonzero(by_key):
                asked[self.asked_rows[j]] = by_key[j]
        out["asked"] = asked
        if self.vectors is not None and query_vector is not None:
            out["dense"] = self.vectors @ np.asarray(query_vector, dtype=np.float32)
        if self.prior is not None:
            post = self.prior.posterior(list(q))
            law = np.log(np.maximum(post, LAW_FLOOR)) - math.log(max(float(post.max()), LAW_FLOOR))
            out["law"] = np.where(self.row_law >= 0, law[self.row_law], math.log(LAW_FLOOR)).astype(np.float32)
        return out

    def candidates(self, parts: dict[str, np.ndarray], weights: dict[str, float],
                   allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """The candidate rows and their scaled component scores (rows × COMPONENTS)."""
        pool = []
        for name in ("bm25", "expansion", "asked", "dense"):
            s = parts.get(name)
            if s is None or not weights.get(name):
                continue
            if allowed is not None:
                s = np.where(allowed, s, -np.inf)
            k = min(CANDIDATES, s.size)
            top = np.argpartition(-s, k - 1)[:k] if k else np.zeros(0, dtype=np.int64)
            pool.append(top[np.isfinite(s[top]) & (s[top] > (-1 if name == "dense" else 0))])
        rows = np.unique(np.concatenate(pool)) if pool else np.zeros(0, dtype=np.int64)
        matrix = np.zeros((rows.size, len(COMPONENTS)), dtype=np.float32)
        for j, name in enumerate(COMPONENTS):
            s = parts.get(name)
            if s is None:
                continue
            if name == "dense":
                matrix[:, j] = _dense_scaled(s[rows]) if rows.size else 0
            elif name == "law":
                matrix[:, j] = s[rows]
            else:
                matrix[:, j] = _scaled(s[rows])
        return rows, matrix

    def rank(self, tokens: list[str], query_vector: np.ndarray | None = None,
             weights: dict[str, float] | None = None, allowed: np.ndarray | None = None,
             limit: int = 10) -> list[tuple[int, float]]:
        """(row, fused score) of the best rows, best first."""
        weights = weights if weights is not None else (self.learned.weights or {"bm25": 1.0})
        rows, matrix = self.candidates(self.components(tokens, query_vector), weights, allowed)
        fused = matrix @ weight_vector(weights)
        order = np.lexsort((rows, -fused))[:limit]
        return [(int(rows[i]), float(fused[i])) for i in order]


def weight_vector(weights: dict[str, float]) -> np.ndarray:
    return np.array([weights.get(c, 0.0) for c in COMPONENTS], dtype=np.float32)

def fuse(rows: np.ndarray, matrix: np.ndarray, weights: dict[str, float], limit: int) -> np.ndarray:
    """The best `limit` rows of a candidate matrix under `weights` (for tuning without re-scoring)."""
    fused = matrix @ weight_vector(weights)
    return rows[np.lexsort((rows, -fused))[:limit]]
