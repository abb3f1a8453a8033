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
from functools import cached_property
from pathlib import Path

import numpy as np

from index import dense
from index.analysis import analyze
from index.clause_ranking import Rows, StringColumn, TermMatrix

FOLDER = "clause-ranking"
ROWS_FILE = "rows.json"  # small: the value lists of the coded columns, law titles, counts
VECTORS_FILE = "vectors.npy"  # float32 (rows × dense.DIMS): the cache's float16 values, mapped as they are
FORMAT = 2  # 2: binary columns, float32 vectors (1: everything in rows.json, float16 vectors)
# Binary columns beside rows.json (memory-mapped by a search, which reads only what it needs):
#   ids.npy, ids-offsets.npy              clause ids (index/clause_ranking.py StringColumn)
#   text-keys.npy, text-keys-offsets.npy  the vector cache's key of each row's text
#   keys.npy                              article keys <law title><path>, sorted ('U' array) …
#   key-rows.npy, key-rows-indptr.npy     … and the rows of each (CSR: several versions, one key)
#   law-codes.npy, doc-codes.npy, kind-codes.npy   int32 positions in rows.json's value lists
#   latest.npy                            bool per row
#   terms-*                               the BM25 term matrix (index/clause_ranking.py TermMatrix)


def law_of(doc_title: str) -> str:
    """中华人民共和国民法典·总则 → 中华人民共和国民法典 (one law for all its books)."""
    return doc_title.split("·", 1)[0]


def row_key(doc_title: str, path: str) -> str:
    """How a query log names the clause: <law title><path> (中华人民共和国民法典第五十四条)."""
    return law_of(doc_title) + path


class StoredRows(Rows):
    """Rows of the stored clause index: keys and laws are read from their mapped columns only
    where a ranker asks (rows_of, law_codes) or a caller lists them."""

    def __init__(self, folder: Path, law_values: list[str]):
        self._folder, self._law_values = folder, law_values
        self._sorted_keys = np.load(folder / "keys.npy", mmap_mode="r")
        self._key_indptr = np.load(folder / "key-rows-indptr.npy", mmap_mode="r")
        self._key_rows = np.load(folder / "key-rows.npy", mmap_mode="r")
        self._law_codes = np.load(folder / "law-codes.npy", mmap_mode="r")

    @property
    def keys(self) -> list[str]:
        out: list[str] = [""] * len(self._law_codes)
        for k, key in enumerate(self._sorted_keys.tolist()):
            for row in self._key_rows[self._key_indptr[k]:self._key_indptr[k + 1]].tolist():
                out[row] = key
        return out

    @property
    def laws(self) -> list[str]:
        return [self._law_values[c] for c in self._law_codes.tolist()]

    def rows_of(self, keys: list[str]) -> list[np.ndarray]:
        if not keys or not len(self._sorted_keys):
            return [np.zeros(0, dtype=np.int64) for _ in keys]
        wanted = np.array(keys)
        at = np.minimum(np.searchsorted(self._sorted_keys, wanted), len(self._sorted_keys) - 1)
        hit = self._sorted_keys[at] == wanted
        return [np.asarray(self._key_rows[self._key_indptr[k]:self._key_indptr[k + 1]], dtype=np.int64)
                if ok else np.zeros(0, dtype=np.int64) for k, ok in zip(at.tolist(), hit.tolist())]

    def law_codes(self, laws: list[str]) -> np.ndarray:
        law_index = {law: i for i, law in enumerate(laws)}
        recode = np.array([law_index.get(law, -1) for law in self._law_values] + [-1], dtype=np.int64)
        return recode[self._law_codes]


class ClauseRows:
    """Rows (ids, keys, laws, filters), terms and vectors of one generation's clause index.
    A search reads what it uses: the columns are mapped, and the lists below are built on first use."""

    def __init__(self, folder: Path, meta: dict):
        self._folder, self._meta = folder, meta
        self.n = meta["rows"]
        self.law_titles: dict[str, list[str]] = meta["law_titles"]
        self.latest = np.load(folder / "latest.npy")
        self.rows = StoredRows(folder, meta["laws"])
        self.terms = TermMatrix.load(folder, "terms", self.n)
        self.vectors = np.load(folder / VECTORS_FILE, mmap_mode="r") if self.n else None
        self._ids = StringColumn.load(folder, "ids")

    def id_of(self, row: int) -> str:
        return self._ids[row]

    @cached_property
    def ids(self) -> list[str]:
        return self._ids.tolist()

    def _coded(self, name: str) -> list[str]:
        values = self._meta[name]
        return [values[c] for c in np.load(self._folder / f"{name.removesuffix('s')}-codes.npy").tolist()]

    @cached_property
    def doc_ids(self) -> list[str]:
        return self._coded("docs")

    @cached_property
    def kinds(self) -> list[str]:
        return self._coded("kinds")

    def allowed(self, doc_id: str | None, doc_kind: str | None, latest_only: bool) -> np.ndarray | None:
        mask = None
        for name, wanted in (("docs", doc_id), ("kinds", doc_kind)):
            if wanted:
                values = self._meta[name]
                codes = np.load(self._folder / f"{name.removesuffix('s')}-codes.npy", mmap_mode="r")
                hit = codes == values.index(wanted) if wanted in values else np.zeros(self.n, dtype=bool)
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
    laws = [law_of(d.get("doc_title", "")) for d in clause_docs]
    law_values, doc_values, kind_values = (sorted(set(v)) for v in (
        laws, [d["doc_id"] for d in clause_docs], [d.get("doc_kind", "") for d in clause_docs]))
    meta = {"format": FORMAT, "model": dense.MODEL, "rows": len(clause_docs), "laws": law_values,
            "docs": doc_values, "kinds": kind_values,
            "law_titles": {law: analyze(law.removeprefix("中华人民共和国")) for law in law_values}}
    staging = gen_path / (FOLDER + ".new")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    (staging / ROWS_FILE).write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    StringColumn.save(staging, "ids", [d["id"] for d in clause_docs])
    StringColumn.save(staging, "text-keys", keys)
    row_keys = [row_key(d.get("doc_title", ""), d["path"]) for d in clause_docs]
    sorted_keys = sorted(set(row_keys))
    position = {k: i for i, k in enumerate(sorted_keys)}
    by_key = np.array([position[k] for k in row_keys], dtype=np.int64)
    order = np.argsort(by_key, kind="stable")  # rows grouped by key, in row order within a key
    np.save(staging / "keys.npy", np.array(sorted_keys) if sorted_keys else np.zeros(0, dtype="U1"))
    np.save(staging / "key-rows.npy", order.astype(np.int32))
    np.save(staging / "key-rows-indptr.npy", np.concatenate([[0], np.cumsum(np.bincount(
        by_key, minlength=len(sorted_keys)))]).astype(np.int64))
    for name, values, column in (("law", law_values, laws), ("doc", doc_values, [d["doc_id"] for d in clause_docs]),
                                 ("kind", kind_values, [d.get("doc_kind", "") for d in clause_docs])):
        index = {v: i for i, v in enumerate(values)}
        np.save(staging / f"{name}-codes.npy", np.array([index[v] for v in column], dtype=np.int32))
    np.save(staging / "latest.npy", np.array([d["doc_id"] in latest for d in clause_docs], dtype=bool))
    np.save(staging / VECTORS_FILE, vectors.astype(np.float32))  # float16 → float32 once, here
    terms.save(staging, "terms")
    shutil.rmtree(folder, ignore_errors=True)  # unlinks: an old generation keeps its own files
    os.replace(staging, folder)


def read_rows(gen_path: Path) -> ClauseRows:
    folder = gen_path / FOLDER
    meta = json.loads((folder / ROWS_FILE).read_text(encoding="utf-8"))
    if meta.get("format") != FORMAT:
        raise ValueError(f"clause ranking data of format {meta.get('format', 1)}, not {FORMAT}: rebuild the index")
    return ClauseRows(folder, meta)
