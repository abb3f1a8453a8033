"""Whoosh writers of a generation's records and clause indexes."""
from __future__ import annotations

from contextlib import suppress
from pathlib import Path

from whoosh import index as whoosh_index

from index.fields import CLAUSES, RECORDS
from index.whoosh_engine.schema import clauses_schema, records_schema


class WhooshWriter:
    """One index's writer. A new index gets the settings' pool and processes; an update
    (of a hard-linked clone) commits without merging, so it writes new segments only."""

    def __init__(self, gen_path: Path, indexname: str, schema, settings, new: bool):
        if new:
            self._ix = whoosh_index.create_in(str(gen_path), schema, indexname=indexname)
            self._writer = self._ix.writer(**settings.whoosh_kwargs())
        else:
            self._ix = whoosh_index.open_dir(str(gen_path), indexname=indexname)
            self._writer = self._ix.writer()
        self._new = new
        self._settings = settings

    def add(self, doc: dict) -> None:
        self._writer.add_document(**doc)

    def update(self, doc: dict) -> None:
        self._writer.update_document(**doc)

    def delete(self, field: str, value: str) -> None:
        self._writer.delete_by_term(field, value)

    def commit(self) -> int:
        self._writer.commit(**({} if self._new else {"merge": False}))
        if self._new and self._settings.optimize and self._settings.multisegment and self._settings.procs > 1:
            self._ix.optimize()  # merge the workers' segments into one
        with self._ix.searcher() as searcher:
            count = searcher.doc_count()
        self._ix.close()
        return count

    def cancel(self) -> None:
        """Files closed, worker processes ended (MpWriter's cancel() never reaches its workers)."""
        with suppress(Exception):
            self._writer.cancel()
        for task in getattr(self._writer, "tasks", []):
            with suppress(Exception):
                task.terminate()


def records_writer(gen_path: Path, settings, new: bool) -> WhooshWriter:
    return WhooshWriter(gen_path, RECORDS, records_schema(), settings, new)


def clauses_writer(gen_path: Path, settings, new: bool) -> WhooshWriter:
    return WhooshWriter(gen_path, CLAUSES, clauses_schema(), settings, new)


def record_count(gen_path: Path) -> int:
    ix = whoosh_index.open_dir(str(gen_path), indexname=RECORDS)
    with ix.reader() as reader:
        return reader.doc_count()
