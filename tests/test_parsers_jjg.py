"""jjg.spc.org.cn metrology API parser on the real saved answer."""
from __future__ import annotations

import json

from crawlers.parsers import jjg
from conftest import PAGES

BODY = (PAGES / "pilotstd" / "jjg_api_search.json").read_bytes()
URL = "https://jjg.spc.org.cn/resmea/api/standard/search/page"


def test_rows_become_metrology_records():
    result = jjg.parse_api(BODY, URL)
    assert [(r.number, r.doc_type) for r in result.records] == [
        ("JJG 2099-2026", "检定系统表"), ("JJG 1189.1-2026", "检定规程"), ("JJG 806-2026", "检定规程"),
        ("JJG 1078-2026", "检定规程"), ("JJG 1189.8-2026", "检定规程"), ("JJG 1189.9-2026", "检定规程"),
        ("JJG 1189.2-2026", "检定规程"), ("JJG 2015-2026", "检定系统表"), ("JJG 543-2026", "检定规程"),
        ("JJG 596-2026", "检定规程"),
    ]
    first = result.records[0]
    assert (first.kind, first.level, first.force, first.status) == ("metrology", "metrology", None, "upcoming")
    assert (first.title, first.issue_date, first.implementation_date) == (
        "工频电压比例计量器具检定系统表", "2026-04-02", "2026-10-02")
    assert result.records[1].title == "测量用互感器检定规程\u3000第1部分：标准电流互感器"  # as published
    assert result.links[0] == "https://jjg.spc.org.cn/resmea/standard/JJG%25202099-2026/"
    assert len(result.links) == 10


def test_first_edition_publish_dates_give_way_to_this_editions_date():
    records = {r.number: r for r in jjg.parse_api(BODY, URL).records}
    # publishDate 1993-01-19 / 2012-06-18 / 1987-01-01 belong to earlier editions; modiDate is this one's
    assert records["JJG 806-2026"].issue_date == "2026-04-02"
    assert records["JJG 1078-2026"].issue_date == "2026-04-02"
    assert records["JJG 2015-2026"].issue_date == "2026-01-24"
    assert records["JJG 596-2026"].implementation_date == "2026-07-24"


def test_jjf_calibration_specification():
    body = json.dumps({"total": 1, "rows": [{"id": 1, "code": "JJF 1070-2023", "stdType": "校准规范",
                                            "title": "t", "status": "现行", "publishDate": "2023-03-15",
                                            "implementDate": "2023-09-15", "modiDate": "2023-03-15"}]}).encode()
    (record,) = jjg.parse_api(body, "").records
    assert (record.number, record.doc_type, record.status, record.issue_date) == (
        "JJF 1070-2023", "校准规范", "current", "2023-03-15")
