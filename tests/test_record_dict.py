"""Record.to_dict (written for speed) equals dataclasses.asdict on every real record."""
from __future__ import annotations

import dataclasses

from conftest import ROOT
from kb.corpus import load_records
from kb.records import _LIST_FIELDS, Record, Source


def test_to_dict_equals_asdict_on_the_corpus():
    records = load_records(ROOT / "corpus" / "standards.jsonl").records
    assert len(records) == 1461
    for record in records.values():
        data = record.to_dict()
        assert data == dataclasses.asdict(record)
        assert list(data) == [f.name for f in dataclasses.fields(Record)]
        assert all(data[name] is not getattr(record, name) for name in _LIST_FIELDS)  # copies


def test_list_fields_are_all_the_list_fields():
    lists = {f.name for f in dataclasses.fields(Record) if f.default_factory is list} - {"sources"}
    assert set(_LIST_FIELDS) == lists


def test_sources_are_plain_dicts():
    record = Record.for_number("GB/T 1.1-2020", sources=[Source("x", url="u")])
    assert record.to_dict()["sources"] == [{"source": "x", "url": "u", "fetched_at": "", "content_hash": ""}]
