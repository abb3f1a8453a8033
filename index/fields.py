"""The fields of the two indexes in a generation (records and clauses), for every engine.

Each engine makes its own schema from these specs (index/whoosh_engine/schema.py,
index/tantivy_engine/schema.py) and indexes the same documents: dicts of field name →
value built here and in index/clauses.py. Text fields are cut by our analyzers
(index.analysis) in both engines, so both hold the same tokens.

    id        one exact value; "id" is the document's unique key
    keywords  several exact values in one string, split on `separator`
    text      words of an analyzer: "chinese" (jieba, with sub-words), "english"
              (stemmed), "words" (jieba words without sub-words, index.coverage_fields)
    number    an integer
    stored    kept for display only, never searched
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Iterable

from kb import numbers
from kb.records import Record, effective_status
from index.analysis import ANALYZER_VERSION
from index.coverage_fields import coverage_document

SCHEMA_VERSION = 7  # 3: coverage facts (index.coverage_fields); 4: clause ranking data (index/clause_rows.py) beside the clause index; 5: that data as mapped binary columns, float32 vectors (cold clause search, issue 17); 6: no index-time field boosts (Whoosh scored title words twice over); 7: Whoosh keeps field lengths as tantivy does
VERSION = {"schema": SCHEMA_VERSION, "analyzer": ANALYZER_VERSION}

RECORDS = "records"
CLAUSES = "clauses"

@dataclass(frozen=True)
class Field:
    kind: str  # id / keywords / text / number / stored
    stored: bool = False
    analyzer: str = ""  # text fields: chinese / english / words
    separator: str = " "  # keywords fields
    scorable: bool = False  # keywords fields that take part in scoring (number_key)


def _id(stored: bool = True) -> Field:
    return Field("id", stored=stored)


def _codes(stored: bool = False) -> Field:
    return Field("keywords", stored=stored, separator=",")


RECORD_FIELDS: dict[str, Field] = {
    "id": _id(),
    "number_key": Field("keywords", scorable=True),
    "edition_key": Field("keywords"),
    "series_key": Field("keywords"),
    "title": Field("text", stored=True, analyzer="chinese"),
    "english_title": Field("text", stored=True, analyzer="english"),
    "scope": Field("text", stored=True, analyzer="chinese"),
    "dept": Field("text", analyzer="chinese"),
    "kind": _id(), "level": _id(), "status": _id(), "force": _id(), "region": _id(), "sector": _id(),
    "year": Field("number", stored=True),
    "ccs": _codes(stored=True), "ics": _codes(stored=True),
    "content_hash": Field("stored"),
    "record": Field("stored"),  # the full record as JSON: lookups need no corpus read
    # Coverage facts, classified once at index time (index.coverage_fields): kb cover, gaps, stats read these.
    "cover_group": _id(False), "cover_ccs": _codes(), "cover_within": _codes(), "cover_basis": _id(False),
    "cover_ics": _codes(), "age_from": _id(False), "has_successor": _id(False), "cover_source": _codes(),
    "issue_year": _id(False), "region_code": _id(False),
    "title_words": Field("text", analyzer="words"), "scope_words": Field("text", analyzer="words"),
    "cover_facts": Field("stored"),
}

CLAUSE_FIELDS: dict[str, Field] = {
    "id": _id(),  # doc_id#path
    "doc_id": _id(),
    "doc_title": Field("text", stored=True, analyzer="chinese"),
    "doc_kind": _id(),
    "path": _id(),
    "label": Field("stored"),
    "heading": Field("text", stored=True, analyzer="chinese"),
    "text": Field("text", stored=True, analyzer="chinese"),
    "context": Field("text", analyzer="chinese"),  # headings of the chapters around a clause
    "latest": _id(False),  # "1" on the clauses of the newest version of each text
    "clause_kind": _id(),
    "parent": Field("stored"),
    "content_hash": Field("stored"),
}

# What a text query searches, with each field's weight: applied at query time only, the same
# in both engines (a Whoosh field_boost would also scale the indexed term frequencies).
RECORD_TEXT_FIELDS = {"title": 3.0, "scope": 1.0, "english_title": 1.0, "dept": 0.5}
CLAUSE_TEXT_FIELDS = {"heading": 2.0, "text": 1.0, "context": 0.3, "doc_title": 0.5}
FACET_FIELDS = ("level", "status", "region")


def number_keys(numbers_: Iterable[str]) -> tuple[set[str], set[str], set[str]]:
    """The edition, edition-free and series keys of standard numbers (unparsable ones left out)."""
    full, edition, series = set(), set(), set()
    for text in numbers_:
        parsed = numbers.try_parse(text)
        if parsed is None:
            continue
        full.add(parsed.key)
        edition.add(parsed.edition_free_key)
        series.add(parsed.series_key)
    return full, edition, series


def record_document(record: Record, today: dt.date, content_hash: str | None = None, facts=None) -> dict:
    """The index document of one record; status is as of `today`; with its coverage facts
    (kb.coverage_facts.CoverageFacts) when given. Empty values are left out."""
    full, edition, series = number_keys([record.number, *record.other_numbers])
    doc = {
        "id": record.id,
        "number_key": " ".join(sorted(full)),
        "edition_key": " ".join(sorted(edition)),
        "series_key": " ".join(sorted(series)),
        "title": record.title,
        "english_title": record.english_title,
        "scope": record.scope,
        "dept": record.dept,
        "kind": record.kind,
        "level": record.level,
        "status": effective_status(record, today),
        "force": record.force or "",
        "region": record.region[:2],
        "sector": record.sector,
        "ccs": ",".join(record.ccs),
        "ics": ",".join(record.ics),
        "content_hash": content_hash or record.content_hash(),
        "record": record.to_json(),
        **(coverage_document(record, facts) if facts is not None else {}),
    }
    year = numbers.try_parse(record.number)
    if year and year.year:
        doc["year"] = year.year
    return {k: v for k, v in doc.items() if v != ""}


def analyzer(name: str):
    """The analyzer chain of a text field (index.analysis)."""
    from index.analysis import chinese_analyzer

    if name == "chinese":
        return chinese_analyzer()
    if name == "english":
        from whoosh.analysis import StemmingAnalyzer

        return StemmingAnalyzer()
    if name == "words":
        from index.coverage_fields import words_analyzer

        return words_analyzer()
    raise ValueError(f"unknown analyzer {name!r}")
