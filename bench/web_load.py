#!/usr/bin/env python3
"""Load on `kb serve`: N concurrent keep-alive clients on loopback for S seconds, on the shipped
corpus, then the same again while `kb index rebuild` runs over and over beside the server.

    .venv/bin/python bench/web_load.py                      # 8 clients, 60 s each phase; appends to BENCHMARKS.md
    .venv/bin/python bench/web_load.py --seconds 5 --no-append

The request mix (seeded, drawn from corpus/standards.jsonl): /api/search with a title word
(40 %), /api/search with a number in another spelling (15 %), /api/standard (15 %),
/api/clauses (10 %), /api/cover (5 %), /api/check with a sentence citing two numbers (5 %) and
the HTML search page (10 %). Every answer must be 200 with a body: anything else is an error.
Baselines beside it: the same mix called in this process on apps.service.KnowledgeBase by one
thread (no HTTP: the ceiling the server's single index lock allows), and one `kb search --json`
process per request (what a script without the server pays).
"""
from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.main import machine, percentile  # noqa: E402
from bench.variants import spelling_variants  # noqa: E402

BENCHMARKS = ROOT / "BENCHMARKS.md"
KB = [str(Path(sys.executable).with_name("kb"))]
CLAUSE_WORDS = ["计量器具", "强制性国家标准", "产品质量", "认证", "检定", "标准化", "质量强国", "罚款"]
COVER_WORDS = ["水稻", "K13", "水泥", "电缆", "大米", "钢"]


def make_mix(count: int, seed: int) -> list[tuple[str, str, tuple]]:
    """(kind, URL path, library call) for `count` requests, drawn from the shipped records."""
    from kb.corpus import load_records

    rng = random.Random(seed)
    records = [r for r in load_records(ROOT / "corpus" / "standards.jsonl").records.values() if r.title]
    hanzi = re.compile(r"[\u4e00-\u9fff]{2,6}")  # title words and two-character slices, Chinese only
    words = sorted({w for r in records for w in r.title.replace("　", " ").split() if hanzi.fullmatch(w)}
                   | {r.title[i:i + 2] for r in records for i in range(0, min(len(r.title), 8), 2)
                      if hanzi.fullmatch(r.title[i:i + 2])})
    from index.analysis import analyze

    words = [w for w in words if analyze(w, mode="query")]  # not only stop words
    mix = []
    for _ in range(count):
        roll = rng.random()
        record = rng.choice(records)
        if roll < 0.40:
            word = rng.choice(words)
            mix.append(("search: word", "/api/search?q=" + urllib.parse.quote(word), ("search", word)))
        elif roll < 0.55:
            spelling = rng.choice(list(spelling_variants(record.number).values()))
            mix.append(("search: number", "/api/search?q=" + urllib.parse.quote(spelling), ("search", spelling)))
        elif roll < 0.70:
            mix.append(("standard", "/api/standard?number=" + urllib.parse.quote(record.number),
                        ("get_standard", record.number)))
        elif roll < 0.80:
            word = rng.choice(CLAUSE_WORDS)
            mix.append(("clauses", "/api/clauses?q=" + urllib.parse.quote(word), ("search_clauses", word)))
        elif roll < 0.85:
            word = rng.choice(COVER_WORDS)
            mix.append(("cover", "/api/cover?q=" + urllib.parse.quote(word), ("cover", word)))
        elif roll < 0.90:
            other = rng.choice(records)
            text = f"产品应符合 {record.number} 的要求，检验方法按 {other.number} 执行。"
            mix.append(("check", "/api/check?text=" + urllib.parse.quote(text), ("check_text", text)))
        else:
            word = rng.choice(words)
            mix.append(("page: search", "/?q=" + urllib.parse.quote(word), ("search", word)))
    return mix


def start_server(env: dict) -> tuple[subprocess.Popen, str, int]:
    proc = subprocess.Popen([*KB, "serve", "--port", "0", "--json"], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    if not line:
        raise RuntimeError(f"kb serve did not start: {proc.stderr.read()}")
    parts = urllib.parse.urlsplit(json.loads(line)["url"])
    return proc, parts.hostname, parts.port


def client(host: str, port: int, mix, start: int, deadline: float, out: list) -> None:
    """One keep-alive client: requests from mix[start::] until the deadline; (kind, ms, ok) into out."""
    conn = http.client.HTTPConnection(host, port, timeout=60)
    i = start
    while time.monotonic() < deadline:
        kind, path, _ = mix[i % len(mix)]
        i += 1
        began = time.perf_counter()
        try:
            conn.request("GET", path)
            response = conn.getresponse()
            body = response.read()
            ok = response.status == 200 and len(body) > 0
        except (OSError, http.client.HTTPException):
            ok = False
            conn.close()
            conn = http.client.HTTPConnection(host, port, timeout=60)
        out.append((kind, (time.perf_counter() - began) * 1000, ok))
    conn.close()


def load(host: str, port: int, mix, clients: int, seconds: float) -> dict:
    results: list[list] = [[] for _ in range(clients)]
    deadline = time.monotonic() + seconds
    started = time.monotonic()
    threads = [threading.Thread(target=client, args=(host, port, mix, n * 997, deadline, results[n]))
               for n in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started
    flat = [r for rs in results for r in rs]
    return summarize(flat, elapsed)


def summarize(flat: list[tuple[str, float, bool]], elapsed: float) -> dict:
    by_kind: dict[str, list[float]] = defaultdict(list)
    for kind, ms, _ok in flat:
        by_kind[kind].append(ms)
    all_ms = [ms for _k, ms, _ok in flat]
    stats = lambda values: {"n": len(values), "p50": percentile(values, 50), "p95": percentile(values, 95),
                            "p99": percentile(values, 99)}
    return {"requests": len(flat), "seconds": elapsed, "rps": len(flat) / elapsed,
            "errors": sum(not ok for _k, _ms, ok in flat), **stats(all_ms),
            "kinds": {k: stats(v) for k, v in sorted(by_kind.items())}}


def rebuild_loop(env: dict, stop: threading.Event, done: list) -> None:
    while not stop.is_set():
        result = subprocess.run([*KB, "index", "rebuild", "--json", "--wait", "600"], env=env,
                                capture_output=True, text=True)
        done.append(result.returncode)


def library_baseline(index_dir: Path, corpus: Path, mix, seconds: float) -> dict:
    from apps.service import KnowledgeBase

    kb = KnowledgeBase(index_dir, corpus)
    kb.generation()
    flat, i = [], 0
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        kind, _path, (method, arg) = mix[i % len(mix)]
        i += 1
        began = time.perf_counter()
        try:
            getattr(kb, method)(arg)
            ok = True
        except Exception:  # noqa: BLE001 - counted
            ok = False
        flat.append((kind, (time.perf_counter() - began) * 1000, ok))
    return summarize(flat, time.monotonic() - started)


def cli_baseline(env: dict, runs: int = 5) -> float:
    times = []
    for word in ["水稻", "电缆", "检测", "技术规程", "钢"][:runs]:
        began = time.perf_counter()
        subprocess.run([*KB, "search", word, "--json"], env=env, capture_output=True, check=True)
        times.append(time.perf_counter() - began)
    return sorted(times)[len(times) // 2]


def render(phases: dict, base: dict, cli_s: float, args, rebuilds: list, generations: tuple) -> str:
    now = dt.datetime.now(dt.timezone.utc)
    lines = [f"## Web API under load (issue 16) — {now:%Y-%m-%d %H:%M} UTC", "",
             f"Machine: {machine()}. Command: `.venv/bin/python bench/web_load.py --clients {args.clients} "
             f"--seconds {args.seconds:g}`. `kb serve` on 127.0.0.1 over the shipped corpus (1,380 records, "
             f"9 texts); {args.clients} keep-alive clients, each sending its next request when the last is answered.", "",
             "| run | requests | requests/s ↑ | p50 ms | p95 ms | p99 ms | errors |", "|---|---:|---:|---:|---:|---:|---:|"]
    for name, r in phases.items():
        lines.append(f"| {name} | {r['requests']:,} | {r['rps']:.1f} | {r['p50']:.1f} | {r['p95']:.1f} | "
                     f"{r['p99']:.1f} | {r['errors']} |")
    lines.append(f"| baseline: same mix in-process on KnowledgeBase, 1 thread, no HTTP | {base['requests']:,} | "
                 f"{base['rps']:.1f} | {base['p50']:.1f} | {base['p95']:.1f} | {base['p99']:.1f} | {base['errors']} |")
    lines.append(f"| baseline: one `kb search --json` process per request (median of 5) | 5 | {1 / cli_s:.2f} | "
                 f"{cli_s * 1000:.0f} | — | — | 0 |")
    lines += ["", f"During the rebuild phase {len(rebuilds)} `kb index rebuild` runs finished "
              f"(exit codes {sorted(set(rebuilds))}); the server switched from {generations[0]} to {generations[1]} "
              "without a restart.", "", "Per request kind (steady phase / during rebuilds), p50 and p95 in ms:", "",
              "| kind | share | p50 | p95 | p50 (rebuild) | p95 (rebuild) | in-process p50 |", "|---|---:|---:|---:|---:|---:|---:|"]
    steady, during = list(phases.values())
    for kind, s in steady["kinds"].items():
        d = during["kinds"].get(kind, {"p50": 0, "p95": 0})
        b = base["kinds"].get(kind, {"p50": 0})
        lines.append(f"| {kind} | {100 * s['n'] / steady['requests']:.0f} % | {s['p50']:.1f} | {s['p95']:.1f} | "
                     f"{d['p50']:.1f} | {d['p95']:.1f} | {b['p50']:.1f} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument("--no-append", action="store_true", help="print only; leave BENCHMARKS.md alone")
    parser.add_argument("--output", type=Path, default=BENCHMARKS)
    args = parser.parse_args(argv)
    mix = make_mix(5000, args.seed)
    with tempfile.TemporaryDirectory(prefix="kb-web-load-") as tmp:
        env = {**os.environ, "KB_HOME": tmp, "KB_CORPUS": str(ROOT / "corpus")}
        subprocess.run([*KB, "build", "--json"], env=env, capture_output=True, check=True)
        server, host, port = start_server(env)
        try:
            health = lambda: json.loads(_get(host, port, "/api/health"))["generation"]
            load(host, port, mix, args.clients, min(5.0, args.seconds))  # warm-up, not counted
            phases = {"steady": load(host, port, mix, args.clients, args.seconds)}
            before = health()
            stop, rebuilds = threading.Event(), []
            builder = threading.Thread(target=rebuild_loop, args=(env, stop, rebuilds))
            builder.start()
            phases["during `kb index rebuild` in a loop"] = load(host, port, mix, args.clients, args.seconds)
            stop.set()
            builder.join()
            after = health()
        finally:
            server.terminate()
            server.wait(30)
        base = library_baseline(Path(tmp) / "index", ROOT / "corpus", mix, min(args.seconds, 20))
        cli_s = cli_baseline(env)
    table = render(phases, base, cli_s, args, rebuilds, (before, after))
    print(table)
    if not args.no_append:
        with open(args.output, "a", encoding="utf-8") as handle:
            handle.write("\n" + table)
    return 1 if any(p["errors"] for p in phases.values()) else 0


def _get(host: str, port: int, path: str) -> str:
    conn = http.client.HTTPConnection(host, port, timeout=30)
    conn.request("GET", path)
    body = conn.getresponse().read().decode()
    conn.close()
    return body


if __name__ == "__main__":
    sys.exit(main())
