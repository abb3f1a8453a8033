"""A clause index over the law articles, for the clause benchmarks and the eval.

Until `kb search --clauses` has its index built from kb.texts, this builds one the
same way it will be built: index.schema.clauses_schema with our analyzer, one
document per article, and searches it with the query parser of `kb search`
(words of the question OR-ed, each over heading, text and doc_title).
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Iterable

from whoosh import index as whoosh_index
from whoosh.query import Or, Term

from index.analysis import jieba_tokenizer
from index.build import WriterSettings
from index.query import parse_query
from index.schema import CLAUSES, clauses_schema
from bench.laws import Article

_QUOTE_CHARS = re.compile(r'["“”＂「」]')
CLAUSE_FIELDS = {"text": 1.0, "heading": 2.0, "doc_title": 0.5}


def clause_document(article: Article) -> dict:
    return {"id": article.id, "doc_id": article.title, "doc_title": article.title, "doc_kind": "law",
            "path": article.label, "label": article.label, "heading": article.heading,
            "text": article.text, "clause_kind": "article"}


def build_clause_index(articles: Iterable[Article], index_dir: Path,
                       settings: WriterSettings | None = None) -> int:
    """Write a clause index into index_dir; return the number of clauses."""
    jieba_tokenizer()
    index_dir.mkdir(parents=True, exist_ok=True)
    ix = whoosh_index.create_in(str(index_dir), clauses_schema(), indexname=CLAUSES)
    writer = ix.writer(**(settings or WriterSettings()).kwargs())
    count = 0
    for article in articles:
        writer.add_document(**clause_document(article))
        count += 1
    writer.commit()
    ix.close()
    return count


class ClauseSearcher:
    """Open once, search many times (the searcher is reused)."""

    def __init__(self, index_dir: Path):
        self.ix = whoosh_index.open_dir(str(index_dir), indexname=CLAUSES)
        self.searcher = self.ix.searcher()

    def query(self, text: str):
        # Questions are prose: quotes in them mark speech, not phrases.
        parsed = parse_query(_QUOTE_CHARS.sub(" ", text))
        words = parsed.terms + [w for phrase in parsed.phrases for w in phrase]
        return Or([Term(field, word, boost=boost) for word in dict.fromkeys(words)
                   for field, boost in CLAUSE_FIELDS.items()])

    def search(self, text: str, limit: int = 20) -> list[str]:
        """Clause ids (<law title>第N条) of the best `limit` matches."""
        results = self.searcher.search(self.query(text), limit=limit)
        return [hit["id"] for hit in results]

    def close(self) -> None:
        self.searcher.close()
        self.ix.close()
