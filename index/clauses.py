"""The clause index: every clause of every text in corpus/texts.jsonl as its own document,
written through the engine's clause writer, searched by the fused ranking (index/clause_ranking.py)
with the engine's clause store giving stored fields and word search."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from kb.texts import iter_clause_docs, load_documents
from kb.texts.lookup import latest_versions
from index.clause_rows import read_rows, vector_cache, write_rows
from index.query import parse_query
from index.snippets import highlight

TEXTS_FILE = "texts.jsonl"


def read_texts(corpus_dir: Path):
    """Documents of corpus/texts.jsonl (empty when there is none) and the bad lines."""
    path = corpus_dir / TEXTS_FILE
    if not path.exists():
        return {}, []
    loaded = load_documents(path)
    return loaded.documents, loaded.errors


def _latest_ids(documents: dict) -> set[str]:
    return {doc.id for doc in latest_versions(list(documents.values()))}


def text_hashes(documents: dict) -> dict[str, str]:
    """doc id → hash of its content and of whether it is the newest version of its text:
    an update re-indexes a text when either changes."""
    latest = _latest_ids(documents)
    return {doc_id: hashlib.sha256(doc.to_json().encode()).hexdigest()[:16] + (":latest" if doc_id in latest else "")
            for doc_id, doc in documents.items()}


def clause_document(clause: dict) -> dict:
    fields = ("id", "doc_id", "doc_title", "doc_kind", "path", "label", "heading", "text",
              "clause_kind", "parent", "content_hash")
    return {name: clause[name] for name in fields if clause.get(name) not in (None, "")}


REPEATS_ARTICLE = ("paragraph", "item")  # a law's 款 and 项 repeat their article's text
LAW_CONTAINERS = ("part", "subpart", "chapter", "section")  # 编, 分编, 章, 节: headings only


PROGRESS_EVERY = 25  # texts between two "progress" events of the clauses phase


def _emit(progress, event: str, **data) -> None:
    if progress:
        progress({"event": event, **data})


def clause_index_docs(documents: list, latest: set[str]):
    """The clause index's documents of `documents`. A law's 款 and 项 are left out (their article
    holds their text) and so are its 编/章/节, whose headings become each article's `context`."""
    headings: dict[tuple[str, str], str] = {}
    for clause in iter_clause_docs(documents):
        key = (clause["doc_id"], clause["path"])
        parent_context = headings.get((clause["doc_id"], clause["parent"]), "")
        headings[key] = " ".join(h for h in (parent_context, clause["heading"]) if h)
        is_law = clause["doc_kind"] == "law"
        if is_law and clause["clause_kind"] in REPEATS_ARTICLE + LAW_CONTAINERS:
            continue
        doc = clause_document(clause)
        doc["context"] = parent_context
        doc["latest"] = "1" if clause["doc_id"] in latest else "0"
        yield doc


def write_clauses(writer, documents: list, latest: set[str], progress=None) -> int:
    """Add the clauses of `documents` to an engine's clause writer; `progress` gets a "phase"
    event, then "progress" events counting texts (and clauses), then "commit"."""
    count, total, done, current = 0, len(documents), 0, None
    progress = progress if documents else None  # no texts: no clauses phase
    _emit(progress, "phase", phase="clauses", total=total)
    for doc in clause_index_docs(documents, latest):
        if doc["doc_id"] != current:
            current, done = doc["doc_id"], done + 1
            if done > 1 and (done - 1) % PROGRESS_EVERY == 0:
                _emit(progress, "progress", phase="clauses", done=done - 1, total=total, clauses=count)
        writer.add(doc)
        count += 1
    _emit(progress, "progress", phase="clauses", done=total, total=total, clauses=count)
    _emit(progress, "commit", phase="clauses")
    return count


def create_clause_index(engine, gen_path: Path, documents: dict, settings, vector_cache: Path | None = None,
                        progress=None) -> int:
    """The clause index of an engine and its ranking data (index/clause_rows.py; sentence
    vectors from `vector_cache` where it has them, by default the index's own cache)."""
    latest = _latest_ids(documents)
    writer = engine.clauses_writer(gen_path, settings, new=True)
    try:
        count = write_clauses(writer, list(documents.values()), latest=latest, progress=progress)
        writer.commit()
    except BaseException:
        writer.cancel()
        raise
    write_rows(gen_path, list(clause_index_docs(list(documents.values()), latest)), latest, vector_cache)
    return count


def update_clause_index(engine, gen_path: Path, documents: dict, old_hashes: dict[str, str], settings,
                        progress=None) -> int:
    """Re-index the texts whose state (text_hashes) changed; returns the clause count afterwards.
    The ranking data is rewritten for all clauses (vectors of unchanged texts are kept)."""
    hashes = text_hashes(documents)
    latest = _latest_ids(documents)
    changed = [doc_id for doc_id, h in hashes.items() if old_hashes.get(doc_id) != h]
    gone = [doc_id for doc_id in old_hashes if doc_id not in documents]
    writer = engine.clauses_writer(gen_path, settings, new=False)
    try:
        for doc_id in changed + gone:
            writer.delete("doc_id", doc_id)
        write_clauses(writer, [documents[d] for d in changed], latest=latest, progress=progress)
        count = writer.commit()
    except BaseException:
        writer.cancel()
        raise
    write_rows(gen_path, list(clause_index_docs(list(documents.values()), latest)), latest)
    return count


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
    """Clause search: the fused ranking of index/clause_ranking.py (question words, learned
    expansion and law prior, sentence vectors) over the stored rows; the engine's clause
    store gives the stored fields of each hit, and the word ranking (`search_words`)."""

    def __init__(self, gen_path: Path, store):
        self._store = store
        self._gen_path = gen_path
        self._ranker = None

    def close(self) -> None:
        self._store.close()

    def count(self) -> int:
        return self._store.count()

    def ranker(self):
        if self._ranker is None:
            from index.clause_ranking import ClauseRanker, load_learned

            stored = read_rows(self._gen_path)
            self._ranker = (stored, ClauseRanker(stored.rows, stored.terms, load_learned(), stored.vectors,
                                                 stored.law_titles))
        return self._ranker

    def search(self, text: str, doc_id: str | None = None, doc_kind: str | None = None,
               limit: int = 10, all_versions: bool = False) -> ClauseResult:
        from index import dense
        from index.analysis import analyze

        parse_query(text, numbers_as_text=True)  # the same checks as every query (empty, too long)
        stored, ranker = self.ranker()
        allowed = stored.allowed(doc_id, doc_kind, latest_only=not all_versions and not doc_id)
        if not stored.n or (allowed is not None and not allowed.any()):
            return ClauseResult(query=text, total=0, hits=[], matched_as="ranked")
        tokens = analyze(text)
        vector = dense.encode([text], vector_cache(self._gen_path.parent))[0] if stored.vectors is not None else None
        matched = ranker.terms.scores(dict.fromkeys(tokens, 1.0)) > 0
        total = int((matched & allowed).sum() if allowed is not None else matched.sum())
        top = ranker.rank(tokens, vector, allowed=allowed, limit=limit)
        hits = [self._hit(stored.id_of(row), score, set(tokens)) for row, score in top]
        return ClauseResult(query=text, total=total, hits=[h for h in hits if h], matched_as="ranked")

    def _hit(self, clause_id: str, score: float, terms: set[str]) -> ClauseHit | None:
        doc = self._store.document(clause_id)
        if doc is None:
            return None
        body = doc.get("text", "")
        snippet = highlight(body, terms, maxchars=160, surround=40, subwords=False)
        return ClauseHit(doc=doc["doc_id"], doc_title=doc.get("doc_title", ""), doc_kind=doc.get("doc_kind", ""),
                         path=doc["path"], heading=doc.get("heading", ""), score=round(score, 3),
                         snippet=(snippet or body[:160]).replace("\n", " "))

    def search_words(self, text: str, doc_id: str | None = None, doc_kind: str | None = None,
                     limit: int = 10, all_versions: bool = False) -> ClauseResult:
        """Word search (BM25 over heading, text, context and title): clauses with every word
        first, then those with any word; the ranking before issue 17, kept for exact words."""
        parsed = parse_query(text, numbers_as_text=True)
        filters = {name: value for name, value in (("doc_id", doc_id), ("doc_kind", doc_kind)) if value}
        if not all_versions and not doc_id:
            filters["latest"] = "1"
        result = self._store.search_words(text, parsed, filters, limit, require_all=True)
        if len(result.hits) < limit and len(parsed.terms) + len(parsed.phrases) > 1:
            # Questions rarely have every word in one clause: clauses with all words come
            # first, then those with any word, ranked by BM25.
            anywhere = self._store.search_words(text, parsed, filters, limit, require_all=False)
            seen = {(h.doc, h.path) for h in result.hits}
            extra = [h for h in anywhere.hits if (h.doc, h.path) not in seen]
            if extra:
                result = ClauseResult(query=text, total=anywhere.total,
                                      hits=(result.hits + extra)[:limit],
                                      matched_as="text+any" if result.hits else "text-any")
        return result
