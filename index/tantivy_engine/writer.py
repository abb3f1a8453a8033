"""tantivy writers of a generation's records and clause indexes."""
from __future__ import annotations

import errno
import os
import re
from pathlib import Path

import tantivy

from index.fields import CLAUSES, RECORDS
from index.tantivy_engine.schema import document, folder, schema

MIN_HEAP_MB = 15  # tantivy refuses less per indexing thread
_OS_ERROR = re.compile(r"\(os error (\d+)\)")


def os_error(exc: ValueError) -> BaseException:
    """tantivy reports a failed write (a full disk …) as ValueError("An IO error occurred: …
    (os error 28)"): as the OSError it is, so the build reports it like any other."""
    text = str(exc)
    code = _OS_ERROR.search(text)
    if code:
        number = int(code.group(1))
        return OSError(number, os.strerror(number))
    if "IO error" in text:
        return OSError(errno.EIO, text)
    return exc


def _written(call, *args):
    try:
        return call(*args)
    except ValueError as exc:
        raise os_error(exc) from None


class TantivyWriter:
    """One index's writer: documents are added in memory and written as new segments at
    commit; segments already written are never changed (an update of a hard-linked clone
    adds segments and delete files, and leaves the clone's source untouched)."""

    def __init__(self, gen_path: Path, indexname: str, settings, new: bool):
        path = folder(gen_path, indexname)
        if new:
            path.mkdir()
            self._ix = _written(tantivy.Index, schema(indexname), str(path), False)
        else:
            self._ix = _written(tantivy.Index.open, str(path))
        threads = max(1, settings.procs)
        heap = max(settings.limitmb, MIN_HEAP_MB) * threads * 1_000_000
        self._writer = _written(self._ix.writer, heap, threads)
        self._indexname = indexname

    def add(self, doc: dict) -> None:
        _written(self._writer.add_document, document(self._indexname, doc))

    def update(self, doc: dict) -> None:
        self._writer.delete_documents_by_term("id", doc["id"])
        self.add(doc)

    def delete(self, field: str, value: str) -> None:
        self._writer.delete_documents_by_term(field, value)

    def commit(self) -> int:
        _written(self._writer.commit)
        _written(self._writer.wait_merging_threads)
        self._ix.reload()
        return self._ix.searcher().num_docs

    def cancel(self) -> None:
        try:
            self._writer.rollback()
        except ValueError:
            pass  # a writer that failed has nothing to roll back


def records_writer(gen_path: Path, settings, new: bool) -> TantivyWriter:
    return TantivyWriter(gen_path, RECORDS, settings, new)


def clauses_writer(gen_path: Path, settings, new: bool) -> TantivyWriter:
    return TantivyWriter(gen_path, CLAUSES, settings, new)


def record_count(gen_path: Path) -> int:
    return tantivy.Index.open(str(folder(gen_path, RECORDS))).searcher().num_docs
