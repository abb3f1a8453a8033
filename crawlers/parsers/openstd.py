"""openstd.samr.gov.cn (国家标准全文公开系统): result list, detail page, and its redirects.

- parse_list:   /bzgk/std/std_list?p.p2=… (table.result_list; showInfo('<hcno>') opens the detail)
- parse_detail: /bzgk/std/newGbInfo?hcno=…
- redirect_target: where a saved 301 answer leads (the site moves http → https and /bzgk/gb/ → /bzgk/std/)
"""
from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit, urlunsplit

from kb.errors import ParseError
from kb.records import Record
from kb.vocab import normalize_status

from .base import ParseResult
from .common import (build, canonical_list, ccs_codes, check_page, clean, decode_html, ics_codes,
                     iso_date, list_row_record, rows_to_records, soup_of, table_columns, with_query)

SITE = "https://openstd.samr.gov.cn"
LIST_URL = SITE + "/bzgk/std/std_list"
DETAIL_URL = SITE + "/bzgk/std/newGbInfo"
_SHOW_INFO = re.compile(r"showInfo\('([0-9A-Fa-f]+)'\)")


# -- redirects ------------------------------------------------------------------------

def redirect_target(body: bytes, url: str, location: str | None = None) -> str | None:
    """Where a 3xx answer leads: its Location header, a link or refresh in the body, or
    the site's own rule for a bare nginx 301 page of openstd; None if the body is no redirect.

    The recorded chains (INDEX.json, cassettes) are:
    http://openstd…/bzgk/gb/X → https://openstd…/bzgk/gb/X → https://openstd…/bzgk/std/X.
    """
    if location:
        return urljoin(url, location.strip())
    text = body.decode("latin-1")
    if not re.search(r"<title>\s*30[12378]\b", text[:2000], re.I):
        return None
    refresh = re.search(r"""http-equiv=["']?refresh["']?[^>]*url=([^"'>\s]+)""", text, re.I)
    href = re.search(r"""<a\s[^>]*href=["']([^"']+)["']""", text, re.I)
    if refresh or href:
        return urljoin(url, (refresh or href).group(1))
    parts = urlsplit(url)
    if parts.hostname != "openstd.samr.gov.cn":
        return None
    if parts.scheme == "http":
        return urlunsplit(parts._replace(scheme="https"))
    if "/bzgk/gb/" in parts.path:
        return urlunsplit(parts._replace(path=parts.path.replace("/bzgk/gb/", "/bzgk/std/", 1)))
    return None


# -- list page --------------------------------------------------------------------------

def parse_list(body: bytes, url: str) -> ParseResult:
    """Rows of a result list; links: their detail pages and the next list page."""
    what = "openstd.list"
    text = decode_html(body, what)
    refused = check_page(text, what)
    if refused:
        return ParseResult(refused=refused)
    soup = soup_of(text)
    table = soup.select_one("table.result_list")
    if table is None:
        raise ParseError(f"{what}：没有 table.result_list；不是 openstd.samr.gov.cn 的列表页")
    header = [clean(th.get_text()) for th in table.select("th")]
    column = table_columns(header, ("标准号", "标准名称", "状态", "发布日期", "实施日期"), what)
    links: list[str] = []
    details: dict[str, str] = {}

    def make(row) -> Record:
        cells = row.find_all("td", recursive=False)
        record = list_row_record(cells, column, "状态", what, url, body)
        hcno = _SHOW_INFO.search(str(cells[column["标准号"]]))
        if hcno:
            links.append(with_query(urljoin(url if url.startswith("http") else LIST_URL, "newGbInfo"),
                                    hcno=hcno.group(1)))
            details[record.id] = links[-1]
        return record

    rows = [tr for tr in table.select("tr") if tr.find("td", recursive=False)]
    records = rows_to_records(rows, make, what)
    pages = re.search(r"""pages\s*:\s*["']?(\d+)""", text)
    return ParseResult(records=records, links=links + _next_list_page(text, url), details=details,
                       pages=int(pages.group(1)) if pages else 0)


def _next_list_page(text: str, url: str) -> list[str]:
    pages = re.search(r"""pages\s*:\s*["']?(\d+)""", text)
    if not (pages and url.startswith("http")):
        return []
    current = re.search(r"[?&]page=(\d+)", url)
    page = int(current.group(1)) if current else 1
    return [with_query(url, page=page + 1)] if page < int(pages.group(1)) else []


# -- detail page ------------------------------------------------------------------------

def _labelled_cells(soup) -> dict[str, str]:
    """div.title → the div.content after it (CCS, ICS, 发布日期, 主管部门, 备注 …)."""
    cells = {}
    for title in soup.select("div.title"):
        content = title.find_next_sibling("div")
        if content is not None and "content" in (content.get("class") or []):
            cells[clean(title.get_text())] = clean(content.get_text(" "))
    return cells


def _table_value(soup, label: str) -> str:
    for td in soup.select("table.tdlist td"):
        text = clean(td.get_text(" "))
        if text.startswith(label):
            return clean(text[len(label):].lstrip(":："))
    return ""


def parse_detail(body: bytes, url: str) -> ParseResult:
    """One national standard: number, titles, status, CCS/ICS, dates, department, replaces."""
    what = "openstd.detail"
    text = decode_html(body, what)
    refused = check_page(text, what)
    if refused:
        return ParseResult(refused=refused)
    soup = soup_of(text)
    heading = soup.select_one("h1")
    m = re.search(r"标准号[:：]\s*(.+)", clean(heading.get_text(" "))) if heading else None
    if not m or soup.select_one("table.tdlist") is None:
        raise ParseError(f"{what}：没有标准号标题和 table.tdlist；不是 openstd.samr.gov.cn 的详情页")
    number = re.sub(r"\s*采$", "", m.group(1)).strip()
    cells = _labelled_cells(soup)
    ccs_key = next((k for k in cells if k.startswith("中国标准分类号")), "")
    ics_key = next((k for k in cells if k.startswith("国际标准分类号")), "")
    note = cells.get("备注", "")
    replaces = re.search(r"代替(.+)$", note)
    record = build(number, what, url, body,
                   title=_table_value(soup, "中文标准名称"),
                   english_title=_table_value(soup, "英文标准名称"),
                   status=normalize_status(_table_value(soup, "标准状态")),
                   ccs=ccs_codes(cells.get(ccs_key)),
                   ics=ics_codes(cells.get(ics_key)),
                   issue_date=iso_date(cells.get("发布日期"), "发布日期"),
                   implementation_date=iso_date(cells.get("实施日期"), "实施日期"),
                   withdrawal_date=iso_date(cells.get("废止日期"), "废止日期"),
                   dept=cells.get("主管部门") or cells.get("归口部门", ""),
                   replaces=canonical_list(replaces.group(0), what) if replaces else [])
    return ParseResult(records=[record])
