"""The ranking data stored with the clause index (folder `clause-ranking/` in a generation): one
row per clause document, its BM25 term matrix and its sentence vector (index/dense.py), written
when the clause index is built or updated, memory-mapped by searches (index/clause_ranking.py).

Vectors are cached by text (index.dense.text_key) beside the generations, so an update or rebuild
embeds only clauses whose text is new.
"""
from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from index import dense
from index.analysis import analyze
from index.clause_ranking import Rows, TermMatrix

FOLDER = "clause-ranking"
ROWS_FILE = "rows.json"
VECTORS_FILE = "vectors.npy"  # float16 (rows × dense.DIMS)


def law_of(doc_title: str) -> str:
    """中华人民共和国民法典·总则 → 中华人民共和国民法典 (one law for all its books)."""
    return doc_title.split("·", 1)[0]


def row_key(doc_title: str, path: str) -> str:
    """How a query log names the clause: <law title><path> (中华人民共和国民法典第五十四条)."""
    return law_of(doc_title) + path


@dataclass
class ClauseRows:
    """Rows (ids, keys, laws, filters), terms and vectors of one generation's clause index."""
    ids: list[str]
    doc_ids: list[str]
    kinds: list[str]
    latest: np.ndarray  # bool per row
    rows: Rows
    law_titles: dict[str, list[str]]
    terms: TermMatrix
    vectors: np.ndarray | None

    def allowed(self, doc_id: str | None, doc_kind: str | None, latest_only: bool) -> np.ndarray | None:
        mask = None
        for values, wanted in ((self.doc_ids, doc_id), (self.kinds, doc_kind)):
            if wanted:
                hit = np.fromiter((v == wanted for v in values), dtype=bool, count=len(values))
                mask = hit if mask is None else mask & hit
        if latest_only:
            mask = self.latest if mask is None else mask & self.latest
        return mask


def vector_cache(index_dir: Path) -> Path:
    """Where an index keeps the sentence vectors it computed, across generations
    (KB_VECTOR_CACHE overrides: one cache for many indexes)."""
    return Path(os.environ.get("KB_VECTOR_CACHE") or index_dir / "vectors")


def write_rows(gen_path: Path, clause_docs: list[dict], latest: set[str], cache_dir: Path | None = None) -> None:
    """Write the ranking data of `clause_docs` (the clause index's documents, in any order) into
    gen_path/clause-ranking, replacing what is there by new files (a cloned generation's files are
    hard links to the old one's). Vectors come from `cache_dir` where it has them."""
    folder = gen_path / FOLDER
    texts = [dense.clause_text(d.get("doc_title", ""), d.get("heading", ""), d.get("text", "")) for d in clause_docs]
    keys = [dense.text_key(t) for t in texts]
    cache_dir = cache_dir or vector_cache(gen_path.parent)
    vectors = dense.cached_encode(texts, cache_dir)
    dense.ensure_snapshot(cache_dir)  # a cold search loads the model from it
    terms = TermMatrix.build([analyze(d.get("text") or d.get("heading", "")) for d in clause_docs])
    laws = sorted({law_of(d.get("doc_title", "")) for d in clause_docs})
    meta = {"model": dense.MODEL, "ids": [d["id"] for d in clause_docs],
            "doc_ids": [d["doc_id"] for d in clause_docs], "kinds": [d.get("doc_kind", "") for d in clause_docs],
            "latest": [d["doc_id"] in latest for d in clause_docs],
            "keys": [row_key(d.get("doc_title", ""), d["path"]) for d in clause_docs],
            "laws": [law_of(d.get("doc_title", "")) for d in clause_docs],
            "law_titles": {law: analyze(law.removeprefix("中华人民共和国")) for law in laws}, "text_keys": keys}
    staging = gen_path / (FOLDER + ".new")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    (staging / ROWS_FILE).write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    np.save(staging / VECTORS_FILE, vectors)
    terms.save(staging, "terms")
    shutil.rmtree(folder, ignore_errors=True)  # unlinks: an old generation keeps its own files
    os.replace(staging, folder)


def read_rows(gen_path: Path) -> ClauseRows:
    folder = gen_path / FOLDER
    meta = json.loads((folder / ROWS_FILE).read_text(encoding="utf-8"))
    n = len(meta["ids"])
    vectors = np.load(folder / VECTORS_FILE, mmap_mode="r") if n else None
    return ClauseRows(ids=meta["ids"], doc_ids=meta["doc_ids"], kinds=meta["kinds"],
                      latest=np.array(meta["latest"], dtype=bool), rows=Rows(keys=meta["keys"], laws=meta["laws"]),
                      law_titles=meta["law_titles"], terms=TermMatrix.load(folder, "terms", n), vectors=vectors)
