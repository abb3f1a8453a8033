"""The real responses saved in ../shared/pages, as corpus records (`kb import --saved-pages DIR`).

    records, skipped = saved_page_records(Path("../shared/pages"))

Each saved page is read by its platform parser with the address and date it was recorded
at: relaton-gb/decoded/INDEX.json names both for its files; the other pages' addresses
come from their PROVENANCE files, from the links of the pages that lead to them, or (an
address that was not recorded) the platform endpoint whose answer they are. A page whose
date was not recorded keeps fetched_at "" (merging then lets any dated source decide).
Redirect answers, refusals and pages no parser reads are skipped, each with its reason.
"""
from __future__ import annotations

import email.utils
import json
from dataclasses import dataclass
from pathlib import Path

from crawlers.parsers import PARSERS, detect_source
from crawlers.parsers.samr import detail_url
from kb.errors import KbError
from kb.records import Record

SAMR_SEARCH = "https://std.samr.gov.cn/search/stdPage?q="

# (path under pages/, URL, parser): saved pages outside relaton-gb/decoded/INDEX.json.
PAGES = (
    ("announcements/001_gb_2026_31.html",  # its PROVENANCE.txt names the URL
     "https://std.sacinfo.org.cn/gnoc/queryInfo?id=A183E1BFFEAAF0A1E9924E82AF7F0E5E", "sacinfo.announcement"),
    # std.samr search pages of relaton-gb's specs, at the search URL of their query
    ("relaton-gb/spec/examples/gbt_20223_2006.html", SAMR_SEARCH + "GB/T 20223-2006", "samr.search"),
    ("relaton-gb/spec/examples/gbt_20223_2014.html", SAMR_SEARCH + "GB/T 20223-2014", "samr.search"),
    ("relaton-gb/spec/examples/gbt_20223.html", SAMR_SEARCH + "GB/T 20223", "samr.search"),
    ("relaton-gb/spec/examples/gbt_2023_2006.html", SAMR_SEARCH + "GB/T 2023-2006", "samr.search"),
    ("relaton-gb/spec/examples/gbt_5606.1.html", SAMR_SEARCH + "GB/T 5606.1", "samr.search"),
    ("relaton-gb/spec/examples/gbt_5606.1_2004.html", SAMR_SEARCH + "GB/T 5606.1-2004", "samr.search"),
    # std.samr detail pages: the file name is the page id the search pages link to
    ("relaton-gb/spec/examples/5dda8ba00fc618dee05397be0a0a95a7.html",
     detail_url("BV_GB", "5DDA8BA00FC618DEE05397BE0A0A95A7"), "samr.detail"),
    ("relaton-gb/spec/examples/5dda8ba054f418dee05397be0a0a95a7.html",
     detail_url("BV_GB", "5DDA8BA054F418DEE05397BE0A0A95A7"), "samr.detail"),
    ("relaton-gb/spec/examples/71f772d7cb63d3a7e05397be0a0ab82a.html",
     detail_url("BV_GB", "71F772D7CB63D3A7E05397BE0A0AB82A"), "samr.detail"),
    ("relaton-gb/spec/examples/6bc3ad94a1728abce05397be0a0a5667.html",
     detail_url("BV_HB", "6BC3AD94A1728ABCE05397BE0A0A5667"), "samr.detail"),
    # the list API answer and ttbz pages of relaton-gb's specs
    ("relaton-gb/spec/examples/jbt_13368_2018.json",  # relaton-gb's answer of the std.samr list API
     "https://std.samr.gov.cn/gb/search/gbQueryPage?searchText=JB/T%2013368-2018&pageNumber=1", "samr.api"),
    ("relaton-gb/spec/examples/tgzaepi_001_2018.html",
     "http://www.ttbz.org.cn/Home/Standard?searchType=2&key=T/GZAEPI%20001%E2%80%942018", "ttbz.list"),
    ("relaton-gb/spec/examples/22746.html", "http://www.ttbz.org.cn/StandardManage/Detail/22746/", "ttbz.detail"),
    # PilotStd's saved answers (its PROVENANCE.txt; the queries of the API answers were not recorded)
    ("pilotstd/jjg_api_search.json", "https://jjg.spc.org.cn/resmea/api/standard/search/page", "jjg.api"),
    ("pilotstd/stdgov_sample.html", "https://std.samr.gov.cn/search/stdPage?q=GB11120&tid=", "samr.search"),
    ("pilotstd/nrsis_search_gbt.html", "http://www.nrsis.org.cn/portal/xxcx/std", "nrsis.list"),
    ("pilotstd/nrsis_search_gbt_expired_raw.html", "http://www.nrsis.org.cn/portal/xxcx/std", "nrsis.list"),
    ("pilotstd/jtst_gb_detail.html", "https://jtst.mot.gov.cn/", "jtst.detail"),
    ("pilotstd/jtst_hb_detail.html", "https://jtst.mot.gov.cn/", "jtst.detail"),
)


@dataclass(frozen=True)
class SavedPage:
    path: Path
    url: str
    parser: str
    recorded_at: str = ""  # ISO 8601, "" when not recorded


def saved_pages(root: Path) -> list[SavedPage]:
    """Every saved page that holds records: INDEX.json's 200 answers, then PAGES."""
    pages = []
    decoded = root / "relaton-gb" / "decoded"
    for entry in json.loads((decoded / "INDEX.json").read_text(encoding="utf-8")):
        if entry.get("status") != 200:
            continue  # redirects and refusals hold no records
        body = (decoded / entry["file"]).read_bytes()
        pages.append(SavedPage(decoded / entry["file"], entry["uri"], detect_source(entry["uri"], body),
                               _iso(entry.get("recorded_at") or "")))
    pages += [SavedPage(root / path, url, parser) for path, url, parser in PAGES]
    return pages


def saved_page_records(root: Path) -> tuple[list[Record], list[str]]:
    """The records of every saved page (dated pages last, so they decide when merged),
    and the pages that gave none, with why."""
    records: list[Record] = []
    skipped: list[str] = []
    for page in sorted(saved_pages(root), key=lambda p: p.recorded_at):
        try:
            result = PARSERS[page.parser](page.path.read_bytes(), page.url)
        except (KbError, OSError) as exc:
            skipped.append(f"{page.path.relative_to(root)}: {exc}")
            continue
        if result.refused or not result.records:
            skipped.append(f"{page.path.relative_to(root)}: {result.refused or '这个页面没有记录'}")
        for record in result.records:
            for source in record.sources:
                source.fetched_at = page.recorded_at
        records += result.records
    return records, skipped


def _iso(http_date: str) -> str:
    """'Wed, 22 Apr 2026 15:50:57 GMT' → '2026-04-22T15:50:57+00:00' ("" if unreadable)."""
    try:
        return email.utils.parsedate_to_datetime(http_date).isoformat()
    except (TypeError, ValueError):
        return ""
