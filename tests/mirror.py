"""A local mirror of the platforms: the real saved pages of ../shared/pages on 127.0.0.1,
with faults injected on demand. Used by tests/test_fetch.py and tests/test_crawl.py, and
runnable by hand for a crawl against it (docs/crawling.md):

    python tests/mirror.py --port 8765
    kb crawl openstd --query "GB/T 1.1" --base-url http://127.0.0.1:8765

Routes come from relaton-gb/decoded/INDEX.json (URL, method, status of each saved body;
the Location of each recorded 301 from its VCR cassette), plus saved pages whose URL is
known from their provenance or from the links of another saved page (EXTRA_PAGES).
Anything else answers 404. Faults, one-shot (`fault`) or permanent (`always`):
Status, Slow, Truncate, Gbk, Redirect, Big, Hang.
"""
from __future__ import annotations

import argparse
import functools
import json
import re
import threading
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

SHARED = (Path(__file__).resolve().parents[1] / ".." / "shared").resolve()
PAGES = SHARED / "pages"
DECODED = PAGES / "relaton-gb" / "decoded"
CASSETTES = PAGES / "relaton-gb" / "spec" / "vcr_cassettes"
EXAMPLES = PAGES / "relaton-gb" / "spec" / "examples"

# (method, URL, file, content type): saved pages outside INDEX.json.
EXTRA_PAGES = [
    # PROVENANCE.txt of pages/announcements names the URL
    ("GET", "https://std.sacinfo.org.cn/gnoc/queryInfo?id=A183E1BFFEAAF0A1E9924E82AF7F0E5E",
     PAGES / "announcements" / "001_gb_2026_31.html", "text/html;charset=UTF-8"),
    # std.samr search pages of relaton-gb's specs, at the search URL of their query
    ("GET", "https://std.samr.gov.cn/search/stdPage?q=GB/T 20223-2006",
     EXAMPLES / "gbt_20223_2006.html", "text/html;charset=UTF-8"),
    ("GET", "https://std.samr.gov.cn/search/stdPage?q=GB/T 5606.1-2004",
     EXAMPLES / "gbt_5606.1_2004.html", "text/html;charset=UTF-8"),
    # std.samr detail pages, at the URLs the search pages above link to (file name = id)
    ("GET", "http://www.std.gov.cn/gb/search/gbDetailed?id=5DDA8BA00FC618DEE05397BE0A0A95A7",
     EXAMPLES / "5dda8ba00fc618dee05397be0a0a95a7.html", "text/html;charset=UTF-8"),
    ("GET", "http://www.std.gov.cn/gb/search/gbDetailed?id=71F772D7CB63D3A7E05397BE0A0AB82A",
     EXAMPLES / "71f772d7cb63d3a7e05397be0a0ab82a.html", "text/html;charset=UTF-8"),
    # ttbz: the detail page the spec's list page links to
    ("GET", "http://www.ttbz.org.cn/StandardManage/Detail/22746/",
     EXAMPLES / "22746.html", "text/html; charset=utf-8"),
    # jjg.spc.org.cn metrology API (PilotStd); any query gets page 1
    ("GET", "https://jjg.spc.org.cn/resmea/api/standard/search/page",
     PAGES / "pilotstd" / "jjg_api_search.json", "application/json;charset=UTF-8"),
]


@dataclass
class Page:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


# -- faults ------------------------------------------------------------------------------

@dataclass
class Status:
    """Answer with this status (and headers), no page."""
    code: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


@dataclass
class Slow:
    """Wait, then answer normally (a client with a shorter timeout gives up)."""
    seconds: float


@dataclass
class Truncate:
    """Announce the whole body, send `keep` bytes, close the connection."""
    keep: int


@dataclass
class Gbk:
    """The real page re-encoded as GBK, announced by Content-Type charset=GBK only
    (its <meta charset=utf-8> is left as it was, as careless servers do)."""


@dataclass
class Redirect:
    location: str
    code: int = 302


@dataclass
class Big:
    """A body of `size` bytes, with or without a Content-Length."""
    size: int
    declare_length: bool = True


@dataclass
class Hang:
    """Hold the request until the event is set (or the mirror stops)."""
    event: threading.Event


def _query_key(query: str) -> tuple:
    return tuple(sorted(parse_qsl(query, keep_blank_values=True)))


class Mirror:
    """Serve saved pages on 127.0.0.1:<random port>. Counts every request it receives."""

    def __init__(self, port: int = 0):
        self.routes: dict[tuple[str, str], list[tuple[tuple | None, dict | None, Page]]] = {}
        self.faults: dict[tuple[str, str], deque] = {}
        self.permanent: dict[tuple[str, str], object] = {}
        self.requests: list[tuple[str, str, str]] = []  # (method, path?query, body)
        self.agents: set[str] = set()  # User-Agent headers seen
        self.robots: Page = Page(404, b"not found")
        self._hangs: list[threading.Event] = []
        self._lock = threading.Lock()
        self._load_saved_pages()
        self.server = ThreadingHTTPServer(("127.0.0.1", port), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.02,), daemon=True)

    # -- setup ---------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> "Mirror":
        self.thread.start()
        return self

    def stop(self) -> None:
        for event in self._hangs:
            event.set()
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> "Mirror":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def add(self, method: str, url: str, page: Page, form: dict | None = None,
            any_query: bool = False) -> None:
        """Serve `page` for a URL (its host is ignored: one mirror, many platforms)."""
        parts = urlsplit(url)
        query = None if any_query else _query_key(parts.query)
        self.routes.setdefault((method.upper(), parts.path), []).insert(0, (query, form, page))

    def fault(self, url: str, *actions) -> None:
        """The next requests of `url` get these faults, one each, then the real page."""
        self.faults.setdefault(self._key(url), deque()).extend(actions)

    def always(self, url: str, action) -> None:
        self.permanent[self._key(url)] = action

    def count(self, url: str, method: str | None = None) -> int:
        """Requests received for a URL (path and query, host ignored)."""
        key = self._key(url)
        return sum(1 for m, target, _ in self.requests
                   if (method is None or m == method) and self._key(target) == key)

    def counts(self) -> Counter:
        return Counter(target for _, target, _ in self.requests if target != "/robots.txt")

    @staticmethod
    def _key(url: str) -> tuple[str, tuple]:
        parts = urlsplit(url)
        return parts.path, _query_key(parts.query)

    def _load_saved_pages(self) -> None:
        for method, url, page, form, any_query in saved_pages():
            self.add(method, url, page, form, any_query)

    # -- serving -------------------------------------------------------------------------

    def lookup(self, method: str, target: str, body: str) -> Page | None:
        parts = urlsplit(target)
        query = _query_key(parts.query)
        form = dict(parse_qsl(body, keep_blank_values=True))
        for route_query, route_form, page in self.routes.get((method, parts.path), []):
            if route_query is not None and route_query != query:
                continue
            if route_form and any(form.get(k) != v for k, v in route_form.items()):
                continue
            return page
        return None

    def _next_fault(self, target: str):
        key = self._key(target)
        with self._lock:
            queue = self.faults.get(key)
            if queue:
                return queue.popleft()
        return self.permanent.get(key)

    def _handler(self):
        mirror = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def log_message(self, *args) -> None:  # quiet
                pass

            def do_GET(self) -> None:
                self._serve("GET", "")

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                self._serve("POST", self.rfile.read(length).decode("utf-8", "replace"))

            def _serve(self, method: str, body: str) -> None:
                with mirror._lock:
                    mirror.requests.append((method, self.path, body))
                    mirror.agents.add(self.headers.get("User-Agent", ""))
                if self.path == "/robots.txt":
                    return self._send(mirror.robots)
                fault = mirror._next_fault(self.path)
                page = mirror.lookup(method, self.path, body)
                if isinstance(fault, Status):
                    return self._send(Page(fault.code, fault.body, fault.headers))
                if isinstance(fault, Redirect):
                    return self._send(Page(fault.code, b"", {"Location": fault.location}))
                if isinstance(fault, Big):
                    return self._big(fault)
                if isinstance(fault, Hang):
                    mirror._hangs.append(fault.event)
                    fault.event.wait(30)
                if isinstance(fault, Slow):
                    time.sleep(fault.seconds)
                if page is None:
                    return self._send(Page(404, b"no saved page for this URL"))
                if isinstance(fault, Gbk):
                    text = page.body.decode("utf-8")
                    page = Page(page.status, text.encode("gbk"),
                                {**page.headers, "Content-Type": "text/html; charset=GBK"})
                if isinstance(fault, Truncate):
                    return self._send(page, cut=fault.keep)
                return self._send(page)

            def _send(self, page: Page, cut: int | None = None) -> None:
                self.send_response(page.status)
                for name, value in page.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(page.body)))
                self.end_headers()
                try:
                    self.wfile.write(page.body if cut is None else page.body[:cut])
                    self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client timed out and left

            def _big(self, fault: Big) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                if fault.declare_length:
                    self.send_header("Content-Length", str(fault.size))
                self.end_headers()
                chunk = b"a" * 65536
                sent = 0
                try:
                    while sent < fault.size:
                        piece = chunk[: fault.size - sent]
                        self.wfile.write(piece)
                        sent += len(piece)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up, as it should

        return Handler


@functools.lru_cache(maxsize=1)
def saved_pages() -> tuple[tuple[str, str, Page, dict | None, bool], ...]:
    """(method, URL, page, form, any query) of every saved page the mirror serves."""
    pages = []
    locations = _cassette_locations()
    for entry in json.loads((DECODED / "INDEX.json").read_text(encoding="utf-8")):
        content_type = entry["content_type"] if entry["content_type"] not in ("", "?") else "text/html"
        headers = {"Content-Type": content_type}
        location = locations.get(entry["file"])
        if location:
            if Mirror._key(location) == Mirror._key(entry["uri"]):
                continue  # http → https of the same path: meaningless on one plain-http mirror
            headers["Location"] = location
        form = dict(parse_qsl(entry["req_body"])) if entry["req_body"] else None
        body = (DECODED / entry["file"]).read_bytes()
        pages.append((entry["method"], entry["uri"], Page(entry["status"], body, headers), form, False))
    for method, url, path, content_type in EXTRA_PAGES:
        page = Page(200, path.read_bytes(), {"Content-Type": content_type})
        pages.append((method, url, page, None, not urlsplit(url).query))
    return tuple(pages)


def _cassette_locations() -> dict[str, str]:
    """decoded file name → the Location header its cassette recorded (read as text: the
    cassettes carry Ruby !binary tags a safe YAML loader refuses)."""
    found = {}
    for cassette in sorted(CASSETTES.glob("*.yml")):
        interactions = cassette.read_text(encoding="utf-8").split("\n- request:")[1:]
        for index, text in enumerate(interactions):
            match = re.search(r"\n\s+Location:\n\s+- (\S+)", text)
            if match:
                for suffix in (".html", ".json"):
                    found[f"{cassette.stem}__{index:02d}{suffix}"] = match.group(1)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description="Serve the saved platform pages on 127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()
    mirror = Mirror(args.port)
    print(f"mirror of the saved pages on {mirror.base_url} (Ctrl-C stops)")
    try:
        mirror.server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
