"""Whoosh schemas of the two indexes in a generation, made from the shared field specs (index.fields)."""
from __future__ import annotations

from whoosh.fields import ID, KEYWORD, NUMERIC, STORED, TEXT, Schema

from index.fields import CLAUSE_FIELDS, RECORD_FIELDS, Field, analyzer
from index.whoosh_engine import scoring, speedups

speedups.apply()
scoring.apply()


def whoosh_field(name: str, spec: Field):
    if spec.kind == "id":
        return ID(stored=spec.stored, unique=name == "id")
    if spec.kind == "keywords":
        return KEYWORD(stored=spec.stored, commas=spec.separator == ",", lowercase=False,
                       scorable=spec.scorable)
    if spec.kind == "text":
        return TEXT(analyzer=analyzer(spec.analyzer), stored=spec.stored)
    if spec.kind == "number":
        return NUMERIC(int, stored=spec.stored)
    return STORED()


def _schema(fields: dict[str, Field]) -> Schema:
    return Schema(**{name: whoosh_field(name, spec) for name, spec in fields.items()})


def records_schema() -> Schema:
    return _schema(RECORD_FIELDS)


def clauses_schema() -> Schema:
    return _schema(CLAUSE_FIELDS)
