"""Whoosh schemas of the two indexes in a generation: records and clauses."""
from __future__ import annotations

from whoosh.analysis import StemmingAnalyzer
from whoosh.fields import ID, KEYWORD, NUMERIC, STORED, TEXT, Schema

from index import speedups
from index.coverage_fields import schema_fields as coverage_fields
from index.analysis import ANALYZER_VERSION, chinese_analyzer

speedups.apply()

SCHEMA_VERSION = 5  # 3: coverage facts (index.coverage_fields); 4: clause ranking data (index/clause_rows.py) beside the clause index; 5: that data as mapped binary columns, float32 vectors (cold clause search, issue 17)
VERSION = {"schema": SCHEMA_VERSION, "analyzer": ANALYZER_VERSION}

RECORDS = "records"
CLAUSES = "clauses"

# Field boosts: number and title above scope.
TITLE_BOOST = 3.0
SCOPE_BOOST = 1.0
NUMBER_BOOST = 10.0


def records_schema() -> Schema:
    cn = chinese_analyzer()
    return Schema(
        id=ID(stored=True, unique=True),
        number_key=KEYWORD(scorable=True, lowercase=False, field_boost=NUMBER_BOOST),
        edition_key=KEYWORD(lowercase=False),
        series_key=KEYWORD(lowercase=False),
        title=TEXT(analyzer=cn, stored=True, field_boost=TITLE_BOOST),
        english_title=TEXT(analyzer=StemmingAnalyzer(), stored=True),
        scope=TEXT(analyzer=cn, stored=True, field_boost=SCOPE_BOOST),
        dept=TEXT(analyzer=cn, field_boost=0.5),
        kind=ID(stored=True),
        level=ID(stored=True),
        status=ID(stored=True),
        force=ID(stored=True),
        region=ID(stored=True),
        sector=ID(stored=True),
        year=NUMERIC(int, stored=True),
        ccs=KEYWORD(stored=True, commas=True, lowercase=False),
        ics=KEYWORD(stored=True, commas=True, lowercase=False),
        content_hash=STORED(),
        record=STORED(),  # the full record as JSON: lookups need no corpus read
        **coverage_fields(),  # classified once, here: kb cover, gaps, stats read these
    )


def clauses_schema() -> Schema:
    cn = chinese_analyzer()
    return Schema(
        id=ID(stored=True, unique=True),  # doc_id#path
        doc_id=ID(stored=True),
        doc_title=TEXT(analyzer=cn, stored=True, field_boost=0.5),
        doc_kind=ID(stored=True),
        path=ID(stored=True),
        label=STORED(),
        heading=TEXT(analyzer=cn, stored=True, field_boost=2.0),
        text=TEXT(analyzer=cn, stored=True),
        context=TEXT(analyzer=cn, field_boost=0.3),  # headings of the chapters around a clause
        latest=ID(),  # "1" on the clauses of the newest version of each text
        clause_kind=ID(stored=True),
        parent=STORED(),
        content_hash=STORED(),
    )
