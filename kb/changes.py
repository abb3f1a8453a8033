"""Change tracking: what an import or crawl changed, appended to corpus/changes.jsonl."""
from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

from kb.records import Record

CHANGES_FILE = "changes.jsonl"
TRACKED_FIELDS = ("title", "status", "issue_date", "implementation_date", "withdrawal_date",
                  "replaces", "replaced_by", "ccs", "ics", "dept", "scope")


def diff_records(before: dict[str, Record], after: dict[str, Record], source: str,
                 when: str | None = None) -> list[dict]:
    """One change entry per record that is new or whose tracked fields changed."""
    when = when or dt.date.today().isoformat()
    changes = []
    for rid in sorted(after):
        new = after[rid]
        base = {"date": when, "source": source, "number": new.number, "level": new.level,
                "region": new.region, "title": new.title}
        old = before.get(rid)
        if old is None:
            kind = "replaced" if new.status == "replaced" else "new"
            changes.append({**base, "change": kind, "status": new.status,
                            "replaced_by": new.replaced_by})
            continue
        fields = {name: {"old": getattr(old, name), "new": getattr(new, name)}
                  for name in TRACKED_FIELDS if getattr(old, name) != getattr(new, name)}
        if not fields:
            continue
        if "status" in fields:
            kind = {"replaced": "replaced", "withdrawn": "withdrawn"}.get(new.status, "status_changed")
        else:
            kind = "fields_changed"
        changes.append({**base, "change": kind, "status": new.status, "replaced_by": new.replaced_by,
                        "fields": fields})
    return changes


def append_changes(corpus_dir: Path, changes: list[dict]) -> None:
    """Append to the log; one write and fsync, so a crash leaves whole lines."""
    if not changes:
        return
    path = corpus_dir / CHANGES_FILE
    data = "".join(json.dumps(c, ensure_ascii=False, sort_keys=True) + "\n" for c in changes)
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def record_changes(corpus_dir: Path, before: dict[str, Record], after: dict[str, Record],
                   source: str) -> list[dict]:
    changes = diff_records(before, after, source)
    append_changes(corpus_dir, changes)
    return changes
