"""The crawl loop: fetch → parse → records → corpus/standards.jsonl.

    report = crawl("openstd", query="GB/T 1.1")
    report.new, report.updated, report.failed

One page at a time, breadth first, from the source's start requests (sources.py) through
the links its parsers return. Every `flush_every` pages the new records are merged into the
corpus by canonical number (kb.corpus.merge: known facts are never blanked, a standard seen
on two platforms becomes one record with both sources) and written atomically; only then
are those pages marked done in the checkpoint, so a crawl killed at any moment loses at
most the pages since the last flush, and `resume=True` fetches only what is not done.

A page that cannot be fetched is reported in `failed`, one the site refuses in `refused`,
one no parser can read is saved to <home>/quarantine/<source>/ and reported in
`quarantined`; the crawl goes on in every case.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections import deque
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Mapping
from urllib.parse import urljoin, urlsplit, urlunsplit

from crawlers import sources as sources_module
from crawlers.checkpoint import Checkpoint, Entry
from crawlers.fetch import (FetchError, FetchPolicy, Fetcher, Refused, Request, Response,
                            detect_encoding)
from crawlers.parsers.base import Parser, ParseResult
from crawlers.sources import SourceConfig
from kb import numbers, paths
from kb.corpus import STANDARDS_FILE, corpus_write, load_records, merge, write_records
from kb.errors import BadInput, CorpusError, KbError
from kb.records import Record, check_text

if TYPE_CHECKING:
    from crawlers.sync import FollowPlan

# Progress events, in order: {"event": "start", done, total, source, query, resumed};
# per page {"event": "page", url, method, outcome, records, links, cached, reason, done,
# total}; after each corpus write {"event": "saved", records, corpus}; last
# {"event": "done", **CrawlReport.summary()}. `total` grows as links are found.
Progress = Callable[[dict], None]


@dataclass
class CrawlReport:
    source: str
    query: str = ""
    pages: int = 0  # requests handled by this run
    from_cache: int = 0  # of which answered by the response cache
    resumed: int = 0  # requests an earlier run had finished (checkpoint)
    new: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (url, reason)
    refused: list[tuple[str, str]] = field(default_factory=list)
    quarantined: list[tuple[str, str]] = field(default_factory=list)
    too_old: int = 0  # records left out by `since`
    complete: bool = False  # every link was followed (False: max_pages stopped it)
    changes: list[dict] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failed

    def summary(self) -> dict:
        return {"source": self.source, "query": self.query, "pages": self.pages,
                "from_cache": self.from_cache, "resumed": self.resumed,
                "new": len(self.new), "updated": len(self.updated),
                "unchanged": len(self.unchanged), "too_old": self.too_old,
                "failed": [list(f) for f in self.failed], "refused": [list(r) for r in self.refused],
                "quarantined": [list(q) for q in self.quarantined], "complete": self.complete}


def crawl(source: str | SourceConfig, query: str | None = None, since: str | None = None,
          max_pages: int | None = None, resume: bool = False, base_url: str | None = None,
          corpus_dir: Path | None = None, cache_dir: Path | None = None,
          home: Path | None = None, progress: Progress | None = None,
          policy: FetchPolicy | None = None, flush_every: int = 20,
          parsers: Mapping[str, Parser] | None = None,
          record_changes: Callable | None = None, plan: "FollowPlan | None" = None,
          starts: list[Request] | None = None) -> CrawlReport:
    """Crawl one source into the corpus. See the module docstring.

    `policy` replaces the default fetch policy (the source's hosts always apply);
    `parsers` replaces crawlers.parsers.PARSERS; `record_changes(corpus_dir, before,
    after, source)` (kb.changes) logs what each flush changed. `plan` (crawlers.sync)
    decides which detail pages and next list pages are worth fetching, and names the
    checkpoint; `starts` replaces the source's start requests."""
    config = sources_module.get(source) if isinstance(source, str) else source
    _check_base_url(base_url)
    if max_pages is not None and max_pages < 1:
        raise BadInput("--max-pages 至少为 1")
    run = _Run(config=config, query=(query or "").strip(), since=_since(since),
               home=paths.home_dir(home), corpus=paths.corpus_dir(corpus_dir),
               progress=progress or (lambda event: None), flush_every=max(1, flush_every),
               record_changes=record_changes, plan=plan)
    run.parsers, run.detect = _parsers(parsers)
    home_dir = run.home
    if policy is None:
        policy = FetchPolicy(allowed_hosts=config.hosts, delay=0 if _loopback(base_url) else config.delay,
                             cache_dir=Path(cache_dir) if cache_dir else home_dir / "cache" / "http",
                             cache_max_age=24 * 3600)
    policy = replace(policy, allowed_hosts=config.hosts,
                     base_url=base_url if base_url is not None else policy.base_url)
    starts = starts if starts is not None else config.start_requests(run.query or None)
    with Fetcher(policy) as fetcher:
        return run.execute(fetcher, starts, resume, max_pages)


@dataclass
class _Run:
    config: SourceConfig
    query: str
    since: str
    home: Path
    corpus: Path
    progress: Progress
    flush_every: int
    record_changes: Callable | None
    plan: "FollowPlan | None" = None
    parsers: Mapping[str, Parser] = field(default_factory=dict)
    detect: Callable[[str, bytes], str] | None = None
    report: CrawlReport = field(init=False)
    _records: list[Record] = field(default_factory=list)
    _entries: list[Entry] = field(default_factory=list)
    _before: dict[str, str] = field(default_factory=dict)  # id → content hash at the start
    _touched: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.report = CrawlReport(source=self.config.name, query=self.query)

    # -- the loop ------------------------------------------------------------------------

    def execute(self, fetcher: Fetcher, starts: list[Request], resume: bool,
                max_pages: int | None) -> CrawlReport:
        corpus_file = self.corpus / STANDARDS_FILE
        loaded = _load_corpus(corpus_file)
        self._before = {rid: r.content_hash() for rid, r in loaded.items()}
        if self.plan is not None:
            self.plan.begin(loaded)
        identity = {"source": self.config.name, "query": self.query}
        if self.plan is not None:
            identity["mode"] = "sync"
        checkpoint = Checkpoint.open(self._checkpoint_path(), identity, resume)
        frontier = _Frontier(self._is_list if self.plan is not None else None)
        seen: set[str] = set(checkpoint.entries)
        pending = [s for s in starts if not checkpoint.is_done(s)] + checkpoint.frontier()
        for request in {r.key: r for r in pending}.values():
            seen.add(request.key)
            frontier.append(request)
        self.report.resumed = checkpoint.done_count()
        self.progress({"event": "start", "source": self.config.name, "query": self.query,
                       "resumed": self.report.resumed, "done": 0, "total": len(frontier)})
        try:
            while frontier:
                if max_pages is not None and self.report.pages >= max_pages:
                    break
                request = frontier.popleft()
                entry, records, cached = self._handle(fetcher, request, seen)
                self.report.pages += 1
                self.report.from_cache += cached
                for link in entry.links:
                    if link.key not in seen:
                        seen.add(link.key)
                        frontier.append(link)
                self._entries.append(entry)
                self._records += records
                self.progress({"event": "page", "source": self.config.name, "url": request.url,
                               "method": request.method, "outcome": entry.outcome,
                               "records": len(records), "links": len(entry.links),
                               "cached": bool(cached), "reason": entry.reason,
                               "done": self.report.pages,
                               "total": self.report.pages + self._expected(frontier)})
                if len(self._entries) >= self.flush_every:
                    self._flush(checkpoint)
        finally:
            self._flush(checkpoint)
        self.report.complete = not frontier
        if self.report.complete and (not self.report.failed or self.plan is not None):
            checkpoint.finish()  # else --resume retries just the failed pages (sync: its state does)
        self._final_counts(corpus_file)
        self.progress({"event": "done", **self.report.summary()})
        return self.report

    def _handle(self, fetcher: Fetcher, request: Request, seen: set[str]) -> tuple[Entry, list[Record], bool]:
        """Fetch and parse one request: its checkpoint entry, its records, cache hit?"""
        try:
            response = fetcher.fetch(request)
        except Refused as exc:
            return self._outcome(request, "refused", _reason(exc, request)), [], False
        except FetchError as exc:
            return self._outcome(request, "failed", _reason(exc, request)), [], False
        name = (self.config.parser_name(response.url) or self.config.parser_name(request.url)
                or self._detect(response))
        parser = self.parsers.get(name or "")
        if parser is None:
            reason = f"没有解析这种页面的解析器（{name}）" if name else "没有解析这种页面的解析器"
            return self._quarantine(request, response, name or "", reason), [], response.from_cache
        try:
            result = parser(utf8_body(response), response.url)
            records = self._accept(result, response)
        except Exception as exc:  # a parser meets untrusted input; its failure must not stop the crawl
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            if not isinstance(exc, KbError):
                reason = f"{type(exc).__name__}: {reason}"
            return self._quarantine(request, response, name, reason), [], response.from_cache
        if result.refused:
            return self._outcome(request, "refused", result.refused), [], response.from_cache
        if self.plan is not None:
            links = self._planned_links(name, result, response, request, records)
        else:
            links = self._links(result, response, request, records, seen)
        return Entry(request, "ok", links), records, response.from_cache

    def _accept(self, result: ParseResult, response: Response) -> list[Record]:
        """The page's records with provenance filled in; a record that does not validate
        fails the page (it would reveal a parser bug)."""
        accepted = []
        for record in result.records:
            for source in record.sources:
                source.fetched_at = source.fetched_at or response.fetched_at
                source.url = source.url or response.url
            record.validate()
            try:
                check_text(record)
            except CorpusError as exc:  # hostile data, not a parser bug: costs this record only
                self.report.quarantined.append((response.url, str(exc)))
                continue
            if record.id != numbers.canonical(record.number):
                raise CorpusError(f"记录 id {record.id!r} 不是 {record.number!r} 的规范编号")
            if self.since and _record_date(record) and _record_date(record) < self.since:
                self.report.too_old += 1
                continue
            accepted.append(record)
        return accepted

    def _links(self, result: ParseResult, response: Response, request: Request,
               records: list[Record], seen: set[str]) -> list[Request]:
        """Links worth following: on the source's hosts, with a parser; plus the next
        page of a paged list that still brought something new."""
        links: list[Request] = []
        for href in result.links:
            url = _absolute(response.url, href)
            if url and self.config.owns(url) and self.config.parser_name(url) in self.parsers:
                request_out = Request(url)
                if request_out.key not in {l.key for l in links}:
                    links.append(request_out)
        known = self._touched | {r.id for r in self._records}
        fresh = any(link.key not in seen for link in links) or any(r.id not in known for r in records)
        following = self.config.next_page(request)
        if following is not None and fresh and not _last_page(response.body):
            links.append(following)
        return links

    def _planned_links(self, parser: str, result: ParseResult, response: Response, request: Request,
                       records: list[Record]) -> list[Request]:
        """Sync: from a list page, the detail pages of the records the plan wants, and the next
        list page while the plan says the list is still fresh; nothing from a detail page."""
        if parser not in LIST_PARSERS:
            return []
        self.plan.listed(self.config.name, result.pages, request)
        wanted = {url for rid, url in result.details.items() if self.plan.wants_detail(rid, records)}
        details = set(result.details.values())
        links: list[Request] = []
        keep_paging = self.plan.fresh(records, len(result.records) - len(records))
        for href in result.links:
            url = _absolute(response.url, href)
            if not (url and self.config.owns(url) and self.config.parser_name(url) in self.parsers):
                continue
            if (href in wanted or url in wanted) or (href not in details and url not in details and keep_paging):
                links.append(Request(url))
        following = self.config.next_page(request)
        if following is not None and keep_paging and result.records and not _last_page(response.body):
            links.append(following)
        return list({link.key: link for link in links}.values())

    def _is_list(self, request: Request) -> bool:
        return (self.config.parser_name(request.url) or "") in LIST_PARSERS

    def _expected(self, frontier: "_Frontier") -> int:
        """Pages still to fetch: the frontier, and (sync) the rest of each list as its pages say."""
        return len(frontier) + (self.plan.unlisted(self.config.name) if self.plan is not None else 0)

    def _detect(self, response: Response) -> str | None:
        if self.detect is None:
            return None
        try:
            return self.detect(response.url, response.body) or None
        except Exception:  # detection is a guess; no guess means no parser
            return None

    def _outcome(self, request: Request, outcome: str, reason: str) -> Entry:
        getattr(self.report, outcome).append((request.url, reason))
        if self.plan is not None and outcome == "failed":
            self.plan.failed(request)
        return Entry(request, outcome, reason=reason)

    def _quarantine(self, request: Request, response: Response, parser: str, reason: str) -> Entry:
        folder = self.home / "quarantine" / self.config.name
        folder.mkdir(parents=True, exist_ok=True)
        stem = hashlib.sha256(request.key.encode()).hexdigest()[:16]
        (folder / f"{stem}.body").write_bytes(response.body)
        meta = {"url": response.url, "request": request.to_dict(), "status": response.status,
                "headers": response.headers, "fetched_at": response.fetched_at,
                "parser": parser, "reason": reason}
        (folder / f"{stem}.json").write_text(json.dumps(meta, ensure_ascii=False, indent=1),
                                             encoding="utf-8")
        self.report.quarantined.append((request.url, reason))
        return Entry(request, "quarantined", reason=reason)

    # -- writing -------------------------------------------------------------------------

    def _flush(self, checkpoint: Checkpoint) -> None:
        """Merge the pending records into the corpus, then mark their pages done."""
        if self._records:
            corpus_file = self.corpus / STANDARDS_FILE
            with corpus_write(self.corpus):  # re-read under the lock: other writers' records stay
                existing = _load_corpus(corpus_file)
                result = merge(existing, self._records)
                if self.plan is not None:  # what these records were before, for the sync's change log
                    self.plan.before_write(self.config.name, existing, set(result.new) | set(result.updated))
                write_records(corpus_file, result.records.values())
                if self.record_changes is not None:
                    changed = set(result.new) | set(result.updated)
                    self.report.changes += self.record_changes(
                        self.corpus, {k: v for k, v in existing.items() if k in changed},
                        {k: result.records[k] for k in changed}, f"crawl {self.config.name}")
            self._touched |= {r.id for r in self._records} | set(result.new) | set(result.updated)
            self.progress({"event": "saved", "records": len(self._records),
                           "corpus": str(corpus_file)})
            self._records = []
        checkpoint.record(self._entries)
        self._entries = []

    def _final_counts(self, corpus_file: Path) -> None:
        after = _load_corpus(corpus_file)
        for rid in sorted(self._touched):
            if rid not in after:
                continue
            if rid not in self._before:
                self.report.new.append(rid)
            elif after[rid].content_hash() != self._before[rid]:
                self.report.updated.append(rid)
            else:
                self.report.unchanged.append(rid)

    def _checkpoint_path(self) -> Path:
        if self.plan is not None:
            return self.home / "checkpoints" / f"sync-{self.config.name}.jsonl"
        digest = hashlib.sha256(self.query.encode()).hexdigest()[:12]
        return self.home / "checkpoints" / f"{self.config.name}-{digest}.jsonl"


# The parsers of list pages (the others read one record's detail page).
LIST_PARSERS = frozenset({"samr.search", "samr.api", "openstd.list", "sacinfo.search", "ttbz.list",
                          "jjg.api", "nrsis.list", "sacinfo.announcement"})


class _Frontier:
    """Requests to fetch, in the order found; with `is_list`, list pages before detail pages."""

    def __init__(self, is_list: Callable[[Request], bool] | None = None):
        self.is_list = is_list
        self.lists: deque[Request] = deque()
        self.details: deque[Request] = deque()

    def append(self, request: Request) -> None:
        (self.lists if self.is_list is None or self.is_list(request) else self.details).append(request)

    def popleft(self) -> Request:
        return self.lists.popleft() if self.lists else self.details.popleft()

    def __len__(self) -> int:
        return len(self.lists) + len(self.details)


# -- helpers -----------------------------------------------------------------------------

def _parsers(parsers: Mapping[str, Parser] | None):
    if parsers is not None:
        return parsers, None
    from crawlers import parsers as registry  # the parsers package is optional until it exists

    return getattr(registry, "PARSERS", {}), getattr(registry, "detect_source", None)


def _load_corpus(path: Path) -> dict[str, Record]:
    loaded = load_records(path)
    if loaded.errors:
        raise CorpusError(f"{loaded.errors[0]}——请先修正语料再抓取；未写入任何内容",
                          hint=f"{path} 中有 {len(loaded.errors)} 行无法读取")
    return loaded.records


_META_CHARSET = re.compile(rb"""(<meta[^>]{0,200}?charset\s*=\s*["']?\s*)([A-Za-z0-9._:-]+)""", re.I)


def utf8_body(response: Response) -> bytes:
    """The body as UTF-8 for the parsers, which cannot see the HTTP headers: a page in
    another encoding (a GBK page, say) is transcoded and its <meta charset> made utf-8."""
    encoding = detect_encoding(response.body, response.headers)
    if encoding in ("utf-8", "utf-8-sig", "ascii"):
        return response.body
    text = response.body.decode(encoding, errors="replace").encode("utf-8")
    head, rest = text[:8192], text[8192:]
    return _META_CHARSET.sub(rb"\1utf-8", head) + rest


def _last_page(body: bytes) -> bool:
    """A JSON list page saying it is the last ({"current": 3, "pages": 3})."""
    if not body.lstrip().startswith(b"{"):
        return False
    try:
        data = json.loads(body)
    except ValueError:
        return False
    current, pages = data.get("current"), data.get("pages")
    return isinstance(current, int) and isinstance(pages, int) and current >= pages


def _absolute(base: str, href: str) -> str:
    url = urljoin(base, href.strip())
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        return ""
    return urlunsplit(parts._replace(fragment=""))


def _reason(exc: Exception, request: Request) -> str:
    text = str(exc)
    for prefix in (f"{request.url}：", f"{request.url}: "):
        if text.startswith(prefix):
            return text[len(prefix):]
    return text


def _check_base_url(base_url: str | None) -> None:
    if base_url is None:
        return
    try:
        parts = urlsplit(base_url)
        parts.port  # noqa: B018 (raises on a bad port)
    except ValueError as exc:
        raise BadInput(f"--base-url {base_url[:100]!r} 不是 URL（{exc}）") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BadInput(f"--base-url {base_url[:100]!r} 须为 http(s)://host[:port]")


def _loopback(base_url: str | None) -> bool:
    """A mirror on this machine needs no politeness delay (the platform's own hosts always do)."""
    host = (urlsplit(base_url).hostname or "") if base_url else ""
    return host == "localhost" or host == "::1" or host.startswith("127.")


def _record_date(record: Record) -> str:
    return record.issue_date or record.implementation_date


def _since(value: str | None) -> str:
    if not value:
        return ""
    try:
        return dt.date.fromisoformat(value.strip()).isoformat()
    except ValueError:
        raise BadInput(f"--since {value!r} 不是日期（YYYY-MM-DD）") from None
