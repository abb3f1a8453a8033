"""nrsis.org.cn query tables and jtst.mot.gov.cn detail pages, on the real saved pages."""
from __future__ import annotations

import pytest

from conftest import PAGES
from crawlers.parsers import PARSERS, detect_source, jtst, nrsis
from kb.errors import ParseError

PILOT = PAGES / "pilotstd"
NRSIS = "http://www.nrsis.org.cn/portal/xxcx/std"


def test_nrsis_current_table_fragment():
    result = nrsis.parse_list((PILOT / "nrsis_search_gbt.html").read_bytes(), NRSIS)
    assert len(result.records) == 20
    first = result.records[0]
    assert (first.number, first.title, first.issue_date, first.implementation_date, first.status) == (
        "GB/T 958-2015", "区域地质图图例", "2015-05-15", "2015-07-01", "current")
    assert result.details["GB/T 958-2015"] == "http://www.nrsis.org.cn/portal/stdDetail/210837"
    assert len(result.links) == 20
    assert {r.status for r in result.records} == {"current"}


def test_nrsis_withdrawn_whole_page():
    result = nrsis.parse_list((PILOT / "nrsis_search_gbt_expired_raw.html").read_bytes(), NRSIS)
    assert [(r.number, r.status) for r in result.records] == [
        ("GB/T 19492-2004", "withdrawn"), ("GB/T 18341-2001", "withdrawn"), ("GB/T 17766-1999", "withdrawn"),
        ("GB/T 15218-1994", "withdrawn"), ("GB/T 14157-1993", "withdrawn")]


def test_nrsis_cut_table_is_refused_not_half_read():
    body = (PILOT / "nrsis_search_gbt.html").read_bytes()
    with pytest.raises(ParseError, match="不完整"):
        nrsis.parse_list(body[: len(body) // 2], NRSIS)


def test_jtst_national_detail():
    record, = jtst.parse_detail((PILOT / "jtst_gb_detail.html").read_bytes(), "https://jtst.mot.gov.cn/").records
    assert (record.number, record.level, record.force, record.status) == (
        "GB/T 35552.2-2026", "national", "recommended", "upcoming")
    assert (record.issue_date, record.implementation_date, record.ccs, record.ics) == (
        "2026-03-31", "2026-10-01", ["R28"], ["33.060.01", "35.020"])
    assert record.technical_committee == "交通运输信息通信及导航标准化技术委员会"
    assert record.drafters == ["王方萍", "孔祥伦", "刘立群", "俞毅", "冯珂", "施宏斌", "孙鹏", "成健"]
    assert record.drafting_orgs[0] == "中国交通通信信息中心"


def test_jtst_engineering_detail():
    record, = jtst.parse_detail((PILOT / "jtst_hb_detail.html").read_bytes(), "https://jtst.mot.gov.cn/").records
    assert (record.number, record.level, record.sector, record.status, record.title) == (
        "JTG/T 3382-2026", "industry", "JTG", "current", "公路服务设施设计规范")
    assert (record.issue_date, record.implementation_date) == ("2026-01-26", "2026-05-01")


def test_detected_by_shape_and_registered():
    for name, parser in (("nrsis_search_gbt.html", "nrsis.list"), ("jtst_gb_detail.html", "jtst.detail")):
        assert detect_source("", (PILOT / name).read_bytes()) == parser
        assert parser in PARSERS
    assert detect_source(NRSIS + "?key=DZ", b"") == "nrsis.list"
