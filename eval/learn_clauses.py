"""Learn the shipped clause-ranking data from all of STARD's train questions (issue 17):
index/data/clause_learned.json.gz, which `kb search --clauses` uses by default.

The fusion weights are tuned as inside each cross-validation fold (eval/clause_cv.py): tables
learned on three quarters of the questions, weights tuned on the last quarter; then the tables are
relearned on every question. The numbers to quote are the cross-validated ones, not this fit's.

    python -m eval.learn_clauses
"""
from __future__ import annotations

import gzip
import sys

import numpy as np

from eval.clause_cv import CONFIGS, FULL, SEED, prepare


def fit(data: dict, indices: np.ndarray, enabled: tuple[str, ...]):
    from index.clause_learning import Pair, candidate_matrices, learn, tune
    from index.clause_ranking import ClauseRanker

    rows = data["rows"]
    row_of = {key: i for i, key in enumerate(rows.keys)}
    pairs = [Pair(tokens=t, gold=q["gold"]) for t, q in zip(data["q_tokens"], data["questions"])]
    shuffled = np.random.default_rng(SEED).permutation(indices)
    cut = len(shuffled) * 3 // 4
    inner = learn([pairs[i] for i in shuffled[:cut]], data["article_tokens"], data["law_of"])
    ranker = ClauseRanker(rows, data["terms"], inner, data["vectors"], data["law_titles"])
    tune_part = shuffled[cut:]
    mats = candidate_matrices(ranker, [(data["q_tokens"][i], data["q_vectors"][i]) for i in tune_part])
    gold = [{row_of[g] for g in data["questions"][i]["gold"] if g in row_of} for i in tune_part]
    learned = learn([pairs[i] for i in indices], data["article_tokens"], data["law_of"])
    learned.weights = tune(mats, gold, enabled)
    return learned


def main() -> int:
    from index.clause_ranking import LEARNED_FILE

    data = prepare()
    learned = fit(data, np.arange(len(data["questions"])), dict(CONFIGS)[FULL])
    LEARNED_FILE.write_bytes(gzip.compress(learned.to_json().encode("utf-8"), mtime=0))
    print(f"{LEARNED_FILE}: {LEARNED_FILE.stat().st_size:,} bytes; weights {learned.weights}; "
          f"{len(learned.expansion):,} expansion words, {len(learned.asked):,} asked articles, "
          f"{len(learned.law_words):,} laws")
    return 0


if __name__ == "__main__":
    sys.exit(main())
