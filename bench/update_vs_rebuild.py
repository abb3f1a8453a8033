#!/usr/bin/env python3
"""`kb index update` after a small corpus change vs `kb index rebuild` (the baseline), same run.

    .venv/bin/python bench/update_vs_rebuild.py --records 0,30000 --repeat 3

For each corpus size (0: the 1,380 real records of ../shared/records/announcements;
N: the synthetic corpus of bench/writer_settings.py with N records) this times, in
one process, each round:
  rebuild   index.build.rebuild of the whole corpus (the baseline)
  update    index.build.update after a small change: 10 titles edited, 5 records
            added (copies under another edition year), 5 deleted
  no-op     index.build.update with nothing changed
and, as a user would run them, the whole commands `python -m cli index rebuild|update`
(process start, imports and loading jieba included). Prints medians in seconds.
"""
from __future__ import annotations

import argparse
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
for path in (ROOT, ROOT / "bench"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from crawlers.importer import import_files  # noqa: E402
from index import build  # noqa: E402
from index.analysis import jieba_tokenizer  # noqa: E402
from kb.corpus import STANDARDS_FILE, load_records, write_records  # noqa: E402
from kb.records import Record  # noqa: E402
from writer_settings import YEAR, synthetic_corpus  # noqa: E402

CHANGED, ADDED, DELETED = 10, 5, 5


def small_change(corpus_dir: Path, rng: random.Random) -> None:
    """Edit CHANGED titles, add ADDED records, delete DELETED records."""
    records = load_records(corpus_dir / STANDARDS_FILE).records
    ids = sorted(records)
    for rid in rng.sample(ids, CHANGED + DELETED)[:CHANGED]:
        records[rid].title += "（修订）"
    for rid in rng.sample(ids, DELETED):
        records.pop(rid, None)
    added = 0
    for rid in rng.sample(ids, 200):
        number = YEAR.sub("-1970", rid) if YEAR.search(rid) else ""
        if number and number not in records and rid in records:
            data = records[rid].to_dict()
            data.update(id=number, number=number, published_number=number, replaces=[], replaced_by=[])
            records[number] = Record.from_dict(data)
            added += 1
            if added == ADDED:
                break
    write_records(corpus_dir / STANDARDS_FILE, records.values())


def timed(function, *args, **kwargs) -> float:
    started = time.monotonic()
    function(*args, **kwargs)
    return time.monotonic() - started


def command(corpus_dir: Path, index_dir: Path, action: str) -> float:
    return timed(subprocess.run, [sys.executable, "-m", "cli", "--index", str(index_dir), "--corpus",
                                  str(corpus_dir), "index", action, "--json"],
                 cwd=ROOT, check=True, stdout=subprocess.DEVNULL)


def measure(corpus_dir: Path, index_dir: Path, repeat: int, seed: int = 0) -> dict[str, float]:
    rng = random.Random(seed)
    jieba_tokenizer()
    times: dict[str, list[float]] = {}
    for _ in range(repeat):
        times.setdefault("rebuild (library)", []).append(timed(build.rebuild, corpus_dir, index_dir))
        small_change(corpus_dir, rng)
        times.setdefault("update after small change (library)", []).append(timed(build.update, corpus_dir, index_dir))
        times.setdefault("update, nothing changed (library)", []).append(timed(build.update, corpus_dir, index_dir))
        times.setdefault("kb index rebuild (command)", []).append(command(corpus_dir, index_dir, "rebuild"))
        small_change(corpus_dir, rng)
        times.setdefault("kb index update after small change (command)", []).append(
            command(corpus_dir, index_dir, "update"))
    return {name: statistics.median(values) for name, values in times.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", default="0,30000", help="comma list; 0 = the real records")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"small change: {CHANGED} titles edited, {ADDED} records added, {DELETED} deleted; "
          f"median of {args.repeat} rounds")
    for size in (int(s) for s in args.records.split(",")):
        with tempfile.TemporaryDirectory(prefix="kb-update-") as tmp:
            corpus = Path(tmp) / "corpus"
            if size:
                count = synthetic_corpus(corpus, size)
                label = f"synthetic, {count} records"
            else:
                import_files([ROOT.parent / "shared" / "records" / "announcements"], corpus)
                label = f"real announcements, {len(load_records(corpus / STANDARDS_FILE).records)} records"
            result = measure(corpus, Path(tmp) / "index", args.repeat)
            shutil.rmtree(Path(tmp) / "index", ignore_errors=True)
        base_lib, base_cmd = result["rebuild (library)"], result["kb index rebuild (command)"]
        print(f"\n{label}")
        for name, seconds in result.items():
            base = base_cmd if "command" in name else base_lib
            print(f"  {name:<48} {seconds:>7.2f} s  {base / seconds:>6.1f}x faster than rebuild"
                  if "update" in name else f"  {name:<48} {seconds:>7.2f} s  (baseline)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
