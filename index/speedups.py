"""Targeted fixes of Whoosh hot spots found by profiling (bench/run, BENCHMARKS.md).

- `W3PerDocReader._cached_reader` remembers a field's length column only when it
  exists. Fields without lengths (ID, KEYWORD, NUMERIC) are asked again for every
  posting while a segment is flushed, and each ask is a stat() of a file that is not
  there: a third of commit time in a 5,000-record build. Segment files never change
  once written, so remembering "no column" is as correct as remembering the column.

Applied once, on import of index.schema (every index path imports it).
"""
from __future__ import annotations

from whoosh.codec import whoosh3

_applied = False


def _cached_reader(self, fieldname, column):
    try:
        return self._readers[fieldname]
    except KeyError:
        reader = self.column_reader(fieldname, column) if self.has_column(fieldname) else None
        self._readers[fieldname] = reader
        return reader


def apply() -> None:
    global _applied
    if not _applied:
        whoosh3.W3PerDocReader._cached_reader = _cached_reader
        _applied = True
