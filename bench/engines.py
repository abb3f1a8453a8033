"""The engines bench/run compares: stdkb, SQLite FTS5 over our jieba tokens, stock Whoosh.

Every engine offers the same calls, so the runner times the same queries on each:
`search(text, limit)`, `search_and(words)`, `search_phrase(words)`, `lookup(number)`,
`filtered(words, level, status)`, `facets(words)`, `clauses(question)`.
"""
from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

from kb import numbers
from kb.records import Record, effective_status
from index.analysis import chinese_analyzer

_QUOTES = re.compile(r'["“”＂「」]')


def split_tokens(text: str) -> tuple[list[str], list[str]]:
    """Our analyzer's index tokens of `text`: (words, sub-words) — sub-words share a word's position."""
    words, subs, last = [], [], None
    for t in chinese_analyzer()(text, positions=True, mode="index"):
        if t.pos == last:
            subs.append(t.text)
        else:
            words.append(t.text)
            last = t.pos
    return words, subs


def query_tokens(text: str) -> list[str]:
    return [t.text for t in chinese_analyzer()(_QUOTES.sub(" ", text), mode="query")]


def _fts_quote(word: str) -> str:
    return '"' + word.replace('"', '""') + '"'


# -- SQLite FTS5 ------------------------------------------------------------------

FTS_COLUMNS = ("title", "title_sub", "scope", "scope_sub", "dept")
FTS_WEIGHTS = (3.0, 3.0, 1.0, 1.0, 0.5)


def fts5_build(records, db_path: Path, today) -> int:
    """One process: our jieba tokens, space-joined, in an FTS5 table; numbers in a b-tree."""
    db = sqlite3.connect(db_path)
    db.executescript(
        "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;"
        "CREATE VIRTUAL TABLE docs USING fts5(id UNINDEXED, level UNINDEXED, status UNINDEXED,"
        " region UNINDEXED, title, title_sub, scope, scope_sub, dept);"
        "CREATE TABLE numbers(key TEXT, kind TEXT, docid INTEGER);"
        "CREATE TABLE ids(id TEXT PRIMARY KEY, docid INTEGER) WITHOUT ROWID;")
    count = 0
    for record in records:
        count += 1
        db.execute("INSERT INTO docs(rowid, id, level, status, region, title, title_sub, scope, scope_sub, dept)"
                   " VALUES (?,?,?,?,?,?,?,?,?,?)", (count, *_fts_row(record, today)))
        db.execute("INSERT OR REPLACE INTO ids VALUES (?, ?)", (record.id, count))
        parsed = numbers.try_parse(record.number)
        if parsed:
            db.executemany("INSERT INTO numbers VALUES (?,?,?)",
                           [(parsed.key, "full", count), (parsed.edition_free_key, "edition", count),
                            (parsed.series_key, "series", count)])
    db.execute("CREATE INDEX numbers_key ON numbers(key, kind)")
    db.commit()
    db.close()
    return count


def _fts_row(record: Record, today) -> tuple:
    title, title_sub = split_tokens(record.title)
    scope, scope_sub = split_tokens(record.scope)
    dept, _ = split_tokens(record.dept)
    return (record.id, record.level, effective_status(record, today), record.region[:2],
            " ".join(title), " ".join(title_sub), " ".join(scope), " ".join(scope_sub), " ".join(dept))


def fts5_update(db_path: Path, records, today) -> None:
    db = sqlite3.connect(db_path)
    for record in records:
        rowid = db.execute("SELECT docid FROM ids WHERE id = ?", (record.id,)).fetchone()[0]
        db.execute("DELETE FROM docs WHERE rowid = ?", (rowid,))
        db.execute("INSERT INTO docs(rowid, id, level, status, region, title, title_sub, scope, scope_sub, dept)"
                   " VALUES (?,?,?,?,?,?,?,?,?,?)", (rowid, *_fts_row(record, today)))
    db.commit()
    db.close()


class Fts5:
    name = "SQLite FTS5 + jieba"

    def __init__(self, db_path: Path, clause_db: Path | None = None):
        self.db = sqlite3.connect(db_path)
        self.clause_db = sqlite3.connect(clause_db) if clause_db else None
        weights = ", ".join(str(w) for w in (0, 0, 0, 0, *FTS_WEIGHTS))
        self._rank = f"bm25(docs, {weights})"

    def _top(self, match: str, where: str = "", args: tuple = (), limit: int = 10):
        sql = f"SELECT id FROM docs WHERE docs MATCH ? {where} ORDER BY {self._rank} LIMIT {limit}"
        return [row[0] for row in self.db.execute(sql, (match, *args))]

    def search(self, text: str, limit: int = 10):
        return self._top(" ".join(_fts_quote(w) for w in query_tokens(text)), limit=limit)

    def search_phrase(self, text: str, limit: int = 10):
        words = query_tokens(text)
        return self._top("{title scope}: " + _fts_quote(" ".join(words)), limit=limit)

    def filtered(self, text: str, level: str, status: str, limit: int = 10):
        match = " ".join(_fts_quote(w) for w in query_tokens(text))
        return self._top(match, "AND level = ? AND status = ?", (level, status), limit)

    def facets(self, text: str, limit: int = 10):
        match = " ".join(_fts_quote(w) for w in query_tokens(text))
        counts = {name: dict(self.db.execute(
            f"SELECT {name}, count(*) FROM docs WHERE docs MATCH ? GROUP BY {name}", (match,)).fetchall())
            for name in ("level", "status", "region")}
        return self._top(match, limit=limit), counts

    def lookup(self, text: str):
        parsed = numbers.parse(text)
        if parsed.year is not None:
            key, kind = parsed.key, "full"
        elif parsed.part:
            key, kind = parsed.edition_free_key, "edition"
        else:
            key, kind = parsed.series_key, "series"
        return [row[0] for row in self.db.execute(
            "SELECT d.id FROM numbers n JOIN docs d ON d.rowid = n.docid WHERE n.key = ? AND n.kind = ?",
            (key, kind))]

    def clauses(self, question: str, limit: int = 20):
        words = list(dict.fromkeys(query_tokens(question)))
        if not words or self.clause_db is None:
            return []
        match = " OR ".join(_fts_quote(w) for w in words)
        return [row[0] for row in self.clause_db.execute(
            f"SELECT id FROM clauses WHERE clauses MATCH ? ORDER BY bm25(clauses, 0, 1.0, 1.0, 2.0, 0.5)"
            f" LIMIT {limit}", (match,))]


def fts5_build_clauses(articles, db_path: Path) -> int:
    db = sqlite3.connect(db_path)
    db.executescript("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;"
                     "CREATE VIRTUAL TABLE clauses USING fts5(id UNINDEXED, text, text_sub, heading, title);")
    count = 0
    for article in articles:
        words, subs = split_tokens(article.text)
        heading, _ = split_tokens(article.heading)
        title, _ = split_tokens(article.title)
        db.execute("INSERT INTO clauses VALUES (?,?,?,?,?)",
                   (article.id, " ".join(words), " ".join(subs), " ".join(heading), " ".join(title)))
        count += 1
    db.commit()
    db.close()
    return count


# -- stock Whoosh ----------------------------------------------------------------

def stock_schema():
    from jieba.analyse import ChineseAnalyzer
    from whoosh.fields import ID, TEXT, Schema

    analyzer = ChineseAnalyzer()
    return Schema(id=ID(stored=True, unique=True), title=TEXT(analyzer=analyzer, stored=True),
                  scope=TEXT(analyzer=analyzer, stored=True), dept=TEXT(analyzer=analyzer),
                  level=ID(stored=True), status=ID(stored=True), region=ID(stored=True))


def stock_build(records, index_dir: Path, today) -> int:
    """The stock setup: jieba's ChineseAnalyzer, one writer, default settings."""
    from whoosh import index as whoosh_index

    index_dir.mkdir(parents=True, exist_ok=True)
    ix = whoosh_index.create_in(str(index_dir), stock_schema())
    writer = ix.writer()
    count = 0
    for record in records:
        count += 1
        writer.add_document(id=record.id, title=record.title, scope=record.scope, dept=record.dept,
                            level=record.level, status=effective_status(record, today),
                            region=record.region[:2])
    writer.commit()
    return count


def stock_build_clauses(articles, index_dir: Path) -> int:
    from jieba.analyse import ChineseAnalyzer
    from whoosh import index as whoosh_index
    from whoosh.fields import ID, TEXT, Schema

    index_dir.mkdir(parents=True, exist_ok=True)
    ix = whoosh_index.create_in(str(index_dir), Schema(id=ID(stored=True), text=TEXT(analyzer=ChineseAnalyzer())))
    writer = ix.writer()
    count = 0
    for article in articles:
        writer.add_document(id=article.id, text=article.text)
        count += 1
    writer.commit()
    return count


class StockWhoosh:
    name = "stock Whoosh"

    def __init__(self, index_dir: Path, clause_dir: Path | None = None):
        from whoosh import index as whoosh_index
        from whoosh.qparser import MultifieldParser, OrGroup, QueryParser

        self.ix = whoosh_index.open_dir(str(index_dir))
        self.searcher = self.ix.searcher()
        self.parser = MultifieldParser(["title", "scope", "dept"], self.ix.schema)
        self.clause_searcher = None
        if clause_dir:
            cix = whoosh_index.open_dir(str(clause_dir))
            self.clause_searcher = cix.searcher()
            self.clause_parser = QueryParser("text", cix.schema, group=OrGroup)

    def _ids(self, query, limit=10, **kwargs):
        return [hit["id"] for hit in self.searcher.search(query, limit=limit, **kwargs)]

    def search(self, text: str, limit: int = 10):
        return self._ids(self.parser.parse(text), limit)

    def search_phrase(self, text: str, limit: int = 10):
        return self._ids(self.parser.parse(f'"{text}"'), limit)

    def filtered(self, text: str, level: str, status: str, limit: int = 10):
        from whoosh.query import And, Term

        return self._ids(self.parser.parse(text), limit, filter=And([Term("level", level), Term("status", status)]))

    def facets(self, text: str, limit: int = 10):
        from whoosh import sorting

        results = self.searcher.search(self.parser.parse(text), limit=limit,
                                       groupedby={n: sorting.FieldFacet(n, maptype=sorting.Count)
                                                  for n in ("level", "status", "region")})
        return [hit["id"] for hit in results], {n: results.groups(n) for n in ("level", "status", "region")}

    def lookup(self, text: str):
        from whoosh.query import Term

        return self._ids(Term("id", text.strip()))

    def clauses(self, question: str, limit: int = 20):
        if self.clause_searcher is None:
            return []
        query = self.clause_parser.parse(_QUOTES.sub(" ", question))
        return [hit["id"] for hit in self.clause_searcher.search(query, limit=limit)]


def load_jsonl_records(path: Path):
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield Record.from_dict(json.loads(line))
