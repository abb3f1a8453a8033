"""The parser registry: source name → parser, and detect_source(url, body) to pick one.

    >>> detect_source("https://openstd.samr.gov.cn/bzgk/std/newGbInfo?hcno=C4BF…", b"…")
    'openstd.detail'
"""
from __future__ import annotations

import json
import re
from urllib.parse import urlsplit

from kb.errors import ParseError

from . import announcements, jjg, jtst, nrsis, openstd, sacinfo, samr, ttbz
from .base import ParseResult, Parser
from .common import decode_html


def guarded(name: str, parser: Parser) -> Parser:
    """The parser, with any unexpected exception turned into a one-line ParseError."""

    def parse(body: bytes, url: str) -> ParseResult:
        try:
            return parser(body, url)
        except ParseError:
            raise
        except Exception as exc:  # a page shape no test has seen: still no traceback
            raise ParseError(f"{name}：无法读取这个页面（{type(exc).__name__}: {exc}）") from exc

    parse.__name__ = parser.__name__
    parse.__doc__ = parser.__doc__
    return parse


_PARSERS: dict[str, Parser] = {
    "samr.search": samr.parse_search,
    "samr.detail": samr.parse_detail,
    "samr.api": samr.parse_api,
    "openstd.list": openstd.parse_list,
    "openstd.detail": openstd.parse_detail,
    "sacinfo.search": sacinfo.parse_search,
    "sacinfo.detail": sacinfo.parse_detail,
    "ttbz.list": ttbz.parse_list,
    "ttbz.detail": ttbz.parse_detail,
    "sacinfo.announcement": announcements.parse_announcement,
    "jjg.api": jjg.parse_api,
    "nrsis.list": nrsis.parse_list,
    "jtst.detail": jtst.parse_detail,
    "announcement.json": announcements.parse_announcement_items,
}
PARSERS: dict[str, Parser] = {name: guarded(name, fn) for name, fn in _PARSERS.items()}

# (host suffix, path pattern, source); the first match wins.
_URL_RULES = [
    ("std.samr.gov.cn", r"/search/stdPage", "samr.search"),
    ("std.samr.gov.cn", r"/search/(gbDetailed|stdHBDetailed|stdDBDetailed)", "samr.detail"),
    ("std.samr.gov.cn", r"/search/\w*QueryPage", "samr.api"),
    ("std.gov.cn", r"/search/stdPage", "samr.search"),
    ("std.gov.cn", r"/search/(gbDetailed|stdHBDetailed|stdDBDetailed)", "samr.detail"),
    ("std.gov.cn", r"/search/\w*QueryPage", "samr.api"),
    ("openstd.samr.gov.cn", r"/bzgk/(std|gb)/std_list", "openstd.list"),
    ("openstd.samr.gov.cn", r"/bzgk/(std|gb)/newGbInfo", "openstd.detail"),
    ("hbba.sacinfo.org.cn", r"/stdQueryList", "sacinfo.search"),
    ("dbba.sacinfo.org.cn", r"/stdQueryList", "sacinfo.search"),
    ("hbba.sacinfo.org.cn", r"/stdDetail/", "sacinfo.detail"),
    ("dbba.sacinfo.org.cn", r"/stdDetail/", "sacinfo.detail"),
    ("ttbz.org.cn", r"/Home/Standard", "ttbz.list"),
    ("ttbz.org.cn", r"/StandardManage/Detail/", "ttbz.detail"),
    ("std.sacinfo.org.cn", r"/gnoc(Hb|Db)?/queryInfo", "sacinfo.announcement"),
    ("jjg.spc.org.cn", r"/resmea/api/", "jjg.api"),
    ("nrsis.org.cn", r"/portal/xxcx/std", "nrsis.list"),
    ("jtst.mot.gov.cn", r"/search/(gbDetailed|stdHBDetailed|stdDBDetailed)", "jtst.detail"),
]


def _by_url(url: str) -> str:
    parts = urlsplit(url or "")
    host = (parts.hostname or "").lower()
    for suffix, pattern, source in _URL_RULES:
        if (host == suffix or host.endswith("." + suffix)) and re.search(pattern, parts.path):
            return source
    return ""


def _by_json(data) -> str:
    if not isinstance(data, dict):
        return ""
    if isinstance(data.get("items"), list) and any(isinstance(i, dict) and "std_code" in i for i in data["items"]):
        return "announcement.json"
    if isinstance(data.get("records"), list) and any(isinstance(r, dict) and "pk" in r for r in data["records"]):
        return "sacinfo.search"
    rows = data.get("rows")
    if isinstance(rows, list) and rows and isinstance(rows[0], dict):
        if "STD_CODE" in rows[0] or "C_STD_CODE" in rows[0]:
            return "samr.api"
        if "stdType" in rows[0] and "code" in rows[0]:
            return "jjg.api"
    return ""


def _by_html(text: str) -> str:
    if announcements.is_announcement_page(text):
        return "sacinfo.announcement"
    if re.search(r'class="table result_list', text):
        return "openstd.list"
    if re.search(r"标准号[:：]", text) and 'class="tdlist"' in text:
        return "openstd.detail"
    title = re.search(r"<title>([^<]*)</title>", text)
    if 'class="basicInfo-item name"' in text and title and "全国标准信息公共服务平台" in title.group(1):
        hbba_like = 'data-href="/stdList"' in text or "openSuggestionDialog(" in text
        return "sacinfo.detail" if hbba_like else "samr.detail"
    if re.search(r'tid="BV_', text) or ('class="panel panel-default post"' in text and "nums" in text):
        return "samr.search"
    if "standard_list_table" in text:
        return "ttbz.list"
    if 'class="tctable"' in text and "标准编号" in text:
        return "ttbz.detail"
    if "table-bordered" in text and ('data-sort="repeFlag"' in text or nrsis.PLATFORM in text[:5000]):
        return "nrsis.list"
    if 'class="basicInfo-item name"' in text and "jtst.mot.gov.cn" in text:
        return "jtst.detail"
    if "Knownsec CloudWAF" in text:
        return "ttbz.list"  # the only platform known to answer with this block page
    return ""


def detect_source(url: str, body: bytes) -> str:
    """The parser for a page: by its web URL, else (no URL, or a file path) by the body's shape."""
    source = _by_url(url)
    if source:
        return source
    if re.match(r"https?://", url or ""):
        raise ParseError(f"{url} 不是任何解析器认识的页面")
    head = (body or b"").lstrip()[:1]
    if head in (b"{", b"["):
        try:
            source = _by_json(json.loads(body.decode("utf-8-sig")))
        except (UnicodeDecodeError, ValueError):
            source = ""
    else:
        try:
            text = decode_html(body, "page")
        except ParseError:
            text = (body or b"").decode("utf-8", errors="replace")
        source = _by_html(text)
    if not source:
        raise ParseError(f"{url} 不是任何解析器认识的页面" if url else "这不是任何解析器认识的页面")
    return source


__all__ = ["PARSERS", "ParseResult", "Parser", "detect_source"]
