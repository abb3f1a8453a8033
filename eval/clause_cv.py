"""Cross-validated clause ranking on STARD (issue 17): learn on four folds, score the fifth.

Everything learned from train (expansion table, asked questions, law prior, fusion weights) is
learned inside each fold from its four training folds only: the weights on an inner split (tables
learned on three of them, weights tuned on the fourth), then the tables relearned on all four,
then the held-out fold scored. Rows are the latest-version articles of the law corpus (as for the
BM25 baseline); sentence vectors are the ones the clause index stores (index/dense.py), cached
under eval/out/vectors/ (gitignored) between runs.

    python -m eval.clause_cv [--folds 5] [--quick]

Held-out questions whose gold article the shipped ranking leaves out of its top 10 go to
eval/out/clause-cv-failures.jsonl.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
VECTOR_CACHE = ROOT / "eval" / "out" / "vectors"
SEED = 17
QUICK_QUESTIONS = 25  # eval/run --quick: the first questions, their laws and every QUICK_LAW_STEP-th other law
QUICK_LAW_STEP = 100
# (row name, components on); each row adds one thing to the one above, then two rows without it
CONFIGS = (
    ("BM25 (our tokens)", ("bm25",)),
    ("+ expansion table", ("bm25", "expansion")),
    ("+ asked questions (document expansion)", ("bm25", "expansion", "asked")),
    ("+ law prior", ("bm25", "expansion", "asked", "law")),
    ("+ dense (USE-m3), all: the shipped ranking", ("bm25", "expansion", "asked", "law", "dense")),
    ("BM25 + dense only (nothing learned)", ("bm25", "dense")),
    ("all but dense = learned only", ("bm25", "expansion", "asked", "law")),
)
FULL = CONFIGS[4][0]


def prepare(quick: bool = False) -> dict:
    from bench.laws import articles, law_documents, law_title
    from eval.main import load_questions
    from index import dense
    from index.analysis import analyze, jieba_tokenizer
    from index.clause_ranking import Rows, TermMatrix

    jieba_tokenizer()
    documents = law_documents()
    arts = articles(documents)
    questions, _ = load_questions({law_title(d.title) for d in documents}, {a.id for a in arts})
    if quick:
        questions = questions[:QUICK_QUESTIONS]
        wanted = {g[:g.rindex("第")] for q in questions for g in q["gold"]}
        titles = sorted({law_title(d.title) for d in documents})
        wanted |= set(titles[::QUICK_LAW_STEP])
        arts = [a for a in arts if a.title in wanted]
    started = time.perf_counter()
    tokens = [analyze(a.text or a.heading) for a in arts]
    terms = TermMatrix.build(tokens)
    sparse_s = time.perf_counter() - started
    started = time.perf_counter()
    vectors = dense.cached_encode([dense.clause_text(a.title, a.heading, a.text) for a in arts], VECTOR_CACHE)
    dense_s = time.perf_counter() - started
    rows = Rows(keys=[a.id for a in arts], laws=[a.title for a in arts])
    law_titles = {t: analyze(t.removeprefix("中华人民共和国")) for t in sorted(set(rows.laws))}
    q_tokens = [analyze(q["query"]) for q in questions]
    q_vectors = dense.encode([q["query"] for q in questions])
    return {"articles": arts, "questions": questions, "tokens": tokens, "terms": terms, "vectors": vectors,
            "rows": rows, "law_titles": law_titles, "q_tokens": q_tokens, "q_vectors": q_vectors,
            "sparse_s": sparse_s, "dense_s": dense_s,
            "article_tokens": {a.id: t for a, t in zip(arts, tokens)}, "law_of": {a.id: a.title for a in arts}}


def folds_of(n: int, k: int, seed: int = SEED) -> list[np.ndarray]:
    return np.array_split(np.random.default_rng(seed).permutation(n), k)


def run(data: dict, k: int = 5) -> dict:
    from eval.main import scores
    from index.clause_learning import Pair, candidate_matrices, learn, tune
    from index.clause_ranking import ClauseRanker

    rows = data["rows"]
    row_of = {key: i for i, key in enumerate(rows.keys)}
    questions = data["questions"]
    pairs = [Pair(tokens=t, gold=q["gold"]) for t, q in zip(data["q_tokens"], questions)]
    gold_rows = [{row_of[g] for g in q["gold"] if g in row_of} for q in questions]

    def ranker(indices) -> ClauseRanker:
        learned = learn([pairs[i] for i in indices], data["article_tokens"], data["law_of"])
        return ClauseRanker(rows, data["terms"], learned, data["vectors"], data["law_titles"])

    per_fold: dict[str, list[dict]] = {name: [] for name, _ in CONFIGS}
    ranked_full: dict[int, list[str]] = {}
    weights_seen: dict[str, list[dict]] = {name: [] for name, _ in CONFIGS}
    latencies = []
    folds = folds_of(len(questions), k)
    for f, held in enumerate(folds):
        train = np.concatenate([folds[j] for j in range(k) if j != f])
        inner = np.random.default_rng(SEED + f).permutation(train)
        cut = len(inner) * 3 // 4
        learn_part, tune_part = inner[:cut], inner[cut:]
        inner_ranker = ranker(learn_part)
        mats = candidate_matrices(inner_ranker, [(data["q_tokens"][i], data["q_vectors"][i]) for i in tune_part])
        outer = ranker(train)
        for name, enabled in CONFIGS:
            weights = tune(mats, [gold_rows[i] for i in tune_part], enabled)
            weights_seen[name].append(weights)
            runs = []
            for i in held:
                t0 = time.perf_counter()
                top = outer.rank(data["q_tokens"][i], data["q_vectors"][i], weights, limit=20)
                if name == FULL:
                    latencies.append(time.perf_counter() - t0)
                ranked = [rows.keys[r] for r, _ in top]
                if name == FULL:
                    ranked_full[int(i)] = ranked
                runs.append((ranked, set(questions[i]["gold"])))
            per_fold[name].append(scores(runs))
        print(f"fold {f + 1}/{k} done", file=sys.stderr, flush=True)
    table = {}
    for name, _ in CONFIGS:
        metrics = per_fold[name][0].keys()
        table[name] = {m: (statistics.mean(r[m] for r in per_fold[name]),
                           statistics.pstdev(r[m] for r in per_fold[name])) for m in metrics}
    lat = sorted(latencies)
    return {"table": table, "weights": weights_seen, "ranked_full": ranked_full,
            "latency_ms": {"p50": 1000 * lat[len(lat) // 2], "p95": 1000 * lat[int(len(lat) * 0.95)]} if lat else {},
            "questions": len(questions), "articles": len(rows.keys), "folds": k}


def render(result: dict, data: dict) -> str:
    metrics = list(next(iter(result["table"].values())))
    lines = [f"Cross-validated ({result['folds']} folds, seed {SEED}, {result['questions']:,} questions over "
             f"{result['articles']:,} articles): mean ± spread (population s.d. over folds)", "",
             "| ranking | " + " | ".join(metrics) + " |", "|---|" + "---:|" * len(metrics)]
    for name, row in result["table"].items():
        lines.append(f"| {name} | " + " | ".join(f"{m:.3f} ± {s:.3f}" for m, s in row.values()) + " |")
    if result["latency_ms"]:
        lines += ["", f"ranking latency (shipped ranking, in process, question tokens and vector given): "
                      f"p50 {result['latency_ms']['p50']:.1f} ms, p95 {result['latency_ms']['p95']:.1f} ms; "
                      f"term matrix built in {data['sparse_s']:.1f} s"]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.clause_cv", description=__doc__.split("\n\n")[0])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    data = prepare(args.quick)
    result = run(data, args.folds)
    print(render(result, data))
    out = ROOT / "eval" / "out"
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "clause-cv-failures.jsonl", "w", encoding="utf-8") as handle:
        for i, ranked in sorted(result["ranked_full"].items()):
            q = data["questions"][i]
            if not set(ranked[:10]) & set(q["gold"]):
                handle.write(json.dumps({"query": q["query"], "gold": q["gold"], "top10": ranked[:10]},
                                        ensure_ascii=False) + "\n")
    (out / "clause-cv.json").write_text(json.dumps({k: v for k, v in result.items() if k != "ranked_full"},
                                                   ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
