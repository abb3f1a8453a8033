"""Shared parser helpers: decoding, dates, classification codes, name lists, redirects."""
from __future__ import annotations

import pytest

from crawlers.parsers.common import (ccs_codes, clean, decode_html, drafter_name, epoch_ms_date,
                                     ics_codes, iso_date, load_json, refusal, split_names,
                                     with_query)
from kb.errors import ParseError
from conftest import PAGES


def test_decode_html_follows_the_declared_charset():
    page = '<html><head><meta charset="gbk"></head><body>标准号</body></html>'
    assert "标准号" in decode_html(page.encode("gbk"), "t")


def test_decode_html_refuses_bytes_that_contradict_the_declared_charset():
    page = '<html><head><meta charset="utf-8"></head><body>标准号</body></html>'
    with pytest.raises(ParseError, match="页面声明为 utf-8，但其字节不是 utf-8"):
        decode_html(page.encode("gbk"), "t")


def test_decode_html_without_declaration_tries_utf8_then_gb18030():
    assert decode_html("<p>团体标准</p>".encode("utf-8"), "t") == "<p>团体标准</p>"
    assert decode_html("<p>团体标准</p>".encode("gb18030"), "t") == "<p>团体标准</p>"


@pytest.mark.parametrize("body", [b"", b"   \n", b"\xef\xbb\xbf"])
def test_empty_bodies_are_parse_errors(body):
    with pytest.raises(ParseError, match="为空"):
        decode_html(body, "t")


def test_load_json_messages():
    with pytest.raises(ParseError, match="不是有效的 JSON"):
        load_json(b'{"rows": [', "t")
    with pytest.raises(ParseError, match="不是 UTF-8"):
        load_json('{"a": "现行"}'.encode("gbk"), "t")


@pytest.mark.parametrize("text, iso", [
    ("2018-02-09", "2018-02-09"),
    ("  2018-10-01\n\t", "2018-10-01"),
    ("2018年05月08日", "2018-05-08"),
    ("2018年5月8日", "2018-05-08"),
    ("2018/5/8", "2018-05-08"),
    ("", ""),
    ("无", ""),
    (None, ""),
    (1538323200000, "2018-10-01"),
    ("1518105600000", "2018-02-09"),
])
def test_iso_date(text, iso):
    assert iso_date(text) == iso


def test_iso_date_rejects_non_dates():
    with pytest.raises(ParseError, match="无法把发布日期 'soon' 读作日期"):
        iso_date("soon", "发布日期")
    with pytest.raises(ParseError, match="不是真实的日期"):
        iso_date("2018-02-30")


def test_epoch_dates_are_beijing_dates():
    # 1538323200000 is 2018-09-30T16:00Z, i.e. 2018-10-01 00:00 in Beijing.
    assert epoch_ms_date(1538323200000) == "2018-10-01"
    assert epoch_ms_date(1519574400000) == "2018-02-26"


def test_ics_codes_restore_the_cut_group_digit():
    assert ics_codes("53.06") == ["53.060"]
    assert ics_codes("23.08") == ["23.080"]
    assert ics_codes("59.060.10") == ["59.060.10"]
    assert ics_codes("13.020.01  环境和环境保护综合") == ["13.020.01"]
    assert ics_codes("65") == ["65"]
    assert ics_codes("") == []


def test_ccs_codes():
    assert ccs_codes("J83") == ["J83"]
    assert ccs_codes("Q 34") == ["Q34"]
    assert ccs_codes("Y68       ") == ["Y68"]
    assert ccs_codes("ICS 97.040.99") == []


def test_split_names_and_drafters():
    assert split_names("广州市环境技术中心、 广州环境保护产业协会、深圳市环境监测协会") == [
        "广州市环境技术中心", "广州环境保护产业协会", "深圳市环境监测协会"]
    assert split_names("李斌，高佳佳、李俊江") == ["李斌", "高佳佳", "李俊江"]
    assert split_names(" ") == []
    assert drafter_name("孙建民等") == "孙建民"
    assert drafter_name("\n 于丽华 ") == "于丽华"


def test_clean_keeps_title_spacing_but_folds_layout():
    assert clean("\n\t\t卷烟  第1部分:抽样\n") == "卷烟  第1部分:抽样"
    assert clean("A\n   B") == "A B"
    assert clean("测量用互感器检定规程\u3000第1部分") == "测量用互感器检定规程\u3000第1部分"


def test_with_query_sets_one_parameter():
    assert with_query("https://x/a?q=GB&pageNo=1", pageNo=2) == "https://x/a?q=GB&pageNo=2"


def test_refusal_reads_the_waf_page():
    text = (PAGES / "relaton-gb/decoded/t-zs-0467_2023__00.html").read_text(encoding="utf-8")
    assert refusal(text) == ("Knownsec CloudWAF: Your request has been blocked due to suspected hacking"
                             "（规则 80001）")
    assert refusal("<html><body>标准</body></html>") == ""
