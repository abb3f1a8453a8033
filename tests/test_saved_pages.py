"""kb import --saved-pages: every record of the real saved pages, with its provenance."""
from __future__ import annotations

import json
from collections import Counter

from conftest import PAGES, ROOT
from crawlers.importer import import_saved_pages
from crawlers.saved_pages import saved_page_records
from kb.corpus import STANDARDS_FILE, load_records


def test_every_level_from_real_pages():
    records, skipped = saved_page_records(PAGES)
    by_id = {r.id: r for r in records}
    assert Counter(r.level for r in by_id.values()) == {
        "national": 68, "metrology": 10, "industry": 11, "local": 5, "group": 1}
    assert skipped == ["relaton-gb/decoded/t_gzaepi_001_20018__00.html: 这个页面没有记录",
                       "relaton-gb/decoded/gb_t_20223_2014__01.html: 这个页面没有记录"]
    dated = next(r for r in records if r.id == "GB/T 1.1-2020").sources[0]
    assert (dated.source, dated.url, dated.fetched_at) == (
        "openstd.list", "https://openstd.samr.gov.cn/bzgk/std/std_list?p.p2=GB/T%201.1",
        "2026-04-22T15:50:59+00:00")


def test_import_merges_and_logs(tmp_path):
    report = import_saved_pages(PAGES, tmp_path)
    corpus = load_records(tmp_path / STANDARDS_FILE).records
    assert len(corpus) == len(report.new) == 98
    assert (corpus["GB/T 1.1-2009"].status, corpus["GB/T 1.1-2020"].status) == ("withdrawn", "current")
    assert corpus["GB/T 5606.1-1996"].replaced_by == ["GB/T 5606.1-2004"]
    group = corpus["T/GZAEPI 001-2018"]
    assert group.level == "group" and group.ccs and group.scope
    assert {s.source for s in corpus["JB/T 13368-2018"].sources} == {"samr.api", "samr.detail",
                                                                     "sacinfo.search", "sacinfo.detail"}


def test_shipped_corpus_holds_them():
    shipped = load_records(ROOT / "corpus" / STANDARDS_FILE).records
    records, _ = saved_page_records(PAGES)
    assert {r.id for r in records} <= set(shipped)
    assert {r.level for r in shipped.values()} >= {"national", "industry", "local", "group", "metrology"}
