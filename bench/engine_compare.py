"""bench/run --engines: the Whoosh and tantivy engines side by side, with SQLite FTS5 + jieba
and jieba alone as baselines, on one synthetic corpus and the law corpus.

    bench/run --engines --work DIR            300,000 records (reuses DIR/corpus and any index built there)
    bench/run --engines --quick               a smoke size

Each engine builds its index in its own process (peak RSS is the build's own); queries run
warm in this process against each engine through the same KnowledgeIndex contract; cold
`kb search` runs as a fresh process. Answers are compared too: totals and facet counts must
be equal, and the top-10 overlap is reported per query type.
"""
from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench.main import KB, ROOT, Report, du_mb, make_queries, percentile, timed, worker

ENGINES = ("whoosh", "tantivy")
TANTIVY_TARGETS = {"record p95 ms": 10.0, "clause p95 ms": 30.0, "build speed-up": 3.0, "build RSS MB": 1024.0,
                   "cold s": 0.5}
WHOOSH_P95_GOAL = 100.0


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def _build(kind: str, out: Path, engine: str, corpus: Path | None = None, laws: int = 0) -> dict | None:
    """Build with bench.worker unless `out` already holds an index (None: reused, not timed)."""
    if (out / "CURRENT").exists() or (out / "tantivy-clauses").exists() or any(out.glob("_clauses_*.toc")):
        log(f"reusing {out}")
        return None
    return worker(kind, out, corpus, laws=laws, engine=engine)


def _cases(kb, q):
    return [
        ("term", q.term, lambda s: kb.search(s, facets=False)),
        ("AND (two words)", q.both, lambda s: kb.search(s, facets=False)),
        ("phrase", q.phrase, lambda s: kb.search(f'"{s}"', facets=False)),
        ("number lookup", q.number, kb.lookup),
        ("filtered (level, status)", q.filtered, lambda f: kb.search(f[0], level=f[1], status=f[2], facets=False)),
        ("facets (term + 3 facet counts)", q.term, lambda s: kb.search(s, facets=True)),
    ]


def _overlap(a: list[str], b: list[str]) -> float:
    if not a and not b:
        return 1.0
    return len(set(a) & set(b)) / max(len(a), len(b))


def compare_answers(indexes: dict, q, report: Report) -> dict:
    """Equal totals and facets, equal number lookups, and the mean top-10 overlap per query type."""
    whoosh, tantivy = indexes["whoosh"], indexes["tantivy"]
    agreement = {}
    for name, items, _ in _cases(whoosh, q):
        if name == "number lookup":
            same = sum(sorted(r.id for r in whoosh.lookup(s)) == sorted(r.id for r in tantivy.lookup(s)) for s in items)
            agreement[name] = (same, len(items), 1.0)
            continue
        overlaps, equal = [], 0
        for item in items:
            text = f'"{item}"' if name == "phrase" else item[0] if isinstance(item, tuple) else item
            filters = {"level": item[1], "status": item[2]} if isinstance(item, tuple) else {}
            a, b = whoosh.search(text, limit=10, **filters), tantivy.search(text, limit=10, **filters)
            equal += a.total == b.total and a.facets == b.facets
            overlaps.append(_overlap([h.id for h in a.hits], [h.id for h in b.hits]))
        agreement[name] = (equal, len(items), statistics.mean(overlaps))
    for name, (equal, count, overlap) in agreement.items():
        report.add(f"agreement: {name}", "equal totals+facets / top-10 overlap", f"{equal}/{count}",
                   note=f"mean top-10 overlap {overlap:.3f}")
    return agreement


def cold_search(index: Path, runs: int) -> float:
    cmd = [*KB, "--index", str(index), "search", "水稻 技术规程"]
    times = []
    for i in range(runs + 1):
        started = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True, cwd=ROOT)
        if i:  # the first run only fills the page cache
            times.append(time.perf_counter() - started)
    return statistics.median(times)


def run(args) -> Report:
    from bench import synthetic
    from bench.clauses import ClauseSearcher
    from bench.engines import Fts5
    from index.engine import KnowledgeIndex
    from kb.corpus import STANDARDS_FILE

    report = Report()
    work = Path(args.work or "/tmp/kb-bench-engines")
    work.mkdir(parents=True, exist_ok=True)
    corpus = work / "corpus"
    if not (corpus / STANDARDS_FILE).exists():
        log(f"writing {args.records:,} synthetic records to {corpus}")
        synthetic.write_corpus(corpus, args.records, args.seed)
    records = sum(1 for _ in open(corpus / STANDARDS_FILE, encoding="utf-8"))
    args.records = records

    builds = {}
    for engine in ENGINES:
        log(f"building records: {engine}")
        builds[engine] = _build("build", work / f"ix-{engine}", engine, corpus)
    log("building: SQLite FTS5 + jieba, jieba alone")
    fts_build = None if (work / "fts5.db").exists() else worker("fts5", work / "fts5.db", corpus)
    jieba_alone = worker("jieba", work / "none", corpus)
    for engine in ENGINES:
        log(f"building clauses over the law corpus: {engine}")
        _build("clauses", work / f"clauses-{engine}", engine, laws=args.laws)
    if not (work / "clauses.db").exists():
        worker("fts5-clauses", work / "clauses.db", laws=args.laws)

    rate = lambda r: r["docs"] / r["seconds"] if r else None  # noqa: E731
    for engine in ENGINES:
        b = builds[engine]
        report.add(f"build {engine}, 1 process", "docs/s", rate(b), rate(fts_build), None, rate(jieba_alone), True,
                   note=(f"{b['seconds']:,.0f} s, peak RSS {b['rss_mb']:,.0f} MB" if b else "reused, not timed"))
        report.add(f"index size {engine}", "MB", du_mb(work / f"ix-{engine}"), du_mb(work / "fts5.db"))

    q = make_queries(corpus, args.queries, args.seed)
    indexes = {engine: KnowledgeIndex.open(work / f"ix-{engine}") for engine in ENGINES}
    clause_searchers = {engine: ClauseSearcher(work / f"clauses-{engine}", engine) for engine in ENGINES}
    fts = Fts5(work / "fts5.db", work / "clauses.db")
    fts_fns = {"term": fts.search, "AND (two words)": fts.search, "phrase": fts.search_phrase,
               "number lookup": fts.lookup, "filtered (level, status)": lambda f: fts.filtered(*f),
               "facets (term + 3 facet counts)": fts.facets}
    p95 = {engine: {} for engine in ENGINES}
    for engine, kb in indexes.items():
        log(f"warming {engine}")
        for _name, items, fn in _cases(kb, q):
            timed(fn, items[:3])
    for case in range(len(_cases(indexes["whoosh"], q))):
        name = _cases(indexes["whoosh"], q)[case][0]
        log(f"timing {name}")
        fts_ms = timed(fts_fns[name], _cases(indexes["whoosh"], q)[case][1])
        for engine, kb in indexes.items():
            _, items, fn = _cases(kb, q)[case]
            ms = timed(fn, items)
            p95[engine][name] = percentile(ms, 95)
            for pct in (50, 95):
                report.add(f"{name} p{pct}, {engine}", "ms", percentile(ms, pct), percentile(fts_ms, pct))
    for engine, searcher in clause_searchers.items():
        for label, words in (("fused ranking", False), ("word ranking", True)):
            log(f"timing clause search ({label}): {engine}")
            timed(lambda s: searcher.search(s, 10, words=words), q.questions[:3])
            ms = timed(lambda s: searcher.search(s, 10, words=words), q.questions)
            p95[engine][f"clauses {label}"] = percentile(ms, 95)
            for pct in (50, 95):
                report.add(f"clause search ({label}, STARD questions, law corpus) p{pct}, {engine}", "ms",
                           percentile(ms, pct))
    log("comparing answers")
    agreement = compare_answers(indexes, q, report)
    for kb in indexes.values():
        kb.close()
    cold = {}
    for engine in ENGINES:
        log(f"timing cold `kb search`: {engine}")
        cold[engine] = cold_search(work / f"ix-{engine}", args.cold_runs)
        report.add(f"cold `kb search` end to end (median), {engine}", "s", cold[engine])
    targets(report, p95, builds, cold, agreement)
    return report


def targets(report: Report, p95: dict, builds: dict, cold: dict, agreement: dict) -> None:
    t = report.targets
    record_cases = [k for k in p95["tantivy"] if not k.startswith("clauses")]
    worst = max(p95["tantivy"][k] for k in record_cases)
    t.append(("tantivy: warm p95 ≤ 10 ms, every record query type", f"{worst:.2f} ms (worst)", "≤ 10 ms",
              "yes" if worst <= TANTIVY_TARGETS["record p95 ms"] else "no"))
    for label in ("word ranking", "fused ranking"):
        value = p95["tantivy"][f"clauses {label}"]
        t.append((f"tantivy: clause search ({label}) p95 ≤ 30 ms", f"{value:.1f} ms", "≤ 30 ms",
                  "yes" if value <= TANTIVY_TARGETS["clause p95 ms"] else "no"))
    whoosh, tantivy = builds["whoosh"], builds["tantivy"]
    if whoosh and tantivy:
        speedup = (tantivy["docs"] / tantivy["seconds"]) / (whoosh["docs"] / whoosh["seconds"])
        t.append(("tantivy: build ≥ 3× Whoosh docs/s", f"{speedup:.1f}×", "≥ 3×", "yes" if speedup >= 3 else "no"))
    if tantivy:
        t.append(("tantivy: build peak RSS ≤ 1 GB", f"{tantivy['rss_mb']:,.0f} MB", "≤ 1024 MB",
                  "yes" if tantivy["rss_mb"] <= TANTIVY_TARGETS["build RSS MB"] else "no"))
    t.append(("tantivy: cold `kb search` ≤ 0.5 s", f"{cold['tantivy']:.2f} s", "≤ 0.5 s",
              "yes" if cold["tantivy"] <= TANTIVY_TARGETS["cold s"] else "no"))
    worst_whoosh = max(p95["whoosh"][k] for k in record_cases)
    t.append(("Whoosh: warm p95 ≤ 100 ms (worst record query type; goal, reported)", f"{worst_whoosh:.1f} ms",
              "≤ 100 ms", "yes" if worst_whoosh <= WHOOSH_P95_GOAL else "no"))
    overlaps = [v[2] for k, v in agreement.items() if k != "number lookup"]
    equal = all(v[0] == v[1] for v in agreement.values())
    t.append(("engines agree: equal totals, facets and number lookups", "yes" if equal else "no", "all equal",
              "yes" if equal else "no"))
    t.append(("engines agree: top-10 overlap ≥ 0.9", f"{min(overlaps):.3f} (lowest query type)", "≥ 0.9",
              "yes" if min(overlaps) >= 0.9 else "no"))


def render(report: Report, args, command: str, started, seconds: float) -> str:
    from bench.main import _fmt, _ratio, machine

    lines = [f"## bench/run --engines — {started:%Y-%m-%d %H:%M} UTC, {args.records:,} synthetic records", "",
             f"- command: `{command}`", f"- machine: {machine()}",
             f"- data: {args.records:,} synthetic records (bench/synthetic.py); law corpus; "
             f"{args.queries} queries per type; run took {seconds:,.0f} s", "",
             "| measure | unit | stdkb engine | SQLite FTS5 + jieba | jieba alone | ÷ FTS5 | note |",
             "|---|---|---:|---:|---:|---:|---|"]
    for r in report.rows:
        lines.append(f"| {r.measure} | {r.unit}{' ↑' if r.higher_is_better else ''} | {_fmt(r.ours)} | {_fmt(r.fts5)} "
                     f"| {_fmt(r.jieba)} | {_ratio(r.ours, r.fts5)} | {r.note} |")
    lines += ["", "| target | measured | bound | met |", "|---|---|---|---|"]
    lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in report.targets]
    return "\n".join(lines) + "\n"
