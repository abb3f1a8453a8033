"""Standards announcements (公告) of std.sacinfo.org.cn, and the PilotStd golden JSON of them.

- parse_announcement: /gnoc/queryInfo?id=… (national), /gnocHb/… and /gnocDb/… (industry and
  local filings; same software). One table row per standard.
- announcement_items: the rows as PilotStd "items" (std_code, std_name, replaces_code,
  publish_date, implementation_date, expiry_date, record_no, dept), values kept as published.
- parse_announcement_items: import a golden JSON file {"_source_url", "items": [...]}.

Both parsers turn an item into a Record the same way (record_from_item): a std_code with two
numbers one a line is a joint standard (first → number, the rest → other_numbers).
"""
from __future__ import annotations

import re

from kb.errors import ParseError
from kb.records import Record

from .base import ParseResult
from .common import (build, canonical_list, check_page, clean, decode_html, iso_date,
                     load_json_object, parse_number, rows_to_records, soup_of, tight)

ITEM_FIELDS = ("std_code", "std_name", "replaces_code", "publish_date", "implementation_date",
               "expiry_date", "record_no", "dept")


def record_from_item(item: dict, source: str, url: str, body: bytes) -> Record:
    """One announcement item → Record (joint numbers, replaces list, dates, filing data)."""
    codes = [line.strip() for line in str(item.get("std_code") or "").split("\n") if line.strip()]
    if not codes:
        raise ParseError("一项没有 std_code")
    number = parse_number(codes[0], source)
    return build(number, source, url, body,
                 other_numbers=[parse_number(code, source).canonical for code in codes[1:]],
                 title=clean(item.get("std_name")),
                 replaces=canonical_list(item.get("replaces_code"), source),
                 issue_date=iso_date(item.get("publish_date"), "publish_date"),
                 implementation_date=iso_date(item.get("implementation_date"), "implementation_date"),
                 withdrawal_date=iso_date(item.get("expiry_date"), "expiry_date"),
                 record_no=clean(item.get("record_no")),
                 dept=clean(item.get("dept")))


# -- the announcement page ------------------------------------------------------------

def _field_of(header: str) -> str:
    """Which item field a column header names (headers differ between gnoc, gnocHb, gnocDb)."""
    h = tight(header)
    if "代替" in h:
        return "replaces_code"
    if "备案号" in h:
        return "record_no"
    if "编号" in h or "标准号" in h or h.endswith("文件号"):
        return "std_code"
    if "名称" in h:
        return "std_name"
    if "实施日期" in h:
        return "implementation_date"
    if "废止日期" in h or "作废日期" in h:
        return "expiry_date"
    if "日期" in h:
        return "publish_date"
    if "部门" in h or "机关" in h:
        return "dept"
    return ""


def _lines(cell) -> str:
    """A cell's text, one published line a line (joint numbers, long replaces lists)."""
    lines = [line.strip() for line in cell.get_text("\n").replace("\xa0", " ").split("\n")]
    return "\n".join(line for line in lines if line)


def _announcement_date(soup) -> str:
    for p in reversed(soup.select("div.notice-content p.luokuan")):
        try:
            date = iso_date(p.get_text(), "公告日期")
        except ParseError:
            continue
        if date:
            return date
    return ""


def _table(soup, what: str):
    table = soup.select_one("div.std-list table") or soup.select_one("table")
    if table is None or not soup.select_one("div.notice-header, div.notice-content, div.std-list"):
        raise ParseError(f"{what}：没有公告标题和标准表；不是 std.sacinfo.org.cn 的公告")
    headers = [_field_of(th.get_text()) for th in table.select("thead th") or table.select("th")]
    if "std_code" not in headers:
        raise ParseError(f"{what}：公告的表格没有标准号列")
    return table, headers


def announcement_items(body: bytes, url: str = "") -> list[dict]:
    """The announcement's rows in the PilotStd item shape, values as published."""
    what = "sacinfo.announcement"
    text = decode_html(body, what)
    refused = check_page(text, what)
    if refused:
        raise ParseError(f"{what}：网站拒绝了请求：{refused}")
    soup = soup_of(text)
    table, headers = _table(soup, what)
    default_date = _announcement_date(soup)
    items = []
    for tr in table.select("tbody tr") or table.select("tr"):
        cells = tr.find_all("td", recursive=False)
        if not cells:
            continue
        item = dict.fromkeys(ITEM_FIELDS, "")
        for field, cell in zip(headers, cells):
            if field == "std_name":
                anchor = cell.find("a")
                item[field] = clean((anchor or cell).get_text(" "))
            elif field:
                item[field] = _lines(cell)
        item["publish_date"] = item["publish_date"] or default_date
        items.append(item)
    return items


def parse_announcement(body: bytes, url: str) -> ParseResult:
    """Records of every standard an announcement page lists (no links to follow)."""
    what = "sacinfo.announcement"
    text = decode_html(body, what)
    refused = check_page(text, what)
    if refused:
        return ParseResult(refused=refused)
    items = announcement_items(body, url)
    return ParseResult(records=rows_to_records(
        items, lambda item: record_from_item(item, what, url, body), what))


# -- PilotStd golden JSON ---------------------------------------------------------------

def parse_announcement_items(body: bytes, url: str) -> ParseResult:
    """Import {"_source_url": …, "items": [...]}; the file's _source_url is the source URL."""
    what = "announcement.json"
    data = load_json_object(body, what, "items")
    items = data["items"]
    if not isinstance(items, list) or not all(isinstance(i, dict) and "std_code" in i for i in items):
        raise ParseError(f"{what}：items 须为带 std_code 的对象列表")
    source_url = str(data.get("_source_url") or url)
    return ParseResult(records=rows_to_records(
        items, lambda item: record_from_item(item, what, source_url, body), what))


def is_announcement_page(text: str) -> bool:
    return bool(re.search(r'class="notice-(header|content)"', text)) and "std-list" in text
