"""bench/hostile.py keeps working: two of its cases, each within its bound (the whole run is
recorded in BENCHMARKS.md; no timing assertions beyond the script's own bounds)."""
from __future__ import annotations

import json
import subprocess
import sys

from conftest import ROOT


def test_hostile_bench_cases_run_within_their_bounds():
    for case in ("nested", "corpus"):
        done = subprocess.run([sys.executable, str(ROOT / "bench" / "hostile.py"), "--case", case, "--json"],
                              cwd=ROOT, capture_output=True, text=True, timeout=300)
        [row] = [json.loads(line) for line in done.stdout.splitlines()]
        assert row["case"] == case and row["outcome"] in ("10 records", "20000 loaded, 12 lines reported"), done.stderr
