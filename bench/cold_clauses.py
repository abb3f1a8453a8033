"""Cold `kb search --clauses` end to end on the shipped corpus with the law corpus ingested (issue 17).

    python -m bench.cold_clauses [--work DIR] [--runs 5]

Copies corpus/ into the work folder, ingests ../shared/corpus/laws with `kb ingest --kind law`,
builds the index once (build time and the size of the clause ranking data are printed), then times
new `python cli.py search QUESTION --clauses` processes: the default fused ranking, with the word
ranking (`--words`, the ranking before issue 17) as the baseline beside it. Median and max of
`--runs` runs per question after one run that fills the page cache.
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
KB = [sys.executable, str(ROOT / "cli.py")]
QUESTIONS = ("买到假货商家不承认怎么办", "公司拖欠工资不给怎么办", "试用期被辞退有补偿吗", "计量器具")


def _size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.cold_clauses", description=__doc__.split("\n\n")[0])
    parser.add_argument("--work", type=Path, default=Path("/tmp/kb-cold-clauses"))
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--vector-cache", type=Path, help="sentence vectors computed before (KB_VECTOR_CACHE): "
                                                           "the build then embeds only texts they lack")
    args = parser.parse_args(argv)
    corpus, index = args.work / "corpus", args.work / "index"
    base = [*KB, "--index", str(index), "--corpus", str(corpus)]
    env = {**os.environ, **({"KB_VECTOR_CACHE": str(args.vector_cache)} if args.vector_cache else {})}
    if not (index / "CURRENT").exists():
        shutil.rmtree(args.work, ignore_errors=True)
        shutil.copytree(ROOT / "corpus", corpus)
        subprocess.run([*base, "ingest", str(LAWS), "--kind", "law", "--json"], check=True, capture_output=True)
        started = time.perf_counter()
        done = subprocess.run([*base, "build", "--json"], check=True, capture_output=True, text=True, env=env)
        summary = json.loads(done.stdout.strip().splitlines()[-1])
        print(f"build: {time.perf_counter() - started:.0f} s, {summary.get('clauses', 0):,} clauses")
    gen = index / (index / "CURRENT").read_text(encoding="utf-8").strip()
    ranking = gen / "clause-ranking"
    print(f"clause ranking data: {_size(ranking) / 1e6:.1f} MB "
          f"(vectors {(ranking / 'vectors.npy').stat().st_size / 1e6:.1f} MB); whole generation "
          f"{_size(gen) / 1e6:.0f} MB")
    print("| question | fused (default) median s | max s | word ranking (`--words`) median s | max s |")
    print("|---|---:|---:|---:|---:|")
    for question in QUESTIONS:
        row = []
        for extra in ((), ("--words",)):
            times = []
            for i in range(args.runs + 1):
                started = time.perf_counter()
                subprocess.run([*base, "search", question, "--clauses", *extra], check=True, capture_output=True)
                if i:
                    times.append(time.perf_counter() - started)
            row += [statistics.median(times), max(times)]
        print(f"| {question} | " + " | ".join(f"{t:.2f}" for t in row) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
