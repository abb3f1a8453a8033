"""jtst.mot.gov.cn (交通运输标准化信息平台): detail pages of national, industry and engineering
standards of the transport sector.

- parse_detail: the std.samr detail layout (div.basic-info dt/dd, page-header h4/h5 with
  s-status labels) under the ministry's own <title> (国家标准 - …, 工程建设标准 - …).
"""
from __future__ import annotations

from kb.errors import ParseError

from .base import ParseResult
from .common import (build, ccs_codes, check_page, clean, decode_html, iso_date, soup_of,
                     split_names)
from .samr import basic_info, dd_text, header_labels, ics_of, people

SITE = "https://jtst.mot.gov.cn"


def _names(soup, lead: str, section: str) -> list[str]:
    """The lead paragraph's plain list (publication order: 主要起草人 王方萍、孔祥伦…。), else
    the std.samr reading of the page (its section lists run in two columns)."""
    for p in soup.find_all("p"):
        text = clean(p.get_text(" "))
        if text.startswith(lead) and not p.find("span", attrs={"draft_unit": True}):
            names = split_names(text[len(lead):])
            if names:
                return names
    return people(soup, lead, section)


def parse_detail(body: bytes, url: str) -> ParseResult:
    """One standard's detail page."""
    what = "jtst.detail"
    text = decode_html(body, what)
    refused = check_page(text, what)
    if refused:
        return ParseResult(refused=refused)
    soup = soup_of(text)
    info = basic_info(soup)
    number = dd_text(info, "标准号")
    if not number or "jtst.mot.gov.cn" not in text:
        raise ParseError(f"{what}：基本信息中没有标准号；不是 jtst.mot.gov.cn 的页面")
    title = soup.select_one("div.page-header h4")
    english = soup.select_one("div.page-header h5")
    status, force = header_labels(soup)
    record = build(number, what, url, body,
                   title=clean(title.get_text()) if title else "",
                   english_title=clean(english.get_text()) if english else "",
                   status=status, force=force,
                   issue_date=iso_date(dd_text(info, "发布日期"), "发布日期"),
                   implementation_date=iso_date(dd_text(info, "实施日期"), "实施日期"),
                   ccs=ccs_codes(dd_text(info, "中国标准分类号")),
                   ics=ics_of(info.get("国际标准分类号")),
                   technical_committee=dd_text(info, "归口单位"),
                   drafting_orgs=_names(soup, "主要起草单位", "起草单位"),
                   drafters=_names(soup, "主要起草人", "起草人"))
    return ParseResult(records=[record])
