"""Learning clause ranking from real question → gold article pairs (a query log): the expansion
table, the questions each article answered, the words of each law's questions, and the fusion
weights (index/clause_ranking.py uses them). eval/learn_clauses.py ships what it learns from
all of STARD's train questions; eval/clause_cv.py scores it by cross-validation.
"""
from __future__ import annotations

import itertools
import math
from collections import Counter, defaultdict
from dataclasses import dataclass

import numpy as np

from index.clause_ranking import ClauseRanker, Learned, fuse

MIN_QUESTIONS = 2  # a word learns expansions from at least this many questions
MIN_SHARE = 0.3  # … whose gold articles hold the statute word in at least this share
MIN_LIFT = 8.0  # … this many times more often than articles at large
MAX_EXPANSIONS = 6
GRID = {"expansion": (0.0, 0.15, 0.3, 0.6), "asked": (0.0, 0.25, 0.5, 1.0, 2.0),
        "dense": (0.0, 0.5, 1.0, 2.0, 4.0), "law": (0.0, 0.05, 0.1, 0.2, 0.4)}


@dataclass
class Pair:
    tokens: list[str]  # the question's words (index.analysis.analyze, query mode)
    gold: list[str]  # article keys: <law title><第N条>


def learn(pairs: list[Pair], article_tokens: dict[str, list[str]], law_of: dict[str, str]) -> Learned:
    """Tables learned from `pairs` (weights left to tune)."""
    n_articles = len(article_tokens) or 1
    df = Counter()
    for tokens in article_tokens.values():
        df.update(set(tokens))
    asked: dict[str, list[str]] = defaultdict(list)
    law_words: dict[str, Counter] = defaultdict(Counter)
    law_questions: Counter = Counter()
    together: dict[str, Counter] = defaultdict(Counter)
    asked_with: Counter = Counter()
    for pair in pairs:
        words = set(pair.tokens)
        statute = set()
        for key in pair.gold:
            asked[key] += pair.tokens
            statute |= set(article_tokens.get(key, ()))
        for law in {law_of[k] for k in pair.gold if k in law_of}:
            law_words[law].update(pair.tokens)
            law_questions[law] += 1
        for w in words:
            asked_with[w] += 1
            together[w].update(statute - words)
    expansion = {}
    for w, n in asked_with.items():
        if n < MIN_QUESTIONS:
            continue
        picks = []
        for v, c in together[w].items():
            share = c / n
            lift = share / (df[v] / n_articles) if df[v] else 0.0
            if c >= MIN_QUESTIONS and share >= MIN_SHARE and lift >= MIN_LIFT:
                picks.append((share * math.log(lift), v, round(share, 3)))
        if picks:
            expansion[w] = [(v, share) for _, v, share in sorted(picks, reverse=True)[:MAX_EXPANSIONS]]
    return Learned(expansion=expansion, asked=dict(asked),
                   law_words={law: dict(c) for law, c in law_words.items()}, law_questions=dict(law_questions))


def _objective(ranked: list[np.ndarray], gold: list[set[int]]) -> float:
    """MRR@10 + Recall@10 over the tuning questions."""
    total = 0.0
    for rows, g in zip(ranked, gold):
        top = rows[:10].tolist()
        total += next((1 / (i + 1) for i, r in enumerate(top) if r in g), 0.0)
        total += len(set(top) & g) / len(g)
    return total / max(len(gold), 1)


def candidate_matrices(ranker: ClauseRanker, questions: list[tuple[list[str], np.ndarray | None]]) -> list:
    """Each question's candidate rows and scaled component scores, every component on."""
    every = {"bm25": 1.0, **{c: max(GRID[c]) for c in GRID}}
    return [ranker.candidates(ranker.components(tokens, vec), every) for tokens, vec in questions]


def tune(mats: list, gold: list[set[int]], enabled: tuple[str, ...]) -> dict[str, float]:
    """Fusion weights (bm25 = 1) maximizing MRR@10 + Recall@10 over the tuning questions'
    candidate matrices (candidate_matrices) and gold rows, searching GRID for the enabled components."""
    names = [c for c in GRID if c in enabled]
    best, best_weights = -1.0, {"bm25": 1.0}
    for combo in itertools.product(*(GRID[c] for c in names)):
        weights = {"bm25": 1.0, **dict(zip(names, combo))}
        score = _objective([fuse(rows, m, weights, 10) for rows, m in mats], gold)
        if score > best + 1e-9:
            best, best_weights = score, weights
    return best_weights
