"""20,000 nested <div>s around a real page (issue 18, item 3): the parsers' soup is
flattened to MAX_DEPTH levels, so CSS selects stay cheap, and the records are unchanged."""
from __future__ import annotations

import re

import pytest

from conftest import PAGES
from crawlers.parsers import PARSERS
from crawlers.parsers.common import MAX_DEPTH, flatten_deep, soup_of

EXAMPLES = PAGES / "relaton-gb" / "spec" / "examples"
PAGES_BY_PARSER = [
    ("samr.search", EXAMPLES / "gbt_20223_2006.html", "https://std.samr.gov.cn/search/stdPage?q=GB/T 20223-2006"),
    ("openstd.detail", PAGES / "relaton-gb" / "decoded" / "gb_t_1_1__09.html", "https://openstd.samr.gov.cn/x"),
    ("sacinfo.announcement", PAGES / "announcements" / "001_gb_2026_31.html", "https://std.sacinfo.org.cn/x"),
    ("ttbz.detail", EXAMPLES / "22746.html", "http://www.ttbz.org.cn/StandardManage/Detail/22746/"),
]


def synthetic_nested(text: str, depth: int = 20_000) -> str:
    body = re.search(r"<body[^>]*>", text)
    end = text.rfind("</body>")
    return text[:body.end()] + "<div>" * depth + text[body.end():end] + "</div>" * depth + text[end:]


def facts(record) -> dict:
    data = record.to_dict()
    data.pop("sources")  # their content hash is of the other body
    return data


def soup_depth(soup) -> int:
    deepest = 0
    for tag in soup.find_all(True):
        depth = sum(1 for _ in tag.parents)
        deepest = max(deepest, depth)
        if deepest > MAX_DEPTH + 5:
            break
    return deepest


@pytest.mark.parametrize("name, path, url", PAGES_BY_PARSER, ids=[p[0] for p in PAGES_BY_PARSER])
def test_a_page_inside_20000_divs_parses_to_the_same_records(name, path, url):
    text = path.read_text(encoding="utf-8")
    plain = PARSERS[name](text.encode(), url)
    nested = PARSERS[name](synthetic_nested(text).encode(), url)
    assert [facts(r) for r in nested.records] == [facts(r) for r in plain.records]
    assert plain.records


def test_the_soup_of_a_deep_page_is_flattened():
    text = synthetic_nested(PAGES_BY_PARSER[0][1].read_text(encoding="utf-8"))
    assert soup_depth(soup_of(text)) <= MAX_DEPTH + 5  # html, body and text nodes


@pytest.mark.parametrize("path", [p for _, p, _ in PAGES_BY_PARSER], ids=[p[0] for p in PAGES_BY_PARSER])
def test_real_pages_are_left_as_they_are(path):
    text = path.read_text(encoding="utf-8")
    assert flatten_deep(text) is text


def test_unmatched_closing_tags_cost_nothing_and_keep_the_text():
    text = "<html><body>" + "</span>" * 50_000 + "<p>GB/T 1.1-2020</p></body></html>"
    assert flatten_deep(text) is text
    assert soup_of(text).get_text() == "GB/T 1.1-2020"
