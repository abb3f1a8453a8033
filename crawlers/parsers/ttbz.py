"""ttbz.org.cn (全国团体标准信息平台): group standards list and detail pages.

- parse_list:   /Home/Standard?searchType=2&key=… (table.standard_list_table, 详细 → detail)
- parse_detail: /StandardManage/Detail/<id>/ (table.tctable rows: 标准状态, 标准编号 …)

The site sometimes answers with a Knownsec CloudWAF 403 page: both parsers return
ParseResult(refused=…) for it.
"""
from __future__ import annotations

import re

from kb.errors import ParseError
from kb.records import Record
from kb.vocab import normalize_status

from .base import ParseResult
from .common import (absolute, build, ccs_codes, check_page, clean, decode_html, ics_codes,
                     iso_date, rows_to_records, soup_of, split_names, with_query)

SITE = "http://www.ttbz.org.cn"


def parse_list(body: bytes, url: str) -> ParseResult:
    """Rows of a search result (number, title, organisation, status where shown); links:
    detail pages and the next result page."""
    what = "ttbz.list"
    text = decode_html(body, what)
    refused = check_page(text, what)
    if refused:
        return ParseResult(refused=refused)
    soup = soup_of(text)
    tables = soup.select("table.standard_list_table")
    header_row = next((t.find("tr") for t in tables if t.find("th")), None)
    if header_row is None:
        raise ParseError(f"{what}：没有 table.standard_list_table 表头；不是 ttbz.org.cn 的列表页")
    header = [clean(th.get_text()) for th in header_row.find_all("th")]
    if "标准编号" not in header or "标准名称" not in header:
        raise ParseError(f"{what}：列表中没有标准编号 / 标准名称列")
    column = {name: header.index(name) for name in header}
    links: list[str] = []
    details: dict[str, str] = {}

    def make(row) -> Record:
        cells = row.find_all("td", recursive=False)
        if len(cells) < len(header):
            raise ParseError(f"一行有 {len(cells)} 个单元格，表头有 {len(header)} 个")
        cell = lambda name: clean(cells[column[name]].get_text(" ")) if name in column else ""  # noqa: E731
        record = build(cell("标准编号"), what, url, body,
                       title=cell("标准名称"),
                       organisation=cell("团体名称"),
                       status=normalize_status(cell("状态")))
        detail = row.find("a", href=re.compile(r"/StandardManage/Detail/"))
        if detail is not None:
            links.append(absolute(url, detail["href"], SITE))
            details[record.id] = links[-1]
        return record

    rows = [tr for tr in header_row.find_parent("table").find_all("tr") if tr.find("td")]
    records = rows_to_records(rows, make, what)
    count = soup.find("input", id="PageCount")
    pages = int(count["value"]) if count is not None and str(count.get("value", "")).isdigit() else 0
    return ParseResult(records=records, links=links + _next_list_page(soup, url), details=details,
                       pages=pages)


def _next_list_page(soup, url: str) -> list[str]:
    page, count = soup.find("input", id="page"), soup.find("input", id="PageCount")
    try:
        current, total = int(page["value"]), int(count["value"])
    except (TypeError, KeyError, ValueError):
        return []
    if not url.startswith("http") or current >= total:
        return []
    return [with_query(url, page=current + 1)]


def _detail_rows(soup) -> dict[str, str]:
    """label → value of the 标准详细信息 and 团体详细信息 tables."""
    rows = {}
    for table in soup.select("table.tctable"):
        for tr in table.find_all("tr"):
            cells = tr.find_all("td", recursive=False)
            for label, value in zip(cells[::2], cells[1::2]):
                key = clean(label.get_text())
                if key and key not in rows:
                    rows[key] = value.get_text("\n").strip()
    return rows


def parse_detail(body: bytes, url: str) -> ParseResult:
    """One group standard with its classification, dates, drafters, scope and organisation."""
    what = "ttbz.detail"
    text = decode_html(body, what)
    refused = check_page(text, what)
    if refused:
        return ParseResult(refused=refused)
    rows = _detail_rows(soup_of(text))
    number = clean(rows.get("标准编号"))
    if not number:
        raise ParseError(f"{what}：table.tctable 中没有标准编号行；不是 ttbz.org.cn 的详情页")
    ccs_cell = clean(rows.get("中国标准分类号"))
    ccs_part, _, extra_ics = ccs_cell.partition("ICS")  # the site puts a second ICS code here
    scope = rows.get("范围", "")
    record = build(number, what, url, body,
                   title=clean(rows.get("中文标题")),
                   english_title=clean(rows.get("英文标题")),
                   status=normalize_status(clean(rows.get("标准状态"))),
                   ics=_merge(ics_codes(rows.get("国际标准分类号")), ics_codes(extra_ics)),
                   ccs=ccs_codes(ccs_part),
                   issue_date=iso_date(rows.get("发布日期"), "发布日期"),
                   implementation_date=iso_date(rows.get("实施日期"), "实施日期"),
                   drafting_orgs=split_names(rows.get("起草单位")),
                   drafters=split_names(rows.get("起草人")),
                   scope=re.sub(r"[ \t]*\r?\n[ \t]*", "\n", scope.replace("\xa0", " ")).strip(),
                   organisation=clean(rows.get("团体名称")))
    return ParseResult(records=[record])


def _merge(first: list[str], second: list[str]) -> list[str]:
    return first + [code for code in second if code not in first]

