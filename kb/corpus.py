"""corpus/ JSONL: load with per-line error reports, merge by canonical number, write atomically.

Layout of a corpus directory:
    standards.jsonl   one Record per line (standards and metrology regulations), sorted by id
    texts.jsonl       policy, law and standard full texts (kb.texts)
    changes.jsonl     append-only change log of imports and crawls (kb.changes)
"""
from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator, TypeVar

from kb import numbers
from kb.errors import CorpusError, KbError
from kb.records import Record, Source

STANDARDS_FILE = "standards.jsonl"
T = TypeVar("T")


@dataclass
class LineError:
    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


@dataclass
class Loaded:
    records: dict[str, Record] = field(default_factory=dict)
    errors: list[LineError] = field(default_factory=list)


def iter_jsonl(path: Path) -> Iterator[tuple[int, dict | None, str]]:
    """Yield (line number, object or None, error message) for each non-blank line."""
    try:
        handle = path.open(encoding="utf-8")
    except OSError as exc:
        raise CorpusError(f"无法读取 {path}：{exc.strerror}") from exc
    with handle:
        try:
            for lineno, line in enumerate(handle, 1):
                if not line.strip():
                    continue
                try:
                    yield lineno, json.loads(line), ""
                except json.JSONDecodeError as exc:
                    yield lineno, None, f"invalid JSON ({exc.msg} at column {exc.colno})"
        except UnicodeDecodeError as exc:
            raise CorpusError(f"{path} 不是 UTF-8 编码（第 {exc.start} 字节：{exc.reason}）") from exc


def load_objects(path: Path, build: Callable[[dict], T]) -> tuple[dict[str, T], list[LineError]]:
    """Objects of a JSONL file keyed by their `id`; bad and duplicate lines are reported
    with file and line, and the rest still load. A missing file is empty."""
    objects: dict[str, T] = {}
    errors: list[LineError] = []
    if not path.exists():
        return objects, errors
    for lineno, data, error in iter_jsonl(path):
        if data is None:
            errors.append(LineError(str(path), lineno, error))
            continue
        try:
            obj = build(data)
        except (KbError, TypeError) as exc:
            errors.append(LineError(str(path), lineno, str(exc)))
            continue
        if obj.id in objects:
            errors.append(LineError(str(path), lineno, f"duplicate id {obj.id!r}"))
            continue
        objects[obj.id] = obj
    return objects, errors


def load_records(path: Path) -> Loaded:
    """Load a standards JSONL file. Bad lines are reported, the rest still load."""
    return Loaded(*load_objects(path, Record.from_dict))


def write_jsonl_atomic(path: Path, lines: Iterable[str]) -> None:
    """Write lines to a temp file in the same directory, fsync, then rename over `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise CorpusError(f"无法写入 {path.parent}：{exc.strerror}") from exc
    umask = os.umask(0)
    os.umask(umask)
    os.fchmod(fd, 0o666 & ~umask)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            for line in lines:
                handle.write(line + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_records(path: Path, records: Iterable[Record]) -> None:
    write_jsonl_atomic(path, (r.to_json() for r in sorted(records, key=lambda r: r.id)))


# -- merging -------------------------------------------------------------------

_LIST_FIELDS = ("other_numbers", "replaces", "replaced_by", "ics", "ccs", "drafting_orgs", "drafters")
_TEXT_FIELDS = ("title", "english_title", "issue_date", "implementation_date", "withdrawal_date",
                "dept", "technical_committee", "organisation", "scope", "doc_type", "record_no",
                "published_number")


@dataclass
class MergeResult:
    records: dict[str, Record]
    new: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


def _freshness(record: Record) -> str:
    return max((s.fetched_at for s in record.sources), default="")


def merge_record(old: Record, new: Record) -> Record:
    """Combine two views of one standard. Known facts are never replaced by blanks;
    the fresher source decides status and changed values; provenance is kept."""
    fresher = _freshness(new) >= _freshness(old)
    merged = Record.from_dict(old.to_dict())
    for name in _TEXT_FIELDS:
        incoming = getattr(new, name)
        if incoming and (fresher or not getattr(old, name)):
            setattr(merged, name, incoming)
    for name in _LIST_FIELDS:
        values = list(getattr(old, name))
        values += [v for v in getattr(new, name) if v not in values]
        setattr(merged, name, values)
    if new.status != "unknown" and (fresher or old.status == "unknown"):
        # A stale "current" must not undo a known replacement.
        if not (old.status in ("replaced", "withdrawn") and new.status in ("current", "unknown")
                and old.replaced_by):
            merged.status = new.status
    if new.force and not old.force:
        merged.force = new.force
    merged.sources = merge_sources(merged.sources, new.sources)
    return merged


def merge_sources(old: list[Source], new: list[Source]) -> list[Source]:
    """One entry per (source, url): a page seen again keeps its latest fetch."""
    by_page = {(s.source, s.url): s for s in old}
    for source in new:
        key = (source.source, source.url)
        kept = by_page.get(key)
        if kept is None or (source.fetched_at >= kept.fetched_at and source.content_hash != kept.content_hash):
            by_page[key] = source
    return list(by_page.values())


def placeholder(number: str, replaced_by: str, source: Source | None) -> Record:
    """A standard known only because another one replaces it."""
    return Record.for_number(number, status="replaced", replaced_by=[replaced_by],
                             sources=[source] if source else [])


def apply_replacements(records: dict[str, Record]) -> None:
    """Make every `replaces` relation two-way: the replaced record becomes 被代替."""
    for record in list(records.values()):
        for old_number in record.replaces:
            old = records.get(old_number)
            if old is None:
                source = record.sources[-1] if record.sources else None
                records[old_number] = placeholder(old_number, record.number, source)
                records[old_number].withdrawal_date = record.implementation_date
                continue
            if record.number not in old.replaced_by:
                old.replaced_by.append(record.number)
            if old.status in ("current", "upcoming", "unknown"):
                old.status = "replaced"
            if not old.withdrawal_date and record.implementation_date:
                old.withdrawal_date = record.implementation_date


def merge(existing: dict[str, Record], incoming: Iterable[Record]) -> MergeResult:
    """Merge incoming records into a copy of `existing`, keyed by canonical number."""
    records = {rid: Record.from_dict(r.to_dict()) for rid, r in existing.items()}
    before = {rid: r.content_hash() for rid, r in records.items()}
    touched: list[str] = []
    for record in incoming:
        key = numbers.canonical(record.number)
        if key != record.id:
            raise CorpusError(f"record id {record.id!r} is not the canonical number {key!r}")
        records[key] = merge_record(records[key], record) if key in records else record
        touched.append(key)
    apply_replacements(records)
    result = MergeResult(records=records)
    for rid in sorted(set(touched) | {r for r in records if records[r].content_hash() != before.get(r)}):
        if rid not in before:
            result.new.append(rid)
        elif records[rid].content_hash() != before[rid]:
            result.updated.append(rid)
        else:
            result.unchanged.append(rid)
    return result
