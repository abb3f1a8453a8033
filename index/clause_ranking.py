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
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

K1, B = 1.2, 0.75
CANDIDATES = 300
LAW_FLOOR = 1e-3  # P(law | question) below this counts as this (log prior ≥ log 1e-3)
COMPONENTS = ("bm25", "expansion", "asked", "dense", "law")
LEARNED_FILE = Path(__file__).resolve().parent / "data" / "clause_learned.json.gz"  # eval/learn_clauses.py


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
        postings: dict[str, list[tuple[int, int]]] = {}
        for row, tokens in enumerate(token_lists):
            for term, tf in Counter(tokens).items():
                postings.setdefault(term, []).append((row, tf))
        vocab = {term: i for i, term in enumerate(sorted(postings))}
        indptr = np.zeros(len(vocab) + 1, dtype=np.int64)
        rows_out, weights_out = [], []
        for term in sorted(postings):
            plist = postings[term]
            idf = math.log(1 + (n - len(plist) + 0.5) / (len(plist) + 0.5))
            r = np.array([p[0] for p in plist], dtype=np.int32)
            tf = np.array([p[1] for p in plist], dtype=np.float32)
            w = idf * tf * (K1 + 1) / (tf + K1 * (1 - B + B * lengths[r] / avg))
            rows_out.append(r)
            weights_out.append(w.astype(np.float32))
            indptr[vocab[term] + 1] = len(plist)
        np.cumsum(indptr, out=indptr)
        rows = np.concatenate(rows_out) if rows_out else np.zeros(0, dtype=np.int32)
        weights = np.concatenate(weights_out) if weights_out else np.zeros(0, dtype=np.float32)
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
        (folder / f"{prefix}-vocab.json").write_text(json.dumps(sorted(self.vocab, key=self.vocab.get),
                                                                ensure_ascii=False), encoding="utf-8")
        np.save(folder / f"{prefix}-indptr.npy", self.indptr)
        np.save(folder / f"{prefix}-rows.npy", self.rows)
        np.save(folder / f"{prefix}-weights.npy", self.weights)

    @classmethod
    def load(cls, folder: Path, prefix: str, n_rows: int) -> "TermMatrix":
        terms = json.loads((folder / f"{prefix}-vocab.json").read_text(encoding="utf-8"))
        return cls({t: i for i, t in enumerate(terms)}, np.load(folder / f"{prefix}-indptr.npy", mmap_mode="r"),
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
        counts = []
        for law in self.laws:
            c = Counter({w: self.TITLE_COUNT for w in law_titles[law]})
            for w, n in learned.law_words.get(law, {}).items():
                c[w] += n
            counts.append(c)
        vocab = sorted({w for c in counts for w in c})
        self.vocab = {w: i for i, w in enumerate(vocab)}
        totals = np.array([sum(c.values()) for c in counts], dtype=np.float64)
        background = Counter()
        for c in counts:
            background.update(c)
        bg_total = sum(background.values()) or 1.0
        self.bg = np.array([background[w] / bg_total for w in vocab], dtype=np.float64)
        by_word: dict[int, list[tuple[int, float]]] = {}
        for law, c in enumerate(counts):
            for w, n in c.items():
                by_word.setdefault(self.vocab[w], []).append((law, n))
        self.word_laws = {i: (np.array([p[0] for p in v]), np.array([p[1] for p in v], dtype=np.float64))
                          for i, v in by_word.items()}
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
            laws, c = self.word_laws[i]
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
    """The clause rows a ranker scores: their article keys (<law title><path>) and laws."""
    keys: list[str]
    laws: list[str]


class ClauseRanker:
    def __init__(self, rows: Rows, terms: TermMatrix, learned: Learned | None = None,
                 vectors: np.ndarray | None = None, law_titles: dict[str, list[str]] | None = None):
        self.rows, self.terms = rows, terms
        self.vectors = None if vectors is None else np.asarray(vectors, dtype=np.float32)  # BLAS needs float32
        self.learned = learned or Learned()
        self.row_of_key: dict[str, list[int]] = {}
        for i, key in enumerate(rows.keys):
            self.row_of_key.setdefault(key, []).append(i)
        asked_keys = [k for k in self.learned.asked if k in self.row_of_key]
        self.asked_keys = asked_keys
        self.asked = TermMatrix.build([self.learned.asked[k] for k in asked_keys]) if asked_keys else None
        titles = law_titles or {}
        self.prior = LawPrior(titles, self.learned) if titles else None
        if self.prior:
            law_index = {law: i for i, law in enumerate(self.prior.laws)}
            self.row_law = np.array([law_index.get(law, -1) for law in rows.laws], dtype=np.int64)

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
                asked[self.row_of_key[self.asked_keys[j]]] = by_key[j]
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
