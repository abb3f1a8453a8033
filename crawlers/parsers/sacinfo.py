"""hbba.sacinfo.org.cn / dbba.sacinfo.org.cn: industry and local standard filings (备案).

Both sites run the same software:
- parse_search: POST /stdQueryList → JSON {current, pages, total, records[]} with ms-epoch dates
- parse_detail: /stdDetail/<pk> (the std.samr detail layout plus 备案号 / 备案日期 / 起草单位 / 起草人)

The search is a POST, so no next-page URL is returned: the crawler posts current=N+1 itself
while current < pages.
"""
from __future__ import annotations

import re
from urllib.parse import urlsplit

from kb.errors import ParseError
from kb.records import Record
from kb.vocab import normalize_status

from .base import ParseResult
from .common import (build, canonical_list, ccs_codes, check_page, clean, decode_html,
                     drafter_name, ics_codes, iso_date, load_json_object, rows_to_records,
                     soup_of, split_names)
from .samr import FILING_NAV, basic_info, dd_text, record_no

HBBA = "https://hbba.sacinfo.org.cn"
DBBA = "https://dbba.sacinfo.org.cn"


def site_of(url: str, number: str = "") -> str:
    """The filing site a URL (or, failing that, a DB number) belongs to."""
    host = urlsplit(url).hostname or ""
    if host.endswith("sacinfo.org.cn") and host.split(".")[0] in ("hbba", "dbba"):
        return f"https://{host}"
    return DBBA if re.match(r"\s*DB\d", number) else HBBA


def parse_search(body: bytes, url: str) -> ParseResult:
    """records[] of a /stdQueryList answer; links: each record's /stdDetail/<pk> page."""
    what = "sacinfo.search"
    data = load_json_object(body, what, "records")
    rows = data["records"]
    if not isinstance(rows, list):
        raise ParseError(f"{what}：records 不是列表")
    if rows and not (isinstance(rows[0], dict) and "code" in rows[0]):
        raise ParseError(f"{what}：records 中没有 code；不是 hbba/dbba /stdQueryList 的应答")
    links: list[str] = []
    details: dict[str, str] = {}

    def make(row) -> Record:
        if not isinstance(row, dict):
            raise ParseError("一条记录不是对象")
        number = row.get("code") or ""
        record = build(number, what, url, body,
                       title=clean(row.get("chName")),
                       status=normalize_status(row.get("status")),
                       issue_date=iso_date(row.get("issueDate"), "issueDate"),
                       implementation_date=iso_date(row.get("actDate"), "actDate"),
                       dept=clean(row.get("chargeDept")),
                       record_no=clean(row.get("recordNo")))
        if row.get("pk"):
            links.append(f"{site_of(url, number)}/stdDetail/{row['pk']}")
            details[record.id] = links[-1]
        return record

    pages = data.get("pages")
    return ParseResult(records=rows_to_records(rows, make, what), links=links, details=details,
                       pages=pages if isinstance(pages, int) and pages > 0 else 0)


def _section_text(soup, title: str) -> str:
    """The paragraph after a para-title heading (起草单位, 起草人)."""
    for h2 in soup.select("div.para-title h2"):
        if clean(h2.get_text()) == title:
            p = h2.find_parent("div").find_next_sibling("p")
            return clean(p.get_text(" ")) if p else ""
    return ""


def parse_detail(body: bytes, url: str) -> ParseResult:
    """One filed standard (no links: the page links only to its filing announcement)."""
    what = "sacinfo.detail"
    text = decode_html(body, what)
    refused = check_page(text, what)
    if refused:
        return ParseResult(refused=refused)
    soup = soup_of(text)
    info = basic_info(soup)
    number = dd_text(info, "标准号")
    if not number or FILING_NAV not in text:
        raise ParseError(f"{what}：备案平台的导航下没有标准号；"
                         "不是 hbba/dbba.sacinfo.org.cn 的详情页")
    title = soup.select_one("div.page-header h4")
    english = soup.select_one("div.page-header h5")
    status = soup.select("div.page-header span.s-status")
    replaces = next((dd_text(info, k) for k in info if "代替" in k and not k.startswith("被")), "")
    record = build(number, what, url, body,
                   title=clean(title.get_text()) if title else "",
                   english_title=clean(english.get_text()) if english else "",
                   status=normalize_status(clean(status[-1].get_text())) if status else "unknown",
                   issue_date=iso_date(dd_text(info, "发布日期"), "发布日期"),
                   implementation_date=iso_date(dd_text(info, "实施日期"), "实施日期"),
                   withdrawal_date=iso_date(dd_text(info, "废止日期"), "废止日期"),
                   replaces=canonical_list(replaces, what),
                   ccs=ccs_codes(dd_text(info, "中国标准分类号")),
                   ics=ics_codes(dd_text(info, "国际标准分类号")),
                   dept=dd_text(info, "批准发布部门") or dd_text(info, "主管部门"),
                   drafting_orgs=split_names(_section_text(soup, "起草单位")),
                   drafters=[drafter_name(n) for n in split_names(_section_text(soup, "起草人"))],
                   record_no=record_no(soup))
    return ParseResult(records=[record])
