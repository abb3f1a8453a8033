#!/usr/bin/env python3
"""`kb sync` against the synthetic platforms of tests/synthetic_platforms.py on 127.0.0.1.

    .venv/bin/python bench/sync.py --pages 30          # 30 list pages per platform list

Measures, with the politeness delay at 0 on loopback and the fault mix on:
  first sync     every list page and every detail page (all records are new)
  second day     after mirror.next_day(): only what changed
  baseline       what a plain `kb crawl` of every source fetches on the second day: every
                 list page and every detail page again (it has no idea what changed), i.e.
                 the first sync's page count
  kill / resume  `kb sync hbba` killed with SIGKILL after --kill-after requests, then run again
and prints pages/s and records/s, then the time a first and a second-day sync would take
against the live platforms at their delays (sources.py: 2 s a request, ttbz 5 s) for the
same page counts, and for the catalogue sizes the saved real pages state.
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
for path in (ROOT, ROOT / "tests"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from crawlers import sources  # noqa: E402
from crawlers.fetch import FetchPolicy  # noqa: E402
from crawlers.sync import sync  # noqa: E402
from kb.changes import list_changes, record_changes  # noqa: E402
from kb.corpus import STANDARDS_FILE, load_records  # noqa: E402
from synthetic_platforms import SyntheticPlatforms  # noqa: E402

POLICY = FetchPolicy(allowed_hosts=(), delay=0, backoff=0, retries=2, timeout=2.0, max_bytes=2**20)
# catalogue sizes the saved real pages state (list size, records)
REAL_SIZES = {"samr": (50, 54871, "jbt_13368_2018.json: total of the gbQueryPage answer"),
              "jjg": (20, 1254, "jjg_api_search.json: total")}


def run(mirror, corpus: Path, home: Path) -> tuple[dict, float]:
    started = time.monotonic()
    report = sync(corpus_dir=corpus, home=home, base_url=mirror.base_url, policy=POLICY,
                  record_changes=record_changes)
    return report.summary(), time.monotonic() - started


def live_seconds(rows: list[dict]) -> float:
    return sum(row["pages"] * sources.get(row["source"]).delay for row in rows)


def kill_and_resume(pages: int, kill_after: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp, SyntheticPlatforms(pages=pages, faults=False) as mirror:
        corpus = Path(tmp) / "corpus"
        corpus.mkdir()
        (corpus / STANDARDS_FILE).write_text("", encoding="utf-8")
        env = {**os.environ, "KB_HOME": str(Path(tmp) / "home"), "KB_CORPUS": str(corpus)}
        command = [sys.executable, "-c", "import cli; cli.main()", "sync", "hbba", "--json",
                   "--base-url", mirror.base_url]
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 300
        while len(mirror.requests) < kill_after and time.monotonic() < deadline:
            time.sleep(0.01)
        process.send_signal(signal.SIGKILL)
        process.wait()
        fetched = len(mirror.requests)
        kept = len(load_records(corpus / STANDARDS_FILE).records)
        again = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
        events = [json.loads(line) for line in again.stdout.splitlines() if line.startswith("{")]
        start = next(e for e in events if e["event"] == "source_start")
        done = events[-1]
        log = list_changes(corpus).changes
        return {"killed_after_requests": fetched, "records_kept": kept, "resumed_pages": start["resumed"],
                "pages_after_resume": done["sources"][0]["pages"], "exit": again.returncode,
                "records": len(load_records(corpus / STANDARDS_FILE).records),
                "change_log_entries": len(log), "distinct": len({c["number"] for c in log}),
                "total_requests": len(mirror.requests)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=30, help="list pages per platform list")
    parser.add_argument("--kill-after", type=int, default=0, help="requests before the SIGKILL (default: half)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, SyntheticPlatforms(pages=args.pages) as mirror:
        corpus = Path(tmp) / "corpus"
        corpus.mkdir()
        (corpus / STANDARDS_FILE).write_text("", encoding="utf-8")
        first, first_s = run(mirror, corpus, Path(tmp) / "home")
        records = len(load_records(corpus / STANDARDS_FILE).records)
        expected = mirror.next_day()
        second, second_s = run(mirror, corpus, Path(tmp) / "home")
        got = sorted((c["number"], c["change"]) for c in list_changes(corpus).changes[records:])
    pages1, pages2 = first["total"]["pages"], second["total"]["pages"]
    print(f"synthetic platforms, {args.pages} list pages per list, fault mix on, delay 0 on loopback")
    print(f"{'run':<22}{'pages':>8}{'records':>9}{'seconds':>9}{'pages/s':>9}{'records/s':>10}"
          f"{'failed':>7}{'refused':>8}{'live h':>8}")
    for name, summary, seconds, count in (("first sync", first, first_s, records),
                                          ("second day", second, second_s, second["total"]["new"])):
        total = summary["total"]
        print(f"{name:<22}{total['pages']:>8}{count:>9}{seconds:>9.1f}{total['pages'] / seconds:>9.1f}"
              f"{count / seconds:>10.1f}{total['failed']:>7}{total['refused']:>8}"
              f"{live_seconds(summary['sources']) / 3600:>8.2f}")
    print(f"{'baseline: kb crawl, day 2':<22}{pages1:>8}{'':>9}{'':>9}{'':>9}{'':>10}{'':>7}{'':>8}"
          f"{live_seconds(first['sources']) / 3600:>8.2f}")
    print(f"second day fetched {pages2} pages ({pages2 / pages1:.1%} of a full crawl); "
          f"kb changes listed the {len(expected)} changes exactly: {got == sorted(expected)}")
    print("per source (first / second day pages, seconds):",
          ", ".join(f"{a['source']} {a['pages']}/{b['pages']} {a['seconds']:.1f}/{b['seconds']:.1f}"
                    for a, b in zip(first["sources"], second["sources"])))
    for name, (size, total, where) in REAL_SIZES.items():
        delay = sources.get(name).delay
        minutes = (total / size + (0 if name == "jjg" else total)) * delay / 60
        print(f"live {name}: {total} records ({where}): first sync ≈ {minutes:,.0f} min at {delay:g} s a request"
              f" ({total // size + 1} list pages{'' if name == 'jjg' else f' + {total} detail pages'})")
    kill_after = args.kill_after or args.pages * 50 // 2
    resumed = kill_and_resume(args.pages, kill_after)
    print(f"kill/resume (kb sync hbba, SIGKILL after {kill_after} requests): {json.dumps(resumed, ensure_ascii=False)}")


if __name__ == "__main__":
    main()
