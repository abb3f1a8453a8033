"""Change tracking: what an import or crawl changed, appended to corpus/changes.jsonl, and read back.

One entry per record that changed, with the kind of change:
    new             a standard the knowledge base did not know
    replaced        now 被代替 (or first seen as the old edition another one replaces)
    withdrawn       now 废止
    status_changed  another status change (未知 → 现行, 即将实施 → 现行 …)
    fields_changed  the same status, other facts changed (title, dates, replaced_by …)

Each entry carries `date` (when it was recorded), `source` (the URL or file the new facts
came from), `via` (the import or crawl that recorded it), the record's number, title, level,
region and ccs (so watch lists can match it), `status`, `previous_status`, `replaces`,
`replaced_by`, `effective_date` (issue, withdrawal or implementation date, where known; which
one in `effective_date_kind`: issue, implementation or withdrawal) and
for updates `fields` {name: {old, new}}.

Writers: crawlers/importer.py and crawlers/crawl.py call `record_changes(corpus_dir,
before, after, source)` after each corpus write, inside the same `kb.corpus.corpus_write`
block, so the entries are journalled and committed with the corpus. Readers:
`list_changes(...)` (`kb changes`).
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from kb.corpus import CHANGES_FILE, corpus_write, iter_jsonl, recover_if_free
from kb.errors import BadInput
from kb.records import Record

if TYPE_CHECKING:
    from kb.watch import WatchList

CHANGE_KINDS = ("new", "replaced", "withdrawn", "status_changed", "fields_changed")
CHANGE_LABELS = {"new": "新增", "replaced": "被代替", "withdrawn": "废止", "status_changed": "状态变更",
                 "fields_changed": "信息变更"}
TRACKED_FIELDS = ("title", "status", "issue_date", "implementation_date", "withdrawal_date",
                  "replaces", "replaced_by", "ccs", "ics", "dept", "scope", "force")


def _kind(old: Record | None, new: Record) -> str | None:
    if old is not None and old.status == new.status:
        changed = any(getattr(old, name) != getattr(new, name) for name in TRACKED_FIELDS)
        return "fields_changed" if changed else None
    if new.status in ("replaced", "withdrawn"):
        return new.status
    return "new" if old is None else "status_changed"


def _effective_date(kind: str, record: Record) -> tuple[str, str]:
    """The date the change takes effect and which date it is (issue, implementation, withdrawal)."""
    if kind in ("replaced", "withdrawn"):
        return record.withdrawal_date, "withdrawal"
    if kind == "new":
        return (record.issue_date, "issue") if record.issue_date else (record.implementation_date, "implementation")
    if kind == "status_changed":
        if record.status == "current":
            return record.implementation_date, "implementation"
        return record.withdrawal_date, "withdrawal"
    return "", ""


def _source(old: Record | None, new: Record, fallback: str, after: dict[str, Record]) -> str:
    """The URL (or source name) of the facts this change brought: a source the record gained,
    else (it became 被代替 because another record replaces it) the replacing record's source."""
    known = {(s.source, s.url, s.content_hash) for s in (old.sources if old else [])}
    fresh = [s for s in new.sources if (s.source, s.url, s.content_hash) not in known]
    if not fresh:
        replacing = [after[n] for n in new.replaced_by if n in after and after[n].sources]
        fresh = replacing[0].sources if replacing else new.sources
    if not fresh:
        return fallback
    newest = max(fresh, key=lambda s: s.fetched_at)
    return newest.url or newest.source


def change_entry(kind: str, old: Record | None, new: Record, when: str, via: str,
                 after: dict[str, Record] | None = None) -> dict:
    effective, effective_kind = _effective_date(kind, new)
    entry = {"date": when, "change": kind, "number": new.number, "title": new.title,
             "level": new.level, "region": new.region, "ccs": new.ccs, "status": new.status,
             "previous_status": old.status if old else None, "replaces": new.replaces,
             "replaced_by": new.replaced_by, "effective_date": effective,
             "effective_date_kind": effective_kind if effective else "",
             "source": _source(old, new, via, after or {}), "via": via}
    if old is not None:
        entry["fields"] = {name: {"old": getattr(old, name), "new": getattr(new, name)}
                           for name in TRACKED_FIELDS if getattr(old, name) != getattr(new, name)}
    return entry


def diff_records(before: dict[str, Record], after: dict[str, Record], source: str,
                 when: str | None = None) -> list[dict]:
    """One change entry per record of `after` that is new or whose tracked fields changed.
    `before` may hold only the records that could have changed (a crawl passes those)."""
    when = when or dt.date.today().isoformat()
    changes = []
    for rid in sorted(after):
        old, new = before.get(rid), after[rid]
        kind = _kind(old, new)
        if kind is not None:
            changes.append(change_entry(kind, old, new, when, source, after))
    return changes


def append_changes(corpus_dir: Path, changes: list[dict]) -> None:
    """Add entries to the log: inside a `corpus_write` block they are committed with the
    corpus; alone they are appended under the corpus lock (one write and fsync)."""
    if not changes:
        return
    with corpus_write(corpus_dir) as transaction:
        transaction.stage_changes(changes)


def record_changes(corpus_dir: Path, before: dict[str, Record], after: dict[str, Record],
                   source: str, when: str | None = None) -> list[dict]:
    """The hook importers and crawlers call after writing the corpus: diff, log, return the entries."""
    changes = diff_records(before, after, source, when)
    append_changes(corpus_dir, changes)
    return changes


# -- reading the log ------------------------------------------------------------------

@dataclass
class ChangeLog:
    changes: list[dict] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # "path:line: reason" of unreadable lines

    def to_dict(self) -> dict:
        return {"changes": self.changes, "errors": self.errors}


def parse_since(text: str | None, today: dt.date | None = None) -> str | None:
    """A YYYY-MM-DD date, or Nd (N days before today): the first day to report."""
    if not text:
        return None
    text = text.strip()
    days = re.fullmatch(r"(\d{1,4})\s*d", text)
    if days:
        return ((today or dt.date.today()) - dt.timedelta(days=int(days.group(1)))).isoformat()
    try:
        return dt.date.fromisoformat(text).isoformat()
    except ValueError:
        raise BadInput(f"--since {text!r} 不是日期（如 2026-08-01）或天数（如 7d）") from None


def read_changes(corpus_dir: Path) -> ChangeLog:
    """Every entry of <corpus>/changes.jsonl in the order it was written; bad lines are reported."""
    log = ChangeLog()
    path = corpus_dir / CHANGES_FILE
    recover_if_free(corpus_dir)
    if not path.exists():
        return log
    for lineno, data, error in iter_jsonl(path):
        problem = error or _entry_problem(data)
        if problem:
            log.errors.append(f"{path}:{lineno}: {problem}")
            continue
        log.changes.append(data)
    return log


_ENTRY_TEXT = ("date", "number", "title", "level", "region", "status", "effective_date", "source", "via")
_ENTRY_LISTS = ("ccs", "replaces", "replaced_by")


def _entry_problem(data) -> str:
    """Why a log line is not a change entry ("" if it is one): each field of its own type."""
    if not isinstance(data, dict) or not data.get("number"):
        return "不是变更条目"
    if data.get("change") not in CHANGE_KINDS:
        return f"change {str(data.get('change'))[:40]!r} 不是 {'、'.join(CHANGE_KINDS)} 之一"
    for name in _ENTRY_TEXT:
        if not isinstance(data.get(name, ""), (str, type(None))):
            return f"{name} 须为字符串"
    for name in _ENTRY_LISTS:
        value = data.get(name, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            return f"{name} 须为字符串列表"
    if not isinstance(data.get("fields", {}), dict):
        return "fields 须为对象"
    return ""


def list_changes(corpus_dir: Path, since: str | None = None, level: str | None = None,
                 region: str | None = None, status: str | None = None, kinds: list[str] | None = None,
                 watch: "WatchList | None" = None, today: dt.date | None = None) -> ChangeLog:
    """The logged changes, filtered: recorded on or after `since` (date or Nd), of a level,
    in a region (code; a province includes its cities), with a status, of some kinds, or matching a watch
    list (each kept entry then names the watch items it matched under `watched`)."""
    first = parse_since(since, today)
    for kind in kinds or []:
        if kind not in CHANGE_KINDS:
            raise BadInput(f"无法识别的变更类型 {kind!r}：可用 {', '.join(CHANGE_KINDS)}")
    log = read_changes(corpus_dir)
    kept = []
    for entry in log.changes:
        if first and str(entry.get("date") or "") < first:
            continue
        if level and entry.get("level") != level:
            continue
        if region and not str(entry.get("region") or "").startswith(region):
            continue
        if status and entry.get("status") != status:
            continue
        if kinds and entry.get("change") not in kinds:
            continue
        if watch is not None:
            matched = watch.matching(entry)
            if not matched:
                continue
            entry = {**entry, "watched": [item.label for item in matched]}
        kept.append(entry)
    return ChangeLog(kept, log.errors)
