"""Crawl checkpoints: which requests a crawl has finished, so `--resume` skips them.

A checkpoint is a JSONL file. The first line names the crawl; each further line is one
finished request with its outcome and the requests it led to:

    {"checkpoint": 1, "source": "openstd", "query": "GB/T 1.1", "started_at": "…"}
    {"request": {"url": "…", "method": "GET", "data": ""}, "outcome": "ok", "links": [{…}], "reason": ""}

Lines are only appended, each with one write() and an fsync, so the file is always a
valid prefix of the crawl: a line cut short by a kill is ignored on load.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from crawlers.fetch import Request
from kb.errors import CorpusError

VERSION = 1
# A failed fetch is tried again on resume; every other outcome is final.
FINAL_OUTCOMES = frozenset({"ok", "refused", "quarantined"})


@dataclass
class Entry:
    request: Request
    outcome: str  # ok / failed / refused / quarantined
    links: list[Request] = field(default_factory=list)
    reason: str = ""

    def to_json(self) -> str:
        return json.dumps({"request": self.request.to_dict(), "outcome": self.outcome,
                           "links": [link.to_dict() for link in self.links],
                           "reason": self.reason}, ensure_ascii=False)

    @classmethod
    def from_dict(cls, data: dict) -> "Entry":
        return cls(request=Request.from_dict(data["request"]), outcome=str(data["outcome"]),
                   links=[Request.from_dict(link) for link in data.get("links") or []],
                   reason=str(data.get("reason") or ""))


class Checkpoint:
    """Open with `Checkpoint.open(path, identity, resume)`; `record()` after each batch."""

    def __init__(self, path: Path, identity: dict, entries: dict[str, Entry] | None = None):
        self.path = Path(path)
        self.identity = identity
        self.entries: dict[str, Entry] = entries or {}

    @classmethod
    def open(cls, path: Path, identity: dict, resume: bool) -> "Checkpoint":
        """Resume the crawl recorded at `path`, or start a new record there."""
        path = Path(path)
        if resume and path.exists():
            header, entries = _load(path)
            if {k: header.get(k) for k in identity} != identity:
                raise CorpusError(f"{path} 属于另一次抓取（{header}）；"
                                  f"请删除它，或去掉 --resume 重新运行")
            checkpoint = cls(path, identity, entries)
            return checkpoint
        checkpoint = cls(path, identity)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        with tmp.open("w", encoding="utf-8") as handle:
            handle.write(json.dumps({"checkpoint": VERSION, **identity}, ensure_ascii=False) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
        return checkpoint

    def is_done(self, request: Request) -> bool:
        entry = self.entries.get(request.key)
        return entry is not None and entry.outcome in FINAL_OUTCOMES

    def record(self, entries: Iterable[Entry]) -> None:
        """Append finished requests durably (one write, then fsync)."""
        entries = list(entries)
        if not entries:
            return
        data = "".join(entry.to_json() + "\n" for entry in entries).encode("utf-8")
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        for entry in entries:
            self.entries[entry.request.key] = entry

    def frontier(self) -> list[Request]:
        """Requests still to do: links of finished requests that are not finished themselves,
        plus requests that failed, in the order they were found."""
        pending: dict[str, Request] = {}
        for entry in self.entries.values():
            if entry.outcome not in FINAL_OUTCOMES:
                pending.setdefault(entry.request.key, entry.request)
            for link in entry.links:
                if not self.is_done(link):
                    pending.setdefault(link.key, link)
        return list(pending.values())

    def done_count(self) -> int:
        return sum(1 for e in self.entries.values() if e.outcome in FINAL_OUTCOMES)

    def finish(self) -> None:
        """The crawl is complete: nothing to resume."""
        self.path.unlink(missing_ok=True)


def _load(path: Path) -> tuple[dict, dict[str, Entry]]:
    try:
        lines = path.read_bytes().split(b"\n")
    except OSError as exc:
        raise CorpusError(f"无法读取检查点 {path}：{exc.strerror}") from exc
    try:
        header = json.loads(lines[0])
    except (ValueError, IndexError):
        raise CorpusError(f"{path} 不是抓取检查点；请删除它，或去掉 --resume 重新运行")
    if not isinstance(header, dict) or header.get("checkpoint") != VERSION:
        raise CorpusError(f"{path} 不是第 {VERSION} 版的抓取检查点")
    entries: dict[str, Entry] = {}
    for raw in lines[1:]:
        if not raw.strip():
            continue
        try:
            entry = Entry.from_dict(json.loads(raw))
        except (ValueError, KeyError, TypeError):
            continue  # the torn last line of a killed crawl
        entries[entry.request.key] = entry
    return header, entries
