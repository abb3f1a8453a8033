"""The only network code in stdkb: one polite HTTP client for the crawlers.

    with Fetcher(FetchPolicy(allowed_hosts=("openstd.samr.gov.cn",))) as fetcher:
        response = fetcher.fetch("https://openstd.samr.gov.cn/bzgk/std/std_list?p.p2=GB/T%201.1")

What it guarantees:
- only hosts of the allowlist are contacted, redirects included (followed by hand);
- robots.txt is read once per host and obeyed (a missing robots.txt allows everything);
- at most one request per `delay` seconds per host, an honest User-Agent;
- 429 (Retry-After honoured), 5xx, timeouts and broken connections are retried with
  exponential backoff; anything else that goes wrong is one `FetchError` "<url>: <reason>";
  a 401/403/451 or a robots.txt ban is `Refused` (a FetchError the crawl reports apart);
- a body over `max_bytes` is aborted while streaming, and so is any layer of its
  Content-Encoding decoded past `max_bytes` (a gzip bomb stops at the cap, not in memory);
- one attempt never outlasts `total_timeout`, headers included (a server dripping header
  bytes is cut off like one dripping the body);
- with `cache_dir`, every 2xx response is kept on disk (body, headers, status, final URL),
  in files named by a sha256 of method + URL + body, so no URL can name a path;
- with `base_url`, URLs of the allowed hosts are fetched from a local mirror instead
  (`http://127.0.0.1:8000`); responses still carry the platform's URL.

Parsing is not done here: callers get bytes plus `decode(body, headers)` to read them.
"""
from __future__ import annotations

import codecs
import email.utils
import hashlib
import json
import os
import re
import tempfile
import time
import urllib.robotparser
import zlib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Mapping
from urllib.parse import urljoin, urlsplit, urlunsplit

import httpcore
import httpx

from kb.errors import FetchError
from kb.records import now_iso

PROJECT_URL = "https://github.com/stdkb/stdkb"
USER_AGENT = f"stdkb/0.1 (+{PROJECT_URL}; standards knowledge base)"

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504, 507, 508, 509, 520, 521, 522, 523, 524})
REFUSED_STATUSES = frozenset({401, 403, 451})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_DEFAULT_PORTS = {"http": 80, "https": 443}


class Refused(FetchError):
    """The site (or its robots.txt) does not let us have the page: reported, never retried."""


@dataclass(frozen=True)
class Request:
    """One thing to fetch. `data` is a form-encoded body (POST); GET has none."""

    url: str
    method: str = "GET"
    data: str = ""

    @property
    def key(self) -> str:
        """Identity of the request, as checkpoints and the cache know it."""
        return f"{self.method} {self.url}" + (f" {self.data}" if self.data else "")

    def to_dict(self) -> dict:
        return {"url": self.url, "method": self.method, "data": self.data}

    @classmethod
    def from_dict(cls, data: Mapping) -> "Request":
        return cls(url=str(data["url"]), method=str(data.get("method") or "GET"),
                   data=str(data.get("data") or ""))


@dataclass
class Response:
    request: Request
    url: str  # final URL after redirects, on the platform's host (never the mirror's)
    status: int
    headers: dict[str, str]  # lower-case names
    body: bytes
    fetched_at: str  # when the bytes left the server (ISO 8601, UTC)
    from_cache: bool = False

    @property
    def text(self) -> str:
        return decode(self.body, self.headers)

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")


@dataclass(frozen=True)
class FetchPolicy:
    """How politely and how long to try. Tests set the waits to 0."""

    allowed_hosts: tuple[str, ...]
    base_url: str | None = None  # fetch the allowed hosts from this mirror instead
    delay: float = 2.0  # seconds between two requests to one host
    timeout: float = 30.0  # connect / read timeout of one attempt
    total_timeout: float = 120.0  # whole-response limit of one attempt (slow drip)
    retries: int = 3  # further attempts after the first
    backoff: float = 2.0  # first wait before a retry; doubles each time
    max_wait: float = 120.0  # longest single wait; a longer Retry-After fails at once
    max_bytes: int = 20 * 1024 * 1024
    max_redirects: int = 10
    user_agent: str = USER_AGENT
    respect_robots: bool = True
    cache_dir: Path | None = None
    cache_max_age: float | None = None  # seconds; None: cached responses never expire


# -- encodings -------------------------------------------------------------------

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.I)
_ALIASES = {"gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "cp936": "gb18030",
            "utf8": "utf-8", "unicode-1-1-utf-8": "utf-8"}


def _codec(label: str | None) -> str | None:
    """A Python codec name for a charset label, or None if it names none."""
    if not label:
        return None
    label = label.strip().strip("\"'").lower()
    label = _ALIASES.get(label, label)
    try:
        info = codecs.lookup(label)
    except (LookupError, ValueError):
        return None
    return info.name if getattr(info, "_is_text_encoding", True) else None  # not rot13, zlib, base64


def header_charset(headers: Mapping[str, str]) -> str | None:
    content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
    match = re.search(r"charset\s*=\s*([^;\s]+)", content_type, re.I)
    return _codec(match.group(1)) if match else None


def meta_charset(body: bytes) -> str | None:
    match = _META_CHARSET.search(body[:4096])
    return _codec(match.group(1).decode("ascii")) if match else None


def detect_encoding(body: bytes, headers: Mapping[str, str] | None = None) -> str:
    """The codec that decodes `body` without error: BOM, Content-Type charset,
    <meta charset>, then utf-8 and gb18030. A wrong label is skipped, not trusted."""
    for bom, name in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
                      (codecs.BOM_UTF16_BE, "utf-16")):
        if body.startswith(bom):
            return name
    candidates = [header_charset(headers or {}), meta_charset(body), "utf-8", "gb18030"]
    for name in dict.fromkeys(c for c in candidates if c):
        try:
            body.decode(name)
        except (UnicodeDecodeError, LookupError, ValueError):
            continue
        return name
    return "gb18030"  # decodes with replacements; every byte string is "almost" gb18030


def decode(body: bytes, headers: Mapping[str, str] | None = None) -> str:
    """Bytes of a response to text (see detect_encoding)."""
    return body.decode(detect_encoding(body, headers), errors="replace")


# -- the on-disk response cache --------------------------------------------------------

def cache_key(request: Request) -> str:
    return hashlib.sha256(f"{request.method}\n{request.url}\n{request.data}".encode()).hexdigest()


class ResponseCache:
    """Raw responses on disk: <dir>/<k[:2]>/<k>.body and <k>.json, k = sha256 of the request.
    Only hex digests ever become file names, whatever the URL holds."""

    def __init__(self, directory: Path, max_age: float | None = None):
        self.directory = Path(directory)
        self.max_age = max_age

    def _paths(self, request: Request) -> tuple[Path, Path]:
        key = cache_key(request)
        folder = self.directory / key[:2]
        return folder / f"{key}.json", folder / f"{key}.body"

    def get(self, request: Request) -> Response | None:
        meta_path, body_path = self._paths(request)
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            body = body_path.read_bytes()
        except (OSError, ValueError):
            return None
        if meta.get("sha256") != hashlib.sha256(body).hexdigest():
            return None  # a torn or edited entry: fetch again
        if self.max_age is not None and time.time() - float(meta.get("stored", 0)) > self.max_age:
            return None
        return Response(request=request, url=meta["url"], status=int(meta["status"]),
                        headers=dict(meta["headers"]), body=body, fetched_at=meta["fetched_at"],
                        from_cache=True)

    def put(self, response: Response) -> None:
        meta_path, body_path = self._paths(response.request)
        meta = {"request": response.request.to_dict(), "url": response.url,
                "status": response.status, "headers": response.headers,
                "fetched_at": response.fetched_at, "stored": time.time(),
                "sha256": hashlib.sha256(response.body).hexdigest()}
        _write_atomic(body_path, response.body)
        _write_atomic(meta_path, json.dumps(meta, ensure_ascii=False, indent=1).encode("utf-8"))


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# -- bounded decoding and deadlines -----------------------------------------------------

class _Layer:
    """One Content-Encoding layer, decoded in pieces that never exceed the cap."""

    def __init__(self, name: str):
        self.name = name
        self._zlib = zlib.decompressobj(31 if name in ("gzip", "x-gzip") else 15)
        self._first = name == "deflate"  # deflate may come without its zlib header

    def feed(self, data: bytes, room: int) -> bytes:
        """Decode `data`; more than `room` bytes out raises OverflowError."""
        try:
            out = self._zlib.decompress(data, room + 1)
        except zlib.error:
            if not self._first:
                raise
            self._zlib = zlib.decompressobj(-15)
            out = self._zlib.decompress(data, room + 1)
        self._first = False
        if len(out) > room:
            raise OverflowError
        return out

    def flush(self, room: int) -> bytes:
        out = self._zlib.flush()
        if len(out) > room:
            raise OverflowError
        return out


class _Decoder:
    """Content-Encoding "a, b" = a applied first: undone last to first, each capped."""

    SUPPORTED = ("gzip", "x-gzip", "deflate")

    def __init__(self, header: str, cap: int):
        names = [n.strip().lower() for n in header.split(",") if n.strip()]
        names = [n for n in names if n != "identity"]
        unknown = [n for n in names if n not in self.SUPPORTED]
        if unknown:
            raise ValueError(f"不支持的 Content-Encoding {unknown[0][:40]!r}")
        self.layers = [_Layer(n) for n in reversed(names)]
        self.cap = cap
        self.sizes = [0] * len(self.layers)  # bytes each layer has put out so far

    def feed(self, data: bytes, final: bool = False) -> bytes:
        for i, layer in enumerate(self.layers):
            room = self.cap - self.sizes[i]
            out = layer.feed(data, room) if data else b""
            if final:
                out += layer.flush(room - len(out))
            self.sizes[i] += len(out)
            data = out
        return data


class _DeadlineStream(httpcore.NetworkStream):
    """A socket whose every read and write is cut short at the fetcher's deadline."""

    def __init__(self, inner: httpcore.NetworkStream, deadline: Callable[[], float | None]):
        self._inner = inner
        self._deadline = deadline

    def _timeout(self, timeout: float | None, error: type[Exception]) -> float | None:
        deadline = self._deadline()
        if deadline is None:
            return timeout
        left = deadline - time.monotonic()
        if left <= 0:
            raise error("已过响应期限")
        return left if timeout is None else min(timeout, left)

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, self._timeout(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, self._timeout(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(self, ssl_context, server_hostname=None, timeout=None) -> httpcore.NetworkStream:
        inner = self._inner.start_tls(ssl_context, server_hostname,
                                      self._timeout(timeout, httpcore.ConnectTimeout))
        return _DeadlineStream(inner, self._deadline)

    def get_extra_info(self, info: str):
        return self._inner.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    def __init__(self, deadline: Callable[[], float | None]):
        self._inner = httpcore.SyncBackend()
        self._deadline = deadline

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        stream = self._inner.connect_tcp(host, port, timeout, local_address, socket_options)
        return _DeadlineStream(stream, self._deadline)

    def connect_unix_socket(self, path, timeout=None, socket_options=None):
        return _DeadlineStream(self._inner.connect_unix_socket(path, timeout, socket_options), self._deadline)

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


def _deadline_transport(deadline: Callable[[], float | None]) -> httpx.HTTPTransport:
    transport = httpx.HTTPTransport()
    # httpx offers no total deadline; its pool takes a network backend (httpcore API)
    transport._pool._network_backend = _DeadlineBackend(deadline)
    return transport


# -- the fetcher ---------------------------------------------------------------------

class _Retryable(Exception):
    """One attempt failed in a way worth another try."""

    def __init__(self, reason: str, wait: float | None = None):
        super().__init__(reason)
        self.reason = reason
        self.wait = wait  # the server's Retry-After, if it sent one


@dataclass
class _Robots:
    parser: urllib.robotparser.RobotFileParser | None = None  # None: everything allowed
    error: str = ""  # robots.txt could not be read: every URL of the host fails with this


@dataclass
class Fetcher:
    """Fetch pages under a FetchPolicy. `sleep` and `clock` are injectable for tests."""

    policy: FetchPolicy
    transport: httpx.BaseTransport | None = None
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    attempts: int = 0  # HTTP requests sent, robots.txt included
    _last: dict[str, float] = field(default_factory=dict)
    _robots: dict[str, _Robots] = field(default_factory=dict)
    _deadline: float | None = None  # time.monotonic() by which the attempt in flight must end

    def __post_init__(self) -> None:
        if not self.policy.allowed_hosts:
            raise ValueError("FetchPolicy.allowed_hosts is empty")
        self._allowed = {h.lower() for h in self.policy.allowed_hosts}
        self._mirror = urlsplit(self.policy.base_url) if self.policy.base_url else None
        if self._mirror is not None:
            if self._mirror.scheme not in ("http", "https") or not self._mirror.hostname:
                raise FetchError(f"{self.policy.base_url}：基础 URL 须为 http(s)://host[:port]")
            self._allowed.add(self._mirror.hostname.lower())
        self._cache = (ResponseCache(self.policy.cache_dir, self.policy.cache_max_age)
                       if self.policy.cache_dir else None)
        transport = self.transport or _deadline_transport(lambda: self._deadline)
        self._client = httpx.Client(
            transport=transport, follow_redirects=False,
            timeout=httpx.Timeout(self.policy.timeout),
            headers={"User-Agent": self.policy.user_agent,
                     "Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5"})

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> "Fetcher":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- public ------------------------------------------------------------------

    def fetch(self, request: Request | str, use_cache: bool = True) -> Response:
        """The final 2xx response to `request`, or FetchError/Refused naming the URL."""
        if isinstance(request, str):
            request = Request(request)
        if request.method not in ("GET", "POST"):
            raise FetchError(f"{request.url}：不支持请求方法 {request.method}")
        canonical = urlsplit(request.url)
        self._check_url(request.url, request.url)
        actual = Request(self._to_actual(request.url), request.method, request.data)
        if self._cache and use_cache:
            cached = self._cache.get(actual)
            if cached is not None:
                cached.request, cached.url = request, self._to_canonical(cached.url, canonical)
                return cached
        response = self._follow(actual, request)
        response.url = self._to_canonical(response.url, canonical)
        if self._cache:
            stored = replace(response, request=actual, url=self._to_actual(response.url))
            self._cache.put(stored)
        return response

    # -- URLs and the mirror ---------------------------------------------------------

    def _check_url(self, url: str, context: str) -> None:
        try:
            parts = urlsplit(url)
            port = parts.port or _DEFAULT_PORTS.get(parts.scheme)
        except ValueError:
            raise FetchError(f"{context}：不是有效的 URL：{url[:200]}") from None
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise FetchError(f"{context}：不是 http(s) URL：{url[:200]}")
        host = parts.hostname.lower()
        if host not in self._allowed:
            raise FetchError(f"{context}：主机 {parts.hostname} 不在允许的主机之列"
                             f"（{', '.join(sorted(self.policy.allowed_hosts))}）")
        if port not in self._ports(host):
            raise FetchError(f"{context}：不允许 {parts.hostname} 的端口 {port}"
                             f"（只允许 {', '.join(str(p) for p in sorted(self._ports(host)))}）")

    def _ports(self, host: str) -> set[int]:
        """An allowed host on the standard ports; the mirror on its own port."""
        ports = {80, 443} if host in {h.lower() for h in self.policy.allowed_hosts} else set()
        if self._mirror is not None and host == self._mirror.hostname.lower():
            ports.add(self._mirror.port or _DEFAULT_PORTS[self._mirror.scheme])
        return ports

    def _to_actual(self, url: str) -> str:
        """A platform URL as fetched: on the mirror when there is one."""
        if self._mirror is None:
            return url
        parts = urlsplit(url)
        if (parts.hostname or "").lower() == self._mirror.hostname.lower():
            return url
        prefix = self._mirror.path.rstrip("/")
        return urlunsplit((self._mirror.scheme, self._mirror.netloc, prefix + (parts.path or "/"),
                           parts.query, ""))

    def _to_canonical(self, url: str, canonical) -> str:
        """A fetched URL as the platform's: mirror URLs go back to the requested host."""
        if self._mirror is None:
            return url
        parts = urlsplit(url)
        if (parts.hostname or "").lower() != self._mirror.hostname.lower():
            return url
        path = parts.path
        prefix = self._mirror.path.rstrip("/")
        if prefix and path.startswith(prefix):
            path = path[len(prefix):] or "/"
        return urlunsplit((canonical.scheme, canonical.netloc, path, parts.query, ""))

    # -- redirects, robots, retries ------------------------------------------------------

    def _follow(self, actual: Request, original: Request) -> Response:
        seen: set[str] = set()
        current = actual
        for _ in range(self.policy.max_redirects + 1):
            if current.url in seen:
                raise FetchError(f"{original.url}：重定向循环，在 {current.url}")
            seen.add(current.url)
            self._check_robots(current.url, original.url)
            response = self._with_retries(current, original.url)
            if response.status not in REDIRECT_STATUSES:
                return self._final(response, original)
            location = response.headers.get("location")
            if not location:
                raise FetchError(f"{original.url}：HTTP {response.status} 没有 Location 头")
            target = urljoin(current.url, location.strip())
            self._check_url(target, f"{original.url}：重定向到 {target[:200]}")
            target = self._to_actual(target)
            if response.status in (307, 308):
                current = Request(target, current.method, current.data)
            else:
                current = Request(target)
        raise FetchError(f"{original.url}：重定向超过 {self.policy.max_redirects} 次")

    def _final(self, response: Response, original: Request) -> Response:
        response.request = original
        if 200 <= response.status < 300:
            return response
        if response.status in REFUSED_STATUSES:
            raise Refused(f"{original.url}：网站拒绝访问（HTTP {response.status}）")
        raise FetchError(f"{original.url}：HTTP {response.status}")

    def _with_retries(self, request: Request, context: str) -> Response:
        attempts = self.policy.retries + 1
        for attempt in range(attempts):
            try:
                return self._attempt(request, context)
            except _Retryable as exc:
                if attempt == attempts - 1:
                    raise FetchError(f"{context}：{exc.reason}，已尝试 {attempts} 次") from None
                wait = min(self.policy.backoff * 2 ** attempt, self.policy.max_wait)
                if exc.wait is not None:
                    if exc.wait > self.policy.max_wait:
                        raise FetchError(f"{context}：{exc.reason}，Retry-After {exc.wait:g} 秒"
                                         f"超过 {self.policy.max_wait:g} 秒") from None
                    wait = max(wait, exc.wait)
                self.sleep(wait)
        raise AssertionError("unreachable")

    def _attempt(self, request: Request, context: str) -> Response:
        """One HTTP exchange (after waiting our turn for the host)."""
        host = urlsplit(request.url).netloc.lower()
        self._wait_turn(host)
        self.attempts += 1
        headers = {"Content-Type": "application/x-www-form-urlencoded"} if request.data else {}
        fetched_at = now_iso()
        self._deadline = time.monotonic() + self.policy.total_timeout
        try:
            with self._client.stream(request.method, request.url, headers=headers,
                                     content=request.data.encode() if request.data else None) as r:
                headers_out = {k.lower(): v for k, v in r.headers.items()}
                if r.status_code in RETRY_STATUSES:
                    raise _Retryable(f"HTTP {r.status_code}",
                                     _retry_after(headers_out.get("retry-after")))
                body = b"" if r.status_code in REDIRECT_STATUSES else self._read_capped(r, context)
        except httpx.TimeoutException:
            if time.monotonic() >= self._deadline:
                raise _Retryable(f"响应超过 {self.policy.total_timeout:g} 秒") from None
            raise _Retryable("超时") from None
        except httpx.RemoteProtocolError as exc:
            raise _Retryable(f"连接中断：{_first_line(exc)}") from None
        except httpx.TransportError as exc:
            raise _Retryable(f"连接失败：{_first_line(exc)}") from None
        finally:
            self._deadline = None
        return Response(request=request, url=request.url, status=r.status_code,
                        headers=headers_out, body=body, fetched_at=fetched_at)

    def _read_capped(self, response: httpx.Response, context: str) -> bytes:
        cap = self.policy.max_bytes
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > cap:
            raise FetchError(f"{context}：响应超过 {cap} 字节（Content-Length {declared}）")
        try:
            decoder = _Decoder(response.headers.get("content-encoding", ""), cap)
        except ValueError as exc:
            raise FetchError(f"{context}：{exc}") from None
        started = self.clock()
        chunks: list[bytes] = []
        size = 0
        try:
            for raw in response.iter_raw():
                chunk = decoder.feed(raw)
                size += len(raw)  # the wire bytes; each decoded layer is capped in `decoder`
                if size > cap:
                    raise OverflowError
                if self.clock() - started > self.policy.total_timeout:
                    raise _Retryable(f"响应超过 {self.policy.total_timeout:g} 秒")
                chunks.append(chunk)
            chunks.append(decoder.feed(b"", final=True))
        except OverflowError:
            raise FetchError(f"{context}：响应超过 {cap} 字节") from None
        except zlib.error as exc:
            raise FetchError(f"{context}：{response.headers.get('content-encoding')} 压缩的响应体已损坏"
                             f"（{_first_line(exc)}）") from None
        return b"".join(chunks)

    def _wait_turn(self, host: str) -> None:
        delay = self.policy.delay
        robots = self._robots.get(host)
        if robots and robots.parser is not None:
            crawl_delay = robots.parser.crawl_delay(self.policy.user_agent)
            if crawl_delay:
                delay = max(delay, min(float(crawl_delay), self.policy.max_wait))
        last = self._last.get(host)
        if last is not None and delay > 0:
            wait = last + delay - self.clock()
            if wait > 0:
                self.sleep(wait)
        self._last[host] = self.clock()

    def _check_robots(self, url: str, context: str) -> None:
        if not self.policy.respect_robots:
            return
        parts = urlsplit(url)
        host = parts.netloc.lower()
        if host not in self._robots:
            self._robots[host] = self._load_robots(parts, context)
        robots = self._robots[host]
        if robots.error:
            raise FetchError(f"{context}：{robots.error}")
        if robots.parser is not None and not robots.parser.can_fetch(self.policy.user_agent, url):
            raise Refused(f"{context}：{parts.netloc} 的 robots.txt 不允许抓取")

    def _load_robots(self, parts, context: str) -> _Robots:
        """RFC 9309: 2xx is obeyed, 4xx means no rules, 5xx or no answer means keep out."""
        robots_url = urlunsplit((parts.scheme, parts.netloc, "/robots.txt", "", ""))
        try:
            response = self._with_retries(Request(robots_url), robots_url)
        except FetchError as exc:
            return _Robots(error=f"无法获取 robots.txt：{str(exc).split('：', 1)[-1]}")
        if response.status in REDIRECT_STATUSES or 400 <= response.status < 500:
            return _Robots()  # missing robots.txt: everything allowed
        if not 200 <= response.status < 300:
            return _Robots(error=f"无法获取 robots.txt：HTTP {response.status}")
        parser = urllib.robotparser.RobotFileParser(robots_url)
        parser.parse(decode(response.body, response.headers).splitlines())
        return _Robots(parser=parser)


def _retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - time.time())


def _first_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__
