"""Search and lookup over the serving generation.

    kb = KnowledgeIndex.open(index_dir)
    kb.search("水稻", level="local").hits
    kb.lookup("db23t2419-2026")
"""
from __future__ import annotations

import html

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh.highlight import ContextFragmenter, Formatter, get_text
from whoosh.query import And, NumericRange, Or, Phrase, Term

from kb import numbers
from kb.errors import BadQuery, IndexMissing, NotFound
from kb.records import Record
from kb.vocab import STATUS_LABELS
from index import store
from index.analysis import analyze, use_vocabulary
from index.query import ParsedQuery, parse_query
from index.schema import RECORDS, TITLE_BOOST
from index.speedups import matching_ids, value_codes

FACET_FIELDS = ("level", "status", "region")
MAX_CACHED_FILTERS = 64
STORED_FACETS_LIMIT = 5000  # matches counted from stored fields while facet values are not loaded
RECORD_TEXT_FIELDS = {"title": TITLE_BOOST, "scope": 1.0, "english_title": 1.0, "dept": 0.5}


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


class EmFormatter(Formatter):
    """Marks matched terms as <em>…</em>; the terminal renderer turns them bold. The text's
    own HTML is escaped, so the only markup in a snippet is the highlights."""

    between = "…"

    def format_token(self, text, token, replace=False):
        return f"<em>{html.escape(get_text(text, token, replace), quote=False)}</em>"

    def _text(self, text):
        return html.escape(text, quote=False)


def plain_snippet(text: str) -> str:
    """A snippet without highlights, escaped like the highlighted ones."""
    return html.escape(text, quote=False)


def _by_count(items) -> dict[str, int]:
    return dict(sorted(items, key=lambda kv: (-kv[1], kv[0])))


def _highlight(hit, name: str) -> str:
    return hit.highlights(name) if name in hit else ""


def _field_or(fields: dict[str, float], make) -> Or:
    return Or([make(name, boost) for name, boost in fields.items()])


def text_query(parsed: ParsedQuery, fields: dict[str, float], require_all: bool = True):
    """AND (or OR) of the query's words and phrases, each matched in any of `fields`."""
    parts = [_field_or(fields, lambda f, b, t=term: Term(f, t, boost=b)) for term in parsed.terms]
    parts += [_field_or(fields, lambda f, b, w=words: Phrase(f, w, boost=b)) for words in parsed.phrases]
    if not parts:
        return None
    return And(parts) if require_all else Or(parts)


def filter_query(level=None, status=None, region=None, year=None, kind=None):
    terms = []
    for name, value in (("level", level), ("status", status), ("region", region), ("kind", kind)):
        if value:
            terms.append(Term(name, value))
    if year:
        if not 1000 <= int(year) <= 9999:
            raise BadQuery(f"--year {year} 不是四位数的年份（如 2026）")
        terms.append(NumericRange("year", int(year), int(year)))
    return And(terms) if terms else None


def number_query(parsed: numbers.StandardNumber):
    """Exact edition with a year; all editions (and parts, for a bare series) without."""
    if parsed.year is not None:
        return Term("number_key", parsed.key)
    if parsed.part:
        return Term("edition_key", parsed.edition_free_key)
    return Term("series_key", parsed.series_key)


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


class KnowledgeIndex:
    """An open generation; keep one per process and reuse its searcher."""

    def __init__(self, generation: store.Generation, index_dir: Path):
        self._open(generation, index_dir)

    def _open(self, generation: store.Generation, index_dir: Path) -> None:
        self.generation = generation
        self.index_dir = index_dir
        use_vocabulary(index_dir)  # cut queries without loading jieba's whole dictionary
        try:
            self._records = whoosh_index.open_dir(str(generation.path), indexname=RECORDS)
            self._searcher = self._records.searcher()
        except Exception as exc:  # a missing or damaged segment fails in many ways inside Whoosh
            raise IndexMissing(f"无法打开索引版本 {generation.name}"
                               f"（{type(exc).__name__}: {exc}）") from None
        self._clauses = None
        self._filters: dict = {}
        self._facet_codes: dict[str, tuple[bytearray, list[str]]] = {}
        self._coverage = None

    @classmethod
    def open(cls, index_dir: Path) -> "KnowledgeIndex":
        return cls(store.open_generation(index_dir), index_dir)

    def close(self) -> None:
        self._searcher.close()
        self._records.close()
        if self._clauses is not None:
            self._clauses.close()

    @property
    def clauses(self):
        """The clause searcher of this generation (opened on first use)."""
        if self._clauses is None:
            from index.clauses import ClauseSearcher

            if not self.generation.path.exists():
                self._follow_current()  # generations switched since this index was opened
            try:
                self._clauses = ClauseSearcher(self.generation.path)
            except Exception as exc:
                raise IndexMissing(f"无法打开索引版本 {self.generation.name} 的条款索引"
                                   f"（{type(exc).__name__}: {exc}）") from None
        return self._clauses

    def _follow_current(self) -> None:
        """Reopen on the serving generation: a long-lived index whose own generation was
        removed by later builds (only the current one and the one before are kept)."""
        serving = store.open_generation(self.index_dir)
        self.close()
        self._open(serving, self.index_dir)

    def search_clauses(self, text: str, doc_id: str | None = None, doc_kind: str | None = None,
                       limit: int = 10, words: bool = False):
        """The fused ranking (index/clause_ranking.py), or with `words` the word ranking only."""
        search = self.clauses.search_words if words else self.clauses.search
        return search(text, doc_id=doc_id, doc_kind=doc_kind, limit=limit)

    @property
    def coverage(self):
        """The coverage facts of this generation (index.coverage_fields.CoverageReader)."""
        if self._coverage is None:
            from index.coverage_fields import CoverageReader

            self._coverage = CoverageReader(self._searcher)
        return self._coverage

    def vocabulary(self):
        """The category vocabulary: the snapshot beside this index (cut with the index's own
        segmentation), else the shipped one built in this process."""
        from kb.categories import default_vocabulary, load_snapshot

        return load_snapshot(self.index_dir, cutter=lambda text: analyze(text, mode="query")) \
            or default_vocabulary()

    @property
    def meta(self) -> dict:
        return self.generation.meta

    # -- records -------------------------------------------------------------

    def search(self, text: str, level=None, status=None, region=None, year=None, kind=None,
               limit: int = 10, facets: bool = True) -> SearchResult:
        parsed = parse_query(text)
        filt = filter_query(level, status, region, year, kind)
        if parsed.number is not None:
            return self._run(text, number_query(parsed.number), filt, limit, facets, "number")
        result = self._run(text, text_query(parsed, RECORD_TEXT_FIELDS), filt, limit, facets, "text")
        if result.total == 0 and len(parsed.terms) + len(parsed.phrases) > 1:
            result = self._run(text, text_query(parsed, RECORD_TEXT_FIELDS, require_all=False),
                               filt, limit, facets, "text-any")
        if result.total == 0 and status:
            result.note = status_note(status, self.search(text, level, None, region, year, kind, limit=1))
        return result

    def _run(self, text, query, filt, limit, facets, matched_as) -> SearchResult:
        # Top hits come from Whoosh's optimized top-k search (no scoring of every match);
        # the total and the facet counts from the unscored set of matching documents.
        allowed = self._filter_ids(filt)
        if allowed is not None and not allowed:  # Whoosh reads an empty filter as no filter
            return SearchResult(query=text, total=0, hits=[], matched_as=matched_as,
                                facets={name: {} for name in FACET_FIELDS} if facets else {})
        results = self._searcher.search(query, limit=limit, filter=allowed)
        results.fragmenter = ContextFragmenter(maxchars=120, surround=30)
        results.formatter = EmFormatter()
        hits = []
        for hit in results[:limit]:
            snippet = _highlight(hit, "title") or _highlight(hit, "scope") or plain_snippet(hit.get("scope", "")[:120])
            hits.append(Hit(id=hit["id"], number=hit["id"], title=hit.get("title", ""),
                            level=hit.get("level", ""), status=hit.get("status", ""),
                            score=round(hit.score, 3), snippet=snippet))
        matched = matching_ids(self._searcher, query)
        if allowed is not None:
            matched &= allowed
        facet_counts = self._facets(matched) if facets else {}
        return SearchResult(query=text, total=len(matched), hits=hits, facets=facet_counts,
                            matched_as=matched_as)

    def _filter_ids(self, filt) -> set[int] | None:
        """The documents a filter allows, computed once per filter while this index is open (never mutated)."""
        if filt is None:
            return None
        allowed = self._filters.get(filt)
        if allowed is None:
            if len(self._filters) >= MAX_CACHED_FILTERS:
                self._filters.clear()
            allowed = self._filters[filt] = matching_ids(self._searcher, filt)  # a set: Whoosh takes no frozenset
        return allowed

    def _facets(self, matched: set[int]) -> dict[str, dict[str, int]]:
        """Facet counts over `matched`. A small result set in an index whose per-document
        facet values are not loaded yet (a cold `kb search`) is counted from the stored
        fields: reading every posting of every facet value costs more than that."""
        if len(matched) <= STORED_FACETS_LIMIT and not all(n in self._facet_codes for n in FACET_FIELDS):
            counts = {name: Counter() for name in FACET_FIELDS}
            for docnum in matched:
                stored = self._searcher.stored_fields(docnum)
                for name in FACET_FIELDS:
                    if stored.get(name):
                        counts[name][stored[name]] += 1
            return {name: _by_count(counts[name].items()) for name in FACET_FIELDS}
        return {name: self._facet_counts(name, matched) for name in FACET_FIELDS}

    def _facet_counts(self, name: str, matched: set[int]) -> dict[str, int]:
        """Value → count over `matched`, most frequent first (documents without a value left out)."""
        if name not in self._facet_codes:
            self._facet_codes[name] = value_codes(self._searcher, name)
        codes, values = self._facet_codes[name]
        counts = Counter(map(codes.__getitem__, matched))
        counts.pop(0, None)
        return _by_count((values[code], n) for code, n in counts.items())

    def records_matching(self, query) -> list[Record]:
        return [Record.from_dict(json.loads(hit["record"]))
                for hit in self._searcher.search(query, limit=None)]

    def lookup(self, text: str) -> list[Record]:
        """All records for one number in any spelling: the edition, or every edition/part."""
        parsed = numbers.parse(text)
        found = self.records_matching(number_query(parsed))
        if not found:
            raise NotFound(f"知识库中没有 {parsed.canonical}",
                           hint="请核对标准号，或用标准名称中的词运行 `kb search`")
        return found

    def record(self, record_id: str) -> Record | None:
        stored = self._searcher.document(id=record_id)
        return Record.from_dict(json.loads(stored["record"])) if stored else None

    def all_records(self) -> list[Record]:
        return [Record.from_dict(json.loads(fields["record"]))
                for fields in self._searcher.all_stored_fields()]

    def doc_count(self) -> int:
        return self._searcher.doc_count()
