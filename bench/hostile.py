#!/usr/bin/env python3
"""Hostile inputs: peak RSS and wall time per case, each against its bound (issue 18).

Each case runs in its own child process (peak RSS from wait4, address space capped at
2 GiB so a regression fails instead of swapping the machine); network cases talk to
tests/hostile_server.py on 127.0.0.1 only.

    python bench/hostile.py             # every case, a Markdown table
    python bench/hostile.py --case bomb # one case

The "before" column is what issue 18 measured on the landed main (nested divs: measured
here on the same page before the fix). The file cases (DOCX/PDF bombs, /dev/zero, kb
check on 4 MB) are in the check helper's bench script.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
for extra in (ROOT, ROOT / "tests"):
    if str(extra) not in sys.path:
        sys.path.insert(0, str(extra))

SHARED = (ROOT / ".." / "shared").resolve()
HOST = "openstd.samr.gov.cn"
ADDRESS_SPACE = 2 * 2**30
MiB = 2**20

# name: (what, before, RSS bound MiB, wall bound s)
CASES = {
    "bomb": ("Content-Encoding: gzip, gzip, 1 GiB of zeros (≈ 1 KB on the wire), 20 MiB cap",
             "21 GB RSS before the cap fired", 200, 15),
    "drip": ("server drips one header byte every 0.1 s; total deadline 5 s, 1 attempt",
             "hung past every timeout (590 s and counting)", 200, 8),
    "nested": ("samr search page inside 20,000 nested <div>s, parsed",
               "7.0 s (65 s in issue 18's run)", 300, 3),
    "csv": ("CSV list: 20,000 rows plus one 10 MB field", "crash (csv field limit)", 400, 30),
    "corpus": ("corpus of 20,000 lines plus 11 mistyped ones and a 100,000-deep line, loaded",
               "every command crashed", 400, 15),
}


def _fetcher(base_url: str, **policy):
    from crawlers.fetch import FetchPolicy, Fetcher

    values = dict(allowed_hosts=(HOST,), base_url=base_url, delay=0, backoff=0, retries=0, timeout=10)
    values.update(policy)
    return Fetcher(FetchPolicy(**values))


def case_bomb() -> str:
    from hostile_server import HostileServer, gzip_bomb
    from kb.errors import FetchError

    answer = gzip_bomb(2**30, layers=2)  # most of the wall time: compressing 1 GiB twice
    with HostileServer() as server, _fetcher(server.url("")) as client:
        server.route("/bomb", answer)
        started = time.perf_counter()
        try:
            client.fetch(f"https://{HOST}/bomb")
        except FetchError as exc:
            return f"{str(exc).split(': ', 1)[1]} (the fetch: {time.perf_counter() - started:.2f} s)"
    return "fetched (not refused)"


def case_drip() -> str:
    from hostile_server import HostileServer, drip_headers
    from kb.errors import FetchError

    with HostileServer() as server, _fetcher(server.url(""), total_timeout=5) as client:
        server.route("/drip", drip_headers(every=0.1, stop_after=120))
        try:
            client.fetch(f"https://{HOST}/drip")
        except FetchError as exc:
            return str(exc).split(": ", 1)[1]
    return "fetched"


def case_nested() -> str:
    import re

    from crawlers.parsers import PARSERS

    text = (SHARED / "pages" / "relaton-gb" / "spec" / "examples" / "gbt_20223_2006.html").read_text(encoding="utf-8")
    body = re.search(r"<body[^>]*>", text)
    end = text.rfind("</body>")
    page = text[:body.end()] + "<div>" * 20_000 + text[body.end():end] + "</div>" * 20_000 + text[end:]
    result = PARSERS["samr.search"](page.encode(), "https://std.samr.gov.cn/search/stdPage?q=GB/T 20223-2006")
    return f"{len(result.records)} records"


def case_csv() -> str:
    from crawlers.importer import import_files

    with tempfile.TemporaryDirectory() as tmp:
        table = Path(tmp) / "synthetic_big.csv"
        with table.open("w", encoding="utf-8") as out:
            out.write("标准号,标准名称,状态\n")
            out.write(f'DB11/T 99999-2025,"{"长" * (10 * MiB // 3)}",现行\n')
            for i in range(1, 20_001):
                out.write(f"DB11/T {i}-2025,合成地方标准 {i},现行\n")
        report = import_files([table], Path(tmp) / "corpus")
        return f"{len(report.new)} new, {len(report.errors)} row reported"


def case_corpus() -> str:
    from kb.corpus import STANDARDS_FILE, load_records
    from kb.records import Record

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / STANDARDS_FILE
        good = [Record.for_number(f"DB11/T {i}-2025", title=f"合成 {i}").to_json() for i in range(1, 20_001)]
        base = json.loads(good[0])
        bad = [json.dumps({**base, **change}) for change in (
            {"number": 123}, {"sources": ["x"]}, {"ccs": [13]}, {"title": {}}, {"title": "\ud800"},
            {"issue_date": "2026-99-99"}, {"replaces": [["x"]]}, {"force": 7}, {"sources": "x"},
            {"replaced_by": [base["number"]]}, {"schema": "1"})]
        path.write_text("\n".join(good[:10] + bad + ["[" * 100_000 + "]" * 100_000] + good[10:]) + "\n",
                        encoding="utf-8")
        loaded = load_records(path)
        return f"{len(loaded.records)} loaded, {len(loaded.errors)} lines reported"


def run_child(name: str) -> dict:
    started = time.perf_counter()
    child = subprocess.Popen([sys.executable, __file__, "--child", name], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - started
    out, err = child.stdout.read(), child.stderr.read()
    ok = os.waitstatus_to_exitcode(status) == 0
    what, before, rss_bound, wall_bound = CASES[name]
    rss = usage.ru_maxrss / 1024  # KiB → MiB on Linux
    return {"case": name, "what": what, "before": before, "outcome": out.strip() if ok else err.strip()[-200:],
            "peak_rss_mib": round(rss, 1), "seconds": round(seconds, 2), "rss_bound_mib": rss_bound,
            "wall_bound_s": wall_bound, "within": ok and rss <= rss_bound and seconds <= wall_bound}


def table(rows: list[dict]) -> str:
    lines = ["| case | input | before (issue 18) | outcome now | peak RSS (MiB) | wall (s) | bound | within |",
             "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['case']} | {r['what']} | {r['before']} | {r['outcome']} | {r['peak_rss_mib']} | "
                     f"{r['seconds']} | ≤ {r['rss_bound_mib']} MiB, ≤ {r['wall_bound_s']} s | "
                     f"{'yes' if r['within'] else 'NO'} |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", choices=sorted(CASES))
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))
        print(globals()[f"case_{args.child}"]())
        return 0
    rows = [run_child(name) for name in ([args.case] if args.case else CASES)]
    print("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) if args.json else table(rows))
    return 0 if all(r["within"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
