"""One measured job in its own process, so peak RSS (ru_maxrss) is the job's own.

    python -m bench.worker build --corpus DIR --out DIR [--procs 2] [--limitmb 64] [--engine tantivy]
    python -m bench.worker fts5 | stock | jieba --corpus DIR --out PATH
    python -m bench.worker clauses | fts5-clauses | stock-clauses --out PATH [--laws N] [--engine tantivy]

Prints one JSON line: seconds, docs, peak RSS of this process and of its largest child.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
import time
from pathlib import Path

from kb.corpus import STANDARDS_FILE


def _records(corpus: Path):
    from bench.engines import load_jsonl_records

    return load_jsonl_records(corpus / STANDARDS_FILE)


def _documents(laws: int | None):
    from bench.laws import law_documents

    return law_documents(titles=laws or 0)


def _articles(laws: int | None):
    from bench.laws import articles

    return articles(_documents(laws))


def run(kind: str, corpus: Path | None, out: Path, procs: int, laws: int | None, limitmb: int | None = None,
        engine: str = "whoosh") -> dict:
    from index.analysis import jieba_tokenizer

    today = dt.date.today()
    result: dict = {}
    jieba_tokenizer()  # every engine pays the dictionary load (about 1 s); time only the work
    if kind.startswith("stock"):
        import jieba
        jieba.initialize()
    started = time.perf_counter()
    if kind == "build":
        from index.build import WriterSettings, rebuild

        settings = WriterSettings(procs=procs, multisegment=procs > 1)
        if limitmb:
            settings.limitmb = limitmb
        report = rebuild(corpus, out, settings=settings, today=today, engine=engine)
        result["docs"] = report.records
    elif kind == "fts5":
        from bench.engines import fts5_build

        result["docs"] = fts5_build(_records(corpus), out, today)
    elif kind == "stock":
        from bench.engines import stock_build

        result["docs"] = stock_build(_records(corpus), out, today)
    elif kind == "jieba":
        tok = jieba_tokenizer()
        count = 0
        for record in _records(corpus):
            for text in (record.title, record.scope, record.dept):
                for _ in tok.cut(text, HMM=False):
                    pass
            count += 1
        result["docs"] = count
    elif kind == "clauses":
        from bench.clauses import build_clause_index
        from index.build import WriterSettings

        result["docs"] = build_clause_index(_documents(laws), out, WriterSettings(procs=procs, multisegment=procs > 1),
                                            engine=engine)
    elif kind == "fts5-clauses":
        from bench.engines import fts5_build_clauses

        result["docs"] = fts5_build_clauses(_articles(laws), out)
    elif kind == "stock-clauses":
        from bench.engines import stock_build_clauses

        result["docs"] = stock_build_clauses(_articles(laws), out)
    else:
        raise SystemExit(f"unknown job {kind}")
    result["seconds"] = time.perf_counter() - started
    result["rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result["child_rss_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("kind")
    parser.add_argument("--corpus", type=Path)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--procs", type=int, default=1)
    parser.add_argument("--laws", type=int, default=0, help="only the first N law titles (0: all)")
    parser.add_argument("--limitmb", type=int, default=0, help="Whoosh pool size for `build` (default: WriterSettings)")
    parser.add_argument("--engine", default="whoosh", help="index engine of `build` and `clauses`")
    args = parser.parse_args()
    print(json.dumps(run(args.kind, args.corpus, args.out, args.procs, args.laws or None, args.limitmb or None,
                         args.engine)))


if __name__ == "__main__":
    main()
