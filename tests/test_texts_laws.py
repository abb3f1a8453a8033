"""Every article line of every file in ../shared/corpus/laws becomes exactly one clause.

The independent count is a plain regex over the file body (after <!-- INFO END -->):
paragraphs that start with 第N条 or 第N条之M followed by a space.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from kb.texts.readers import read_markdown
from kb.texts.segment_law import segment_law

LAWS = (Path(__file__).resolve().parents[1] / ".." / "shared" / "corpus" / "laws").resolve()
ARTICLE_LINE = re.compile(r"^第[一二三四五六七八九十百千零〇两0-9]+条(?:之[一二三四五六七八九十]+)?[ \u3000]", re.M)


def regex_count(raw: str) -> int:
    body = raw.split("<!-- INFO END -->", 1)[-1]
    return len(ARTICLE_LINE.findall(body))


@pytest.fixture(scope="module")
def counts():
    files = sorted(LAWS.rglob("*.md"))
    result = {}
    for path in files:
        raw = path.read_bytes()
        tree = segment_law(read_markdown(raw, path.name).text)
        articles = tree.of_kind("article")
        result[str(path.relative_to(LAWS))] = (regex_count(raw.decode("utf-8")), len(articles),
                                               len({a.path for a in articles}))
    return result


def test_all_files_are_walked(counts):
    assert len(counts) == 1106


def test_every_article_line_is_one_clause(counts):
    mismatched = {name: c for name, c in counts.items() if c[0] != c[1]}
    assert mismatched == {}


def test_article_paths_are_unique_within_each_law(counts):
    assert {name: c for name, c in counts.items() if c[1] != c[2]} == {}


def test_article_total(counts):
    # ../shared/README.md counts 53,770 article lines; one of them is a wrapped line in the
    # header of 行政法/文物保护法(2017-11-04).md ("第三十一条的决定》第一次修正"), not an article.
    assert sum(c[0] for c in counts.values()) == 53769
    assert sum(c[1] for c in counts.values()) == 53769
