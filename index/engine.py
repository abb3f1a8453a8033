"""The engine contract: what everything above index/ uses, whichever engine built the index.

Two embedded engines implement it, each in its own folder: Whoosh (index/whoosh_engine/,
the default) and tantivy (index/tantivy_engine/, for national-scale knowledge bases).
They share the analysis (index.analysis), the fields (index.fields), the generations and
the writer lock (index.store), the build (index.build) and the clause ranking
(index.clauses). A generation records the engine that built it in meta.json and is opened
by that engine only.

An engine module exposes ENGINE, an object with:
    name                              "whoosh" / "tantivy"
    open(generation, index_dir)       a KnowledgeIndex over the generation
    clause_store(gen)                 the clause index: count(), document(clause_id), search_words(…)
    records_writer(gen, settings, new)   a Writer of the records index (new, or the cloned one)
    clauses_writer(gen, settings, new)   a Writer of the clause index
    record_count(gen)                 documents in the records index (opens its segments)
    damage(exc)                       an exception raised inside the engine as IndexMissing, or None

A Writer has add(doc), update(doc) (by "id"), delete(field, value), commit() → document
count, and cancel(); documents are the dicts of index.fields / index.clauses.
"""
from __future__ import annotations

import importlib
import os
import sys
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path

from kb import numbers
from kb.errors import BadInput, BadQuery, IndexMissing, NotFound, VersionMismatch
from kb.records import Record
from kb.vocab import STATUS_LABELS
from index import store
from index.fields import FACET_FIELDS
from index.query import ParsedQuery, parse_query

ENGINES = {"whoosh": "index.whoosh_engine", "tantivy": "index.tantivy_engine"}
DEFAULT_ENGINE = "whoosh"
ENGINE_VARIABLE = "KB_ENGINE"  # the engine of a first build when no --engine is given


def engine_names() -> list[str]:
    return list(ENGINES)


def load_engine(name: str):
    """The ENGINE object of one engine; BadInput (exit 2) for an unknown name."""
    if name not in ENGINES:
        raise BadInput(f"未知的索引引擎 {name!r}（可用：{'、'.join(ENGINES)}）")
    return importlib.import_module(ENGINES[name]).ENGINE


def generation_engine(generation: store.Generation) -> str:
    """The engine that built a generation (generations from before engines were recorded: Whoosh)."""
    return generation.meta.get("engine") or DEFAULT_ENGINE


def chosen_engine(index_dir: Path, requested: str | None = None) -> str:
    """The engine of a build: the one requested, else the serving generation's, else
    $KB_ENGINE, else Whoosh."""
    if requested:
        load_engine(requested)
        return requested
    name = store.current_name(index_dir)
    if name is not None:
        try:
            return generation_engine(store.open_generation(index_dir, check_version=False))
        except Exception:  # a damaged generation: the rebuild replaces it
            pass
    requested = os.environ.get(ENGINE_VARIABLE) or DEFAULT_ENGINE
    load_engine(requested)
    return requested


def open_generation_index(generation: store.Generation, index_dir: Path, expected: str | None = None):
    """The KnowledgeIndex of a generation, opened by the engine that built it. With `expected`,
    a generation of another engine is VersionMismatch (exit 5), never opened."""
    built = generation_engine(generation)
    if expected and expected != built:
        raise VersionMismatch(f"{index_dir} 中的索引版本 {generation.name} 由 {built} 引擎建立，"
                              f"不能用 {expected} 引擎打开",
                              hint=f"去掉 --engine，或用 `kb index rebuild --engine {expected}` 重建")
    return load_engine(built).open(generation, index_dir)


def damage(exc: BaseException):
    """An exception raised inside an engine while reading an index, as IndexMissing (exit 4);
    None when it is not damage. Only engines this process loaded can have raised it."""
    for module in ENGINES.values():
        if module in sys.modules:
            found = sys.modules[module].ENGINE.damage(exc)
            if found is not None:
                return found
    return None


# -- answers ---------------------------------------------------------------------------

@dataclass
class Hit:
    id: str
    number: str
    title: str
    level: str
    status: str
    score: float
    snippet: str


@dataclass
class SearchResult:
    query: str
    total: int
    hits: list[Hit]
    facets: dict[str, dict[str, int]] = field(default_factory=dict)
    matched_as: str = "text"  # text / number / text-any (no hit had every word)
    note: str = ""  # why nothing matched a status filter, in Chinese

    def to_dict(self) -> dict:
        data = {"query": self.query, "total": self.total, "matched_as": self.matched_as,
                "hits": [h.__dict__ for h in self.hits], "facets": self.facets}
        return {**data, "note": self.note} if self.note else data


@dataclass(frozen=True)
class Filters:
    """Exact-value filters of a record search (hashable: engines cache their document sets)."""
    level: str | None = None
    status: str | None = None
    region: str | None = None
    year: int | None = None
    kind: str | None = None

    def __post_init__(self):
        if self.year and not 1000 <= int(self.year) <= 9999:
            raise BadQuery(f"--year {self.year} 不是四位数的年份（如 2026）")

    def terms(self) -> list[tuple[str, str]]:
        return [(name, value) for name, value in (("level", self.level), ("status", self.status),
                                                  ("region", self.region), ("kind", self.kind)) if value]

    def __bool__(self) -> bool:
        return bool(self.terms() or self.year)


TIE_WINDOW = 20  # hits fetched past the limit, so that equal scores at the cut are ordered alike


def first_hits(candidates, limit: int, score, number) -> list:
    """The first `limit` of an engine's top `limit + TIE_WINDOW` hits, equal scores (to two
    decimals) in order of standard number: the same order from both engines and after any
    update, whatever the layout of each engine's documents."""
    return sorted(candidates, key=lambda c: (-round(score(c), 2), number(c)))[:limit]


def by_count(items) -> dict[str, int]:
    return dict(sorted(items, key=lambda kv: (-kv[1], kv[0])))


def status_note(status: str, unfiltered: SearchResult) -> str:
    """Why a status filter found nothing: the statuses the same search has without it."""
    counts = unfiltered.facets.get("status") or {}
    if not counts:
        return ""
    shown = "、".join(f"{STATUS_LABELS.get(k, k)} {n}" for k, n in counts.items())
    note = f"没有状态为{STATUS_LABELS.get(status, status)}的结果；不限状态有 {unfiltered.total} 条（{shown}）"
    if "unknown" in counts:
        note += "。状态“未知”的记录来自未注明实施日期的公告：去掉 --status，或用 --status unknown"
    return note


def empty_result(text: str, matched_as: str, facets: bool) -> SearchResult:
    return SearchResult(query=text, total=0, hits=[], matched_as=matched_as,
                        facets={name: {} for name in FACET_FIELDS} if facets else {})


# -- the index -------------------------------------------------------------------------

class KnowledgeIndex(ABC):
    """An open generation; keep one per process and reuse it. The engine supplies the
    primitives (abstract below); the answers are composed here, the same for every engine.

        kb = open_index(index_dir, corpus_dir)      # index.api
        kb.search("水稻", level="local").hits
        kb.lookup("db23t2419-2026")
        kb.search_clauses("计量器具 强制检定")
        kb.coverage.facet_counts("level")
    """

    engine = ""

    def __init__(self, generation: store.Generation, index_dir: Path):
        self._open(generation, index_dir)

    def _open(self, generation: store.Generation, index_dir: Path) -> None:
        self.generation = generation
        self.index_dir = index_dir
        self._clause_searcher = None
        self._coverage = None
        self._open_engine()

    @classmethod
    def open(cls, index_dir: Path) -> "KnowledgeIndex":
        """The serving generation, opened by the engine that built it (by this class's
        engine only, when called on an engine's class)."""
        return open_generation_index(store.open_generation(index_dir), index_dir, expected=cls.engine or None)

    @property
    def meta(self) -> dict:
        return self.generation.meta

    def close(self) -> None:
        if self._clause_searcher is not None:
            self._clause_searcher.close()
            self._clause_searcher = None
        self._close_engine()

    def _follow_current(self) -> None:
        """Reopen on the serving generation: a long-lived index whose own generation was
        removed by later builds (only the current one and the one before are kept)."""
        serving = store.open_generation(self.index_dir)
        self.close()
        self._open(serving, self.index_dir)

    # -- records -------------------------------------------------------------

    def search(self, text: str, level=None, status=None, region=None, year=None, kind=None,
               limit: int = 10, facets: bool = True) -> SearchResult:
        parsed = parse_query(text)
        filters = Filters(level, status, region, int(year) if year else None, kind)
        if parsed.number is not None:
            return self._search_number(text, parsed.number, filters, limit, facets)
        result = self._search_text(text, parsed, filters, limit, facets, require_all=True)
        if result.total == 0 and len(parsed.terms) + len(parsed.phrases) > 1:
            result = self._search_text(text, parsed, filters, limit, facets, require_all=False)
        if result.total == 0 and status:
            result.note = status_note(status, self.search(text, level, None, region, year, kind, limit=1))
        return result

    def lookup(self, text: str) -> list[Record]:
        """All records for one number in any spelling: the edition, or every edition/part."""
        parsed = numbers.parse(text)
        found = self.number_records(parsed)
        if not found:
            raise NotFound(f"知识库中没有 {parsed.canonical}",
                           hint="请核对标准号，或用标准名称中的词运行 `kb search`")
        return found

    def vocabulary(self):
        """The category vocabulary: the snapshot beside this index (cut with the index's own
        segmentation), else the shipped one built in this process."""
        from kb.categories import default_vocabulary, load_snapshot
        from index.analysis import analyze

        return load_snapshot(self.index_dir, cutter=lambda text: analyze(text, mode="query")) \
            or default_vocabulary()

    # -- clauses -------------------------------------------------------------

    @property
    def clauses(self):
        """The clause searcher of this generation (index.clauses.ClauseSearcher, opened on first use)."""
        if self._clause_searcher is None:
            from index.clauses import ClauseSearcher

            if not self.generation.path.exists():
                self._follow_current()  # generations switched since this index was opened
            self._clause_searcher = ClauseSearcher(self.generation.path, self._clause_store())
        return self._clause_searcher

    def search_clauses(self, text: str, doc_id: str | None = None, doc_kind: str | None = None,
                       limit: int = 10, words: bool = False):
        """The fused ranking (index/clause_ranking.py), or with `words` the word ranking only."""
        search = self.clauses.search_words if words else self.clauses.search
        return search(text, doc_id=doc_id, doc_kind=doc_kind, limit=limit)

    # -- what each engine supplies -------------------------------------------

    @abstractmethod
    def _open_engine(self) -> None:
        """Open the records index of self.generation (IndexMissing when it cannot)."""

    @abstractmethod
    def _close_engine(self) -> None: ...

    @abstractmethod
    def _search_text(self, text: str, parsed: ParsedQuery, filters: Filters, limit: int, facets: bool,
                     require_all: bool) -> SearchResult:
        """Words and phrases of `parsed` in RECORD_TEXT_FIELDS (all of them, or any with
        matched_as "text-any"), top `limit` by BM25, total and facet counts of every match."""

    @abstractmethod
    def _search_number(self, text: str, number: numbers.StandardNumber, filters: Filters, limit: int,
                       facets: bool) -> SearchResult:
        """Records of one number (matched_as "number")."""

    @abstractmethod
    def number_records(self, number: numbers.StandardNumber) -> list[Record]:
        """The exact edition with a year; all editions (and parts, for a bare series) without."""

    @abstractmethod
    def record(self, record_id: str) -> Record | None: ...

    @abstractmethod
    def all_records(self) -> list[Record]: ...

    @abstractmethod
    def doc_count(self) -> int: ...

    @property
    def coverage(self):
        """The coverage facts reader (the methods index.coverage_fields lists), made on first use."""
        if self._coverage is None:
            self._coverage = self._coverage_reader()
        return self._coverage

    @abstractmethod
    def _coverage_reader(self):
        """A new coverage reader over the open records index."""

    def _clause_store(self):
        """The clause index: count(), document(clause_id) → stored fields or None, and
        search_words(text, parsed, filters: dict, limit, require_all) → ClauseResult."""
        try:
            return load_engine(self.engine).clause_store(self.generation.path)
        except Exception as exc:
            raise IndexMissing(f"无法打开索引版本 {self.generation.name} 的条款索引"
                               f"（{type(exc).__name__}: {exc}）") from None
