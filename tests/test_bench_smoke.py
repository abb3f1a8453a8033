"""bench/run and eval/run keep working: their --quick smoke sizes exit 0 and print their tables.

The full runs (300,000 synthetic records, every STARD question) are not part of the
suite; run them by hand and record them in BENCHMARKS.md. No timing assertions here.
"""
from __future__ import annotations

import os
import subprocess
import sys

from conftest import ROOT


def _run(script: str, *args: str, tmp_path) -> str:
    env = {**os.environ, "PYTHON": sys.executable, "KB_HOME": str(tmp_path / "home")}
    done = subprocess.run([str(ROOT / script), *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def test_bench_quick_prints_its_table(tmp_path):
    out = _run("bench/run", "--quick", "--no-append", "--work", str(tmp_path / "work"), tmp_path=tmp_path)
    assert "| measure | unit | stdkb | SQLite FTS5 + jieba | stock Whoosh | jieba alone |" in out
    for row in ("| build, 2 processes | docs/s ↑ |", "| term p95 | ms |", "| number lookup p95 | ms |",
                "| facets (term + 3 facet counts) p95 | ms |", "| clause search (STARD questions, law corpus) p95 | ms |",
                "cold `kb search` end to end", "`kb index update`", "| target | measured | bound | met |"):
        assert row in out


def test_eval_quick_prints_its_table(tmp_path):
    out = _run("eval/run", "--quick", "--no-append", "--out-dir", str(tmp_path / "out"), tmp_path=tmp_path)
    assert ("| metric | stdkb clause search | stdkb word ranking (`--words`, before issue 17) | BM25 (rank-bm25) "
            "| stdkb ÷ BM25 |") in out
    for row in ("| Recall@10 |", "| MRR@10 |", "| nDCG@10 |", "| accuracy | 100.00% |", "clause search latency",
                "Cross-validated (5 folds", "| BM25 (our tokens) |", "| + law prior |", "| + dense (USE-m3), all",
                "| cross-validated Recall@10 ≥ 0.60 |"):
        assert row in out
    assert (tmp_path / "out" / "clauses-quick.jsonl").exists()
    assert (tmp_path / "out" / "number-failures-quick.jsonl").read_text() == ""
    for row in ("| term | returned | expected | right | precision | recall |", "| micro precision |", "| macro recall |"):
        assert row in out  # kb cover on every third judged term (eval/cover.py)
    assert (tmp_path / "out" / "cover-quick.jsonl").exists()
