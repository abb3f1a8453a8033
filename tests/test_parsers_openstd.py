"""openstd.samr.gov.cn parsers on the real saved list and detail pages, and its 301 answers."""
from __future__ import annotations

import functools
import json
from urllib.parse import parse_qsl, urlsplit

import pytest
import yaml

from crawlers.parsers import openstd
from kb.errors import ParseError
from conftest import PAGES

DECODED = PAGES / "relaton-gb" / "decoded"
CASSETTES = PAGES / "relaton-gb" / "spec" / "vcr_cassettes"
INDEX = {e["file"]: e for e in json.loads((DECODED / "INDEX.json").read_text(encoding="utf-8"))}


def parse(fn, name):
    return fn((DECODED / name).read_bytes(), INDEX[name]["uri"])


def test_list_gb_t_1_1():
    result = parse(openstd.parse_list, "gb_t_1_1__01.html")
    assert [(r.number, r.status, r.issue_date, r.implementation_date) for r in result.records] == [
        ("GB/T 1.1-2000", "withdrawn", "2000-12-20", "2001-06-01"),
        ("GB/T 1.1-2009", "withdrawn", "2009-06-17", "2010-01-01"),
        ("GB/T 1.1-2020", "current", "2020-03-31", "2020-10-01"),
    ]
    assert [r.title for r in result.records] == [
        "标准化工作导则  第1部分:标准的结构和编写规则",
        "标准化工作导则  第1部分：标准的结构和编写",
        "标准化工作导则  第1部分：标准化文件的结构和起草规则",
    ]
    assert result.links == [  # one page of results: no next link
        "https://openstd.samr.gov.cn/bzgk/std/newGbInfo?hcno=847191101089628341120D62AEFC29A1",
        "https://openstd.samr.gov.cn/bzgk/std/newGbInfo?hcno=570A95F33D8D3C7934933A900A78F133",
        "https://openstd.samr.gov.cn/bzgk/std/newGbInfo?hcno=C4BFD981E993C417EF475F2A19B681F1",
    ]
    assert result.records[0].sources[0].source == "openstd.list"


@pytest.mark.parametrize("name, number, title, status, hcno", [
    ("gb_t_20223_2006__01.html", "GB/T 20223-2006", "棉短绒", "withdrawn", "083B48FA72DBD3B9BDE74507BC31736A"),
    ("gb_t_5606_1_2004__01.html", "GB/T 5606.1-2004", "卷烟  第1部分:抽样", "current",
     "B32027E7AEF4CB6D1515A02985FC5B40"),
    ("gb_t_5606_2004_all_parts__01.html", "GB/T 5606.1-2004", "卷烟  第1部分:抽样", "current",
     "B32027E7AEF4CB6D1515A02985FC5B40"),
])
def test_list_single_hit(name, number, title, status, hcno):
    result = parse(openstd.parse_list, name)
    (record,) = result.records
    assert (record.number, record.title, record.status) == (number, title, status)
    assert result.links == [f"https://openstd.samr.gov.cn/bzgk/std/newGbInfo?hcno={hcno}"]


def test_list_without_hits():
    result = parse(openstd.parse_list, "gb_t_20223_2014__01.html")
    assert result.records == [] and result.links == []


def test_list_links_the_next_page_when_there_is_one():
    body = (DECODED / "gb_t_1_1__01.html").read_bytes().replace(b'pages : "1"', b'pages : "3"')
    result = openstd.parse_list(body, "https://openstd.samr.gov.cn/bzgk/std/std_list?p.p2=GB/T%201.1&page=2")
    assert result.links[-1] == "https://openstd.samr.gov.cn/bzgk/std/std_list?p.p2=GB/T+1.1&page=3"


def test_detail_withdrawn_with_english_title():
    (record,) = parse(openstd.parse_detail, "gb_t_1_1__06.html").records
    assert record.number == "GB/T 1.1-2000"
    assert record.title == "标准化工作导则  第1部分:标准的结构和编写规则"
    assert record.english_title == ("Directives for standardization--Part 1:Rules for the structure and "
                                    "drafting of standards")
    assert (record.status, record.ccs, record.ics) == ("withdrawn", ["A00"], ["01.120"])
    assert (record.issue_date, record.implementation_date, record.dept) == ("2000-12-20", "2001-06-01", "国家标准委")
    assert record.sources[0].url == INDEX["gb_t_1_1__06.html"]["uri"]


@pytest.mark.parametrize("name, number, status, issued, implemented, ccs, ics, dept, replaces", [
    ("gb_t_1_1__09.html", "GB/T 1.1-2020", "current", "2020-03-31", "2020-10-01", "A00", "01.120", "国家标准委", []),
    ("gb_t_1_1__10.html", "GB/T 1.1-2009", "withdrawn", "2009-06-17", "2010-01-01", "A00", "01.120", "国家标准委", []),
    ("gb_t_20223_2006__04.html", "GB/T 20223-2006", "withdrawn", "2006-03-10", "2006-09-01", "B32",
     "59.060.10", "市场监管总局", []),
    ("gb_t_5606_1_2004__04.html", "GB/T 5606.1-2004", "current", "2004-12-14", "2005-03-01", "X87", "65.160",
     "国家烟草局", ["GB/T 5606.1-1996"]),  # from 备注 "2005-03-01实施,代替GB/T 5606.1-1996"
])
def test_detail_pages(name, number, status, issued, implemented, ccs, ics, dept, replaces):
    (record,) = parse(openstd.parse_detail, name).records
    assert (record.number, record.status, record.issue_date, record.implementation_date) == (
        number, status, issued, implemented)
    assert (record.ccs, record.ics, record.dept, record.replaces) == ([ccs], [ics], dept, replaces)


def test_detail_titles_of_gb_t_1_1_2020():
    (record,) = parse(openstd.parse_detail, "gb_t_1_1__09.html").records
    assert record.title == "标准化工作导则  第1部分：标准化文件的结构和起草规则"
    assert record.english_title == ("Directives for standardization—Part 1: Rules for the structure and "
                                    "drafting of standardizing documents")


# -- redirects --------------------------------------------------------------------------

REDIRECTS = [name for name, entry in INDEX.items() if entry["status"] == 301]


@functools.cache
def _cassette_locations() -> dict[str, str]:
    """request URI → Location header of every 301 in the recordings."""
    found = {}
    for path in CASSETTES.glob("gb_t_*.yml"):
        for interaction in yaml.safe_load(path.read_text(encoding="utf-8"))["http_interactions"]:
            response = interaction["response"]
            if response["status"]["code"] == 301:
                found[interaction["request"]["uri"]] = response["headers"]["Location"][0]
    return found


def same_url(a: str, b: str) -> bool:
    pa, pb = urlsplit(a), urlsplit(b)
    return (pa.scheme, pa.netloc, pa.path) == (pb.scheme, pb.netloc, pb.path) and \
        parse_qsl(pa.query) == parse_qsl(pb.query)


def test_every_saved_301_is_the_162_byte_nginx_page():
    assert len(REDIRECTS) == 17
    for name in REDIRECTS:
        assert (DECODED / name).stat().st_size == 162


@pytest.mark.parametrize("name", REDIRECTS)
def test_redirect_target_matches_the_recorded_location(name):
    uri = INDEX[name]["uri"]
    target = openstd.redirect_target((DECODED / name).read_bytes(), uri)
    assert same_url(target, _cassette_locations()[uri])


def test_redirect_target_prefers_the_location_header():
    body = (DECODED / "gb_t_1_1__00.html").read_bytes()
    assert openstd.redirect_target(body, "https://openstd.samr.gov.cn/bzgk/gb/x", "/bzgk/std/y?z=1") == \
        "https://openstd.samr.gov.cn/bzgk/std/y?z=1"


def test_redirect_target_of_a_real_page_is_none():
    assert openstd.redirect_target((DECODED / "gb_t_1_1__06.html").read_bytes(), INDEX["gb_t_1_1__06.html"]["uri"]) is None


def test_redirect_chain_reaches_the_saved_detail_page():
    url = INDEX["gb_t_1_1__02.html"]["uri"]  # http://…/bzgk/gb/newGbInfo?hcno=8471…
    body = (DECODED / "gb_t_1_1__02.html").read_bytes()
    url = openstd.redirect_target(body, url)
    url = openstd.redirect_target(body, url)
    assert url == INDEX["gb_t_1_1__06.html"]["uri"]


def test_a_301_body_given_to_a_parser_is_a_parse_error():
    with pytest.raises(ParseError, match=r"重定向响应（301 Moved Permanently）"):
        parse(openstd.parse_list, "gb_t_1_1__00.html")
    with pytest.raises(ParseError, match="重定向响应"):
        parse(openstd.parse_detail, "gb_t_1_1__02.html")
