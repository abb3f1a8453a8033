"""std.sacinfo.org.cn announcement page against its golden JSON, and the golden JSON importer."""
from __future__ import annotations

import json

import pytest

from crawlers.parsers import announcements
from kb.errors import ParseError
from conftest import ANNOUNCEMENTS, PAGES

PAGE = (PAGES / "announcements" / "001_gb_2026_31.html").read_bytes()
GOLDEN = json.loads((ANNOUNCEMENTS / "001_gb_2026_31.json").read_text(encoding="utf-8"))
PAGE_URL = GOLDEN["_source_url"]


def test_page_items_equal_the_golden_json_field_by_field():
    items = announcements.announcement_items(PAGE, PAGE_URL)
    assert len(items) == 16
    for got, want in zip(items, GOLDEN["items"]):
        assert got == want


def test_page_records():
    result = announcements.parse_announcement(PAGE, PAGE_URL)
    assert len(result.records) == 16 and result.links == []
    for record, item in zip(result.records, GOLDEN["items"]):
        assert record.number == item["std_code"]
        assert record.title == item["std_name"]
        assert record.issue_date == "2026-07-02"
        assert (record.level, record.force, record.status) == ("national", "guidance", "unknown")
        assert record.sources[0].source == "sacinfo.announcement"
        assert record.sources[0].url == PAGE_URL
    replacing = {r.number: r.replaces for r in result.records if r.replaces}
    assert replacing == {"GB/Z 31477-2026": ["GB/Z 31477-2015"]}


# -- golden JSON importer ------------------------------------------------------------------

def load(name):
    path = ANNOUNCEMENTS / name
    return announcements.parse_announcement_items(path.read_bytes(), str(path)).records


@pytest.mark.parametrize("name, count", [("001_gb_2026_31.json", 16), ("002_hb_2026_07.json", 668),
                                         ("003_db_2026_07.json", 427)])
def test_every_golden_item_imports(name, count):
    records = load(name)
    assert len(records) == count
    source_url = json.loads((ANNOUNCEMENTS / name).read_text(encoding="utf-8"))["_source_url"]
    assert {r.sources[0].url for r in records} == {source_url}
    assert {r.sources[0].source for r in records} == {"announcement.json"}


def test_industry_filing_fields():
    records = {r.number: r for r in load("002_hb_2026_07.json")}
    first = records["GY/T 429-2026"]
    assert (first.title, first.record_no, first.dept, first.issue_date) == (
        "8K超高清视频质量评价用测试图像", "106383-2026", "国家广播电视总局", "2026-08-01")
    assert (first.level, first.sector) == ("industry", "GY")
    # "MT/T 238.2-2008，MT/T 238.3-2006"
    assert records["MT/T 238-2025"].replaces == ["MT/T 238.2-2008", "MT/T 238.3-2006"]
    # five numbers one a line
    assert records["KA 30-2026"].replaces == ["AQ 2013.1-2008", "AQ 2013.2-2008", "AQ 2013.3-2008",
                                              "AQ 2013.4-2008", "AQ 2013.5-2008"]


def test_local_filings_replaces_and_joint_standards():
    records = load("003_db_2026_07.json")
    by_number = {r.number: r for r in records}
    joint = by_number["DB51/T 10016-2026"]
    assert joint.other_numbers == ["DB50/T 10016-2026"]
    assert (joint.published_number, joint.region) == ("DB51/T10016-2026", "51")
    dashed = [r for r in records if r.replaces == ["DB23/T 2419-2019"]]
    assert dashed  # published as "代替DB23/T 2419—2019"
    assert not any(r.replaces for r in records if r.number == "DB42/T 300001-2026")


def test_none_word_and_separators():
    items = [{"std_code": "DB11/T 1-2026", "std_name": "a", "replaces_code": "无", "publish_date": "2026-01-02"},
             {"std_code": "DB11/T 2-2026", "std_name": "b", "replaces_code": "DB11/T 2-2010、DB11/T 3-2011"},
             {"std_code": "DB11/T 4-2026", "std_name": "c", "replaces_code": "DB11/T 4-2010，DB11/T 5-2011"}]
    body = json.dumps({"_source_url": "https://std.sacinfo.org.cn/gnocDb/queryInfo?id=X", "items": items},
                      ensure_ascii=False).encode()
    records = announcements.parse_announcement_items(body, "file.json").records
    assert [r.replaces for r in records] == [[], ["DB11/T 2-2010", "DB11/T 3-2011"],
                                              ["DB11/T 4-2010", "DB11/T 5-2011"]]
    assert records[0].issue_date == "2026-01-02"
    assert records[0].sources[0].url == "https://std.sacinfo.org.cn/gnocDb/queryInfo?id=X"


def test_importer_without_source_url_uses_the_given_url():
    body = json.dumps({"items": [{"std_code": "GB/T 1.1-2020", "std_name": "x"}]}).encode()
    (record,) = announcements.parse_announcement_items(body, "https://example.org/a.json").records
    assert record.sources[0].url == "https://example.org/a.json"


def test_importer_rejects_other_json():
    with pytest.raises(ParseError, match="JSON 中没有 items"):
        announcements.parse_announcement_items(b'{"rows": []}', "")
    with pytest.raises(ParseError, match="items 须为带 std_code 的对象列表"):
        announcements.parse_announcement_items(b'{"items": [{"code": "GB 1-2020"}]}', "")
