"""Cold `kb search --clauses` end to end on the shipped corpus with the law corpus ingested (issue 17).

    python -m bench.cold_clauses [--work DIR] [--runs 5] [--vector-cache DIR] [--baseline CHECKOUT]

Copies corpus/ into the work folder, ingests ../shared/corpus/laws with `kb ingest --kind law`,
builds the index once (build time and the size of the clause ranking data are printed), then times
new `python cli.py search QUESTION --clauses` processes: the default fused ranking, with the word
ranking (`--words`, the ranking before issue 17) as the baseline beside it. Median and max of
`--runs` runs per question after one run that fills the page cache.

With `--baseline CHECKOUT` (a checkout of the code before, e.g. a worktree of main) the same runs
are made with that checkout's cli.py (this interpreter, the checkout's own packages first on
sys.path) against its own index of the same corpus (WORK/baseline-index, built with its code and
the same vector cache), alternating with this code's runs, so both columns are of the same moment.
Then the warm latency (one process, median of 20 searches after the first) and where one cold
process spends its time (imports, opening the index, rank data and ranker, encoder, the search).
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LAWS = (ROOT / ".." / "shared" / "corpus" / "laws").resolve()
QUESTIONS = ("买到假货商家不承认怎么办", "公司拖欠工资不给怎么办", "试用期被辞退有补偿吗", "计量器具")
WARM_RUNS = 20

# Run with `python -c` in a checkout (its packages first on sys.path): argv index, question, runs.
STAGES = r"""
import json, sys, time
t0 = time.perf_counter()
from pathlib import Path
from index import dense
from index.clause_rows import vector_cache
from index.engine import KnowledgeIndex
t1 = time.perf_counter()
ix = KnowledgeIndex.open(Path(sys.argv[1]))
searcher = ix.clauses
t2 = time.perf_counter()
searcher.ranker()
t3 = time.perf_counter()
dense._model(vector_cache(searcher._gen_path.parent))
t4 = time.perf_counter()
searcher.search(sys.argv[2])
t5 = time.perf_counter()
warm = []
for _ in range(int(sys.argv[3])):
    started = time.perf_counter()
    searcher.search(sys.argv[2])
    warm.append(time.perf_counter() - started)
warm.sort()
print(json.dumps({"imports": t1 - t0, "open": t2 - t1, "rank data + ranker": t3 - t2, "encoder": t4 - t3,
                  "first search": t5 - t4, "warm": warm[len(warm) // 2] if warm else None}))
"""


def _size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _build(cli: list[str], index: Path, corpus: Path, env: dict) -> None:
    started = time.perf_counter()
    done = subprocess.run([*cli, "--index", str(index), "--corpus", str(corpus), "build", "--json"], check=True,
                          capture_output=True, text=True, env=env)
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    print(f"build ({index.name}): {time.perf_counter() - started:.0f} s, {summary.get('clauses', 0):,} clauses")


def _describe(index: Path, name: str) -> None:
    gen = index / (index / "CURRENT").read_text(encoding="utf-8").strip()
    ranking = gen / "clause-ranking"
    print(f"{name}: clause ranking data {_size(ranking) / 1e6:.1f} MB "
          f"(vectors {(ranking / 'vectors.npy').stat().st_size / 1e6:.1f} MB); whole generation "
          f"{_size(gen) / 1e6:.0f} MB")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.cold_clauses", description=__doc__.split("\n\n")[0])
    parser.add_argument("--work", type=Path, default=Path("/tmp/kb-cold-clauses"))
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--vector-cache", type=Path, help="sentence vectors computed before (KB_VECTOR_CACHE): "
                                                           "the build then embeds only texts they lack")
    parser.add_argument("--baseline", type=Path, help="a checkout of the code before, timed beside this one")
    parser.add_argument("--questions", type=int, default=len(QUESTIONS), help="time only the first N questions")
    args = parser.parse_args(argv)
    corpus = args.work / "corpus"
    env = {**os.environ, **({"KB_VECTOR_CACHE": str(args.vector_cache)} if args.vector_cache else {})}
    variants = {"this code": ([sys.executable, str(ROOT / "cli.py")], args.work / "index", ROOT)}
    if args.baseline:
        checkout = args.baseline.resolve()
        variants["baseline"] = ([sys.executable, str(checkout / "cli.py")], args.work / "baseline-index", checkout)
    ingested = args.work / "laws-ingested"  # the corpus copy holds the law corpus
    if not ingested.exists() and not any((index / "CURRENT").exists() for _, index, _ in variants.values()):
        shutil.rmtree(args.work, ignore_errors=True)
        shutil.copytree(ROOT / "corpus", corpus)
        subprocess.run([*variants["this code"][0], "--index", str(args.work / "index"), "--corpus", str(corpus),
                        "ingest", str(LAWS), "--kind", "law", "--json"], check=True, capture_output=True, env=env)
        ingested.touch()
    for name, (cli, index, _) in variants.items():
        if not (index / "CURRENT").exists():
            _build(cli, index, corpus, env)
        _describe(index, name)
    columns = [(name, extra) for name in variants for extra in ((), ("--words",))
               if not (extra and name == "baseline")]
    print("| question | " + " | ".join(f"{name}{' `--words`' if extra else ''} median s | max s"
                                      for name, extra in columns) + " |")
    print("|---|" + "---:|---:|" * len(columns))
    for question in QUESTIONS[:args.questions]:
        times: dict = {c: [] for c in columns}
        for i in range(args.runs + 1):
            for name, extra in columns:  # alternating: every column sees the same moments
                cli, index, _ = variants[name]
                started = time.perf_counter()
                subprocess.run([*cli, "--index", str(index), "--corpus", str(corpus), "search", question,
                                "--clauses", *extra], check=True, capture_output=True, env=env)
                if i:
                    times[(name, extra)].append(time.perf_counter() - started)
        print(f"| {question} | " + " | ".join(f"{statistics.median(t):.2f} | {max(t):.2f}" for t in times.values())
              + " |")
    print(f"\nin one cold process (s; warm = median of {WARM_RUNS} searches after the first):")
    stages = ("imports", "open", "rank data + ranker", "encoder", "first search", "warm")
    print("| question | code | " + " | ".join(stages) + " |")
    print("|---|---|" + "---:|" * len(stages))
    for question in QUESTIONS[:min(2, args.questions)]:
        for name, (_, index, checkout) in variants.items():
            done = subprocess.run([sys.executable, "-c", STAGES, str(index), question, str(WARM_RUNS)], cwd=checkout,
                                  check=True, capture_output=True, text=True, env=env)
            row = json.loads(done.stdout.strip().splitlines()[-1])
            print(f"| {question} | {name} | " + " | ".join(f"{row[s]:.3f}" for s in stages) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
