"""www.nrsis.org.cn (自然资源标准化信息服务平台): the standards query table.

- parse_list: /portal/xxcx/std?… (a whole page, or the bare table its script loads; table.table-bordered: 序号, 标准号, 标准名称 (link to
  /portal/stdDetail/<id>), 发布日期, 实施日期, 标准状态); the current and the withdrawn
  (废止) lists share the layout.
"""
from __future__ import annotations

from kb.errors import ParseError
from kb.records import Record

from .base import ParseResult
from .common import (absolute, check_page, clean, decode_html, list_row_record, refusal, rows_to_records,
                     soup_of, table_columns)

SITE = "http://www.nrsis.org.cn"
PLATFORM = "自然资源标准化信息服务平台"
NEEDED = ("标准号", "标准名称", "发布日期", "实施日期", "标准状态")


def parse_list(body: bytes, url: str) -> ParseResult:
    """Rows of a query table; links: their detail pages."""
    what = "nrsis.list"
    text = decode_html(body, what)
    whole_page = "<html" in text[:5000].lower()  # the site also answers with the bare table
    refused = check_page(text, what) if whole_page else refusal(text)
    if refused:
        return ParseResult(refused=refused)
    if not whole_page and "</table>" not in text[-2000:].lower():
        raise ParseError(f"{what}：表格不完整（没有结尾的 </table>）")
    soup = soup_of(text)
    title = clean(soup.title.get_text()) if soup.title else ""
    table = soup.select_one("table.table-bordered")
    if table is None or (whole_page and PLATFORM not in title):
        raise ParseError(f"{what}：没有 {PLATFORM} 页面的 table.table-bordered")
    header = [clean(th.get_text()) for th in table.select("thead th")]
    column = table_columns(header, NEEDED, what)
    links: list[str] = []
    details: dict[str, str] = {}

    def make(row) -> Record:
        cells = row.find_all("td", recursive=False)
        record = list_row_record(cells, column, "标准状态", what, url, body)
        anchor = cells[column["标准名称"]].find("a", href=True)
        if anchor is not None:
            links.append(absolute(url, anchor["href"], SITE))
            details[record.id] = links[-1]
        return record

    rows = [tr for tr in table.select("tbody tr") if tr.find("td", recursive=False)]
    return ParseResult(records=rows_to_records(rows, make, what), links=links, details=details)
