#!/usr/bin/env python3
"""Search from another process while the index is rebuilt and updated again and again.

    .venv/bin/python bench/search_during_rebuild.py --builds 50
    .venv/bin/python bench/search_during_rebuild.py --builds 6 --size 300   # tests/test_lifecycle.py

A reader subprocess loops until told to stop. Each round it (a) opens the serving
index afresh the way every `kb search` does (index.api.open_index), searches, looks
a number up and closes it, and (b) searches with one index it opened at the start and
keeps open (a long-running server). Meanwhile this process alternates rebuilds and
updates between two corpora. Prints the searches made and every error; exit 1 on any.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def reader(index_dir: Path, corpus_dir: Path, stop_file: Path, number: str) -> dict:
    """The loop run in the reader process; returns counts and the first errors."""
    from index import api

    done, errors = 0, []
    kept = api.open_index(index_dir, corpus_dir, auto_build=False)
    print("ready", flush=True)
    while not stop_file.exists():
        for fresh in (True, False):
            try:
                kb = api.open_index(index_dir, corpus_dir, auto_build=False) if fresh else kept
                try:
                    if not kb.search("标准", limit=5).hits:
                        raise AssertionError("no hits for 标准")
                    if fresh and not kb.lookup(number):
                        raise AssertionError(f"no record for {number}")
                finally:
                    if fresh:
                        kb.close()
                done += 1
            except Exception as exc:  # noqa: BLE001 - counted and reported
                errors.append(f"{'fresh' if fresh else 'kept'}: {type(exc).__name__}: {exc}")
    kept.close()
    return {"searches": done, "errors": len(errors), "first_errors": errors[:5]}


def run(corpus_a: Path, corpus_b: Path, index_dir: Path, builds: int, number: str) -> dict:
    """Start the reader, rebuild/update `builds` times, stop the reader; its report."""
    from index import build

    build.rebuild(corpus_a, index_dir)
    stop_file = index_dir.parent / "stop-reader"
    stop_file.unlink(missing_ok=True)
    proc = subprocess.Popen([sys.executable, __file__, "--reader", str(index_dir), str(corpus_a),
                             str(stop_file), number], stdout=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        if proc.stdout.readline().strip() != "ready":
            raise RuntimeError("the reader did not start")
        started = time.monotonic()
        for i in range(builds):
            corpus = corpus_b if i % 2 == 0 else corpus_a
            (build.rebuild if i % 3 != 2 else build.update)(corpus, index_dir)
        seconds = time.monotonic() - started
        stop_file.touch()
        out, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    report = json.loads(out.strip().splitlines()[-1])
    return {**report, "builds": builds, "seconds": round(seconds, 2)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--builds", type=int, default=50)
    parser.add_argument("--size", type=int, default=300)
    parser.add_argument("--reader", nargs=4, metavar=("INDEX", "CORPUS", "STOP_FILE", "NUMBER"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.reader:
        index_dir, corpus_dir, stop_file, number = args.reader
        print(json.dumps(reader(Path(index_dir), Path(corpus_dir), Path(stop_file), number)))
        return 0
    from kill_rebuild import make_corpora  # noqa: E402 - bench/ is this script's directory
    from kb.corpus import STANDARDS_FILE, load_records

    with tempfile.TemporaryDirectory(prefix="kb-search-") as tmp:
        corpus_a, corpus_b = make_corpora(Path(tmp), args.size)
        number = sorted(load_records(corpus_b / STANDARDS_FILE).records)[0]
        report = run(corpus_a, corpus_b, Path(tmp) / "index", args.builds, number)
    print(f"{report['builds']} rebuilds/updates in {report['seconds']} s; "
          f"{report['searches']} searches from another process, {report['errors']} errors")
    for error in report["first_errors"]:
        print("ERROR", error)
    return 1 if report["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
