#!/usr/bin/env python3
"""Whoosh writer settings for `kb index rebuild`, measured on a synthetic corpus.

    .venv/bin/python bench/writer_settings.py --records 30000 --repeat 2

The corpus is synthetic (written to a temp dir, never to corpus/): the 1,380 real
records of ../shared/records/announcements replicated under other edition years
(DB23/T 2419-2026 → DB23/T 2419-2011 …), each keeping its real title (a record
without one borrows a real title of another record) and given a scope of one to
three real article sentences from ../shared/corpus/laws.

Settings run interleaved (round-robin, one fresh process per run) so load from other
work on the machine spreads over all of them. One row per setting: the fastest and the
median wall seconds of index.build.rebuild (corpus load, indexing, commit, fsync, switch;
jieba is loaded beforehand), median CPU seconds (this process and its workers, the workers'
share in brackets), each
run, segments, index size, mean time of a fixed set of searches on the built index, and
peak memory (max RSS) of the building process and of its largest worker. The first line
also says how many cores were free: two busy processes timed against one.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from crawlers.importer import import_files  # noqa: E402
from index import build, store  # noqa: E402
from index.analysis import jieba_tokenizer  # noqa: E402
from index.build import WriterSettings  # noqa: E402
from index.engine import KnowledgeIndex  # noqa: E402
from kb.corpus import STANDARDS_FILE, load_records, write_records  # noqa: E402
from kb.records import Record  # noqa: E402

SHARED = ROOT.parent / "shared"
YEAR = re.compile(r"-(\d{4})$")
QUERIES = ("水稻", "安全技术规范", "检验检测", "计量器具", "食品 标签", "GB/T 1.1", "DB23/T 2419-2026",
           "电线电缆", "土壤 污染", "生产许可")
SETTINGS = {
    "procs=1 limitmb=64": WriterSettings(procs=1, limitmb=64),
    "procs=1 limitmb=128": WriterSettings(procs=1, limitmb=128),
    "procs=1 limitmb=256": WriterSettings(procs=1, limitmb=256),
    "procs=1 limitmb=512": WriterSettings(procs=1, limitmb=512),
    "procs=1 limitmb=1024": WriterSettings(procs=1, limitmb=1024),
    "procs=2 limitmb=256": WriterSettings(procs=2, limitmb=256, multisegment=False),
    "procs=2 limitmb=256 multisegment": WriterSettings(procs=2, limitmb=256, multisegment=True),
    "procs=2 limitmb=512 multisegment": WriterSettings(procs=2, limitmb=512, multisegment=True),
    "procs=2 limitmb=256 multisegment optimize": WriterSettings(procs=2, limitmb=256, multisegment=True,
                                                                 optimize=True),
}


def law_sentences(limit: int = 20000) -> list[str]:
    sentences = []
    for path in sorted((SHARED / "corpus" / "laws").rglob("*.md")):
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith("第") and "条" in line[:8] and len(line) > 20 and "xxxx" not in line:
                sentences.append(line.split(" ", 1)[-1].strip())
                if len(sentences) >= limit:
                    return sentences
    return sentences


def synthetic_corpus(corpus_dir: Path, size: int, seed: int = 0) -> int:
    """Write about `size` synthetic records (see the module docstring); returns the count."""
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory() as tmp:
        import_files([SHARED / "records" / "announcements"], Path(tmp))
        real = list(load_records(Path(tmp) / STANDARDS_FILE).records.values())
    titles = [r.title for r in real if r.title]
    sentences = law_sentences()
    records: dict[str, Record] = {r.id: r for r in real}
    years = list(range(2026, 1979, -1))
    for year in years:
        for record in real:
            if len(records) >= size:
                break
            if not YEAR.search(record.number):
                continue
            number = YEAR.sub(f"-{year}", record.number)
            if number in records:
                continue
            data = record.to_dict()
            data.update(id=number, number=number, published_number=number, replaces=[], replaced_by=[],
                        other_numbers=[], title=record.title or rng.choice(titles),
                        scope="".join(rng.sample(sentences, rng.randint(1, 3))))
            records[number] = Record.from_dict(data)
    write_records(corpus_dir / STANDARDS_FILE, records.values())
    return len(records)


def _burn(n: int = 20_000_000) -> None:
    total = 0
    for i in range(n):
        total += i


def free_cores() -> float:
    """Cores this run gets: two busy processes at once, timed against one (2.0 on an idle 2-core box)."""
    import multiprocessing

    started = time.monotonic()
    _burn()
    one = time.monotonic() - started
    started = time.monotonic()
    workers = [multiprocessing.Process(target=_burn) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return 2 * one / (time.monotonic() - started)


def _cpu(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def measure(corpus_dir: Path, settings: WriterSettings) -> dict:
    """One rebuild in this (fresh) process, so peak memory is the setting's own."""
    jieba_tokenizer()  # loaded once per process; not part of the measured time
    index_dir = corpus_dir.parent / f"index-{os.getpid()}"
    started, main, workers = time.monotonic(), _cpu(resource.RUSAGE_SELF), _cpu(resource.RUSAGE_CHILDREN)
    build.rebuild(corpus_dir, index_dir, settings=settings)
    seconds = time.monotonic() - started
    main, workers = _cpu(resource.RUSAGE_SELF) - main, _cpu(resource.RUSAGE_CHILDREN) - workers
    gen = store.open_generation(index_dir)
    size = sum(p.stat().st_size for p in gen.path.iterdir()) / 2**20
    kb = KnowledgeIndex.open(index_dir)
    segments = len(kb._records._segments())
    started = time.monotonic()
    rounds = 5
    for _ in range(rounds):
        for query in QUERIES:
            kb.search(query, limit=10)
    search_ms = (time.monotonic() - started) * 1000 / (rounds * len(QUERIES))
    kb.close()
    shutil.rmtree(index_dir)
    return {"seconds": seconds, "cpu": main + workers, "cpu_workers": workers, "segments": segments, "mb": size, "search_ms": search_ms,
            "self_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "workers_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=30000)
    parser.add_argument("--repeat", type=int, default=3, help="rounds; each runs every setting once")
    parser.add_argument("--only", default="", help="comma list of setting names to run")
    parser.add_argument("--one", nargs=2, metavar=("SETTING", "CORPUS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(Path(args.one[1]), SETTINGS[args.one[0]])))
        return 0
    chosen = [k for k in SETTINGS if not args.only or k in args.only.split(",")]
    rows: dict[str, list[dict]] = {name: [] for name in chosen}
    with tempfile.TemporaryDirectory(prefix="kb-writer-") as tmp:
        corpus = Path(tmp) / "corpus"
        count = synthetic_corpus(corpus, args.records)
        print(f"synthetic corpus: {count} records, {(corpus / STANDARDS_FILE).stat().st_size / 2**20:.0f} MB; "
              f"{args.repeat} round(s), each setting once per round in a fresh process; "
              f"{os.cpu_count()} CPUs, {free_cores():.2f} free (load average {os.getloadavg()[0]:.1f}); "
              f"python {sys.version.split()[0]}", flush=True)
        for _ in range(args.repeat):
            for name in chosen:
                out = subprocess.run([sys.executable, __file__, "--one", name, str(corpus)],
                                     capture_output=True, text=True, check=True).stdout
                rows[name].append(json.loads(out.strip().splitlines()[-1]))
        print(f"at the end: {free_cores():.2f} cores free (load average {os.getloadavg()[0]:.1f})")
    print(f"| {'setting':<42} | wall s min | wall s median | CPU s median (workers) | runs (wall s) | segments "
          f"| index MB | search ms | peak MB main | peak MB worker |")
    print(f"|{'-' * 44}|-----------:|--------------:|-----------------------:|:--------------|---------:"
          f"|---------:|----------:|-------------:|---------------:|")
    for name, runs in rows.items():
        med = {key: statistics.median(r[key] for r in runs) for key in runs[0]}
        each = " / ".join(f"{r['seconds']:.0f}" for r in runs)
        print(f"| {name:<42} | {min(r['seconds'] for r in runs):>10.1f} | {med['seconds']:>13.1f} "
              f"| {med['cpu']:>12.1f} ({med['cpu_workers']:>5.1f}) | {each} | {med['segments']:>8.0f} "
              f"| {med['mb']:>8.1f} | {med['search_ms']:>9.1f} | {med['self_mb']:>12.0f} "
              f"| {med['workers_mb']:>14.0f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
