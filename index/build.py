"""Build, rebuild and update the index from corpus/ JSONL, with either engine (index.engine).

`rebuild` writes a fresh generation; `update` clones the serving generation with
hard links (neither engine rewrites a segment file) and applies only the records
whose content hash changed. Both hold the writer lock and switch CURRENT
atomically (index.store). A generation's meta.json names its engine: an update
uses the engine that built the serving generation.
"""
from __future__ import annotations

import datetime as dt
import os
import shutil
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from kb.categories import save_snapshot
from kb.corpus import STANDARDS_FILE, LineError, load_records
from kb.coverage_facts import CoverageContext
from kb.errors import CorpusError, IndexMissing, KbError, VersionMismatch
from kb.records import Record, effective_status
from index import store
from index.analysis import jieba_tokenizer, save_vocabulary
from index.clauses import create_clause_index, read_texts, text_hashes, update_clause_index
from index.engine import chosen_engine, generation_engine, load_engine
from index.fields import record_document

Progress = Callable[[dict], None]


@dataclass
class BuildReport:
    action: str  # rebuild / update
    generation: str = ""
    engine: str = ""
    records: int = 0
    clauses: int = 0
    added: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0
    seconds: float = 0.0
    corpus_errors: list[LineError] = field(default_factory=list)

    def summary(self) -> dict:
        data = {k: v for k, v in self.__dict__.items() if k != "corpus_errors"}
        data["corpus_errors"] = [str(e) for e in self.corpus_errors]
        return data


@dataclass
class WriterSettings:
    """Writer settings. For Whoosh (BENCHMARKS.md, "Writer settings" and the issue-7 targets):
    One process: with two cores shared, Whoosh's pickling parent plus two workers lose to
    one process; `kb index rebuild --procs 2` helps with an idle second core. A 64 MB pool
    kept a 300,000-record build at 875 MB before coverage facts were indexed (1,303 MB at 256)
    at the same speed within noise (701 vs 727 docs/s); with them it peaks at 1,239 MB (both
    engines: the corpus and its classification, 2026-12-02). 512 MB was ~5 % faster at
    30,000–50,000 records. (Equal-score hits are ordered by number, whatever the layout.)
    tantivy takes `procs` as its indexing threads and `limitmb` as each thread's heap."""

    procs: int = 1
    limitmb: int = 64
    multisegment: bool = True  # with procs > 1: keep one segment per worker; merging them costs more
    optimize: bool = False  # with multisegment: merge those segments after the commit

    def whoosh_kwargs(self) -> dict:
        if self.procs > 1:
            return {"procs": self.procs, "limitmb": self.limitmb, "multisegment": self.multisegment}
        return {"limitmb": self.limitmb}


def load_corpus(corpus_dir: Path):
    path = corpus_dir / STANDARDS_FILE
    if not path.is_file():  # a wrong --corpus must not replace the index with an empty one
        raise CorpusError(f"{corpus_dir} 不是语料目录（缺少 {STANDARDS_FILE}）；索引未改动",
                          hint="用 --corpus 目录 或环境变量 KB_CORPUS 指定语料")
    loaded = load_records(path)
    return loaded.records, loaded.errors


def _emit(progress: Progress | None, event: str, **data) -> None:
    if progress:
        progress({"event": event, **data})


@contextmanager
def _reported(index_dir: Path, progress: Progress | None):
    """Failures become one KbError, announced as a final "error" event."""
    try:
        yield
    except KbError as exc:
        _emit(progress, "error", message=str(exc), exit_code=exc.exit_code)
        raise
    except OSError as exc:  # a full disk (ENOSPC), a read-only or vanished directory
        serving = store.current_name(index_dir)
        error = KbError(f"无法写入 {index_dir} 中的索引：{exc.strerror or exc}"
                        + (f" ({exc.filename})" if exc.filename else "")
                        + (f"；仍在使用索引版本 {serving}" if serving else "；目前还没有索引"),
                        hint="释放磁盘空间或修正目录后重新运行该命令")
        _emit(progress, "error", message=str(error), exit_code=error.exit_code)
        raise error from None


def rebuild(corpus_dir: Path, index_dir: Path, progress: Progress | None = None,
            wait: float = 0.0, settings: WriterSettings | None = None,
            today: dt.date | None = None, if_missing: bool = False, engine: str | None = None) -> BuildReport:
    """Build a complete new generation and switch to it. The engine is `engine`, else the
    serving generation's, else $KB_ENGINE, else Whoosh. With `if_missing`, do nothing when
    a generation already serves once the lock is held (another first use built it)."""
    started = time.monotonic()
    settings = settings or WriterSettings()
    today = today or dt.date.today()
    jieba_tokenizer()  # load once, before any worker process forks
    with _reported(index_dir, progress), store.writer_lock(index_dir, wait):
        if if_missing and store.current_name(index_dir) is not None:
            return BuildReport("rebuild", generation=store.current_name(index_dir))
        chosen = load_engine(chosen_engine(index_dir, engine))
        save_vocabulary(index_dir)  # readers cut queries with it, without loading jieba (index.analysis)
        save_snapshot(index_dir)  # and resolve coverage queries with this, without building it (kb.categories)
        records, errors = load_corpus(corpus_dir)
        report = BuildReport("rebuild", engine=chosen.name, records=len(records), added=len(records),
                             corpus_errors=errors)
        context = CoverageContext(records.values())
        hashes = {rid: context.indexed_hash(record) for rid, record in records.items()}
        with store.building(index_dir) as gen:
            _emit(progress, "start", action="rebuild", engine=chosen.name, total=len(records), generation=gen.name)
            with _writing(chosen.records_writer(gen, settings, new=True)) as writer:
                total = len(records)
                for i, rid in enumerate(list(records), 1):
                    # Let each record go once it is handed to the writer: peak memory is then
                    # the corpus or the writer's pool, not both (bench/run, BENCHMARKS.md).
                    record = records.pop(rid)
                    writer.add(record_document(record, today, hashes[rid], context.facts(record)))
                    if i % 500 == 0 or i == total:
                        _emit(progress, "progress", phase="records", done=i, total=total)
                _emit(progress, "commit", phase="records")
                writer.commit()
            texts, text_errors = read_texts(corpus_dir)
            report.corpus_errors += text_errors
            report.clauses = create_clause_index(chosen, gen, texts, settings, progress=progress)
            store.write_meta(gen, _meta(chosen.name, hashes, today, text_hashes(texts), report.clauses))
            store.switch_to(index_dir, gen)
        report.generation = gen.name
    report.seconds = round(time.monotonic() - started, 3)
    _emit(progress, "done", **report.summary())
    return report


@contextmanager
def _writing(writer):
    """An engine's writer, cancelled (files closed, worker processes ended) if the block fails."""
    try:
        yield writer
    except BaseException:
        writer.cancel()
        raise


def _meta(engine: str, hashes: dict[str, str], today: dt.date, text_hashes: dict[str, str], clauses: int) -> dict:
    return {
        "engine": engine,
        "built_at": dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat(),
        "status_as_of": today.isoformat(),
        "records": len(hashes),
        "record_hashes": hashes,
        "clauses": clauses,
        "text_hashes": text_hashes,
    }


def _open_for_update(index_dir: Path) -> tuple[store.Generation, dict[str, str]]:
    """The serving generation and its record hashes, after its segments opened and hold the
    documents meta.json counts, one hash each: an update copies its files and trusts its
    hashes, so a damaged one must be rebuilt instead."""
    current = store.open_generation(index_dir)
    store.check_files(current)  # an update hard-links these files forward: they must be whole
    engine = load_engine(generation_engine(current))
    try:
        count = engine.record_count(current.path)
        hashes = current.record_hashes
        if not isinstance(hashes, dict):
            raise ValueError(f"{store.HASHES} is not an object")
    except Exception as exc:  # a damaged segment fails in many ways inside an engine
        raise IndexMissing(f"索引版本 {current.name} 已损坏（{type(exc).__name__}: {exc}）") from None
    if not count == current.meta.get("records") == len(hashes):
        raise IndexMissing(f"索引版本 {current.name} 有 {count} 个文档，{store.META} 记为 "
                           f"{current.meta.get('records')}，记录哈希 {len(hashes)} 个")
    return current, hashes


def _changed(records: dict[str, Record], hashes: dict[str, str], built: dict[str, str], meta: dict,
             today: dt.date) -> list[str]:
    """Ids whose content changed since the build, or whose status did since its day."""
    then = dt.date.fromisoformat(meta.get("status_as_of") or today.isoformat())
    return [rid for rid, record in records.items()
            if built.get(rid) != hashes[rid]
            or (then != today and effective_status(record, then) != effective_status(record, today))]


def _clone(src: Path, dst: Path, top: bool = True) -> None:
    """A copy of a generation made of hard links: segment files are never rewritten by either
    engine. tantivy's own meta.json and .managed.json are replaced on commit, but copied all the
    same, so no write to the clone can reach its source."""
    for name in os.listdir(src):
        if (top and name in (store.META, store.HASHES)) or name.endswith(".tmp") or store.engine_lock(name):
            continue
        if (src / name).is_dir():  # the clause ranking data (index/clause_rows.py), tantivy's indexes
            (dst / name).mkdir()
            _clone(src / name, dst / name, top=False)
        elif not top and name in ("meta.json", ".managed.json"):
            shutil.copy2(src / name, dst / name)
        else:
            os.link(src / name, dst / name)


def update(corpus_dir: Path, index_dir: Path, progress: Progress | None = None,
           wait: float = 0.0, today: dt.date | None = None, engine: str | None = None) -> BuildReport:
    """Apply only the corpus records whose content (or dated status) changed since the last
    build, with the engine that built the serving generation (`engine`, when given, must be it)."""
    started = time.monotonic()
    today = today or dt.date.today()
    with _reported(index_dir, progress), store.writer_lock(index_dir, wait):
        records, errors = load_corpus(corpus_dir)
        current, old = _open_for_update(index_dir)
        built = generation_engine(current)
        if engine and engine != built:
            raise VersionMismatch(f"{index_dir} 中的索引由 {built} 引擎建立，不能用 {engine} 引擎更新",
                                  hint=f"去掉 --engine，或用 `kb index rebuild --engine {engine}` 重建")
        report = BuildReport("update", engine=built, records=len(records), corpus_errors=errors)
        save_snapshot(index_dir)
        context = CoverageContext(records.values())
        hashes = {rid: context.indexed_hash(record) for rid, record in records.items()}
        changed = _changed(records, hashes, old, current.meta, today)
        deleted = [rid for rid in old if rid not in records]
        report.added = sum(1 for rid in changed if rid not in old)
        report.updated, report.deleted = len(changed) - report.added, len(deleted)
        report.unchanged = len(records) - len(changed)
        texts, text_errors = read_texts(corpus_dir)
        report.corpus_errors += text_errors
        report.generation, report.clauses = _apply(index_dir, current, records, hashes, changed, deleted,
                                                   texts, today, progress, context)
    report.seconds = round(time.monotonic() - started, 3)
    _emit(progress, "done", **report.summary())
    return report


def _apply(index_dir: Path, current: store.Generation, records: dict[str, Record], hashes: dict[str, str],
           changed: list[str], deleted: list[str], texts: dict, today: dt.date,
           progress: Progress | None, context: CoverageContext) -> tuple[str, int]:
    """A hard-linked clone of `current` with the changes applied, switched to: its name and
    clause count. With nothing to apply, the current generation keeps serving."""
    engine = load_engine(generation_engine(current))
    old_texts = current.meta.get("text_hashes", {})
    new_texts = text_hashes(texts)
    clauses = current.meta.get("clauses", 0)
    if not changed and not deleted and new_texts == old_texts:
        _emit(progress, "start", action="update", engine=engine.name, total=0, generation=current.name)
        return current.name, clauses
    settings = WriterSettings()
    with store.building(index_dir) as gen:
        _clone(current.path, gen)
        _emit(progress, "start", action="update", engine=engine.name, total=len(changed) + len(deleted),
              generation=gen.name)
        with _writing(engine.records_writer(gen, settings, new=False)) as writer:
            for rid in deleted:
                writer.delete("id", rid)
            for i, rid in enumerate(changed, 1):
                writer.update(record_document(records[rid], today, hashes[rid], context.facts(records[rid])))
                if i % 500 == 0 or i == len(changed):
                    _emit(progress, "progress", phase="records", done=i, total=len(changed))
            _emit(progress, "commit", phase="records")
            writer.commit()
        if new_texts != old_texts:
            clauses = update_clause_index(engine, gen, texts, old_texts, settings, progress=progress)
        store.write_meta(gen, _meta(engine.name, hashes, today, new_texts, clauses))
        store.switch_to(index_dir, gen)
    return gen.name, clauses


def refresh(corpus_dir: Path, index_dir: Path, progress: Progress | None = None,
            wait: float = 0.0) -> BuildReport:
    """Update the index; rebuild it (with the same engine) when an update cannot help (no
    index, a damaged one, another version): what `kb sync` does after the corpus changed."""
    try:
        return update(corpus_dir, index_dir, progress, wait)
    except (IndexMissing, VersionMismatch):
        return rebuild(corpus_dir, index_dir, progress, wait=wait)
