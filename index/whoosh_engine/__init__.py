"""The Whoosh engine (the default): today's index, behind the contract of index.engine."""
from __future__ import annotations

import os
import pickle
import struct
import zlib

from kb.errors import IndexMissing
from index.whoosh_engine import writer as _writer

_DAMAGE_TYPES = (zlib.error, struct.error, EOFError, pickle.UnpicklingError, UnicodeDecodeError)


class WhooshEngine:
    name = "whoosh"
    records_writer = staticmethod(_writer.records_writer)
    clauses_writer = staticmethod(_writer.clauses_writer)
    record_count = staticmethod(_writer.record_count)

    @staticmethod
    def clause_store(gen_path):
        from index.whoosh_engine.clauses import WhooshClauseStore

        return WhooshClauseStore(gen_path)

    @staticmethod
    def open(generation, index_dir):
        from index.whoosh_engine.search import WhooshIndex

        return WhooshIndex(generation, index_dir)

    @staticmethod
    def damage(exc: BaseException) -> IndexMissing | None:
        """An unexpected exception raised inside Whoosh while reading an index (a flipped byte
        in a segment surfaces as zlib.error, struct.error, EOFError …) as IndexMissing (exit 4)."""
        if not isinstance(exc, _DAMAGE_TYPES):
            return None  # a ValueError inside Whoosh is a bad query value, not damage
        tb = exc.__traceback__
        inside_whoosh = False
        while tb is not None:
            if f"{os.sep}whoosh{os.sep}" in tb.tb_frame.f_code.co_filename:
                inside_whoosh = True
            tb = tb.tb_next
        if not inside_whoosh and type(exc).__module__ not in ("zlib", "struct"):
            return None
        kind = type(exc).__qualname__ if type(exc).__module__ == "builtins" else \
            f"{type(exc).__module__}.{type(exc).__qualname__}"
        return IndexMissing(f"索引已损坏（{kind}: {str(exc)[:200]}）")


ENGINE = WhooshEngine()
