"""corpus/ JSONL: load with per-line error reports, merge by canonical number, write atomically.

Layout of a corpus directory:
    standards.jsonl   one Record per line (standards and metrology regulations), sorted by id
    texts.jsonl       policy, law and standard full texts (kb.texts)
    changes.jsonl     append-only change log of imports and crawls (kb.changes)

Every writer of a corpus directory works inside `corpus_write(corpus_dir)`: one lock
(.standards.lock) for the directory, the corpus re-read under it, and the change entries
journalled with the standards file (.changes.journal: the entries and the hash of the new
standards.jsonl, written before it is renamed into place), so a writer killed at any moment
leaves either the old corpus and no entries or the new corpus and all of them. The next
writer (or reader of the change log) finishes or drops a journal, repairs a torn last line
of changes.jsonl and removes temp files killed writers left behind.
"""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator, TypeVar

import filelock

from kb import numbers
from kb.errors import CorpusError, KbError, Locked
from kb.records import Record, Source, has_surrogate

STANDARDS_FILE = "standards.jsonl"
CHANGES_FILE = "changes.jsonl"
LOCK_FILE = ".standards.lock"
JOURNAL_FILE = ".changes.journal"
TEMP_PATTERNS = (f".{STANDARDS_FILE}.*.tmp", ".texts.jsonl.*.tmp", f".{JOURNAL_FILE}.*.tmp")
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
                    data = json.loads(line)
                except json.JSONDecodeError as exc:
                    yield lineno, None, f"无效的 JSON（第 {exc.pos + 1} 个字符：{exc.msg}）"
                    continue
                except RecursionError:
                    yield lineno, None, "无效的 JSON（嵌套过深）"
                    continue
                if "\\u" in line and has_surrogate(data):
                    yield lineno, None, "孤立的代理字符（\\ud800-\\udfff）不是有效的 Unicode 文本"
                    continue
                yield lineno, data, ""
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
        except KbError as exc:
            errors.append(LineError(str(path), lineno, str(exc)))
            continue
        except (TypeError, ValueError, AttributeError) as exc:
            errors.append(LineError(str(path), lineno, f"无法读取的一行（{type(exc).__name__}: {exc}）"))
            continue
        if obj.id in objects:
            errors.append(LineError(str(path), lineno, f"重复的 id {obj.id!r}"))
            continue
        objects[obj.id] = obj
    return objects, errors


def load_records(path: Path) -> Loaded:
    """Load a standards JSONL file. Bad lines are reported, the rest still load."""
    return Loaded(*load_objects(path, Record.from_dict))


def _write_temp(path: Path, lines: Iterable[str]) -> tuple[str, str]:
    """Lines to a fsynced temp file beside `path`: (temp path, sha256 of its bytes)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise CorpusError(f"无法写入 {path.parent}：{exc.strerror}") from exc
    umask = os.umask(0)
    os.umask(umask)
    os.fchmod(fd, 0o666 & ~umask)
    digest = hashlib.sha256()
    try:
        with os.fdopen(fd, "wb") as handle:
            for line in lines:
                data = (line + "\n").encode("utf-8")
                digest.update(data)
                handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise CorpusError(f"无法写入 {path}：{exc.strerror}；没有改动任何内容") from exc
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return tmp, digest.hexdigest()


def write_jsonl_atomic(path: Path, lines: Iterable[str]) -> None:
    """Write lines to a temp file in the same directory, fsync, then rename over `path`."""
    tmp, _ = _write_temp(path, lines)
    try:
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_records(path: Path, records: Iterable[Record]) -> None:
    """Write the standards file. Inside `corpus_write` of its directory the write is part of
    that transaction (done at its end, with the change entries); alone it takes the lock."""
    ordered = sorted(records, key=lambda r: r.id)
    with corpus_write(path.parent, standards_name=path.name) as transaction:
        transaction.stage_standards(path, ordered)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# -- the corpus transaction ---------------------------------------------------------

_active = threading.local()  # corpus dir → the CorpusWrite this thread has open on it


class CorpusWrite:
    """One writer's hold on a corpus directory (see the module docstring)."""

    def __init__(self, corpus_dir: Path):
        self.dir = corpus_dir
        self._standards: tuple[Path, list[Record]] | None = None
        self._changes: list[dict] = []

    def stage_standards(self, path: Path, records: list[Record]) -> None:
        self._standards = (path, records)

    def stage_changes(self, entries: list[dict]) -> None:
        self._changes += entries

    def commit(self) -> None:
        journal = self.dir / JOURNAL_FILE
        if self._standards is not None:
            path, records = self._standards
            tmp, digest = _write_temp(path, (r.to_json() for r in records))
            try:
                if self._changes:
                    log = self.dir / CHANGES_FILE
                    size = log.stat().st_size if log.exists() else 0
                    write_jsonl_atomic(journal, [json.dumps(
                        {"standards": path.name, "sha256": digest, "changes_size": size,
                         "entries": self._changes}, ensure_ascii=False, sort_keys=True)])
                os.replace(tmp, path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        if self._changes:
            append_log(self.dir / CHANGES_FILE, self._changes)
        journal.unlink(missing_ok=True)
        self._standards, self._changes = None, []


@contextmanager
def corpus_write(corpus_dir: Path, wait: float = 120.0,
                 standards_name: str = STANDARDS_FILE) -> Iterator[CorpusWrite]:
    """Hold the corpus lock; what is staged is committed when the block ends without error.
    Read the corpus inside the block: what you read is then what you replace."""
    corpus_dir = Path(corpus_dir)
    key = str(corpus_dir.resolve())
    held: dict[str, CorpusWrite] = _active.__dict__.setdefault("held", {})
    if key in held:  # nested: the outer block commits
        yield held[key]
        return
    try:
        corpus_dir.mkdir(parents=True, exist_ok=True)
        lock = filelock.FileLock(str(corpus_dir / LOCK_FILE), timeout=wait)
        lock.acquire()
    except filelock.Timeout:
        raise Locked(f"另一个进程正在写入 {corpus_dir / standards_name}") from None
    except OSError as exc:
        raise CorpusError(f"无法写入 {corpus_dir}：{exc.strerror}") from exc
    try:
        recover(corpus_dir)
        transaction = held[key] = CorpusWrite(corpus_dir)
        try:
            yield transaction
        finally:
            del held[key]
        transaction.commit()
    finally:
        lock.release()


def recover(corpus_dir: Path) -> None:
    """Under the lock: finish or drop a journal, cut a torn last change line, remove
    killed writers' temp files."""
    for pattern in TEMP_PATTERNS:
        for stale in corpus_dir.glob(pattern):
            stale.unlink(missing_ok=True)
    journal = corpus_dir / JOURNAL_FILE
    if not journal.exists():
        if _torn(corpus_dir / CHANGES_FILE):
            _cut_torn_tail(corpus_dir / CHANGES_FILE)
        return
    try:
        pending = json.loads(journal.read_text(encoding="utf-8"))
        target = corpus_dir / pending["standards"]
        committed = target.exists() and file_sha256(target) == pending["sha256"]
    except (OSError, ValueError, KeyError, TypeError):
        committed = False
    if committed:
        log = corpus_dir / CHANGES_FILE
        if log.exists() and log.stat().st_size > int(pending["changes_size"]):
            os.truncate(log, int(pending["changes_size"]))
        append_log(log, list(pending["entries"]))
    journal.unlink(missing_ok=True)


def recover_if_free(corpus_dir: Path) -> None:
    """For readers: repair what a killed writer left, if no writer is at work now."""
    corpus_dir = Path(corpus_dir)
    if not (corpus_dir / JOURNAL_FILE).exists() and not _torn(corpus_dir / CHANGES_FILE):
        return
    try:
        with corpus_write(corpus_dir, wait=0):
            pass
    except (Locked, CorpusError):
        pass


def _torn(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            handle.seek(0, os.SEEK_END)
            if handle.tell() == 0:
                return False
            handle.seek(-1, os.SEEK_END)
            return handle.read(1) != b"\n"
    except OSError:
        return False


def append_log(path: Path, entries: list[dict]) -> None:
    """Append JSON lines in one write and fsync, after cutting off a torn last line."""
    data = "".join(json.dumps(e, ensure_ascii=False, sort_keys=True) + "\n" for e in entries)
    try:
        with open(path, "ab") as handle:
            if _torn(path):
                _cut_torn_tail(path)
            handle.write(data.encode("utf-8"))
            handle.flush()
            os.fsync(handle.fileno())
    except OSError as exc:
        raise CorpusError(f"无法追加写入 {path}：{exc.strerror}") from exc


def _cut_torn_tail(path: Path) -> None:
    size = path.stat().st_size
    with path.open("rb") as handle:
        end = size
        while end > 0:
            start = max(0, end - 65536)
            handle.seek(start)
            block = handle.read(end - start)
            newline = block.rfind(b"\n")
            if newline >= 0:
                os.truncate(path, start + newline + 1)
                return
            end = start
    os.truncate(path, 0)


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


def replacement_cycles(records: dict[str, Record]) -> list[list[str]]:
    """Chains of `replaces` that come back to where they started (A replaces B replaces A)."""
    state: dict[str, int] = {}  # 1 on the current path, 2 done
    cycles = []
    for start in sorted(records):
        if start in state:
            continue
        path, stack = [], [(start, iter(records[start].replaces))]
        state[start] = 1
        path.append(start)
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                stack.pop()
                state[path.pop()] = 2
            elif child in records and state.get(child) == 1:
                cycles.append(path[path.index(child):] + [child])
            elif child in records and child not in state:
                state[child] = 1
                path.append(child)
                stack.append((child, iter(records[child].replaces)))
    return cycles


def merge(existing: dict[str, Record], incoming: Iterable[Record]) -> MergeResult:
    """Merge incoming records into a copy of `existing`, keyed by canonical number."""
    records = {rid: Record.from_dict(r.to_dict()) for rid, r in existing.items()}
    before = {rid: r.content_hash() for rid, r in records.items()}
    touched: list[str] = []
    for record in incoming:
        key = numbers.canonical(record.number)
        if key != record.id:
            raise CorpusError(f"记录 id {record.id!r} 不是规范编号 {key!r}")
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
