"""tantivy schemas of the two indexes in a generation, made from the shared field specs
(index.fields), and index documents as tantivy Documents.

Text is cut by our own analyzers (index.analysis) and handed to tantivy pre-tokenized,
with the same positions (a word's sub-words share its position), so both engines hold
the same tokens. Exact values are raw-tokenized fast fields (facets and filters read
them column-wise); stored-only values are bytes, never indexed."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import tantivy

from index.fields import CLAUSE_FIELDS, CLAUSES, RECORD_FIELDS, RECORDS, Field, analyzer

FOLDERS = {RECORDS: "tantivy-records", CLAUSES: "tantivy-clauses"}
FIELD_SPECS = {RECORDS: RECORD_FIELDS, CLAUSES: CLAUSE_FIELDS}


def folder(gen_path: Path, indexname: str) -> Path:
    return Path(gen_path) / FOLDERS[indexname]


@lru_cache(maxsize=None)
def schema(indexname: str) -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    for name, spec in FIELD_SPECS[indexname].items():
        if spec.kind == "id":
            builder.add_text_field(name, stored=spec.stored, fast=True, tokenizer_name="raw", index_option="basic")
        elif spec.kind == "keywords":
            builder.add_text_field(name, stored=spec.stored, fast=True, tokenizer_name="raw",
                                   index_option="freq" if spec.scorable else "basic")
        elif spec.kind == "text":
            builder.add_text_field(name, stored=spec.stored, tokenizer_name="raw", index_option="position")
        elif spec.kind == "number":
            builder.add_integer_field(name, stored=spec.stored, indexed=True, fast=True)
        else:
            builder.add_bytes_field(name, stored=True)
    return builder.build()


@lru_cache(maxsize=None)
def _analyzer(name: str):
    return analyzer(name)


def tokens(analyzer_name: str, text: str) -> list[tantivy.Token]:
    """Our analyzer's index-mode tokens of `text`, as tantivy tokens (same texts, positions, offsets)."""
    return [tantivy.Token(t.text, t.pos, t.startchar, t.endchar)
            for t in _analyzer(analyzer_name)(text, positions=True, chars=True, mode="index")]


def document(indexname: str, fields: dict) -> tantivy.Document:
    doc = tantivy.Document()
    specs = FIELD_SPECS[indexname]
    for name, value in fields.items():
        spec: Field = specs[name]
        if spec.kind == "id":
            doc.add_text(name, str(value))
        elif spec.kind == "keywords":
            for part in str(value).split(spec.separator):
                if part.strip():
                    doc.add_text(name, part.strip())
        elif spec.kind == "text":
            doc.add_pre_tokenized_text(name, tantivy.PreTokenizedString(value, tokens(spec.analyzer, value)))
        elif spec.kind == "number":
            doc.add_integer(name, int(value))
        else:
            doc.add_bytes(name, str(value).encode("utf-8"))
    return doc


def stored(indexname: str, doc: tantivy.Document) -> dict:
    """A stored document as one value per field, bytes decoded, several values joined
    (what Whoosh's stored fields give)."""
    out = {}
    specs = FIELD_SPECS[indexname]
    for name, values in doc.to_dict().items():
        if not values:
            continue
        if specs[name].kind == "keywords":
            out[name] = specs[name].separator.join(values)
        elif isinstance(values[0], (bytes, list)):
            out[name] = bytes(values[0]).decode("utf-8")
        else:
            out[name] = values[0]
    return out
