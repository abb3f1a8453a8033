"""`kb index verify`: is the serving generation whole, complete and answering?"""
from __future__ import annotations

import random
from pathlib import Path

from kb.errors import IndexMissing, KbError
from index import store
from index.build import load_corpus
from index.clauses import read_texts, text_hashes
from index.engine import KnowledgeIndex, open_generation_index

SAMPLE = 20


def _check(name: str, ok: bool, detail: str) -> dict:
    return {"name": name, "ok": bool(ok), "detail": detail}


def _clause_check(kb: KnowledgeIndex, corpus_dir: Path) -> dict:
    """The clause index was built from the texts the corpus holds now, and it opens."""
    texts, _errors = read_texts(corpus_dir)
    expected = text_hashes(texts)
    try:
        count = kb.clauses.count()
    except Exception as exc:
        return _check("clauses", False, f"条款索引无法打开：{type(exc).__name__}: {exc}")
    if expected != kb.meta.get("text_hashes", {}) or count != kb.meta.get("clauses"):
        return _check("clauses", False, f"索引中有来自 {len(kb.meta.get('text_hashes', {}))} 篇文本的 {count} 个条款；"
                                        f"语料中有 {len(expected)} 篇文本（运行 `kb index update`）")
    return _check("clauses", True, f"{len(expected)} 篇文本的 {count} 个条款")


def _hashes_check(generation: store.Generation) -> tuple[bool, str]:
    """hashes.json (what `kb index update` trusts) holds one hash per indexed record."""
    try:
        hashes = generation.record_hashes
    except (OSError, ValueError) as exc:
        return False, f"{store.HASHES} 无法读取：{type(exc).__name__}（请运行 `kb index rebuild`）"
    if not isinstance(hashes, dict) or len(hashes) != generation.meta.get("records") \
            or not all(isinstance(v, str) for v in hashes.values()):
        return False, f"{store.HASHES} 不是每条记录一个哈希（请运行 `kb index rebuild`）"
    return True, f"{len(hashes)} 条记录的哈希"


def verify(index_dir: Path, corpus_dir: Path, sample: int = SAMPLE, seed: int = 0) -> dict:
    """Checks: meta and version, segments open and read, counts vs corpus, sample lookups.
    report["exit_code"]: 0 when all pass, 5 for another schema/analyzer version, else 4."""
    report = {"ok": False, "exit_code": IndexMissing.exit_code, "generation": None, "checks": []}
    checks = report["checks"]
    try:
        generation = store.open_generation(index_dir)
        report["generation"] = generation.name
        kb = open_generation_index(generation, index_dir)
    except KbError as exc:  # IndexMissing (4), VersionMismatch (5)
        checks.append(_check("open", False, f"{exc}；{exc.hint}" if exc.hint else str(exc)))
        report["exit_code"] = exc.exit_code
        return report
    checks.append(_check("open", True, f"索引版本 {generation.name} 已打开（{kb.engine} 引擎）"))
    damaged = store.damaged_files(generation)
    checks.append(_check("files", not damaged, f"已损坏：{'、'.join(damaged[:5])}（请运行 `kb index rebuild`）"
                         if damaged else f"{len(generation.meta.get('files') or {})} 个文件与建立时一致"))
    hashes_ok, detail = _hashes_check(generation)
    checks.append(_check("hashes", hashes_ok, detail))
    try:
        stored = kb.all_records()
        checks.append(_check("segments", True, f"已读取 {len(stored)} 个存储的文档"))
    except Exception as exc:
        checks.append(_check("segments", False, f"读取存储的文档失败：{type(exc).__name__}: {exc}"))
        kb.close()
        return report
    records, errors = load_corpus(corpus_dir)
    indexed = {r.id for r in stored}
    missing = sorted(set(records) - indexed)
    extra = sorted(indexed - set(records))
    detail = f"索引 {len(indexed)} 条，语料 {len(records)} 条"
    if missing or extra:
        detail += f"；缺少 {missing[:5]}，多出 {extra[:5]}（运行 `kb index update`）"
    checks.append(_check("counts", not missing and not extra, detail))
    rng = random.Random(seed)
    picks = rng.sample(sorted(indexed), min(sample, len(indexed)))
    failures = []
    for rid in picks:
        try:
            found = {r.id for r in kb.lookup(rid)}
            if rid not in found:
                failures.append(rid)
            title = next(r.title for r in stored if r.id == rid)
            if title and rid not in {h.id for h in kb.search(title, limit=50, facets=False).hits}:
                failures.append(f"{rid} 的标准名称")
        except Exception as exc:
            failures.append(f"{rid} ({type(exc).__name__})")
    checks.append(_check("sample", not failures,
                         f"已查询 {len(picks)} 个标准号和标准名称"
                         + (f"；失败：{'、'.join(failures[:5])}" if failures else "")))
    checks.append(_clause_check(kb, corpus_dir))
    kb.close()
    report["ok"] = all(c["ok"] for c in checks)
    report["exit_code"] = 0 if report["ok"] else IndexMissing.exit_code
    return report
