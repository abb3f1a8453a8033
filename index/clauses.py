"""The clause index: every clause of every text in corpus/texts.jsonl as its own document."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh.highlight import ContextFragmenter
from whoosh.query import And, Term

from kb.texts import iter_clause_docs, load_documents
from index.query import parse_query
from index.schema import CLAUSES, clauses_schema

TEXTS_FILE = "texts.jsonl"
CLAUSE_FIELDS = {"heading": 2.0, "text": 1.0, "doc_title": 0.5}


def load_texts(corpus_dir: Path):
    """Documents of corpus/texts.jsonl (empty when there is none) and the bad lines."""
    path = corpus_dir / TEXTS_FILE
    if not path.exists():
        return {}, []
    loaded = load_documents(path)
    return loaded.documents, loaded.errors


def document_hash(doc) -> str:
    return hashlib.sha256(doc.to_json().encode()).hexdigest()[:16]


def clause_document(clause: dict) -> dict:
    fields = ("id", "doc_id", "doc_title", "doc_kind", "path", "label", "heading", "text",
              "clause_kind", "parent", "content_hash")
    return {name: clause[name] for name in fields if clause.get(name) not in (None, "")}


def write_clauses(writer, documents) -> int:
    count = 0
    for clause in iter_clause_docs(list(documents)):
        writer.add_document(**clause_document(clause))
        count += 1
    return count


def create_clause_index(gen_path: Path, documents: dict, writer_kwargs: dict) -> int:
    ix = whoosh_index.create_in(str(gen_path), clauses_schema(), indexname=CLAUSES)
    writer = ix.writer(**writer_kwargs)
    count = write_clauses(writer, documents.values())
    writer.commit()
    ix.close()
    return count


def update_clause_index(gen_path: Path, documents: dict, old_hashes: dict[str, str]) -> tuple[int, dict]:
    """Re-index only the texts whose hash changed; returns (clauses written, new hashes)."""
    hashes = {doc_id: document_hash(doc) for doc_id, doc in documents.items()}
    changed = [doc_id for doc_id, h in hashes.items() if old_hashes.get(doc_id) != h]
    gone = [doc_id for doc_id in old_hashes if doc_id not in documents]
    if not changed and not gone:
        return 0, hashes
    ix = whoosh_index.open_dir(str(gen_path), indexname=CLAUSES)
    writer = ix.writer()
    for doc_id in changed + gone:
        writer.delete_by_term("doc_id", doc_id)
    count = write_clauses(writer, (documents[d] for d in changed))
    writer.commit(merge=False)
    ix.close()
    return count, hashes


@dataclass
class ClauseHit:
    doc: str
    doc_title: str
    doc_kind: str
    path: str
    heading: str
    score: float
    snippet: str


@dataclass
class ClauseResult:
    query: str
    total: int
    hits: list[ClauseHit] = field(default_factory=list)
    matched_as: str = "text"

    def to_dict(self) -> dict:
        return {"query": self.query, "total": self.total, "matched_as": self.matched_as,
                "hits": [h.__dict__ for h in self.hits]}


class ClauseSearcher:
    def __init__(self, gen_path: Path):
        self._ix = whoosh_index.open_dir(str(gen_path), indexname=CLAUSES)
        self._searcher = self._ix.searcher()

    def close(self) -> None:
        self._searcher.close()
        self._ix.close()

    def count(self) -> int:
        return self._searcher.doc_count()

    def search(self, text: str, doc_id: str | None = None, doc_kind: str | None = None,
               limit: int = 10) -> ClauseResult:
        from index.search import text_query  # one query builder for records and clauses

        parsed = parse_query(text, numbers_as_text=True)
        filters = [Term(name, value) for name, value in (("doc_id", doc_id), ("doc_kind", doc_kind)) if value]
        filt = And(filters) if filters else None
        result = self._run(text, text_query(parsed, CLAUSE_FIELDS), filt, limit, "text")
        if result.total == 0 and len(parsed.terms) + len(parsed.phrases) > 1:
            result = self._run(text, text_query(parsed, CLAUSE_FIELDS, require_all=False), filt, limit,
                               "text-any")
        return result

    def _run(self, text, query, filt, limit, matched_as) -> ClauseResult:
        from index.search import EmFormatter

        results = self._searcher.search(query, limit=limit, filter=filt, terms=True)
        results.fragmenter = ContextFragmenter(maxchars=160, surround=40)
        results.formatter = EmFormatter()
        hits = [ClauseHit(doc=hit["doc_id"], doc_title=hit.get("doc_title", ""), doc_kind=hit.get("doc_kind", ""),
                          path=hit["path"], heading=hit.get("heading", ""), score=round(hit.score, 3),
                          snippet=(hit.highlights("text") if "text" in hit else "")
                          or hit.get("text", "")[:160])
                for hit in results]
        return ClauseResult(query=text, total=len(results), hits=hits, matched_as=matched_as)
