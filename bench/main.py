"""bench/run: speed and scale of stdkb next to SQLite FTS5 + jieba, jieba alone and stock Whoosh.

    bench/run                  300,000 synthetic records and the whole law corpus (long: run it in the background)
    bench/run --records 50000  another size
    bench/run --quick          a smoke size for CI (seconds)
    bench/run --engines        the Whoosh and tantivy engines side by side (bench/engine_compare.py)

Everything runs in a temporary directory; the table is printed and appended to
BENCHMARKS.md with the date, the machine and the command. Ratios are stdkb ÷ baseline:
below 1 is better for times and sizes, above 1 is better for throughput.
"""
from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
KB = [PYTHON, str(ROOT / "cli.py")]  # `kb` from this tree (a worktree can benchmark a fixed commit)
BENCHMARKS = ROOT / "BENCHMARKS.md"
STARD = (ROOT / ".." / "shared" / "eval" / "stard" / "train.jsonl").resolve()
NA = "n/a (not built yet)"


@dataclass
class Row:
    measure: str
    unit: str
    ours: float | str | None
    fts5: float | None = None
    stock: float | None = None
    jieba: float | None = None
    higher_is_better: bool = False
    note: str = ""


@dataclass
class Report:
    rows: list[Row] = field(default_factory=list)
    targets: list[tuple[str, str, str, str]] = field(default_factory=list)  # target, measured, ratio/limit, met

    def add(self, *args, **kwargs) -> Row:
        row = Row(*args, **kwargs)
        self.rows.append(row)
        print(f"  {row.measure}: {_fmt(row.ours)} {row.unit}", file=sys.stderr, flush=True)
        return row


# -- helpers ---------------------------------------------------------------------

def _fmt(value) -> str:
    if value is None:
        return "–"
    if isinstance(value, str):
        return value
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}" if value >= 0.1 else f"{value:.3f}"


def _ratio(ours, base) -> str:
    if not isinstance(ours, (int, float)) or not base:
        return "–"
    return f"{ours / base:.2f}×"


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def timed(fn, items) -> list[float]:
    """Milliseconds per call, after one warm-up pass over every item."""
    for item in items:
        fn(item)
    out = []
    for item in items:
        started = time.perf_counter()
        fn(item)
        out.append((time.perf_counter() - started) * 1000)
    return out


def worker(kind: str, out: Path, corpus: Path | None = None, procs: int = 1, laws: int = 0,
           engine: str = "whoosh") -> dict:
    cmd = [PYTHON, "-m", "bench.worker", kind, "--out", str(out), "--procs", str(procs), "--laws", str(laws),
           "--engine", engine]
    if corpus:
        cmd += ["--corpus", str(corpus)]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"bench worker {kind} --engine {engine} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def du_mb(path: Path) -> float:
    if path.is_file():
        return path.stat().st_size / 2**20
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 2**20


def current_generation(index_dir: Path) -> Path:
    return index_dir / (index_dir / "CURRENT").read_text().strip()


def machine() -> str:
    mem = next((ln.split()[1] for ln in Path("/proc/meminfo").read_text().splitlines()
                if ln.startswith("MemTotal")), "0")
    cpu = next((ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines()
                if ln.startswith("model name")), platform.processor())
    load = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    return (f"{os.cpu_count()} cores ({cpu}), {int(mem) / 2**20:.1f} GiB RAM, "
            f"Python {platform.python_version()}, {platform.system()} {platform.release()}; "
            f"load average at the end {load} (other processes share the machine)")


# -- query sets --------------------------------------------------------------------

@dataclass
class Queries:
    term: list[str]
    both: list[str]
    phrase: list[str]
    number: list[str]
    filtered: list[tuple[str, str, str]]
    questions: list[str]


def make_queries(corpus: Path, count: int, seed: int) -> Queries:
    from bench.engines import load_jsonl_records
    from bench.variants import spelling_variants
    from index.analysis import analyze
    from kb.corpus import STANDARDS_FILE
    from kb.records import effective_status

    rng = random.Random(seed)
    records = list(load_jsonl_records(corpus / STANDARDS_FILE))
    sample = rng.sample(records, min(len(records), count * 4))
    term, both, phrase, number, filtered = [], [], [], [], []
    today = dt.date.today()
    for record in sample:
        words = [w for w in analyze(record.title) if len(w) > 1 and not w.isascii()]
        if not words:
            continue
        if len(term) < count:
            term.append(rng.choice(words))
        if len(words) > 1 and len(both) < count:
            a, b = rng.sample(words, 2)
            both.append(f"{a} {b}")
        if len(words) > 1 and len(phrase) < count:
            i = rng.randrange(len(words) - 1)
            phrase.append(words[i] + words[i + 1])
        if len(filtered) < count:
            filtered.append((rng.choice(words), record.level, effective_status(record, today)))
        if len(number) < count:
            number.append(rng.choice(list(spelling_variants(record.number).values())))
    questions = [json.loads(line)["query"] for line in STARD.read_text(encoding="utf-8").splitlines() if line]
    questions = rng.sample(questions, min(len(questions), count))
    return Queries(term, both, phrase, number, filtered, questions)


# -- the run -------------------------------------------------------------------------

def run(args) -> Report:
    from bench import synthetic
    from kb.corpus import STANDARDS_FILE

    report = Report()
    work = Path(args.work or tempfile.mkdtemp(prefix="kb-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    corpus = work / "corpus"
    log = lambda msg: print(f"[bench] {msg}", file=sys.stderr, flush=True)  # noqa: E731

    if args.coverage_only:  # time the coverage commands on the index a kept run (or bench.worker build) left
        if not (work / "ix1" / "CURRENT").exists():
            log(f"no built ix1 in {work}: timing the shipped corpus only")
        log(f"timing cold coverage commands on the indexes in {work}")
        coverage_rows(report, work, args)
        report.targets.extend(report.coverage_checks)
        return report
    if args.latency_only:  # re-time queries on the corpus and indexes a kept run left in --work
        if not (work / "ix1" / "CURRENT").exists():
            raise SystemExit(f"--latency-only needs a --work directory kept by an earlier run (--keep): {work}")
        log(f"timing warm queries on the indexes in {work}")
        latency_rows(report, work, corpus, args)
        targets(report, None, None, None)
        return report
    log(f"writing {args.records:,} synthetic records to {corpus}")
    synthetic.write_corpus(corpus, args.records, args.seed)
    corpus_mb = du_mb(corpus / STANDARDS_FILE)
    stock_corpus = corpus
    if args.stock_records and args.stock_records < args.records:
        stock_corpus = work / "stock-corpus"
        stock_corpus.mkdir()
        with open(corpus / STANDARDS_FILE, encoding="utf-8") as src, \
                open(stock_corpus / STANDARDS_FILE, "w", encoding="utf-8") as dst:
            for i, line in zip(range(args.stock_records), src):
                dst.write(line)

    # builds, each in its own process
    log("building: stdkb 1 process")
    ours1 = worker("build", work / "ix1", corpus, procs=1)
    log("building: stdkb 2 processes")
    ours2 = worker("build", work / "ix2", corpus, procs=2)
    log("building: SQLite FTS5 + jieba")
    fts = worker("fts5", work / "fts5.db", corpus)
    log("tokenizing: jieba alone")
    jie = worker("jieba", work / "none", corpus)
    log(f"building: stock Whoosh ({args.stock_records or args.records:,} records)")
    stock = worker("stock", work / "stock", stock_corpus)

    rate = lambda r: r["docs"] / r["seconds"]  # noqa: E731
    mbps = lambda r: corpus_mb * r["docs"] / args.records / r["seconds"]  # noqa: E731
    stock_note = (f"stock Whoosh built the first {stock['docs']:,} records only" if stock_corpus != corpus else "")
    report.add("build, 1 process", "docs/s", rate(ours1), rate(fts), rate(stock), rate(jie), True, stock_note)
    report.add("build, 2 processes", "docs/s", rate(ours2), rate(fts), rate(stock), rate(jie), True)
    report.add("build, 1 process", "MB/s", mbps(ours1), mbps(fts), mbps(stock), mbps(jie), True)
    report.add("build, 2 processes", "MB/s", mbps(ours2), mbps(fts), mbps(stock), mbps(jie), True)
    report.add("build wall time, 2 processes", "s", ours2["seconds"], fts["seconds"], stock["seconds"], jie["seconds"])
    report.add("index size", "MB", du_mb(current_generation(work / "ix1")), du_mb(work / "fts5.db"),
               du_mb(work / "stock"), None, note=f"corpus JSONL {corpus_mb:.0f} MB")
    peak2 = max(ours2["rss_mb"], ours2["child_rss_mb"])
    report.add("peak RSS, build 1 process", "MB", ours1["rss_mb"], fts["rss_mb"], stock["rss_mb"], jie["rss_mb"])
    report.add("peak RSS, build 2 processes (largest process)", "MB", peak2, fts["rss_mb"], stock["rss_mb"],
               jie["rss_mb"], note=f"parent {ours2['rss_mb']:.0f} MB + worker {ours2['child_rss_mb']:.0f} MB")

    # clause indexes over the law corpus
    log("building clause indexes over the law corpus")
    cl = worker("clauses", work / "clauses", procs=2, laws=args.laws)
    cl_fts = worker("fts5-clauses", work / "clauses.db", laws=args.laws)
    cl_stock = worker("stock-clauses", work / "stock-clauses", laws=args.laws)
    report.add("clause index build over the law corpus, 2 processes", "s", cl["seconds"], cl_fts["seconds"],
               cl_stock["seconds"], None, note=f"stdkb {cl['docs']:,} clauses (articles, 款, 项, chapters); "
               f"baselines {cl_fts['docs']:,} articles")

    # warm in-process latency
    log("timing warm queries")
    latency_rows(report, work, corpus, args)

    # cold end to end
    log("timing cold `kb search`")
    cold_rows(report, work, args)

    log("timing cold `kb cover`, `kb gaps`, `kb stats`")
    coverage_rows(report, work, args)

    # update after 1% change
    log("timing `kb index update` after 1% of records change")
    update_rows(report, work, corpus, args)
    targets(report, ours2, fts, peak2)
    if not args.keep and not args.work:
        shutil.rmtree(work, ignore_errors=True)
    return report


def latency_rows(report: Report, work: Path, corpus: Path, args) -> None:
    from bench.clauses import ClauseSearcher
    from bench.engines import Fts5, StockWhoosh
    from index.engine import KnowledgeIndex

    q = make_queries(corpus, args.queries, args.seed)
    kb = KnowledgeIndex.open(work / "ix1")
    clauses = ClauseSearcher(work / "clauses")
    fts = Fts5(work / "fts5.db", work / "clauses.db")
    stock = StockWhoosh(work / "stock", work / "stock-clauses")
    cases = [
        ("term", q.term, lambda s: kb.search(s, facets=False), fts.search, stock.search),
        ("AND (two words)", q.both, lambda s: kb.search(s, facets=False), fts.search, stock.search),
        ("phrase", q.phrase, lambda s: kb.search(f'"{s}"', facets=False), fts.search_phrase, stock.search_phrase),
        ("number lookup", q.number, kb.lookup, fts.lookup, stock.lookup),
        ("filtered (level, status)", q.filtered, lambda f: kb.search(f[0], level=f[1], status=f[2], facets=False),
         lambda f: fts.filtered(*f), lambda f: stock.filtered(*f)),
        ("facets (term + 3 facet counts)", q.term, lambda s: kb.search(s, facets=True), fts.facets, stock.facets),
        ("clause search (STARD questions, law corpus)", q.questions, lambda s: clauses.search(s, 10),
         lambda s: fts.clauses(s, 10), lambda s: stock.clauses(s, 10)),
    ]
    summary = {}
    for name, items, ours_fn, fts_fn, stock_fn in cases:
        print(f"[bench]   {name}", file=sys.stderr, flush=True)
        ours_ms, fts_ms, stock_ms = timed(ours_fn, items), timed(fts_fn, items), timed(stock_fn, items)
        for pct in (50, 95, 99):
            report.add(f"{name} p{pct}", "ms", percentile(ours_ms, pct), percentile(fts_ms, pct),
                       percentile(stock_ms, pct))
        summary[name] = percentile(ours_ms, 95)
    extra_rows(report, kb, q, args)
    report.p95 = summary
    kb.close()


def extra_rows(report: Report, kb, q: Queries, args) -> None:
    """Clause lookup (kb.texts) and `cover` (kb.coverage), when those modules exist; no baselines."""
    rng = random.Random(args.seed + 2)
    try:
        from kb.texts import lookup_clause

        from bench.laws import articles, law_documents
    except ImportError:
        report.add("clause lookup (law, article)", "ms", NA)
    else:
        documents = law_documents(titles=args.laws)
        picked = rng.sample(articles(documents), min(args.queries, 50 if args.quick else args.queries))
        ms = timed(lambda a: lookup_clause(documents, a.title, a.label), picked)
        for pct in (50, 95, 99):
            report.add(f"clause lookup (law, article) p{pct}", "ms", percentile(ms, pct),
                       note="kb.texts.lookup_clause over the loaded law documents")
    if importlib.util.find_spec("kb.coverage") is None:
        report.add("cover", "ms", NA)
        return
    from kb.coverage import cover

    terms = q.term[:max(5, args.queries // 10)]
    ms = timed(lambda term: _cover(cover, kb, term), terms)
    for pct in (50, 95, 99):
        report.add(f"cover (title words) p{pct}", "ms", percentile(ms, pct),
                   note=f"kb.coverage.cover, {len(terms)} terms")
    report.cover_p95 = percentile(ms, 95)


def _cover(cover, kb, term):
    from kb.errors import KbError

    try:
        return cover(kb, term)
    except KbError:
        return None


def cold_rows(report: Report, work: Path, args) -> None:
    shipped = work / "ix-shipped"
    subprocess.run([*KB, "--index", str(shipped), "--corpus", str(ROOT / "corpus"), "build", "--json"],
                   check=True, capture_output=True)
    query = "水稻 技术规程"
    results = {}
    for label, index in (("shipped corpus", shipped), (f"{args.records:,} synthetic", work / "ix1")):
        cmd = [*KB, "--index", str(index), "search", query]
        fts_cmd = [PYTHON, "-m", "bench.cold_fts5", str(work / "fts5.db"), query]
        times, fts_times = [], []
        for i in range(args.cold_runs + 1):
            for target, command in ((times, cmd), (fts_times, fts_cmd)):
                started = time.perf_counter()
                subprocess.run(command, check=True, capture_output=True, cwd=ROOT)
                if i:  # the first run only fills the page cache
                    target.append(time.perf_counter() - started)
        results[label] = statistics.median(times)
        report.add(f"cold `kb search` end to end, {label} (median)", "s", statistics.median(times),
                   statistics.median(fts_times) if "synthetic" in label else None,
                   note="FTS5: a cold python process that loads jieba, tokenizes and queries")
    report.cold = max(results.values())


COVERAGE_COMMANDS = [  # (label, kb arguments, bound in seconds at scale)
    ("`kb search 水稻` (baseline)", ["search", "水稻"], None),
    ("`kb cover 水稻` (term)", ["cover", "水稻", "--json"], 1.0),
    ("`kb cover K13` (CCS code)", ["cover", "K13", "--json"], 1.0),
    ("`kb cover 水泥` (category name)", ["cover", "水泥", "--json"], 1.0),
    ("`kb gaps --json`", ["gaps", "--json"], 2.0),
    ("`kb stats --json`", ["stats", "--json"], 0.5),
]
SHIPPED_BOUND = 0.5
RSS_BOUND_MB = 300


def cold_command(command: list[str], env: dict) -> tuple[float, float, float]:
    """Wall seconds, peak RSS (MB) and CPU seconds (user + system) of one cold process
    (os.wait4: that process's own rusage; CPU shows the cost when other processes share the cores)."""
    started = time.perf_counter()
    proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise SystemExit(f"{' '.join(command)} failed: {proc.stderr.read().decode()[-2000:]}")
    return seconds, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime


def coverage_rows(report: Report, work: Path, args) -> None:
    """Cold `kb cover` / `gaps` / `stats` next to a cold `kb search` of one word, on the shipped
    corpus and the synthetic one. Bytecode may be cached (as in an installed kb): the first
    run of each command is discarded."""
    shipped = work / "ix-shipped"
    if not (shipped / "CURRENT").exists():
        subprocess.run([*KB, "--index", str(shipped), "--corpus", str(ROOT / "corpus"), "build", "--json"],
                       check=True, capture_output=True)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    checks = report.__dict__.setdefault("coverage_checks", [])
    indexes = [("shipped corpus", shipped, False), (f"{args.records:,} synthetic", work / "ix1", True)]
    for label, index, scale in indexes[:None if (work / "ix1" / "CURRENT").exists() else 1]:
        for name, kb_args, bound in COVERAGE_COMMANDS:
            runs = [cold_command([*KB, "--index", str(index), *kb_args], env) for _ in range(args.cold_runs + 1)][1:]
            seconds = statistics.median(r[0] for r in runs)
            rss = max(r[1] for r in runs)
            cpu = statistics.median(r[2] for r in runs)
            report.add(f"cold {name}, {label} (median)", "s", seconds,
                       note=f"CPU {cpu:.2f} s; peak RSS {rss:,.0f} MB")
            if bound is not None:
                limit = bound if scale else SHIPPED_BOUND
                checks.append((f"cold {name}, {label} ≤ {limit:g} s, RSS ≤ {RSS_BOUND_MB} MB",
                               f"{seconds:.2f} s (CPU {cpu:.2f} s), {rss:,.0f} MB", f"≤ {limit:g} s, ≤ {RSS_BOUND_MB} MB",
                               "yes" if seconds <= limit and rss <= RSS_BOUND_MB else "no"))


def update_rows(report: Report, work: Path, corpus: Path, args) -> None:
    from bench.engines import fts5_update, load_jsonl_records
    from kb.corpus import STANDARDS_FILE

    changed_dir = work / "corpus-changed"
    changed_dir.mkdir(exist_ok=True)
    rng = random.Random(args.seed + 1)
    records = list(load_jsonl_records(corpus / STANDARDS_FILE))
    picked = set(rng.sample(range(len(records)), max(1, len(records) // 100)))
    changed = []
    with open(changed_dir / STANDARDS_FILE, "w", encoding="utf-8") as out:
        for i, record in enumerate(records):
            if i in picked:
                record.title += "（修订）"
                changed.append(record)
            out.write(record.to_json() + "\n")
    started = time.perf_counter()
    done = subprocess.run([*KB, "--index", str(work / "ix1"), "--corpus", str(changed_dir), "index", "update", "--json"],
                          capture_output=True, text=True)
    ours = time.perf_counter() - started
    if done.returncode:
        raise SystemExit(f"kb index update failed: {done.stderr[-2000:]}")
    started = time.perf_counter()
    fts5_update(work / "fts5.db", changed, dt.date.today())
    fts = time.perf_counter() - started
    report.add(f"`kb index update`, {len(changed):,} of {len(records):,} records changed", "s", ours, fts,
               note="FTS5: re-tokenize and replace the changed rows in one process (told which changed)")


def targets(report: Report, ours2: dict | None, fts: dict | None, peak2: float | None) -> None:
    p95 = getattr(report, "p95", {})
    worst = max((v for k, v in p95.items() if not k.startswith("clause")), default=0)
    t = report.targets
    if ours2 is not None:
        build = ours2["docs"] / ours2["seconds"]
        base = fts["docs"] / fts["seconds"]
        t.append(("build using both cores ≥ SQLite FTS5 + jieba, 1 process",
                  f"{build:,.0f} vs {base:,.0f} docs/s", f"{build / base:.2f}×", "yes" if build >= base else "no"))
    t.append(("warm query p95 ≤ 100 ms (worst record query type)", f"{worst:.1f} ms", "≤ 100 ms",
              "yes" if worst <= 100 else "no"))
    clause = p95.get("clause search (STARD questions, law corpus)", 0)
    t.append(("clause search p95 ≤ 100 ms", f"{clause:.1f} ms", "≤ 100 ms", "yes" if clause <= 100 else "no"))
    if ours2 is None:
        return
    cold = getattr(report, "cold", 0)
    t.append(("cold `kb search` ≤ 1.0 s", f"{cold:.2f} s", "≤ 1.0 s", "yes" if cold <= 1.0 else "no"))
    t.append(("peak RSS ≤ 1 GB building", f"{peak2:,.0f} MB (largest process)", "≤ 1024 MB",
              "yes" if peak2 <= 1024 else "no"))
    t.extend(getattr(report, "coverage_checks", []))


def render(report: Report, args, command: str, started: dt.datetime, seconds: float) -> str:
    shipped_only = args.coverage_only and not (args.work and (Path(args.work) / "ix1" / "CURRENT").exists())
    data = ("the shipped corpus only (no built ix1 in --work)" if shipped_only else
            f"{args.records:,} synthetic records (seed {args.seed}, bench/synthetic.py); "
            f"law corpus {'all' if not args.laws else f'first {args.laws}'} titles (latest versions); "
            f"{args.queries} queries per type")
    lines = [f"## bench/run — {started:%Y-%m-%d %H:%M} UTC, "
             + ("shipped corpus" if shipped_only else f"{args.records:,} synthetic records")
             + (" (quick)" if args.quick else "") + (", warm queries only" if args.latency_only else "")
             + (", coverage commands only" if args.coverage_only else ""), "",
             f"- command: `{command}`", f"- machine: {machine()}",
             f"- data: {data}; run took {seconds:,.0f} s", "",
             "| measure | unit | stdkb | SQLite FTS5 + jieba | stock Whoosh | jieba alone | ÷ FTS5 | ÷ stock | ÷ jieba | note |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|---|"]
    for r in report.rows:
        lines.append(f"| {r.measure} | {r.unit}{' ↑' if r.higher_is_better else ''} | {_fmt(r.ours)} | {_fmt(r.fts5)} "
                     f"| {_fmt(r.stock)} | {_fmt(r.jieba)} | {_ratio(r.ours, r.fts5)} | {_ratio(r.ours, r.stock)} "
                     f"| {_ratio(r.ours, r.jieba)} | {r.note} |")
    lines += ["", "↑ higher is better; other rows lower is better. Ratios are stdkb ÷ baseline.", "",
              "| target | measured | bound | met |", "|---|---|---|---|"]
    lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in report.targets]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench/run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, help="synthetic records (default 300,000; --quick 500)")
    parser.add_argument("--quick", action="store_true", help="smoke size for CI")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--queries", type=int, help="queries per type (default 200; --quick 10)")
    parser.add_argument("--laws", type=int, help="law titles to index (default all; --quick 10)")
    parser.add_argument("--stock-records", type=int, default=0,
                        help="build stock Whoosh on the first N records only (default: all)")
    parser.add_argument("--cold-runs", type=int, help="cold process runs (default 5; --quick 1)")
    parser.add_argument("--work", help="work directory (default: a new temp dir, removed after)")
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    parser.add_argument("--latency-only", action="store_true",
                        help="only re-time the warm queries, on the indexes a --keep run left in --work")
    parser.add_argument("--coverage-only", action="store_true",
                        help="only time cold kb cover/gaps/stats (and kb search beside them) on the shipped corpus "
                             "and the ix1 in --work (when there is one)")
    parser.add_argument("--engines", action="store_true",
                        help="compare the Whoosh and tantivy engines (bench/engine_compare.py; reuses --work)")
    parser.add_argument("--no-append", action="store_true", help="print only; leave BENCHMARKS.md alone")
    parser.add_argument("--output", type=Path, default=BENCHMARKS, help="file to append the table to")
    args = parser.parse_args(argv)
    args.records = args.records or (500 if args.quick else 300_000)
    args.queries = args.queries or (10 if args.quick else 200)
    args.laws = args.laws if args.laws is not None else (10 if args.quick else 0)
    args.cold_runs = args.cold_runs or (1 if args.quick else 5)
    command = "bench/run" + "".join(f" {a}" for a in (argv if argv is not None else sys.argv[1:]))
    started = dt.datetime.now(dt.timezone.utc)
    t0 = time.perf_counter()
    if args.engines:
        from bench import engine_compare

        report = engine_compare.run(args)
        table = engine_compare.render(report, args, command, started, time.perf_counter() - t0)
    else:
        report = run(args)
        table = render(report, args, command, started, time.perf_counter() - t0)
    print(table)
    if not args.no_append:
        with open(args.output, "a", encoding="utf-8") as handle:
            handle.write("\n" + table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
