"""std.samr.gov.cn parsers on the real saved search, detail and API pages."""
from __future__ import annotations

import json

import pytest

from crawlers.parsers import samr
from kb.errors import ParseError
from kb.records import sha256
from conftest import PAGES

EXAMPLES = PAGES / "relaton-gb" / "spec" / "examples"
SEARCH_URL = "https://std.samr.gov.cn/search/stdPage?q=GB11120&tid="


def by_number(result):
    return {r.number: r for r in result.records}


# -- search page ----------------------------------------------------------------------

def test_search_page_pilotstd_sample():
    body = (PAGES / "pilotstd" / "stdgov_sample.html").read_bytes()
    result = samr.parse_search(body, SEARCH_URL)
    new, old = result.records
    assert (new.number, new.title, new.status) == ("GB 11120-2011", "涡轮机油", "current")
    assert new.english_title == "Lubricating oils for turbines"
    assert (new.ics, new.ccs) == (["75.100"], ["E34"])
    assert (new.issue_date, new.implementation_date) == ("2011-09-14", "2012-06-01")
    assert new.dept == "国家能源局"  # 归口部门
    assert (new.level, new.force) == ("national", "mandatory")
    assert (old.number, old.title, old.status) == ("GB 11120-1989", "L-TSA 汽轮机油", "withdrawn")
    assert (old.issue_date, old.implementation_date) == ("1989-03-31", "1990-04-01")
    assert old.dept == "中国石油化工集团公司"
    assert result.links == [
        "https://std.samr.gov.cn/gb/search/gbDetailed?id=71F772D7DE2AD3A7E05397BE0A0AB82A",
        "https://std.samr.gov.cn/gb/search/gbDetailed?id=71F772D7B830D3A7E05397BE0A0AB82A",
    ]  # one page only (totalPages 1): no next link
    source = new.sources[0]
    assert (source.source, source.url, source.fetched_at) == ("samr.search", SEARCH_URL, "")
    assert source.content_hash == sha256(body)


def test_search_page_skips_plans_and_links_the_next_page():
    body = (EXAMPLES / "gbt_20223.html").read_bytes()
    result = samr.parse_search(body, "https://std.samr.gov.cn/search/stdPage?q=GB/T%2020223&pageNo=1")
    assert [r.number for r in result.records] == ["GB/T 20223-2018", "GB/T 20223-2006", "NB/T 20223-2013"]
    new = result.records[0]
    assert (new.title, new.status, new.ics, new.ccs) == ("棉短绒", "current", ["59.060.10"], ["W10"])
    assert new.technical_committee == "全国纤维标准化技术委员会"  # 归口单位
    assert result.records[2].sector == "NB"
    assert result.links == [
        "http://www.std.gov.cn/gb/search/gbDetailed?id=6747E1059F9DC35AE05397BE0A0A017F",
        "http://www.std.gov.cn/gb/search/gbDetailed?id=5DDA8BA00FC618DEE05397BE0A0A95A7",
        "http://www.std.gov.cn/hb/search/stdHBDetailed?id=5DDA8BA2EDC018DEE05397BE0A0A95A7",
        "https://std.samr.gov.cn/search/stdPage?q=GB/T+20223&pageNo=2",
    ]


def test_search_page_with_industry_and_local_hits():
    result = samr.parse_search((EXAMPLES / "gbt_2023_2006.html").read_bytes(), "")
    records = by_number(result)
    assert list(records) == ["GB 2023-2003", "LY/T 2023-2012", "JC/T 2023-2010", "SN/T 2023-2007",
                             "QB/T 2023-1994", "DB44/T 2023-2017", "DB33/T 2023-2017",
                             "DB13/T 2023-2014", "DB22/T 2023-2014", "DB34/T 2023-2013"]
    assert records["DB13/T 2023-2014"].ccs == ["Q34"]  # published as "Q 34"
    assert records["DB13/T 2023-2014"].region == "13"
    assert records["DB34/T 2023-2013"].technical_committee == "安徽省柳编标准化技术委员会"
    assert records["QB/T 2023-1994"].ccs == records["QB/T 2023-1994"].ics == []
    assert records["GB 2023-2003"].title == "食品添加剂  乳酸"
    assert result.links[-1] == "http://www.std.gov.cn/db/search/stdDBDetailed?id=78553D4A438DB308E05397BE0A0A3D22"
    assert len(result.links) == 10  # no URL given: no next-page link


@pytest.mark.parametrize("name, count", [("gbt_20223_2006.html", 10), ("gbt_20223_2014.html", 3),
                                         ("gbt_5606.1.html", 10), ("gbt_5606.1_2004.html", 10)])
def test_search_pages_count(name, count):
    result = samr.parse_search((EXAMPLES / name).read_bytes(), "")
    assert len(result.records) == count == len(result.links)


def test_search_page_first_edition_dates_as_published():
    records = by_number(samr.parse_search((EXAMPLES / "gbt_5606.1.html").read_bytes(), ""))
    old = records["GB/T 5606.1-1996"]
    assert (old.status, old.issue_date, old.implementation_date) == ("withdrawn", "1985-11-23", "1997-01-01")
    assert old.english_title == "Cigarettes--Sampling"


# -- detail pages -----------------------------------------------------------------------

def test_detail_withdrawn_national_with_drafters():
    body = (EXAMPLES / "5dda8ba00fc618dee05397be0a0a95a7.html").read_bytes()
    url = "https://std.samr.gov.cn/gb/search/gbDetailed?id=5DDA8BA00FC618DEE05397BE0A0A95A7"
    (record,) = samr.parse_detail(body, url).records
    assert record.number == "GB/T 20223-2006"
    assert (record.title, record.english_title) == ("棉短绒", "Cotton linter")
    assert (record.status, record.force, record.level) == ("withdrawn", "recommended", "national")
    assert (record.issue_date, record.implementation_date, record.withdrawal_date) == (
        "2006-03-10", "2006-09-01", "2018-05-01")
    assert (record.ccs, record.ics) == (["B32"], ["59.060.10"])
    assert record.technical_committee == "中国纤维检验局"
    assert record.dept == "国家质量监督检验检疫总局"
    assert record.drafting_orgs == ["山东省纤维检验局", "山东海龙股份有限公司", "中华全国供销合作总社棉麻局",
                                    "中华全国供销合作总社棉花加工工业标准化技术委员会"]
    assert record.drafters == ["于丽华", "杨照良", "田素峰", "邢春花", "石宝生", "孙建民"]  # "孙建民等"
    assert record.replaces == []
    assert record.sources[0].url == url


@pytest.mark.parametrize("name", ["5dda8ba054f418dee05397be0a0a95a7.html",
                                  "71f772d7cb63d3a7e05397be0a0ab82a.html"])
def test_detail_with_replaces(name):
    result = samr.parse_detail((EXAMPLES / name).read_bytes(), "")
    (record,) = result.records
    assert record.number == "GB/T 5606.1-2004"
    assert (record.title, record.english_title) == ("卷烟  第1部分:抽样", "Cigarettes--Part 1:Sampling")
    assert (record.status, record.force) == ("current", "recommended")
    assert (record.issue_date, record.implementation_date, record.withdrawal_date) == (
        "2004-12-14", "2005-03-01", "")
    assert record.replaces == ["GB/T 5606.1-1996"]  # 全部代替标准
    assert (record.ccs, record.ics) == (["X87"], ["65.160"])
    assert (record.technical_committee, record.dept) == ("全国烟草标准化技术委员会", "国家烟草专卖局")
    assert record.drafting_orgs == record.drafters == []


def test_detail_links_the_replaced_edition():
    result = samr.parse_detail((EXAMPLES / "71f772d7cb63d3a7e05397be0a0ab82a.html").read_bytes(), "")
    assert result.links == ["http://www.std.gov.cn/gb/search/gbDetailed?id=71F772D7A69CD3A7E05397BE0A0AB82A"]


def test_detail_industry_standard_with_filing():
    (record,) = samr.parse_detail((EXAMPLES / "6bc3ad94a1728abce05397be0a0a5667.html").read_bytes(), "").records
    assert (record.number, record.title, record.english_title) == ("JB/T 13368-2018", "叉车属具 软包夹", "")
    assert (record.level, record.sector, record.force, record.status) == (
        "industry", "JB", "recommended", "current")
    assert (record.issue_date, record.implementation_date) == ("2018-02-09", "2018-10-01")
    assert (record.ccs, record.ics) == (["J83"], ["53.060"])  # the page shows "53.06"
    assert (record.dept, record.record_no, record.technical_committee) == ("工业和信息化部", "61715-2018", "")


def test_detail_refuses_a_filing_site_page():
    body = (PAGES / "relaton-gb" / "decoded" / "jb_t_13368_2018__01.html").read_bytes()
    with pytest.raises(ParseError, match="请用 sacinfo.detail"):
        samr.parse_detail(body, "")


def test_detail_refuses_a_look_alike_platform():
    body = (PAGES / "pilotstd" / "jtst_gb_detail.html").read_bytes()  # jtst.mot.gov.cn, same layout
    with pytest.raises(ParseError, match="不是 std.samr.gov.cn 的详情页"):
        samr.parse_detail(body, "")


# -- JSON list API --------------------------------------------------------------------------

API_URL = "https://std.samr.gov.cn/gb/search/gbQueryPage?searchText=JB/T%2013368&pageSize=5&pageNumber=1"


def test_api_rows():
    body = (EXAMPLES / "jbt_13368_2018.json").read_bytes()
    result = samr.parse_api(body, API_URL)
    records = by_number(result)
    assert list(records) == ["JB/T 13368-2018", "JB/T 13362-2018", "JB/T 13363-2018", "JB/T 10750-2018",
                             "JB/T 13367-2018"]
    first = records["JB/T 13368-2018"]
    assert (first.title, first.status, first.force, first.sector) == ("叉车属具 软包夹", "current", "recommended", "JB")
    assert (first.issue_date, first.implementation_date) == ("2018-02-09", "2018-10-01")
    assert (first.ics, first.ccs, first.dept, first.record_no) == (["53.060"], ["J83"], "工业和信息化部", "61715-2018")
    assert records["JB/T 13362-2018"].ics == ["23.080"]
    assert records["JB/T 10750-2018"].replaces == ["JB/T 10750-2007", "JB/T 10751-2007"]
    assert result.links == [
        "https://std.samr.gov.cn/hb/search/stdHBDetailed?id=6BC3AD94A1728ABCE05397BE0A0A5667",
        "https://std.samr.gov.cn/hb/search/stdHBDetailed?id=6BC3AD94A16E8ABCE05397BE0A0A5667",
        "https://std.samr.gov.cn/hb/search/stdHBDetailed?id=6BC3AD94A16F8ABCE05397BE0A0A5667",
        "https://std.samr.gov.cn/hb/search/stdHBDetailed?id=6BC3AD94A1708ABCE05397BE0A0A5667",
        "https://std.samr.gov.cn/hb/search/stdHBDetailed?id=6BC3AD94A1718ABCE05397BE0A0A5667",
        "https://std.samr.gov.cn/gb/search/gbQueryPage?searchText=JB/T+13368&pageSize=5&pageNumber=2",
    ]


def test_api_reads_the_highlighted_code_when_std_code_is_missing():
    data = json.loads((EXAMPLES / "jbt_13368_2018.json").read_bytes())
    for row in data["rows"]:
        del row["STD_CODE"]
    result = samr.parse_api(json.dumps(data, ensure_ascii=False).encode(), "")
    assert [r.number for r in result.records][:2] == ["JB/T 13368-2018", "JB/T 13362-2018"]
    assert all("<" not in r.published_number for r in result.records)


def test_api_skips_a_row_with_a_broken_number():
    data = json.loads((EXAMPLES / "jbt_13368_2018.json").read_bytes())
    data["rows"][1]["STD_CODE"] = "叉车 13362"
    result = samr.parse_api(json.dumps(data).encode(), "")
    assert [r.number for r in result.records] == ["JB/T 13368-2018", "JB/T 13363-2018", "JB/T 10750-2018",
                                                  "JB/T 13367-2018"]


def test_detail_drafters_from_the_sections_when_the_lead_paragraphs_are_missing():
    body = (EXAMPLES / "5dda8ba00fc618dee05397be0a0a95a7.html").read_bytes()
    body = body.replace("<p>主要起草单位".encode(), b"<p>").replace("<p>主要起草人".encode(), b"<p>")
    (record,) = samr.parse_detail(body, "").records
    # the sections list the left column, then the right one
    assert record.drafting_orgs == ["山东省纤维检验局", "中华全国供销合作总社棉麻局", "山东海龙股份有限公司",
                                    "中华全国供销合作总社棉花加工工业标准化技术委员会"]
    assert record.drafters == ["于丽华", "杨照良", "石宝生", "孙建民", "田素峰", "邢春花"]
