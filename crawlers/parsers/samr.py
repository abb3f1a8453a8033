"""std.samr.gov.cn (全国标准信息公共服务平台): search page, detail pages, JSON list API.

- parse_search: /search/stdPage?q=… (one div.post per hit, a[tid][pid] to the detail page)
- parse_detail: /gb/search/gbDetailed?id=…, /hb/search/stdHBDetailed?id=…, /db/search/stdDBDetailed?id=…
- parse_api:    /gb/search/gbQueryPage?… (JSON rows[]; C_STD_CODE carries <sacinfo> highlights)
"""
from __future__ import annotations

import re

from kb.errors import ParseError
from kb.records import Record
from kb.vocab import FORCE_WORDS, normalize_status, STATUS_WORDS

from .base import ParseResult
from .common import (absolute, build, canonical_list, ccs_codes, check_page, clean, decode_html,
                     drafter_name, ics_codes, iso_date, load_json_object, query_value,
                     page_count, rows_to_records, soup_of, strip_tags, tight, with_query)

SITE = "https://std.samr.gov.cn"
DETAIL_PATHS = {
    "BV_GB": "/gb/search/gbDetailed?id=",
    "BV_HB": "/hb/search/stdHBDetailed?id=",
    "BV_DB": "/db/search/stdDBDetailed?id=",
}
PLAN_TABLES = {"BV_GB_PLAN"}  # 国标计划: projects, not standards
PLATFORM = "全国标准信息公共服务平台"  # the <title> of std.samr pages (and of its filing sites)
FILING_NAV = 'data-href="/stdList"'  # the navigation of hbba/dbba.sacinfo.org.cn pages


def detail_url(table: str, pid: str, prefixes: dict[str, str] | None = None) -> str:
    """The detail page of a search hit or API row (BV_GB / BV_HB / BV_DB)."""
    prefix = (prefixes or {}).get(table) or SITE + DETAIL_PATHS.get(table, DETAIL_PATHS["BV_GB"])
    return prefix + pid


# -- search page ----------------------------------------------------------------------

def _script_prefixes(text: str) -> dict[str, str]:
    """Detail URL prefixes as the page's own script builds them (host differs by era)."""
    found = {}
    for table, path in DETAIL_PATHS.items():
        m = re.search(r'"(https?://[^"]+' + re.escape(path) + r')"', text)
        if m:
            found[table] = m.group(1)
    return found


def _media_fields(post) -> dict[str, str]:
    """The label → value rows of a hit (英文标题, 归口单位, 归口部门, 所属地区 …)."""
    fields = {}
    for media in post.select("div.media-inner"):
        label = media.select_one(".media-left span")
        value = media.select_one(".media-body")
        if label and value:
            fields[clean(label.get_text())] = clean(value.get_text(" "))
    return fields


def _flex_codes(post) -> tuple[list[str], list[str]]:
    spans = [clean(s.get_text()) for s in post.select(".post-flex span")]
    ics, ccs = [], []
    for i, text in enumerate(spans[:-1]):
        if text.startswith("国际标准分类号"):
            ics = ics_codes(spans[i + 1])
        elif text.startswith("中国标准分类号"):
            ccs = ccs_codes(spans[i + 1])
    return ics, ccs


def _post_dates(post) -> dict[str, str]:
    dates = {}
    footer = post.select_one(".panel-footer")
    if footer:
        for time in footer.select("time"):
            label = time.find_previous_sibling("span")
            key = clean(label.get_text()) if label else ""
            if key.startswith("发布"):
                dates["issue_date"] = iso_date(time.get_text(), "发布日期")
            elif key.startswith("实施"):
                dates["implementation_date"] = iso_date(time.get_text(), "实施日期")
    return dates


def parse_search(body: bytes, url: str) -> ParseResult:
    """Hits of a search page; links: their detail pages and the next result page."""
    what = "samr.search"
    text = decode_html(body, what)
    refused = check_page(text, what)
    if refused:
        return ParseResult(refused=refused)
    soup = soup_of(text)
    posts = soup.select("div.panel.post")
    if not posts and not soup.select_one("div.nums"):
        raise ParseError(f"{what}：没有 div.post 结果也没有结果数；不是 std.samr.gov.cn 的搜索页")
    prefixes = _script_prefixes(text)
    links: list[str] = []
    details: dict[str, str] = {}

    def make(post) -> Record | None:
        anchor = post.select_one(".post-head a[tid][pid]")
        if anchor is None:
            raise ParseError("一条结果没有 a[tid][pid] 链接")
        table, pid = anchor["tid"], anchor["pid"]
        if table in PLAN_TABLES:
            return None
        code = anchor.select_one(".en-code")
        number = clean(code.get_text()) if code else ""
        if code:
            code.extract()
        title = clean(anchor.get_text())
        status = post.select_one(".post-head .s-status")
        fields = _media_fields(post)
        ics, ccs = _flex_codes(post)
        record = build(number, what, url, body,
                       title=title,
                       english_title=fields.get("英文标题", ""),
                       status=normalize_status(clean(status.get_text()) if status else ""),
                       ics=ics, ccs=ccs,
                       technical_committee=fields.get("归口单位", ""),
                       dept=fields.get("归口部门", ""),
                       **_post_dates(post))
        links.append(detail_url(table, pid, prefixes))
        details[record.id] = links[-1]
        return record

    records = rows_to_records(posts, make, what)
    links += _next_search_page(text, url)
    total = re.search(r"totalPages\s*:\s*(\d+)", text)
    return ParseResult(records=records, links=links, details=details,
                       pages=int(total.group(1)) if total else 0)


def _next_search_page(text: str, url: str) -> list[str]:
    current = re.search(r"currentPage\s*:\s*(\d+)", text)
    total = re.search(r"totalPages\s*:\s*(\d+)", text)
    if not (url.startswith("http") and current and total):
        return []
    page = int(current.group(1))
    return [with_query(url, pageNo=page + 1)] if page < int(total.group(1)) else []


# -- detail page ----------------------------------------------------------------------

def basic_info(soup) -> dict[str, object]:
    """dt → dd of the 基础信息 block (the dd element itself, for codes and links)."""
    info = {}
    for dt_tag in soup.select("div.basic-info dt.basicInfo-item.name"):
        dd = dt_tag.find_next_sibling("dd")
        if dd is not None:
            info[clean(dt_tag.get_text())] = dd
    return info


def dd_text(info: dict, label: str) -> str:
    dd = info.get(label)
    return clean(dd.get_text(" ")) if dd is not None else ""


def ics_of(dd) -> list[str]:
    if dd is None:
        return []
    shown = dd.find("span", attrs={"data-toggle": "tooltip"})
    return ics_codes(shown.get_text() if shown else dd.get_text(" "))


def header_labels(soup) -> tuple[str, str | None]:
    """(status code, force) from the labels under the title (国家标准 · 推荐性 · 现行)."""
    status, force = "unknown", None
    for span in soup.select("div.page-header span.s-status"):
        word = clean(span.get_text())
        if word in FORCE_WORDS:
            force = FORCE_WORDS[word]
        elif word in STATUS_WORDS:
            status = normalize_status(word)
    return status, force


def people(soup, lead: str, section: str) -> list[str]:
    """主要起草单位 / 主要起草人: the lead paragraph (publication order), else the section list."""
    for p in soup.find_all("p"):
        if clean(p.get_text()).startswith(lead):
            names = [drafter_name(s.get_text()) for s in p.find_all("span", attrs={"draft_unit": True})]
            if names:
                return [n for n in names if n]
    for title in soup.select("div.para-title h2"):
        if clean(title.get_text()) == section:
            block = title.find_parent("div").find_next_sibling("div")
            if block is not None:
                return [drafter_name(a.get_text()) for a in block.select("dd") if tight(a.get_text())]
    return []


def record_no(soup) -> str:
    for p in soup.find_all("p"):
        m = re.match(r"备案号[:：]\s*([\w-]+)", clean(p.get_text()))
        if m:
            return m.group(1)
    return ""


def parse_detail(body: bytes, url: str) -> ParseResult:
    """One standard's detail page (national, industry or local)."""
    what = "samr.detail"
    text = decode_html(body, what)
    refused = check_page(text, what)
    if refused:
        return ParseResult(refused=refused)
    soup = soup_of(text)
    page_title = clean(soup.title.get_text()) if soup.title else ""
    if FILING_NAV in text:
        raise ParseError(f"{what}：这是 hbba/dbba.sacinfo.org.cn 的备案页；请用 sacinfo.detail")
    info = basic_info(soup)
    number = dd_text(info, "标准号")
    if not number or PLATFORM not in page_title:
        raise ParseError(f"{what}：{PLATFORM} 页面的基本信息中没有标准号；"
                         "不是 std.samr.gov.cn 的详情页")
    title = soup.select_one("div.page-header h4")
    english = soup.select_one("div.page-header h5")
    status, force = header_labels(soup)
    replaces, replaced_by = [], []
    for label in info:
        if label.startswith("被") and "代替" in label:
            replaced_by += canonical_list(dd_text(info, label), what)
        elif "代替" in label:
            replaces += canonical_list(dd_text(info, label), what)
    record = build(number, what, url, body,
                   title=clean(title.get_text()) if title else "",
                   english_title=clean(english.get_text()) if english else "",
                   status=status, force=force,
                   issue_date=iso_date(dd_text(info, "发布日期"), "发布日期"),
                   implementation_date=iso_date(dd_text(info, "实施日期"), "实施日期"),
                   withdrawal_date=iso_date(dd_text(info, "废止日期"), "废止日期"),
                   replaces=replaces, replaced_by=replaced_by,
                   ccs=ccs_codes(dd_text(info, "中国标准分类号")),
                   ics=ics_of(info.get("国际标准分类号")),
                   technical_committee=dd_text(info, "归口单位"),
                   dept=dd_text(info, "主管部门"),
                   drafting_orgs=people(soup, "主要起草单位", "起草单位"),
                   drafters=people(soup, "主要起草人", "起草人"),
                   record_no=record_no(soup))
    return ParseResult(records=[record], links=edition_links(soup, url))


def edition_links(soup, url: str) -> list[str]:
    """Detail pages of the editions this one replaces or is replaced by (代替以下标准 …)."""
    links = []
    for title in soup.select("div.para-title h2"):
        if "代替" not in title.get_text():
            continue
        for sibling in title.find_parent("div").find_next_siblings():
            if "para-title" in (sibling.get("class") or []):
                break
            for a in sibling.select("a[href]"):
                href = absolute(url, a["href"], SITE)
                if "Detailed?id=" in href and href not in links:
                    links.append(href)
    return links


# -- JSON list API --------------------------------------------------------------------

def parse_api(body: bytes, url: str) -> ParseResult:
    """rows[] of the JSON list API; links: detail pages and the next page."""
    what = "samr.api"
    data = load_json_object(body, what, "rows")
    rows = data["rows"]
    if not isinstance(rows, list):
        raise ParseError(f"{what}：rows 不是列表")
    if rows and not (isinstance(rows[0], dict) and ({"STD_CODE", "C_STD_CODE"} & set(rows[0]))):
        raise ParseError(f"{what}：rows 中没有 STD_CODE；不是 std.samr.gov.cn 列表接口的应答")
    links: list[str] = []
    details: dict[str, str] = {}

    def make(row) -> Record | None:
        if not isinstance(row, dict):
            raise ParseError("一行不是对象")
        table = row.get("TABLE_NAME") or "BV_GB"
        if table in PLAN_TABLES:
            return None
        number = row.get("STD_CODE") or strip_tags(row.get("C_STD_CODE") or "")
        record = build(number, what, url, body,
                       title=clean(row.get("C_C_NAME") or strip_tags(row.get("C_NAME") or "")),
                       status=normalize_status(row.get("STATE") or row.get("G_STATE")),
                       force=FORCE_WORDS.get(row.get("STD_NATURE") or ""),
                       issue_date=iso_date(row.get("ISSUE_DATE"), "ISSUE_DATE"),
                       implementation_date=iso_date(row.get("ACT_DATE"), "ACT_DATE"),
                       replaces=canonical_list(row.get("REVISE_STD_CODES"), what),
                       ics=ics_codes(row.get("ICS")),
                       ccs=ccs_codes(row.get("CCS")),
                       dept=clean(row.get("CHARGE_DEPT") or ""),
                       record_no=clean(row.get("RECORD_NO") or ""))
        if row.get("id"):
            links.append(detail_url(table, str(row["id"])))
            details[record.id] = links[-1]
        return record

    records = rows_to_records(rows, make, what)
    links += _next_api_page(data, url, len(rows))
    return ParseResult(records=records, links=links, details=details,
                       pages=page_count(data.get("total"), query_value(url, "pageSize") or len(rows)))


def _next_api_page(data: dict, url: str, count: int) -> list[str]:
    try:
        page, total = int(data.get("pageNumber") or 0), int(data.get("total") or 0)
        size = int(query_value(url, "pageSize") or count)
    except (TypeError, ValueError):
        return []
    if not url.startswith("http") or not page or not size or page * size >= total:
        return []
    return [with_query(url, pageNumber=page + 1)]
