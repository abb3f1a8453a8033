"""jjg.spc.org.cn (国家计量技术规范): the JSON search API (/resmea/api/standard/search/page).

rows[]: code, stdType (检定规程 / 检定系统表 / 校准规范 …), title, status, publishDate,
implementDate, modiDate. Records are kind "metrology", stdType → doc_type.

publishDate is sometimes the first edition's date (JJG 806-2026: 1993-01-19) while modiDate
is this edition's; a publishDate older than the number's year is replaced by modiDate when
that matches the year, else dropped.
"""
from __future__ import annotations

from urllib.parse import quote

from kb.errors import ParseError
from kb.records import Record
from kb.vocab import normalize_status

from .base import ParseResult
from .common import (build, clean, iso_date, load_json_object, page_count, parse_number, query_value,
                     rows_to_records)

SITE = "https://jjg.spc.org.cn"


def detail_url(code: str) -> str:
    """/resmea/standard/JJG%25201028-2024/: the site expects the number encoded twice."""
    return f"{SITE}/resmea/standard/{quote(quote(code, safe=''), safe='')}/"


def _issue_date(row: dict, year: int | None) -> str:
    published = iso_date(row.get("publishDate"), "publishDate")
    if not year or not published or int(published[:4]) >= year:
        return published
    modified = iso_date(row.get("modiDate"), "modiDate")
    return modified if modified and int(modified[:4]) == year else ""


def parse_api(body: bytes, url: str) -> ParseResult:
    """Metrology regulations of one API page; links: their detail pages."""
    what = "jjg.api"
    data = load_json_object(body, what, "rows")
    rows = data["rows"]
    if not isinstance(rows, list):
        raise ParseError(f"{what}：rows 不是列表")
    if rows and not (isinstance(rows[0], dict) and {"code", "stdType"} <= set(rows[0])):
        raise ParseError(f"{what}：rows 中没有 code / stdType；不是 jjg.spc.org.cn 的接口应答")
    links: list[str] = []

    def make(row) -> Record:
        if not isinstance(row, dict):
            raise ParseError("一行不是对象")
        number = parse_number(str(row.get("code") or ""), what)
        record = build(number, what, url, body,
                       kind="metrology",
                       doc_type=clean(row.get("stdType")),
                       title=clean(row.get("title") or row.get("plainTitle")),
                       status=normalize_status(row.get("status")),
                       issue_date=_issue_date(row, number.year),
                       implementation_date=iso_date(row.get("implementDate"), "implementDate"))
        links.append(detail_url(number.published))
        return record

    return ParseResult(records=rows_to_records(rows, make, what), links=links,
                       pages=page_count(data.get("total"), query_value(url, "pageSize") or len(rows)))
