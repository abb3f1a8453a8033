"""The law corpus (../shared/corpus/laws) as articles, for the clause benchmarks and eval.

Each Markdown file is `# title`, date lines, `<!-- INFO END -->`, `## 第X章` headings
and one `第X条 …` paragraph per article (paragraphs without a label continue it).

Versions: several files may hold one law (公司法(2018-10-26).md and
公司法(2023-12-29).md; the 民法典 is split into one file per book). A file's version
is the date in its name. The files of one title without a date in their name are
one version together (the 民法典 books), dated by the latest date in their header
lines. A law title maps to the articles of its latest version.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LAWS_DIR = (ROOT / ".." / "shared" / "corpus" / "laws").resolve()

_NUM = "零〇一二三四五六七八九十百千两"
ARTICLE = re.compile(rf"^(第[{_NUM}]+条(?:之[{_NUM}]+)?)[\s\u3000]*")
_NAME_DATE = re.compile(r"\((\d{4}-\d{2}-\d{2})\)")
_HEADER_DATE = re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日")
_SKIP = {"_index.md", "README.md", "法律法规模版.md"}


@dataclass
class Article:
    id: str  # <law title>第N条, the form STARD's gold answers use
    title: str
    label: str  # 第N条
    heading: str  # the chapter (and section) it sits in
    text: str
    version: str
    file: str


def law_files(root: Path = LAWS_DIR) -> list[Path]:
    return sorted(p for p in root.rglob("*.md") if p.name not in _SKIP)


def read_law(path: Path) -> tuple[str, str, list[Article]]:
    """(title, version, articles) of one law file."""
    lines = path.read_text(encoding="utf-8").splitlines()
    title = next((ln[2:].strip() for ln in lines if ln.startswith("# ")), path.stem)
    body_start = next((i for i, ln in enumerate(lines) if "<!-- INFO END -->" in ln), 0)
    named = _NAME_DATE.search(path.name)
    if named:
        version = named.group(1)
    else:
        dates = [f"{y}-{int(m):02d}-{int(d):02d}" for ln in lines[:body_start]
                 for y, m, d in _HEADER_DATE.findall(ln)]
        version = "undated:" + max(dates, default="")
    articles: list[Article] = []
    heading = ""
    for line in lines[body_start + 1:]:
        text = line.strip()
        if not text:
            continue
        if text.startswith("#"):
            heading = text.lstrip("#").strip()
            continue
        match = ARTICLE.match(text)
        if match:
            label = match.group(1)
            articles.append(Article(id=title + label, title=title, label=label, heading=heading,
                                    text=text, version=version, file=str(path.relative_to(path.parents[1]))))
        elif articles:
            articles[-1].text += "\n" + text
    return title, version, articles


def latest_articles(root: Path = LAWS_DIR, titles: set[str] | None = None) -> dict[str, list[Article]]:
    """Law title → the articles of its latest version (first occurrence of a label wins)."""
    versions: dict[str, dict[str, list[Article]]] = {}
    for path in law_files(root):
        title, version, articles = read_law(path)
        if titles is not None and title not in titles:
            continue
        versions.setdefault(title, {}).setdefault(version, []).extend(articles)
    latest = {}
    for title, by_version in versions.items():
        undated = [v for v in by_version if v.startswith("undated:")]
        if undated:
            merged = max(v.split(":", 1)[1] for v in undated)
            by_version[merged] = [a for v in undated for a in by_version.pop(v)]
            for article in by_version[merged]:
                article.version = merged
        seen, kept = set(), []
        for article in by_version[max(by_version)]:
            if article.id not in seen:
                seen.add(article.id)
                kept.append(article)
        latest[title] = kept
    return latest
