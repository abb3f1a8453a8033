#!/usr/bin/env python3
"""Concurrent corpus writers lose nothing (issue 18, item 1).

Each trial starts real `kb` processes at the same moment on one corpus directory and
checks that every record, text and change entry of every writer is there afterwards:
    imports   two `kb import` of 3,000 different synthetic numbers each
    ingests   two `kb ingest` of 30 synthetic policy texts each
    crawl     `kb crawl openstd` against the local mirror beside a `kb import` of 3,000

    python bench/concurrent_writers.py --trials 20        # the bench run (BENCHMARKS.md)
    python bench/concurrent_writers.py --trials 1 --json  # what tests/test_corpus_writers.py runs

Exit 0 when no trial lost anything, 1 otherwise.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
for extra in (ROOT, ROOT / "tests"):
    if str(extra) not in sys.path:
        sys.path.insert(0, str(extra))

from kb.changes import read_changes  # noqa: E402
from kb.corpus import STANDARDS_FILE, load_records  # noqa: E402
from kb.texts.model import TEXTS_FILE, load_documents  # noqa: E402

POLICY = (ROOT / ".." / "shared" / "corpus" / "policy" / "质量强国首善之区建设意见.txt").resolve()
GB_T_1_1 = {"GB/T 1.1-2000", "GB/T 1.1-2009", "GB/T 1.1-2020"}
IMPORT_SIZE = 3000
INGEST_SIZE = 30


def synthetic_list(path: Path, region: str, count: int = IMPORT_SIZE) -> set[str]:
    """A CSV standards list of `count` local standards DB<region>/T 1 … DB<region>/T count."""
    rows = ["标准号,标准名称,发布日期,实施日期,状态"]
    numbers = set()
    for i in range(1, count + 1):
        number = f"DB{region}/T {i}-2025"
        numbers.add(number)
        rows.append(f"{number},合成地方标准 {region}-{i} 技术规范,2025-01-0{1 + i % 9},2025-06-01,现行")
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return numbers


def synthetic_texts(folder: Path, side: str, count: int = INGEST_SIZE) -> set[str]:
    """`count` policy texts (the real 质量强国 text under other names): the ids they get."""
    folder.mkdir(parents=True, exist_ok=True)
    body = POLICY.read_bytes()
    for i in range(count):
        (folder / f"合成政策{side}第{i}号.txt").write_bytes(body)
    return {f"policy:合成政策{side}第{i}号" for i in range(count)}


def _kb(*args: str, env: dict) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", "import cli; cli.main()", *args], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def _env(work: Path) -> dict:
    return {**os.environ, "KB_HOME": str(work / "home"), "PYTHONPATH": str(ROOT)}


def _finish(processes: list[subprocess.Popen]) -> list[str]:
    problems = []
    for process in processes:
        _, err = process.communicate(timeout=600)
        if process.returncode != 0:
            problems.append(f"exit {process.returncode}: {err.strip()[-300:]}")
    return problems


def trial_imports(work: Path) -> dict:
    corpus = work / "corpus"
    a, b = synthetic_list(work / "a.csv", "11"), synthetic_list(work / "b.csv", "12")
    started = time.perf_counter()
    problems = _finish([_kb("--corpus", str(corpus), "import", str(work / name), env=_env(work))
                        for name in ("a.csv", "b.csv")])
    stored = set(load_records(corpus / STANDARDS_FILE).records)
    logged = [c["number"] for c in read_changes(corpus).changes]
    lost = len((a | b) - stored)
    problems += [f"{lost} records lost"] if lost else []
    if sorted(logged) != sorted(a | b):
        problems.append(f"change log has {len(logged)} entries for {len(a | b)} new records")
    return {"case": "two imports", "seconds": time.perf_counter() - started, "problems": problems}


def trial_ingests(work: Path) -> dict:
    corpus = work / "corpus"
    a, b = synthetic_texts(work / "ta", "甲"), synthetic_texts(work / "tb", "乙")
    started = time.perf_counter()
    problems = _finish([_kb("--corpus", str(corpus), "ingest", str(work / name), "--kind", "policy",
                            env=_env(work)) for name in ("ta", "tb")])
    stored = set(load_documents(corpus / TEXTS_FILE).documents)
    lost = len((a | b) - stored)
    problems += [f"{lost} texts lost"] if lost else []
    return {"case": "two ingests", "seconds": time.perf_counter() - started, "problems": problems}


def trial_crawl_beside_import(work: Path) -> dict:
    from mirror import Mirror

    corpus = work / "corpus"
    listed = synthetic_list(work / "a.csv", "13")
    started = time.perf_counter()
    with Mirror() as mirror:
        problems = _finish([
            _kb("--corpus", str(corpus), "crawl", "openstd", "--query", "GB/T 1.1", "--base-url",
                mirror.base_url, env=_env(work)),
            _kb("--corpus", str(corpus), "import", str(work / "a.csv"), env=_env(work))])
    stored = set(load_records(corpus / STANDARDS_FILE).records)
    lost = len((listed | GB_T_1_1) - stored)
    problems += [f"{lost} records lost"] if lost else []
    return {"case": "crawl beside import", "seconds": time.perf_counter() - started, "problems": problems}


TRIALS = (trial_imports, trial_ingests, trial_crawl_beside_import)


def run(trials: int, work: Path) -> list[dict]:
    results = []
    for n in range(trials):
        for trial in TRIALS:
            folder = work / f"{trial.__name__}-{n}"
            folder.mkdir(parents=True)
            results.append({"trial": n + 1, **trial(folder)})
    return results


def table(results: list[dict]) -> str:
    lines = ["| case | trials | trials that lost something | mean wall time (s) |", "|---|---|---|---|"]
    for case in dict.fromkeys(r["case"] for r in results):
        rows = [r for r in results if r["case"] == case]
        bad = sum(1 for r in rows if r["problems"])
        lines.append(f"| {case} | {len(rows)} | {bad} | {sum(r['seconds'] for r in rows) / len(rows):.2f} |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--json", action="store_true", help="one JSON object per trial")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kb-writers-") as tmp:
        results = run(args.trials, Path(tmp))
    if args.json:
        for result in results:
            print(json.dumps(result, ensure_ascii=False))
    else:
        print(table(results))
        for result in results:
            for problem in result["problems"]:
                print(f"trial {result['trial']} {result['case']}: {problem}")
    return 1 if any(r["problems"] for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
