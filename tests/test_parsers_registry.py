"""The parser registry, detect_source, parse_file, and ParseError on pages no parser knows."""
from __future__ import annotations

import json
import random

import pytest

from crawlers.parse import parse_file, recorded_url
from crawlers.parsers import PARSERS, _PARSERS, detect_source
from crawlers.parsers.base import ParseResult
from kb.errors import BadInput, NotFound, ParseError
from conftest import ANNOUNCEMENTS, PAGES

EXAMPLES = PAGES / "relaton-gb" / "spec" / "examples"
DECODED = PAGES / "relaton-gb" / "decoded"
INDEX = {e["file"]: e for e in json.loads((DECODED / "INDEX.json").read_text(encoding="utf-8"))}

# One real page of every kind: (source, path, url)
REAL = [
    ("samr.search", PAGES / "pilotstd/stdgov_sample.html", "https://std.samr.gov.cn/search/stdPage?q=GB11120&tid="),
    ("samr.detail", EXAMPLES / "5dda8ba00fc618dee05397be0a0a95a7.html",
     "https://std.samr.gov.cn/gb/search/gbDetailed?id=5DDA8BA00FC618DEE05397BE0A0A95A7"),
    ("samr.api", EXAMPLES / "jbt_13368_2018.json", "https://std.samr.gov.cn/gb/search/gbQueryPage?searchText=JB/T%2013368"),
    ("openstd.list", DECODED / "gb_t_1_1__01.html", INDEX["gb_t_1_1__01.html"]["uri"]),
    ("openstd.detail", DECODED / "gb_t_1_1__06.html", INDEX["gb_t_1_1__06.html"]["uri"]),
    ("sacinfo.search", DECODED / "jb_t_13368_2018__00.json", INDEX["jb_t_13368_2018__00.json"]["uri"]),
    ("sacinfo.detail", DECODED / "jb_t_13368_2018__01.html", INDEX["jb_t_13368_2018__01.html"]["uri"]),
    ("ttbz.list", EXAMPLES / "tgzaepi_001_2018.html",
     "http://www.ttbz.org.cn/Home/Standard?searchType=2&key=T/GZAEPI%20001%E2%80%942018"),
    ("ttbz.detail", EXAMPLES / "22746.html", "http://www.ttbz.org.cn/StandardManage/Detail/22746/"),
    ("sacinfo.announcement", PAGES / "announcements/001_gb_2026_31.html",
     "https://std.sacinfo.org.cn/gnoc/queryInfo?id=A183E1BFFEAAF0A1E9924E82AF7F0E5E"),
    ("jjg.api", PAGES / "pilotstd/jjg_api_search.json", "https://jjg.spc.org.cn/resmea/api/standard/search/page"),
    ("announcement.json", ANNOUNCEMENTS / "001_gb_2026_31.json", ""),
    ("nrsis.list", PAGES / "pilotstd/nrsis_search_gbt_expired_raw.html", "http://www.nrsis.org.cn/portal/xxcx/std"),
    ("jtst.detail", PAGES / "pilotstd/jtst_gb_detail.html", ""),  # its address was not saved
]
IDS = [source for source, _, _ in REAL]
HTML_SOURCES = [s for s, path, _ in REAL if path.suffix == ".html"]
JSON_SOURCES = [s for s, path, _ in REAL if path.suffix == ".json"]


def test_the_registry_names():
    assert sorted(PARSERS) == sorted(IDS)


@pytest.mark.parametrize("source, path, url", REAL, ids=IDS)
def test_detect_source_by_url(source, path, url):
    if url:
        assert detect_source(url, b"") == source


@pytest.mark.parametrize("source, path, url", REAL, ids=IDS)
def test_detect_source_by_body(source, path, url):
    assert detect_source("", path.read_bytes()) == source


@pytest.mark.parametrize("source, path, url", REAL, ids=IDS)
def test_every_parser_reads_its_page(source, path, url):
    result = PARSERS[source](path.read_bytes(), url)
    assert isinstance(result, ParseResult) and result.records and not result.refused
    assert all(r.sources[0].source == source for r in result.records)
    for record in result.records:
        record.validate()
    assert all(link.startswith("http") for link in result.links)


@pytest.mark.parametrize("url, source", [
    ("https://std.samr.gov.cn/hb/search/stdHBDetailed?id=6BC3AD94A1728ABCE05397BE0A0A5667", "samr.detail"),
    ("https://std.samr.gov.cn/db/search/stdDBDetailed?id=78553D4A438DB308E05397BE0A0A3D22", "samr.detail"),
    ("http://www.std.gov.cn/gb/search/gbDetailed?id=X", "samr.detail"),
    ("https://openstd.samr.gov.cn/bzgk/gb/std_list?p.p2=GB/T%201.1", "openstd.list"),
    ("https://dbba.sacinfo.org.cn/stdQueryList", "sacinfo.search"),
    ("https://dbba.sacinfo.org.cn/stdDetail/abc", "sacinfo.detail"),
    ("https://std.sacinfo.org.cn/gnocHb/queryInfo?id=32CD", "sacinfo.announcement"),
    ("https://std.sacinfo.org.cn/gnocDb/queryInfo?id=A539", "sacinfo.announcement"),
    ("http://www.ttbz.org.cn/Home/Standard?key=T/ZS%200467%E2%80%942023&searchType=2", "ttbz.list"),
])
def test_detect_source_url_shapes(url, source):
    assert detect_source(url, b"") == source


def test_detect_source_unknown_pages():
    with pytest.raises(ParseError, match="不是任何解析器认识的页面"):
        detect_source("https://jtst.mot.gov.cn/zxd/seekPublicAdvice/pagePublishAdviceStdList/", b"<html></html>")
    with pytest.raises(ParseError, match="不是任何解析器认识的页面"):
        detect_source("", (PAGES / "pilotstd/ccsn_search_gbt.html").read_bytes())
    with pytest.raises(ParseError, match="不是任何解析器认识的页面"):
        detect_source("", (PAGES / "pilotstd/energy_sample.json").read_bytes())
    with pytest.raises(ParseError, match="不是任何解析器认识的页面"):
        detect_source("", b"")


def test_detect_source_of_the_waf_page():
    body = (DECODED / "t-zs-0467_2023__00.html").read_bytes()
    assert detect_source(INDEX["t-zs-0467_2023__00.html"]["uri"], body) == "ttbz.list"
    assert detect_source("", body) == "ttbz.list"


# -- pages a parser does not recognise -------------------------------------------------------

GARBAGE = [
    random.Random(7).randbytes(3000),
    b"\x00\xff" * 500,
    b"<html><head><title>x</title></head><body><p>hello</p></body></html>",
    b"not html at all",
    b"{}",
    b"[1, 2, 3]",
    b'{"rows": [1, 2], "records": [1], "items": [1]}',
    b'{"rows": "x", "records": "x", "items": "x"}',
    "<html><body>标准号：</body></html>".encode("utf-16"),
]


@pytest.mark.parametrize("source", IDS)
@pytest.mark.parametrize("body", GARBAGE, ids=range(len(GARBAGE)))
def test_garbage_is_a_parse_error(source, body):
    with pytest.raises(ParseError):
        _PARSERS[source](body, "")  # the bare parser: no safety net


@pytest.mark.parametrize("source", IDS)
def test_empty_body_is_a_parse_error(source):
    with pytest.raises(ParseError, match="为空"):
        _PARSERS[source](b"", "")


@pytest.mark.parametrize("source, path, url", REAL, ids=IDS)
def test_truncated_pages_are_parse_errors(source, path, url):
    body = path.read_bytes()
    end = body.lower().rfind(b"</html") if path.suffix == ".html" else len(body) - 2
    for cut in (len(body) // 2, end):
        with pytest.raises(ParseError):
            _PARSERS[source](body[:cut], url)


UTF8_DECLARED = [s for s, path, _ in REAL if path.suffix == ".html" and not s.startswith("ttbz")]


@pytest.mark.parametrize("source, path, url", [r for r in REAL if r[0] in UTF8_DECLARED + JSON_SOURCES],
                         ids=UTF8_DECLARED + JSON_SOURCES)
def test_gbk_bytes_of_a_utf8_page_are_a_parse_error(source, path, url):
    body = path.read_text(encoding="utf-8").encode("gbk", errors="replace")
    with pytest.raises(ParseError, match="编码有误"):
        _PARSERS[source](body, url)


@pytest.mark.parametrize("source", ["ttbz.list", "ttbz.detail"])
def test_gb18030_bytes_of_an_undeclared_page_decode_explicitly(source):
    path, url = next((p, u) for s, p, u in REAL if s == source)
    utf8 = _PARSERS[source](path.read_bytes(), url).records
    gb = _PARSERS[source](path.read_text(encoding="utf-8").encode("gb18030"), url).records
    assert [r.to_dict() | {"sources": []} for r in gb] == [r.to_dict() | {"sources": []} for r in utf8]


WRONG_SITE = [(parser, page) for parser in IDS for page, _, _ in REAL if page != parser
              and {parser, page} != {"announcement.json", "sacinfo.announcement"}]


@pytest.mark.parametrize("parser, page", WRONG_SITE, ids=[f"{p}<-{g}" for p, g in WRONG_SITE])
def test_a_parser_refuses_another_sites_page(parser, page):
    path, url = next((p, u) for s, p, u in REAL if s == page)
    with pytest.raises(ParseError):
        _PARSERS[parser](path.read_bytes(), url)


@pytest.mark.parametrize("source", HTML_SOURCES)
def test_the_waf_page_is_refused_by_every_page_parser(source):
    body = (DECODED / "t-zs-0467_2023__00.html").read_bytes()
    result = PARSERS[source](body, "")
    assert result.refused.startswith("Knownsec CloudWAF") and result.records == []


def test_the_registry_turns_an_unexpected_failure_into_a_parse_error():
    from crawlers import parsers

    def broken(body, url):
        raise KeyError("x")

    guarded = parsers.guarded("samr.search", broken)
    with pytest.raises(ParseError, match=r"samr.search：无法读取这个页面（KeyError"):
        guarded(b"", "")


# -- parse_file ---------------------------------------------------------------------------

def test_parse_file_detects_the_source_and_reads_the_url_from_index_json():
    path = DECODED / "gb_t_1_1__09.html"
    assert recorded_url(path) == INDEX["gb_t_1_1__09.html"]["uri"]
    (record,) = parse_file(None, path).records
    assert record.number == "GB/T 1.1-2020"
    assert record.sources[0].source == "openstd.detail"
    assert record.sources[0].url == INDEX["gb_t_1_1__09.html"]["uri"]


def test_parse_file_with_a_named_source_and_url():
    url = "https://std.samr.gov.cn/search/stdPage?q=GB11120&tid="
    result = parse_file("samr.search", PAGES / "pilotstd/stdgov_sample.html", url)
    assert [r.number for r in result.records] == ["GB 11120-2011", "GB 11120-1989"]
    assert result.records[0].sources[0].url == url


def test_parse_file_golden_json_uses_its_source_url():
    result = parse_file(None, ANNOUNCEMENTS / "003_db_2026_07.json")
    assert len(result.records) == 427
    assert result.records[0].sources[0].url.startswith("https://std.sacinfo.org.cn/gnocDb/queryInfo?id=")


def test_parse_file_of_a_saved_redirect():
    with pytest.raises(ParseError, match="重定向响应"):
        parse_file(None, DECODED / "gb_t_1_1__00.html")


def test_parse_file_errors(tmp_path):
    with pytest.raises(NotFound, match="文件不存在"):
        parse_file(None, tmp_path / "missing.html")
    with pytest.raises(BadInput, match="无法识别的来源 'samr.nope'：可用 announcement.json"):
        parse_file("samr.nope", PAGES / "pilotstd/stdgov_sample.html")
    with pytest.raises(BadInput, match="无法读取"):
        parse_file(None, tmp_path)
    garbage = tmp_path / "garbage.html"
    garbage.write_bytes(b"<html><body>nothing here</body></html>")
    with pytest.raises(ParseError, match="不是任何解析器认识的页面"):
        parse_file(None, garbage)

