"""The law corpus (../shared/corpus/laws) read the way `kb texts` reads it, for bench/ and eval/.

Each Markdown file becomes a kb.texts Document (kb.texts.document_from_bytes); the
clauses come from kb.texts.iter_clause_docs, exactly what the clause index holds.

Versions: several files may hold one law (公司法(2018-10-26).md and
公司法(2023-12-29).md). A document's version is the date in its file name, else the
date its header lines give (kb.texts.readers); kb.texts.lookup.latest_versions keeps
the newest version of each law. The 民法典 is one file per book (民法典·总则 …), each
its own document of the same version. Only latest versions are indexed, so a STARD
gold article `<law title>第N条` is the article of that law in its latest version.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LAWS_DIR = (ROOT / ".." / "shared" / "corpus" / "laws").resolve()
_SKIP = {"_index.md", "README.md", "法律法规模版.md"}
_NUM = "零〇一二三四五六七八九十百千两"
ARTICLE_PATH = re.compile(rf"^第[{_NUM}]+条(?:之[{_NUM}]+)?")


@dataclass
class Article:
    id: str  # <law title>第N条, the form STARD's gold answers use
    title: str  # the law's title, without the 民法典 book (中华人民共和国民法典)
    label: str  # 第N条
    heading: str
    text: str


def law_files(root: Path = LAWS_DIR) -> list[Path]:
    return sorted(p for p in root.rglob("*.md") if p.name not in _SKIP)


def law_title(doc_title: str) -> str:
    """中华人民共和国民法典·总则 → 中华人民共和国民法典."""
    return doc_title.split("·", 1)[0]


def law_documents(root: Path = LAWS_DIR, titles: int = 0) -> list:
    """Latest version of every law (of the first `titles` law titles, when given)."""
    from kb.texts import document_from_bytes
    from kb.texts.lookup import latest_versions

    docs = [document_from_bytes(path.read_bytes(), str(path)) for path in law_files(root)]
    latest = latest_versions(docs)
    if titles:
        keep = set(sorted({law_title(d.title) for d in latest})[:titles])
        latest = [d for d in latest if law_title(d.title) in keep]
    return latest


def article_id(doc_title: str, path: str) -> str | None:
    """The article a clause belongs to (第十条第二款 → <law>第十条); None for chapters and the like."""
    match = ARTICLE_PATH.match(path)
    return law_title(doc_title) + match.group() if match else None


def articles(documents) -> list[Article]:
    """The articles of `documents` (whole articles, without their 款/项 copies)."""
    from kb.texts import iter_clause_docs

    out = []
    for clause in iter_clause_docs(documents):
        if clause["clause_kind"] == "article":
            out.append(Article(id=law_title(clause["doc_title"]) + clause["path"], title=law_title(clause["doc_title"]),
                               label=clause["path"], heading=clause["heading"], text=clause["text"]))
    return out
