"""`kb sync`: bring the corpus up to date from every platform's list endpoints, then the index.

    report = sync(["hbba", "jjg"], corpus_dir=corpus, refresh_index=refresh)

For each source, its list endpoints (newest first) are paged through crawlers.crawl with a
FollowPlan:
- every list row becomes a record with the fields the list gives;
- a row's detail page is fetched only when the row is new or would change the record
  (merging it changes the record's facts), for the fields a list lacks (CCS, ICS,
  replaces, drafters …);
- list pages come before detail pages;
- paging stops at the first page that brings nothing new or changed and whose rows are all
  older than the newest date the last sync saw (the first sync, and `full=True`, page
  through the whole list);
- each source's run is a resumable crawl (checkpoint sync-<source>): a sync killed at any
  moment continues where it was on the next `kb sync`;
- what the records were before the sync touched them is kept in <home>/sync/<source>.before.jsonl
  (appended before each corpus write), so the change log (kb.changes) gets one entry per
  changed record when the source's run completes, even across a kill;
- pages that failed are fetched again by the next sync (<home>/sync/<source>.json).
Then `refresh_index()` updates the search index.
"""
from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from crawlers import sources as sources_module
from crawlers.crawl import CrawlReport, crawl
from crawlers.fetch import FetchPolicy, Request
from kb import paths
from kb.corpus import STANDARDS_FILE, corpus_write, load_records, merge_record
from kb.errors import BadInput, FetchError
from kb.records import Record, now_iso

# The platforms with a browsable list (sources.py), in the order a sync visits them.
SYNC_SOURCES = ("samr", "openstd", "hbba", "dbba", "ttbz", "jjg")
PAGE_PARAMS = ("pageNumber", "pageNum", "pageNo", "page", "current")

Progress = Callable[[dict], None]


def _date(record: Record) -> str:
    return max(record.issue_date, record.withdrawal_date) or record.implementation_date


def _list_key(request: Request) -> str:
    """A list request without its page number: which list a page belongs to."""
    parts = urlsplit(request.url)
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
                       if k not in PAGE_PARAMS])
    data = urlencode([(k, v) for k, v in parse_qsl(request.data, keep_blank_values=True)
                      if k not in PAGE_PARAMS])
    return f"{request.method} {urlunsplit(parts._replace(query=query))} {data}"


class FollowPlan:
    """What a sync fetches beyond the list pages; crawl() calls it (crawlers/crawl.py)."""

    def __init__(self, state: "SourceState", snapshot: "Snapshot", full: bool = False):
        self.state = state
        self.snapshot = snapshot
        self.full = full or not state.newest
        self.start: dict[str, Record] = {}
        self.newest = state.newest
        self.failed_requests: list[Request] = []
        self._pages: dict[str, int] = {}  # list → pages it says it has
        self._seen: dict[str, int] = {}  # list → pages fetched

    # -- called by crawl() ----------------------------------------------------------------

    def begin(self, corpus: dict[str, Record]) -> None:
        self.start = corpus

    def changes(self, record: Record) -> bool:
        """Is the row new, or would merging it change what the corpus holds?"""
        old = self.start.get(record.id)
        return old is None or merge_record(old, record).content_hash() != old.content_hash()

    def wants_detail(self, rid: str, records: list[Record]) -> bool:
        record = next((r for r in records if r.id == rid), None)  # None: left out by --since
        return record is not None and self.changes(record)

    def fresh(self, records: list[Record], too_old: int) -> bool:
        """Is the next list page worth fetching?"""
        for record in records:
            if _date(record) > self.newest:
                self.newest = _date(record)
        if not records:
            return False if too_old else self.full
        if self.full or any(self.changes(r) for r in records):
            return True
        return any(_date(r) >= self.state.newest for r in records)

    def listed(self, source: str, pages: int, request: Request) -> None:
        key = _list_key(request)
        self._seen[key] = self._seen.get(key, 0) + 1
        if pages:
            self._pages[key] = pages

    def unlisted(self, source: str) -> int:
        """List pages not fetched yet, when the whole list is walked (for the ETA)."""
        if not self.full:
            return 0
        return sum(max(0, total - self._seen.get(key, 0) - 1) for key, total in self._pages.items())

    def before_write(self, source: str, existing: dict[str, Record], changed: set[str]) -> None:
        self.snapshot.keep(existing, changed)

    def failed(self, request: Request) -> None:
        self.failed_requests.append(request)


# -- durable state ------------------------------------------------------------------------

@dataclass
class SourceState:
    """<home>/sync/<source>.json: the last completed sync of a source."""

    path: Path
    last_sync: str = ""
    newest: str = ""  # the newest list date it saw
    retry: list[Request] = field(default_factory=list)  # pages that failed

    @classmethod
    def load(cls, path: Path) -> "SourceState":
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return cls(path, str(data.get("last_sync") or ""), str(data.get("newest") or ""),
                       [Request.from_dict(r) for r in data.get("retry") or []])
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return cls(path)  # none yet (or unreadable): the next sync is a full one

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(self.path.name + ".tmp")
        tmp.write_text(json.dumps({"last_sync": self.last_sync, "newest": self.newest,
                                   "retry": [r.to_dict() for r in self.retry]}, ensure_ascii=False),
                       encoding="utf-8")
        os.replace(tmp, self.path)


class Snapshot:
    """The records a sync changed, as they were before it (append-only, fsync'd JSONL)."""

    def __init__(self, path: Path):
        self.path = path
        self.before: dict[str, Record | None] = {}
        if path.exists():
            for line in path.read_text(encoding="utf-8").splitlines():
                try:
                    data = json.loads(line)
                    self.before.setdefault(data["id"], Record.from_dict(data["record"]) if data["record"] else None)
                except (ValueError, KeyError, TypeError):
                    continue  # the torn last line of a killed sync

    def keep(self, existing: dict[str, Record], changed: set[str]) -> None:
        fresh = sorted(rid for rid in changed if rid not in self.before)
        if not fresh:
            return
        lines = []
        for rid in fresh:
            old = existing.get(rid)
            self.before[rid] = old
            lines.append(json.dumps({"id": rid, "record": old.to_dict() if old else None}, ensure_ascii=False))
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, ("\n".join(lines) + "\n").encode("utf-8"))
            os.fsync(fd)
        finally:
            os.close(fd)

    def clear(self) -> None:
        self.path.unlink(missing_ok=True)


# -- the sync -------------------------------------------------------------------------------

@dataclass
class SourceSync:
    source: str
    report: CrawlReport
    changes: list[dict] = field(default_factory=list)
    seconds: float = 0.0
    incremental: bool = False
    retried: int = 0

    def summary(self) -> dict:
        counts = {}
        for change in self.changes:
            counts[change["change"]] = counts.get(change["change"], 0) + 1
        crawl_summary = self.report.summary()
        return {"source": self.source, "incremental": self.incremental, "pages": self.report.pages,
                "resumed": self.report.resumed, "retried": self.retried,
                "new": counts.get("new", 0),
                "updated": len(self.changes) - counts.get("new", 0),
                "status_changed": sum(counts.get(k, 0) for k in ("status_changed", "replaced", "withdrawn")),
                "changes": counts, "failed": crawl_summary["failed"], "refused": crawl_summary["refused"],
                "quarantined": crawl_summary["quarantined"], "complete": self.report.complete,
                "seconds": round(self.seconds, 3)}


@dataclass
class SyncReport:
    sources: list[SourceSync] = field(default_factory=list)
    index: dict | None = None
    unreachable: list[str] = field(default_factory=list)  # sources whose every list page failed

    @property
    def changes(self) -> list[dict]:
        return [c for s in self.sources for c in s.changes]

    def summary(self) -> dict:
        rows = [s.summary() for s in self.sources]
        total = {key: sum(r[key] for r in rows) for key in ("pages", "new", "updated", "status_changed")}
        total["failed"] = sum(len(r["failed"]) for r in rows)
        total["refused"] = sum(len(r["refused"]) for r in rows)
        total["quarantined"] = sum(len(r["quarantined"]) for r in rows)
        return {"sources": rows, "total": total, "changes": len(self.changes),
                "unreachable": self.unreachable, "index": self.index,
                "complete": all(r["complete"] for r in rows)}


def resolve_sources(names: list[str] | None) -> list[str]:
    if not names:
        return list(SYNC_SOURCES)
    chosen = []
    for name in names:
        try:
            config = sources_module.get(name)
        except BadInput:  # name the sources sync takes, not every crawl source
            raise BadInput(f"未知的来源 {name!r}；kb sync 可用的来源：{'、'.join(SYNC_SOURCES)}") from None
        if not config.browse:
            raise BadInput(f"来源 {config.name} 没有可同步的列表（请用 kb crawl {config.name} --query …）；"
                           f"kb sync 可用的来源：{'、'.join(SYNC_SOURCES)}")
        if config.name not in chosen:
            chosen.append(config.name)
    return chosen


def sync(names: list[str] | None = None, since: str | None = None, max_pages: int | None = None,
         full: bool = False, base_url: str | None = None, corpus_dir: Path | None = None,
         home: Path | None = None, progress: Progress | None = None, policy: FetchPolicy | None = None,
         record_changes: Callable | None = None, refresh_index: Callable[[], dict] | None = None,
         flush_every: int = 20) -> SyncReport:
    """Sync the named sources (default: all of SYNC_SOURCES); see the module docstring.

    `record_changes` is kb.changes.record_changes; `refresh_index()` updates the index and
    returns its summary. `max_pages` caps the pages of each source (the next sync continues)."""
    chosen = resolve_sources(names)
    home_dir = paths.home_dir(home)
    corpus = paths.corpus_dir(corpus_dir)
    if not (corpus / STANDARDS_FILE).exists():
        raise BadInput(f"{corpus} 中没有 {STANDARDS_FILE}；请用 --corpus 指定语料目录")
    emit = progress or (lambda event: None)
    report = SyncReport()
    for position, name in enumerate(chosen, 1):
        report.sources.append(_sync_source(name, position, len(chosen), since, max_pages, full, base_url,
                                           corpus, home_dir, emit, policy, record_changes, flush_every))
        crawled = report.sources[-1].report
        if crawled.failed and len(crawled.failed) >= crawled.pages:  # not one page answered
            report.unreachable.append(name)
    if refresh_index is not None:
        emit({"event": "index", "source": "", "done": 0, "total": 0})
        report.index = refresh_index()
    emit({"event": "done", **report.summary()})
    return report


def _sync_source(name, position, count, since, max_pages, full, base_url, corpus, home, emit, policy,
                 record_changes, flush_every) -> SourceSync:
    config = sources_module.get(name)
    folder = home / "sync"
    state = SourceState.load(folder / f"{name}.json")
    snapshot = Snapshot(folder / f"{name}.before.jsonl")
    plan = FollowPlan(state, snapshot, full=full)
    retry = [r for r in state.retry if config.owns(r.url)]
    starts = config.start_requests(None) + retry
    if policy is None:
        loopback = base_url is not None and (urlsplit(base_url).hostname or "").startswith("127.")
        policy = FetchPolicy(allowed_hosts=config.hosts, delay=0 if loopback else config.delay)
    policy = replace(policy, cache_dir=None)  # a sync must see today's lists, not yesterday's
    if base_url:  # one mirror holds every platform, a folder per host (as wget --mirror saves them)
        base_url = f"{base_url.rstrip('/')}/{config.hosts[0]}"
    started = time.monotonic()
    ticker = _Eta(name, position, count, emit, started)
    try:
        result = crawl(config, None, since=since, max_pages=max_pages, resume=True, base_url=base_url,
                       corpus_dir=corpus, home=home, progress=ticker, policy=policy,
                       flush_every=flush_every, plan=plan, starts=starts)
    except FetchError as exc:  # robots.txt unreachable and the like: the next source still runs
        result = CrawlReport(source=name, failed=[(config.browse[0].url, str(exc))])
    done = SourceSync(name, result, incremental=not plan.full, retried=len(retry))
    if result.complete:
        with corpus_write(corpus):  # the log beside the corpus it describes, as every writer does
            after = load_records(corpus / STANDARDS_FILE).records
            ids = [rid for rid in snapshot.before if rid in after]
            before = {rid: rec for rid, rec in snapshot.before.items() if rec is not None}
            if record_changes is not None:
                done.changes = record_changes(corpus, before, {rid: after[rid] for rid in ids}, f"sync {name}")
        snapshot.clear()
        state.last_sync, state.newest = now_iso(), max(plan.newest, state.newest)
        state.retry = list({r.key: r for r in plan.failed_requests}.values())
        state.save()
    done.seconds = time.monotonic() - started
    emit({"event": "source", **done.summary()})
    return done


class _Eta:
    """Progress of one source's crawl, with its place in the sync and an ETA."""

    def __init__(self, source: str, position: int, count: int, emit: Progress, started: float):
        self.source, self.position, self.count, self.emit, self.started = source, position, count, emit, started

    def __call__(self, event: dict) -> None:
        kind = event.get("event")
        if kind == "done":
            return  # the sync reports each source once ("source")
        data = {**event, "source": self.source, "position": self.position, "sources": self.count}
        if kind == "start":
            data["event"] = "source_start"
        if kind == "page":
            done, total = event.get("done") or 0, event.get("total") or 0
            elapsed = time.monotonic() - self.started
            data["eta_s"] = round(elapsed / done * (total - done), 1) if done else None
        self.emit(data)
