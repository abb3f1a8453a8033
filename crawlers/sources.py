"""The platforms we crawl: hosts, where a crawl starts, which parser reads which page, how fast.

    source = get("openstd")
    source.start_requests("GB/T 1.1")   # search the platform for a number or words
    source.start_requests(None)         # browse its newest entries
    source.parser_name("https://openstd.samr.gov.cn/bzgk/std/newGbInfo?hcno=…")  # "openstd.detail"

URL shapes are those of ../shared/DOMAIN.md ("Official platforms") and the saved pages.
A query that is itself a URL on one of the source's hosts starts the crawl there.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, quote, quote_plus, urlencode, urlsplit, urlunsplit

from crawlers.fetch import Request
from kb.errors import BadInput


@dataclass(frozen=True)
class Start:
    """A start request template; `{query}` is filled in (URL- or form-quoted)."""

    url: str
    method: str = "GET"
    data: str = ""

    def fill(self, query: str) -> Request:
        return Request(url=self.url.replace("{query}", quote(query, safe="/")),
                       method=self.method, data=self.data.replace("{query}", quote_plus(query)))


@dataclass(frozen=True)
class SourceConfig:
    name: str
    title: str  # the platform's own name
    hosts: tuple[str, ...]  # the fetcher may contact only these
    search: tuple[Start, ...] = ()  # start of a crawl with --query
    browse: tuple[Start, ...] = ()  # start of a crawl without one (newest first)
    routes: tuple[tuple[str, str], ...] = ()  # (regex on path?query, parser name), first match wins
    delay: float = 2.0  # seconds between requests to one host
    page_param: str = ""  # list pages the parser cannot chain (POST forms): this counter is stepped
    notes: str = ""

    def start_requests(self, query: str | None) -> list[Request]:
        query = (query or "").strip()
        if query.startswith(("http://", "https://")):
            host = (urlsplit(query).hostname or "").lower()
            if host not in self.hosts:
                raise BadInput(f"{query} 不在 {self.name} 上（{'、'.join(self.hosts)}）")
            return [Request(query)]
        starts = self.search if query else self.browse
        if not starts:
            need = "需要 --query（标准号、词语或 URL）" if not query else "不接受 --query"
            raise BadInput(f"来源 {self.name} {need}")
        return [start.fill(query) for start in starts]

    def parser_name(self, url: str) -> str | None:
        """The parser for a URL of this source, or None to let detect_source decide."""
        parts = urlsplit(url)
        target = parts.path + ("?" + parts.query if parts.query else "")
        for pattern, name in self.routes:
            if re.search(pattern, target):
                return name
        return None

    def owns(self, url: str) -> bool:
        parts = urlsplit(url)
        return parts.scheme in ("http", "https") and (parts.hostname or "").lower() in self.hosts

    def next_page(self, request: Request) -> Request | None:
        """The same list request one page further, if this source pages by `page_param`."""
        if not self.page_param:
            return None
        if request.data:
            stepped = _step(request.data, self.page_param)
            return Request(request.url, request.method, stepped) if stepped else None
        parts = urlsplit(request.url)
        stepped = _step(parts.query, self.page_param)
        return Request(urlunsplit(parts._replace(query=stepped)), request.method) if stepped else None


def _step(query: str, name: str) -> str | None:
    pairs = parse_qsl(query, keep_blank_values=True)
    for index, (key, value) in enumerate(pairs):
        if key == name and value.isdigit():
            pairs[index] = (key, str(int(value) + 1))
            return urlencode(pairs, safe="/")
    return None


_FILING_FORM = "current=1&size=50&key={query}"

SOURCES: dict[str, SourceConfig] = {s.name: s for s in (
    SourceConfig(
        name="samr", title="全国标准信息公共服务平台",
        hosts=("std.samr.gov.cn", "www.std.gov.cn", "std.gov.cn"),  # its pages still link the old host
        search=(Start("https://std.samr.gov.cn/search/stdPage?q={query}"),),
        browse=(Start("https://std.samr.gov.cn/gb/search/gbQueryPage?searchText=&sortOrder=desc"
                      "&sortField=ISSUE_DATE&pageSize=50&pageNumber=1"),),
        routes=((r"^/search/stdPage", "samr.search"),
                (r"^/(gb|hb|db)/search/\w*Detailed", "samr.detail"),
                (r"^/gb/search/gbQueryPage", "samr.api")),
        notes="national, industry and local standards; search page links to detail pages"),
    SourceConfig(
        name="openstd", title="国家标准全文公开系统", hosts=("openstd.samr.gov.cn",),
        search=(Start("https://openstd.samr.gov.cn/bzgk/std/std_list?p.p2={query}"),),
        browse=tuple(Start(f"https://openstd.samr.gov.cn/bzgk/std/std_list_type?p.p1={kind}"
                           "&p.p90=circulation_date&p.p91=desc") for kind in (1, 2, 3)),
        routes=((r"^/bzgk/(std|gb)/std_list", "openstd.list"),
                (r"^/bzgk/(std|gb)/newGbInfo", "openstd.detail")),
        notes="national standards (mandatory, recommended, guidance); redirects http→https, /gb/→/std/"),
    SourceConfig(
        name="hbba", title="行业标准信息服务平台", hosts=("hbba.sacinfo.org.cn",),
        search=(Start("https://hbba.sacinfo.org.cn/stdQueryList", "POST", _FILING_FORM),),
        browse=(Start("https://hbba.sacinfo.org.cn/stdQueryList", "POST", _FILING_FORM),),
        routes=((r"^/stdQueryList", "sacinfo.search"), (r"^/stdDetail/", "sacinfo.detail")),
        page_param="current",
        notes="industry standard filings; POST form API with ms-epoch dates"),
    SourceConfig(
        name="dbba", title="地方标准信息服务平台", hosts=("dbba.sacinfo.org.cn",),
        search=(Start("https://dbba.sacinfo.org.cn/stdQueryList", "POST", _FILING_FORM),),
        browse=(Start("https://dbba.sacinfo.org.cn/stdQueryList", "POST", _FILING_FORM),),
        routes=((r"^/stdQueryList", "sacinfo.search"), (r"^/stdDetail/", "sacinfo.detail")),
        page_param="current",
        notes="local standard filings; same API as hbba"),
    SourceConfig(
        name="ttbz", title="全国团体标准信息平台", hosts=("www.ttbz.org.cn", "ttbz.org.cn"),
        search=(Start("http://www.ttbz.org.cn/Home/Standard?searchType=2&key={query}"),),
        browse=(Start("http://www.ttbz.org.cn/Home/Standard?searchType=2&key="),),
        routes=((r"^/Home/Standard", "ttbz.list"), (r"^/StandardManage/Detail/", "ttbz.detail")),
        delay=5.0,
        notes="group standards; its firewall answers 403 to fast or foreign clients (reported as refused)"),
    SourceConfig(
        name="jjg", title="国家计量技术规范全文公开系统", hosts=("jjg.spc.org.cn",),
        search=(Start("https://jjg.spc.org.cn/resmea/api/standard/search/page?keyword={query}"
                      "&pageNum=1&pageSize=20"),),
        browse=(Start("https://jjg.spc.org.cn/resmea/api/standard/search/page?keyword="
                      "&pageNum=1&pageSize=20"),),
        routes=((r"^/resmea/api/standard/search", "jjg.api"),),
        page_param="pageNum",
        notes="metrology regulations JJG / JJF; JSON rows"),
    SourceConfig(
        name="sacinfo", title="国家标准化管理委员会 标准公告 (std.sacinfo.org.cn)",
        hosts=("std.sacinfo.org.cn",),
        search=(Start("https://std.sacinfo.org.cn/gnoc/queryInfo?id={query}"),),
        routes=((r"^/gnoc/queryInfo", "sacinfo.announcement"),
                (r"^/gnocHb/", "sacinfo.announcement"),
                (r"^/gnocDb/", "sacinfo.announcement")),
        notes="announcements of new national standards and filings; --query is the announcement "
              "id or its URL"),
)}

ALIASES = {host: s.name for s in SOURCES.values() for host in s.hosts}


def get(name: str) -> SourceConfig:
    """A source by its name (openstd) or one of its host names (openstd.samr.gov.cn)."""
    key = name.strip().lower()
    source = SOURCES.get(key) or SOURCES.get(ALIASES.get(key, ""))
    if source is None:
        raise BadInput(f"未知的来源 {name!r}；可用的来源：{'、'.join(SOURCES)}")
    return source
