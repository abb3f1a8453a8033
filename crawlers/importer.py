"""`kb import`: local files (announcement JSON, CSV, XLSX) → merged into corpus/standards.jsonl."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from kb.corpus import STANDARDS_FILE, corpus_write, load_records, merge, replacement_cycles, write_records
from kb.errors import BadInput, CorpusError, KbError, ParseError
from kb.paths import is_dir, is_file
from kb.records import Record, check_text, now_iso
from crawlers.tables import import_table

TABLE_SUFFIXES = (".csv", ".xlsx", ".xlsm")
SUFFIXES = (".json", *TABLE_SUFFIXES)


@dataclass
class ImportReport:
    files: list[str] = field(default_factory=list)
    read: int = 0
    new: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    changes: list[dict] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # inputs that hold no records, with why

    def summary(self) -> dict:
        return {"files": self.files, "read": self.read, "new": len(self.new),
                "updated": len(self.updated), "unchanged": len(self.unchanged),
                "errors": self.errors, "skipped": self.skipped, "changes": len(self.changes)}


def expand(paths: list[Path]) -> list[Path]:
    files = []
    for path in paths:
        if is_dir(path):
            files += sorted(p for p in path.rglob("*") if p.suffix.lower() in SUFFIXES)
        elif is_file(path):
            if path.suffix.lower() not in SUFFIXES:
                raise BadInput(f"{path}：不能导入{path.suffix or '这种'}文件；"
                               f"请给出公告 JSON、CSV 或 XLSX")
            files.append(path)
        elif os.path.lexists(path):
            raise BadInput(f"{path}：不是普通文件（设备、FIFO 或套接字不能导入）")
        else:
            raise BadInput(f"{path}：文件或目录不存在")
    return files


def read_file(path: Path, sheet: str | None = None) -> tuple[list[Record], list[str]]:
    if path.suffix.lower() in TABLE_SUFFIXES:
        table = import_table(path, sheet)
        return table.records, table.errors
    from crawlers.parsers import PARSERS

    try:
        body = path.read_bytes()
    except OSError as exc:
        raise ParseError(f"无法读取 {path}：{exc.strerror}") from None
    result = PARSERS["announcement.json"](body, path.resolve().as_uri())
    return result.records, []


def _valid(path: Path, records: list[Record], errors: list[str]) -> list[Record]:
    """The records that can be stored; the others are reported in `errors`."""
    kept = []
    for record in records:
        try:
            record.validate()
            check_text(record)
        except KbError as exc:
            errors.append(f"{path.name}: {exc}")
            continue
        kept.append(record)
    return kept


def import_files(paths: list[Path], corpus_dir: Path, sheet: str | None = None,
                 progress: Callable[[dict], None] | None = None, record_changes=None) -> ImportReport:
    """Read every file, merge by canonical number, and write the corpus once, atomically.

    `record_changes(corpus_dir, before, after, source)` (kb.changes) logs what the import changed."""
    files = expand(paths)
    report = ImportReport(files=[str(p) for p in files])
    fetched_at = now_iso()
    incoming: list[Record] = []
    for i, path in enumerate(files, 1):
        try:
            records, errors = read_file(path, sheet)
        except KbError as exc:
            if len(files) == 1:
                raise
            report.errors.append(f"{path}: {exc}")
            continue
        records = _valid(path, records, errors)
        for record in records:
            for source in record.sources:
                source.fetched_at = source.fetched_at or fetched_at
        incoming += records
        report.errors += errors
        if progress:
            progress({"event": "progress", "done": i, "total": len(files), "file": str(path)})
    return merge_into_corpus(incoming, corpus_dir, ", ".join(report.files), record_changes, report)


def merge_into_corpus(incoming: list[Record], corpus_dir: Path, via: str, record_changes=None,
                      report: ImportReport | None = None) -> ImportReport:
    """Merge records into <corpus_dir>/standards.jsonl (one atomic write) and log the changes."""
    report = report or ImportReport(files=[via])
    report.read = len(incoming)
    corpus_file = corpus_dir / STANDARDS_FILE
    with corpus_write(corpus_dir):  # read, merge, write and log under one lock
        loaded = load_records(corpus_file)
        if loaded.errors:
            raise CorpusError(f"{loaded.errors[0]}——请先修正语料再导入；什么也没有写入",
                              hint=f"{corpus_file} 中有 {len(loaded.errors)} 行无法读取")
        result = merge(loaded.records, incoming)
        report.errors += [f"替换关系成环：{' → '.join(cycle)}" for cycle in replacement_cycles(result.records)]
        write_records(corpus_file, result.records.values())
        report.new, report.updated, report.unchanged = result.new, result.updated, result.unchanged
        if record_changes is not None:
            report.changes = record_changes(corpus_dir, loaded.records, result.records, via)
    return report


def import_saved_pages(root: Path, corpus_dir: Path, record_changes=None) -> ImportReport:
    """`kb import --saved-pages DIR`: the records of the real saved platform pages (crawlers.saved_pages)."""
    from crawlers.saved_pages import saved_page_records

    if not (root / "relaton-gb" / "decoded" / "INDEX.json").is_file():
        raise BadInput(f"{root}：不是保存的页面目录（没有 relaton-gb/decoded/INDEX.json）")
    records, skipped = saved_page_records(root)
    report = ImportReport(files=[str(root)], skipped=skipped)
    return merge_into_corpus(records, corpus_dir, f"saved pages {root}", record_changes, report)
