"""The clause index over the law corpus, built and searched with the real API (index.clauses).

`kb search --clauses` searches index.clauses.ClauseSearcher; this builds the same
index from the law documents (bench/laws.py) and maps each hit to the article it
belongs to (a 款 or 项 hit counts as its article), so results compare with STARD's
gold articles and with the baselines' article lists.
"""
from __future__ import annotations

import re
from pathlib import Path

from index.analysis import jieba_tokenizer
from index.build import WriterSettings
from bench.laws import article_id

_QUOTES = re.compile(r'["“”＂「」]')


def build_clause_index(documents, index_dir: Path, settings: WriterSettings | None = None,
                       vector_cache: Path | None = None, engine: str = "whoosh") -> int:
    """Write the clause index of `documents` into index_dir with one engine; return the number of clauses."""
    from index.clauses import create_clause_index
    from index.engine import load_engine

    jieba_tokenizer()
    index_dir.mkdir(parents=True, exist_ok=True)
    return create_clause_index(load_engine(engine), index_dir, {d.id: d for d in documents},
                               settings or WriterSettings(), vector_cache)


class ClauseSearcher:
    """Open once, search many times (the searcher is reused)."""

    def __init__(self, index_dir: Path, engine: str = "whoosh"):
        from index.clauses import ClauseSearcher as Searcher
        from index.engine import load_engine

        self.searcher = Searcher(index_dir, load_engine(engine).clause_store(index_dir))

    def search(self, text: str, limit: int = 20, words: bool = False) -> list[str]:
        """Article ids (<law title>第N条) of the best matches, best first, each once; `words`: the
        word ranking (ClauseSearcher.search_words) instead of the fused one."""
        # Questions are prose: their quotes mark speech, not phrases (and may not pair up).
        search = self.searcher.search_words if words else self.searcher.search
        result = search(_QUOTES.sub(" ", text), doc_kind="law", limit=limit * 2)
        ranked = []
        for hit in result.hits:
            article = article_id(hit.doc_title, hit.path)
            if article and article not in ranked:
                ranked.append(article)
        return ranked[:limit]

    def close(self) -> None:
        self.searcher.close()
