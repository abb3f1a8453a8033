"""hbba/dbba.sacinfo.org.cn parsers: the real hbba JSON search and detail page, a synthetic dbba search."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from crawlers.parsers import sacinfo
from kb.errors import ParseError
from conftest import PAGES

DECODED = PAGES / "relaton-gb" / "decoded"
FIXTURES = Path(__file__).parent / "fixtures"
DETAIL_URL = "https://hbba.sacinfo.org.cn/stdDetail/733d6a7744529f70673a12c464998ffc"


def test_hbba_search_json():
    body = (DECODED / "jb_t_13368_2018__00.json").read_bytes()
    result = sacinfo.parse_search(body, "https://hbba.sacinfo.org.cn/stdQueryList")
    (record,) = result.records
    assert (record.number, record.title, record.status) == ("JB/T 13368-2018", "叉车属具 软包夹", "current")
    # ms-epoch dates read as Beijing dates: 1518105600000 → 2018-02-09, 1538323200000 → 2018-10-01
    assert (record.issue_date, record.implementation_date) == ("2018-02-09", "2018-10-01")
    assert (record.dept, record.record_no, record.sector) == ("工业和信息化部", "61715-2018", "JB")
    assert result.links == [DETAIL_URL]
    assert record.sources[0].source == "sacinfo.search"


def test_hbba_detail_page():
    result = sacinfo.parse_detail((DECODED / "jb_t_13368_2018__01.html").read_bytes(), DETAIL_URL)
    (record,) = result.records
    assert (record.number, record.title, record.english_title) == ("JB/T 13368-2018", "叉车属具 软包夹", "")
    assert (record.status, record.level, record.force) == ("current", "industry", "recommended")
    assert (record.issue_date, record.implementation_date, record.withdrawal_date) == (
        "2018-02-09", "2018-10-01", "")
    assert (record.ccs, record.ics) == (["J83"], ["53.060"])
    assert (record.dept, record.record_no) == ("工业和信息化部", "61715-2018")  # 批准发布部门, 备案号
    assert record.drafting_orgs == record.drafters == record.replaces == []  # the page leaves them blank
    assert result.links == []
    assert record.sources[0].url == DETAIL_URL


def test_dbba_search_synthetic():
    body = (FIXTURES / "synthetic_dbba_stdQueryList.json").read_bytes()
    result = sacinfo.parse_search(body, "https://dbba.sacinfo.org.cn/stdQueryList")
    assert [(r.number, r.region, r.status) for r in result.records] == [
        ("DB46/T 747-2026", "46", "upcoming"),
        ("DB3301/T 0322.3-2020", "3301", "current"),  # 有更新版: still in force
        ("DB23/T 2419-2019", "23", "withdrawn"),
    ]
    last = result.records[2]
    assert (last.published_number, last.issue_date, last.implementation_date) == (
        "DB23/T 2419—2019", "2019-05-20", "2019-07-01")
    assert (last.dept, last.record_no) == ("黑龙江省市场监督管理局", "65000-2019")
    assert result.links[0] == "https://dbba.sacinfo.org.cn/stdDetail/synthetic0000000000000000000000a1"


def test_detail_links_follow_the_number_when_the_url_is_unknown():
    body = (FIXTURES / "synthetic_dbba_stdQueryList.json").read_bytes()
    assert sacinfo.parse_search(body, "").links[0].startswith("https://dbba.sacinfo.org.cn/stdDetail/")
    body = (DECODED / "jb_t_13368_2018__00.json").read_bytes()
    assert sacinfo.parse_search(body, "").links == [DETAIL_URL]


def test_search_with_empty_records():
    body = json.dumps({"current": 1, "pages": 0, "records": [], "total": 0}).encode()
    assert sacinfo.parse_search(body, "").records == []


def test_detail_refuses_a_std_samr_page():
    body = (PAGES / "relaton-gb/spec/examples/6bc3ad94a1728abce05397be0a0a5667.html").read_bytes()
    with pytest.raises(ParseError, match="不是 hbba/dbba.sacinfo.org.cn 的详情页"):
        sacinfo.parse_detail(body, "")
