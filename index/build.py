"""Build, rebuild and update the index from corpus/ JSONL.

`rebuild` writes a fresh generation; `update` clones the serving generation with
hard links (Whoosh never rewrites a segment file) and applies only the records
whose content hash changed. Both hold the writer lock and switch CURRENT
atomically (index.store).
"""
from __future__ import annotations

import datetime as dt
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from whoosh import index as whoosh_index

from kb import numbers
from kb.corpus import STANDARDS_FILE, LineError, load_records
from kb.records import Record, effective_status
from index import store
from index.analysis import jieba_tokenizer, save_vocabulary
from index.schema import CLAUSES, RECORDS, clauses_schema, records_schema

Progress = Callable[[dict], None]


@dataclass
class BuildReport:
    action: str  # rebuild / update
    generation: str = ""
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
    """Whoosh writer settings; bench/ measures which is fastest (see BENCHMARKS.md)."""

    procs: int = 1
    limitmb: int = 256
    multisegment: bool = False

    def kwargs(self) -> dict:
        if self.procs > 1:
            return {"procs": self.procs, "limitmb": self.limitmb, "multisegment": self.multisegment}
        return {"limitmb": self.limitmb}


def _keys(numbers_: Iterable[str]) -> tuple[set[str], set[str], set[str]]:
    full, edition, series = set(), set(), set()
    for text in numbers_:
        parsed = numbers.try_parse(text)
        if parsed is None:
            continue
        full.add(parsed.key)
        edition.add(parsed.edition_free_key)
        series.add(parsed.series_key)
    return full, edition, series


def record_document(record: Record, today: dt.date) -> dict:
    """One Whoosh document for one record; status is as of `today`."""
    full, edition, series = _keys([record.number, *record.other_numbers])
    doc = {
        "id": record.id,
        "number_key": " ".join(sorted(full)),
        "edition_key": " ".join(sorted(edition)),
        "series_key": " ".join(sorted(series)),
        "title": record.title,
        "english_title": record.english_title,
        "scope": record.scope,
        "dept": record.dept,
        "kind": record.kind,
        "level": record.level,
        "status": effective_status(record, today),
        "force": record.force or "",
        "region": record.region[:2],
        "sector": record.sector,
        "ccs": ",".join(record.ccs),
        "ics": ",".join(record.ics),
        "content_hash": record.content_hash(),
        "record": record.to_json(),
    }
    year = numbers.try_parse(record.number)
    if year and year.year:
        doc["year"] = year.year
    return {k: v for k, v in doc.items() if v != ""}


def load_corpus(corpus_dir: Path):
    loaded = load_records(corpus_dir / STANDARDS_FILE)
    return loaded.records, loaded.errors


def _emit(progress: Progress | None, event: str, **data) -> None:
    if progress:
        progress({"event": event, **data})


def rebuild(corpus_dir: Path, index_dir: Path, progress: Progress | None = None,
            wait: float = 0.0, settings: WriterSettings | None = None,
            today: dt.date | None = None) -> BuildReport:
    """Build a complete new generation and switch to it."""
    started = time.monotonic()
    settings = settings or WriterSettings()
    today = today or dt.date.today()
    records, errors = load_corpus(corpus_dir)
    report = BuildReport("rebuild", corpus_errors=errors)
    jieba_tokenizer()  # load once, before any worker process forks
    with store.writer_lock(index_dir, wait):
        save_vocabulary(index_dir)  # readers cut queries with it, without loading jieba (index.analysis)
        gen = store.new_generation(index_dir)
        _emit(progress, "start", action="rebuild", total=len(records), generation=gen.name)
        ix = whoosh_index.create_in(str(gen), records_schema(), indexname=RECORDS)
        writer = ix.writer(**settings.kwargs())
        for i, record in enumerate(records.values(), 1):
            writer.add_document(**record_document(record, today))
            if i % 500 == 0 or i == len(records):
                _emit(progress, "progress", done=i, total=len(records))
        _emit(progress, "commit")
        writer.commit()
        ix.close()
        clause_ix = whoosh_index.create_in(str(gen), clauses_schema(), indexname=CLAUSES)
        clause_ix.close()
        report.records = report.added = len(records)
        store.write_meta(gen, _meta(records, today))
        store.switch_to(index_dir, gen)
        report.generation = gen.name
    report.seconds = round(time.monotonic() - started, 3)
    _emit(progress, "done", **report.summary())
    return report


def _meta(records: dict[str, Record], today: dt.date) -> dict:
    return {
        "built_at": dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat(),
        "status_as_of": today.isoformat(),
        "records": len(records),
        "record_hashes": {rid: r.content_hash() for rid, r in records.items()},
    }


def _clone(src: Path, dst: Path) -> None:
    for name in os.listdir(src):
        if name == store.META or name.endswith(".tmp"):
            continue
        os.link(src / name, dst / name)


def update(corpus_dir: Path, index_dir: Path, progress: Progress | None = None,
           wait: float = 0.0, today: dt.date | None = None) -> BuildReport:
    """Apply only the corpus records whose content hash changed since the last build."""
    started = time.monotonic()
    today = today or dt.date.today()
    records, errors = load_corpus(corpus_dir)
    report = BuildReport("update", corpus_errors=errors)
    with store.writer_lock(index_dir, wait):
        current = store.open_generation(index_dir)
        if current.meta.get("status_as_of") != today.isoformat():
            # Statuses follow dates: a new day may change any record's status.
            hashes = {}
        else:
            hashes = current.meta.get("record_hashes", {})
        new_hashes = {rid: r.content_hash() for rid, r in records.items()}
        changed = [rid for rid, h in new_hashes.items() if hashes.get(rid) != h]
        deleted = [rid for rid in current.meta.get("record_hashes", {}) if rid not in records]
        gen = store.new_generation(index_dir)
        _clone(current.path, gen)
        _emit(progress, "start", action="update", total=len(changed) + len(deleted), generation=gen.name)
        ix = whoosh_index.open_dir(str(gen), indexname=RECORDS)
        writer = ix.writer()
        for rid in deleted:
            writer.delete_by_term("id", rid)
        for i, rid in enumerate(changed, 1):
            writer.update_document(**record_document(records[rid], today))
            if i % 500 == 0 or i == len(changed):
                _emit(progress, "progress", done=i, total=len(changed))
        writer.commit(merge=False)
        ix.close()
        store.write_meta(gen, _meta(records, today))
        store.switch_to(index_dir, gen)
        old = current.meta.get("record_hashes", {})
        report.generation = gen.name
        report.records = len(records)
        report.added = sum(1 for rid in changed if rid not in old)
        report.updated = len(changed) - report.added
        report.deleted = len(deleted)
        report.unchanged = len(records) - len(changed)
    report.seconds = round(time.monotonic() - started, 3)
    _emit(progress, "done", **report.summary())
    return report
