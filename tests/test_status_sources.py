"""Status where the source implies it (issue 15 item 4), on the real records."""
from __future__ import annotations

import datetime as dt

from conftest import PAGES, ROOT
from crawlers.parsers import jjg, sacinfo
from kb.corpus import STANDARDS_FILE, load_records

SHIPPED = load_records(ROOT / "corpus" / STANDARDS_FILE).records


def test_a_list_status_and_dates_decide_as_of_today():
    record = jjg.parse_api((PAGES / "pilotstd" / "jjg_api_search.json").read_bytes(),
                           "https://jjg.spc.org.cn/resmea/api/standard/search/page").records[0]
    assert (record.status, record.implementation_date) == ("upcoming", "2026-10-02")  # as the list says
    assert record.labelled(dt.date(2026, 9, 1))["status"] == "upcoming"
    assert record.labelled(dt.date(2026, 12, 2))["status"] == "current"  # its date has come
    assert "status_note" not in record.labelled(dt.date(2026, 12, 2))
    filed = sacinfo.parse_search((PAGES / "relaton-gb" / "decoded" / "jb_t_13368_2018__00.json").read_bytes(),
                                 "https://hbba.sacinfo.org.cn/stdQueryList").records[0]
    assert (filed.status, filed.implementation_date) == ("current", "2018-10-01")


def test_an_announcements_records_stay_unknown_and_say_why():
    record = SHIPPED["DB23/T 2419-2026"]
    shown = record.labelled(dt.date(2026, 12, 2))
    assert (shown["status"], record.implementation_date) == ("unknown", "")
    assert shown["status_note"] == "公告只载发布日期，未载实施日期和状态；kb sync 从标准平台取得后更新"


def test_the_shipped_corpus_has_confirmed_statuses_from_real_pages():
    today = dt.date(2026, 12, 2)
    from_pages = [r for r in SHIPPED.values()
                  if r.sources and all(s.source not in ("sacinfo.announcement", "announcement.json") for s in r.sources)]
    statuses = {r.status_on(today) for r in from_pages}
    assert {"current", "withdrawn", "replaced"} <= statuses
    assert SHIPPED["GB/T 19492-2004"].status_on(today) == "withdrawn"  # nrsis's 废止 table
