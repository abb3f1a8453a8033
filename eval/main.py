"""eval/run: answer quality. Clause retrieval on STARD against the law corpus, and number lookup.

    eval/run            all 1,235 STARD questions over all laws; every spelling of the 1,111 real numbers
    eval/run --quick    a smoke size for CI
    eval/run --cover-only   only `kb cover` precision and recall on the judged set (eval/cover.py)

Clause retrieval: ../shared/eval/stard/train.jsonl has real questions with gold articles
named `<law title>第N条`. A gold title is the corpus law of that exact title, else of
"中华人民共和国" + title (STARD drops the prefix: 劳动合同法); the article is that
law's article in its latest version (bench/laws.py says how versions are decided).
Queries whose gold laws the corpus does not hold are left out and counted.

Systems, same articles, same jieba cut:
- stdkb: the clause index of index/clauses.py (kb.texts documents and clauses, our
  analyzer), searched with index.clauses.ClauseSearcher as `kb search --clauses` does
  (its shipped tables are learned from these very questions, so this row is in-sample:
  the honest figures are the cross-validated table below it, eval/clause_cv.py);
  a 款/项 hit counts as its article (bench/clauses.py);
- stdkb word ranking: ClauseSearcher.search_words (`--words`), the ranking before issue 17;
- BM25: rank-bm25 BM25Okapi over jieba tokens minus STARD's cn_stopwords.txt (as in
  the dataset's paper).

Per-query results go to eval/out/ (gitignored).
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STARD_DIR = (ROOT / ".." / "shared" / "eval" / "stard").resolve()
ANNOUNCEMENTS = (ROOT / ".." / "shared" / "records" / "announcements").resolve()
OUT = ROOT / "eval" / "out"
BENCHMARKS = ROOT / "BENCHMARKS.md"
_GOLD = re.compile(r"^(?P<title>.*?)(?P<article>第[零〇一二三四五六七八九十百千两]+条(?:之[零〇一二三四五六七八九十百千两]+)?)$")
KS = (1, 5, 10, 20)


# -- metrics -----------------------------------------------------------------------

def recall_at(ranked: list[str], gold: set[str], k: int) -> float:
    return len(set(ranked[:k]) & gold) / len(gold)


def mrr_at(ranked: list[str], gold: set[str], k: int = 10) -> float:
    return next((1 / (i + 1) for i, doc in enumerate(ranked[:k]) if doc in gold), 0.0)


def ndcg_at(ranked: list[str], gold: set[str], k: int = 10) -> float:
    dcg = sum(1 / math.log2(i + 2) for i, doc in enumerate(ranked[:k]) if doc in gold)
    ideal = sum(1 / math.log2(i + 2) for i in range(min(k, len(gold))))
    return dcg / ideal


def scores(runs: list[tuple[list[str], set[str]]]) -> dict[str, float]:
    n = len(runs) or 1
    out = {f"Recall@{k}": sum(recall_at(r, g, k) for r, g in runs) / n for k in KS}
    out["MRR@10"] = sum(mrr_at(r, g) for r, g in runs) / n
    out["nDCG@10"] = sum(ndcg_at(r, g) for r, g in runs) / n
    return out


# -- STARD ---------------------------------------------------------------------------

def gold_article(gold: str, titles: set[str]) -> str | None:
    """The corpus article id of one STARD gold answer, or None when the corpus lacks the law."""
    match = _GOLD.match(gold)
    if not match:
        return None
    for title in (match["title"], "中华人民共和国" + match["title"]):
        if title in titles:
            return title + match["article"]
    return None


def load_questions(titles: set[str], article_ids: set[str]) -> tuple[list[dict], dict]:
    questions = [json.loads(line) for line in (STARD_DIR / "train.jsonl").read_text(encoding="utf-8").splitlines()
                 if line.strip()]
    kept, stats = [], {"questions": len(questions), "gold laws held": 0, "gold articles held": 0}
    for q in questions:
        gold = [gold_article(g, titles) for g in q["gold"]]
        if any(g is None for g in gold):
            continue
        stats["gold laws held"] += 1
        stats["gold articles held"] += all(g in article_ids for g in gold)
        kept.append({"id": q["query_id"], "query": q["query"], "gold": gold, "stard_gold": q["gold"]})
    return kept, stats


class Bm25Baseline:
    """rank-bm25 BM25Okapi over jieba tokens without STARD's stop words."""

    def __init__(self, articles):
        from rank_bm25 import BM25Okapi

        from index.analysis import jieba_tokenizer

        self.tok = jieba_tokenizer()
        self.stops = {w.strip() for w in (STARD_DIR / "cn_stopwords.txt").read_text(encoding="utf-8").splitlines()
                      if w.strip()}
        self.ids = [a.id for a in articles]
        self.bm25 = BM25Okapi([self.tokens(a.text) for a in articles])

    def tokens(self, text: str) -> list[str]:
        return [w for w in self.tok.cut(text, HMM=False) if w.strip() and w not in self.stops]

    def search(self, text: str, limit: int = 20) -> list[str]:
        import numpy as np

        ranked = np.argsort(-self.bm25.get_scores(self.tokens(text)), kind="stable")[:limit]
        return [self.ids[i] for i in ranked]


def clause_eval(args, work: Path, engine: str = "whoosh") -> tuple[dict, dict, dict, list[dict]]:
    from bench.clauses import ClauseSearcher, build_clause_index
    from bench.laws import articles, law_documents, law_title
    from eval.clause_cv import QUICK_QUESTIONS, QUICK_LAW_STEP, VECTOR_CACHE
    from index.build import WriterSettings

    documents = law_documents()
    all_articles = articles(documents)
    questions, stats = load_questions({law_title(d.title) for d in documents}, {a.id for a in all_articles})
    if args.quick:
        questions = questions[:args.questions or QUICK_QUESTIONS]
        wanted = {g[:g.rindex("第")] for q in questions for g in q["gold"]}
        titles = sorted({law_title(d.title) for d in documents})
        wanted |= set(titles[::QUICK_LAW_STEP])  # and some laws no question asks about
        documents = [d for d in documents if law_title(d.title) in wanted]
        all_articles = [a for a in all_articles if a.title in wanted]
    elif args.questions:
        questions = questions[:args.questions]
    stats["articles indexed"] = len(all_articles)
    stats["questions evaluated"] = len(questions)
    started = time.perf_counter()
    stats["clauses indexed"] = build_clause_index(
        documents, work / f"clauses-{engine}", WriterSettings(procs=1 if args.quick else 2, multisegment=True),
        VECTOR_CACHE, engine=engine)
    stats["stdkb index build s"] = round(time.perf_counter() - started, 1)
    started = time.perf_counter()
    bm25 = Bm25Baseline(all_articles)
    stats["BM25 build s"] = round(time.perf_counter() - started, 1)
    ours = ClauseSearcher(work / f"clauses-{engine}", engine)
    ours.search(questions[0]["query"], 20)  # load the ranking data and the model once, unmeasured
    runs_ours, runs_words, runs_bm25, per_query, seconds = [], [], [], [], {"stdkb": [], "words": []}
    for q in questions:
        gold = set(q["gold"])
        t0 = time.perf_counter()
        a = ours.search(q["query"], 20)
        t1 = time.perf_counter()
        w = ours.search(q["query"], 20, words=True)
        seconds["stdkb"].append(t1 - t0)
        seconds["words"].append(time.perf_counter() - t1)
        b = bm25.search(q["query"], 20)
        runs_ours.append((a, gold))
        runs_words.append((w, gold))
        runs_bm25.append((b, gold))
        per_query.append({"id": q["id"], "query": q["query"], "gold": q["gold"],
                          "stdkb_rank": _rank(a, gold), "words_rank": _rank(w, gold), "bm25_rank": _rank(b, gold),
                          "stdkb_top10": a[:10], "bm25_top10": b[:10]})
    ours.close()
    stats["latency"] = {name: _percentiles(values) for name, values in seconds.items()}
    stats["words"] = scores(runs_words)
    return scores(runs_ours), scores(runs_bm25), stats, per_query


def _percentiles(seconds: list[float]) -> dict[str, float]:
    ordered = sorted(seconds)
    return {"p50": 1000 * ordered[len(ordered) // 2], "p95": 1000 * ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]}


def _rank(ranked: list[str], gold: set[str]) -> int | None:
    return next((i + 1 for i, doc in enumerate(ranked) if doc in gold), None)


def cross_validated(args) -> tuple[str, list[str]]:
    """The 5-fold table of eval/clause_cv.py and its target rows."""
    from eval import clause_cv

    data = clause_cv.prepare(args.quick)
    result = clause_cv.run(data)
    full = result["table"][clause_cv.FULL]
    targets = [f"| cross-validated Recall@10 ≥ 0.60 | {full['Recall@10'][0]:.3f} ± {full['Recall@10'][1]:.3f} | "
               f"{'yes' if full['Recall@10'][0] >= 0.60 else 'no'} |",
               f"| cross-validated MRR@10 ≥ 0.48 | {full['MRR@10'][0]:.3f} ± {full['MRR@10'][1]:.3f} | "
               f"{'yes' if full['MRR@10'][0] >= 0.48 else 'no'} |"]
    return clause_cv.render(result, data), targets


# -- number lookup -------------------------------------------------------------------

def real_numbers() -> list[str]:
    out = []
    for path in sorted(ANNOUNCEMENTS.glob("*.json")):
        out += [item["std_code"] for item in json.loads(path.read_text(encoding="utf-8"))["items"]]
    return out


def number_eval(args, work: Path, engine: str = "whoosh") -> tuple[dict, list[dict]]:
    from bench.variants import spelling_variants
    from index.build import rebuild
    from index.engine import KnowledgeIndex
    from kb import numbers
    from kb.errors import KbError

    rebuild(ROOT / "corpus", work / f"index-{engine}", engine=engine)
    kb = KnowledgeIndex.open(work / f"index-{engine}")
    codes = real_numbers()
    if args.quick:
        codes = codes[::25]
    tried = found = 0
    failures = []
    spellings = []
    for code in codes:
        # a joint standard prints two numbers ("DB51/T 10016-2026\nDB50/T 10016-2026"): each finds it
        parsed = numbers.parse_list(code)
        expected = parsed[0].canonical
        for number in parsed:
            spellings.append((code, expected, "as published", number.published))
            spellings += [(code, expected, name, spelling)
                          for name, spelling in spelling_variants(number.canonical).items()]
    for code, expected, name, spelling in spellings:
        tried += 1
        try:
            ids = [r.id for r in kb.lookup(spelling)]
        except KbError as exc:
            ids = [f"error: {exc}"]
        if expected in ids:
            found += 1
        else:
            failures.append({"number": code, "variant": name, "spelling": spelling, "got": ids[:5]})
    kb.close()
    return {"numbers": len(codes), "spellings": tried, "found": found,
            "accuracy": found / tried if tried else 0.0}, failures


# -- report ----------------------------------------------------------------------------

def render(ours: dict, bm25: dict, stats: dict, lookup: dict, cv: str, args, command: str, started, seconds) -> str:
    lines = [_heading(args, command, started).rstrip("\n"),
             f"- STARD: {stats['questions']:,} questions; gold laws held by the corpus: {stats['gold laws held']:,} "
             f"(every gold article found in the latest version: {stats['gold articles held']:,}); "
             f"evaluated: {stats['questions evaluated']:,} over {stats['articles indexed']:,} articles "
             f"({stats['clauses indexed']:,} clauses in the stdkb clause index); "
             f"run took {seconds:,.0f} s", "",
             "In-sample (the shipped tables were learned from these questions; see the cross-validated table):", "",
             "| metric | stdkb clause search | stdkb word ranking (`--words`, before issue 17) | BM25 (rank-bm25) "
             "| stdkb ÷ BM25 |", "|---|---:|---:|---:|---:|"]
    for name in ours:
        ratio = f"{ours[name] / bm25[name]:.2f}×" if bm25[name] else "–"
        lines.append(f"| {name} | {ours[name]:.3f} | {stats['words'][name]:.3f} | {bm25[name]:.3f} | {ratio} |")
    lat = stats["latency"]
    lines += ["", f"clause search latency, warm, in process ({stats['questions evaluated']:,} questions, "
                  f"`ClauseSearcher.search`, hits with snippets): "
                  f"p50 {lat['stdkb']['p50']:.0f} ms, p95 {lat['stdkb']['p95']:.0f} ms; word ranking "
                  f"p50 {lat['words']['p50']:.0f} ms, p95 {lat['words']['p95']:.0f} ms", "", cv]
    lines += ["", "| number lookup | value |", "|---|---:|",
              f"| real numbers | {lookup['numbers']:,} |", f"| spellings tried | {lookup['spellings']:,} |",
              f"| found their record | {lookup['found']:,} |", f"| accuracy | {lookup['accuracy']:.2%} |", "",
              "| target | measured | met |", "|---|---|---|",
              f"| Recall@10 above BM25 | {ours['Recall@10']:.3f} vs {bm25['Recall@10']:.3f} | "
              f"{'yes' if ours['Recall@10'] > bm25['Recall@10'] else 'no'} |",
              f"| MRR@10 above BM25 | {ours['MRR@10']:.3f} vs {bm25['MRR@10']:.3f} | "
              f"{'yes' if ours['MRR@10'] > bm25['MRR@10'] else 'no'} |",
              *stats["cv targets"],
              f"| number lookup 100% | {lookup['accuracy']:.2%} | {'yes' if lookup['found'] == lookup['spellings'] else 'no'} |"]
    return "\n".join(lines) + "\n"


def retrieval_eval(args, command: str, started, t0: float, work: Path, suffix: str) -> str:
    """Clause retrieval and number lookup with each engine of args.engines: the first one's table
    (per-query results go to args.out_dir), then, with two engines, both side by side."""
    results = {}
    for engine in args.engines:
        ours, bm25, stats, per_query = clause_eval(args, work, engine)
        lookup, lookup_failures = number_eval(args, work, engine)
        results[engine] = (ours, stats, lookup)
        if engine != args.engines[0]:
            continue
        with open(args.out_dir / f"clauses{suffix}.jsonl", "w", encoding="utf-8") as handle:
            for row in per_query:
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")
        with open(args.out_dir / f"clause-failures{suffix}.jsonl", "w", encoding="utf-8") as handle:
            for row in per_query:
                if row["stdkb_rank"] is None or row["stdkb_rank"] > 10:
                    handle.write(json.dumps(row, ensure_ascii=False) + "\n")
        (args.out_dir / f"clause-scores{suffix}.json").write_text(
            json.dumps({"stdkb": ours, "bm25": bm25, "stats": stats}, ensure_ascii=False, indent=1), encoding="utf-8")
        with open(args.out_dir / f"number-failures{suffix}.jsonl", "w", encoding="utf-8") as handle:
            for row in lookup_failures:
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")
        first = (ours, bm25, stats, lookup)
    cv, cv_targets = cross_validated(args)
    first[2]["cv targets"] = cv_targets
    print(f"per-query results: {args.out_dir}/clauses{suffix}.jsonl, failures: clause-failures{suffix}.jsonl, "
          f"number-failures{suffix}.jsonl")
    table = render(*first, cv, args, command, started, time.perf_counter() - t0)
    return table + (engines_table(results) if len(results) > 1 else "")


def engines_table(results: dict) -> str:
    """STARD and number-lookup figures per engine (the fused ranking reads the same stored rows in
    both; the word ranking is each engine's own BM25)."""
    lines = ["", "By engine (same questions, same corpus):", "",
             "| engine | Recall@10 | MRR@10 | word ranking Recall@10 | word ranking MRR@10 | clause p95 ms "
             "| word ranking p95 ms | number lookup |", "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for engine, (ours, stats, lookup) in results.items():
        lat = stats["latency"]
        lines.append(f"| {engine} | {ours['Recall@10']:.3f} | {ours['MRR@10']:.3f} | {stats['words']['Recall@10']:.3f} "
                     f"| {stats['words']['MRR@10']:.3f} | {lat['stdkb']['p95']:.0f} | {lat['words']['p95']:.0f} "
                     f"| {lookup['found']:,}/{lookup['spellings']:,} ({lookup['accuracy']:.2%}) |")
    return "\n".join(lines) + "\n"


def _heading(args, command: str, started) -> str:
    from bench.main import machine

    return "\n".join([f"## eval/run — {started:%Y-%m-%d %H:%M} UTC" + (" (quick)" if args.quick else ""), "",
                      f"- command: `{command}`", f"- machine: {machine()}"]) + "\n"


def cover_section(args, work: Path, suffix: str) -> str:
    """`kb cover` precision and recall on the judged terms (eval/cover.py); per-term details to args.out_dir."""
    from eval import cover

    judgments = cover.load_judgments()
    chosen = judgments[::3] if args.quick else judgments
    scores, stats = cover.cover_eval(chosen, work, args.cover_corpus)
    stats["terms judged"] = len(judgments)
    cover.write_details(scores, args.out_dir / f"cover{suffix}.jsonl")
    print(f"per-term cover results: {args.out_dir}/cover{suffix}.jsonl")
    return cover.render_cover(scores, cover.summary(scores), stats)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="eval/run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smoke size for CI")
    parser.add_argument("--questions", type=int, default=0, help="evaluate the first N kept questions only")
    parser.add_argument("--cover-only", action="store_true",
                        help="only `kb cover` precision and recall on eval/cover/judgments.jsonl")
    parser.add_argument("--cover-corpus", type=Path, default=ROOT / "corpus",
                        help="corpus directory the cover part indexes (default: the shipped corpus/)")
    parser.add_argument("--engine", default="whoosh", choices=["whoosh", "tantivy", "both"],
                        help="index engine of the clause and number evaluations (both: side by side)")
    parser.add_argument("--no-append", action="store_true", help="print only; leave BENCHMARKS.md alone")
    parser.add_argument("--output", type=Path, default=BENCHMARKS)
    parser.add_argument("--out-dir", type=Path, default=OUT, help="where per-query results go")
    args = parser.parse_args(argv)
    args.engines = ["whoosh", "tantivy"] if args.engine == "both" else [args.engine]
    command = "eval/run" + "".join(f" {a}" for a in (argv if argv is not None else sys.argv[1:]))
    started = dt.datetime.now(dt.timezone.utc)
    t0 = time.perf_counter()
    work = Path(tempfile.mkdtemp(prefix="kb-eval-"))
    args.out_dir.mkdir(parents=True, exist_ok=True)
    suffix = "-quick" if args.quick else ""
    try:
        if args.cover_only:
            table = _heading(args, command, started)
        else:
            table = retrieval_eval(args, command, started, t0, work, suffix)
        table += "\n" + cover_section(args, work, suffix)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(table)
    if not args.no_append:
        with open(args.output, "a", encoding="utf-8") as handle:
            handle.write("\n" + table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
