"""The tantivy engine: Rust search behind the contract of index.engine, for knowledge bases
at national scale (README, "Choosing an engine"; BENCHMARKS.md)."""
from __future__ import annotations

import os

from kb.errors import IndexMissing
from index.tantivy_engine import writer as _writer

_HERE = os.path.dirname(os.path.abspath(__file__))
_QUERY_ERRORS = ("Query", "query", "field", "Field")  # a ValueError about a query, not a damaged index


class TantivyEngine:
    name = "tantivy"
    records_writer = staticmethod(_writer.records_writer)
    clauses_writer = staticmethod(_writer.clauses_writer)
    record_count = staticmethod(_writer.record_count)

    @staticmethod
    def clause_store(gen_path):
        from index.tantivy_engine.clauses import TantivyClauseStore

        return TantivyClauseStore(gen_path)

    @staticmethod
    def open(generation, index_dir):
        from index.tantivy_engine.search import TantivyIndex

        return TantivyIndex(generation, index_dir)

    @staticmethod
    def damage(exc: BaseException) -> IndexMissing | None:
        """A ValueError tantivy raised while reading (a damaged or vanished segment file:
        its io or data-corruption errors) as IndexMissing (exit 4)."""
        if not isinstance(exc, ValueError) or any(word in str(exc) for word in _QUERY_ERRORS):
            return None
        tb, innermost = exc.__traceback__, None
        while tb is not None:
            innermost = tb.tb_frame.f_code.co_filename
            tb = tb.tb_next
        if innermost is None or not os.path.abspath(innermost).startswith(_HERE):
            return None
        return IndexMissing(f"索引已损坏（tantivy: {str(exc)[:200]}）")


ENGINE = TantivyEngine()
