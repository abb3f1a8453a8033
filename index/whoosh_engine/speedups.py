"""Targeted fixes of Whoosh hot spots found by profiling (bench/run, BENCHMARKS.md).

- `W3PerDocReader._cached_reader` remembers a field's length column only when it
  exists. Fields without lengths (ID, KEYWORD, NUMERIC) are asked again for every
  posting while a segment is flushed, and each ask is a stat() of a file that is not
  there: a third of commit time in a 5,000-record build. Segment files never change
  once written, so remembering "no column" is as correct as remembering the column.

- `W3PerDocReader.doc_field_length` (BM25F asks it for every scored document and
  field) seeks and reads one byte of the lengths column per call. The column is one
  byte per document, so it is read once into memory (300 KB for 300,000 documents)
  and indexed. Same bytes, same answers (None for a zero length, as Whoosh returns).

- `BM25FScorer.score` runs a chain of five calls per scored document and field (the
  length through searcher → reader → per-doc reader) and recomputes the formula. The
  score depends only on the term weight and the field's length byte, so it reads the
  in-memory length byte directly and remembers the score per (weight, length byte):
  the same function of the same inputs, computed once.

- A compound segment (one .seg file) is memory-mapped, but each file opened inside it
  becomes a `BufferFile`, whose `BytesIO(buf)` copies the whole sub-file: the first
  stored-fields read of a 300,000-record index copied ~450 MB (1.4 s, and the reader's
  peak memory). Sub-files now read straight from the map, copying only what is read.

- `W3LeafMatcher.skip_to` walks a block one posting at a time to the target; an AND
  of a rare and a common word calls it once per candidate. It now bisects the block's
  sorted ids: the same position, found in O(log 128).

Applied once, on import of index.whoosh_engine.schema (every Whoosh path imports it).
"""
from __future__ import annotations

import pickle
from bisect import bisect_left
from io import BytesIO

from whoosh import scoring
from whoosh.codec import whoosh3
from whoosh.columns import FixedBytesColumn
from whoosh.filedb import compound
from whoosh.filedb.structfile import BufferFile
from whoosh.matching import ReadTooFar

from index.whoosh_engine.scoring import FIELD_NORMS

_applied = False


def _cached_reader(self, fieldname, column):
    try:
        return self._readers[fieldname]
    except KeyError:
        reader = self.column_reader(fieldname, column) if self.has_column(fieldname) else None
        self._readers[fieldname] = reader
        return reader


_LENGTHS = FIELD_NORMS  # byte → length (index.whoosh_engine.scoring)
_NO_COLUMN = object()


def _doc_field_length(self, docnum, fieldname, default=0):
    if docnum > self._doccount:
        raise IndexError("Asked for docnum %r of %d" % (docnum, self._doccount))
    cache = self.__dict__.setdefault("_kb_lengths", {})
    raw = cache.get(fieldname)
    if raw is None:
        raw = cache[fieldname] = _lengths_bytes(self, fieldname)
    if raw is _NO_COLUMN:
        return default
    lbyte = raw[docnum] if docnum < len(raw) else 0
    return _LENGTHS[lbyte] if lbyte else None


def _lengths_bytes(perdoc, fieldname):
    reader = perdoc._cached_reader(whoosh3._lenfield(fieldname), whoosh3.LENGTHS_COLUMN)
    if reader is None:
        return _NO_COLUMN
    if isinstance(reader, FixedBytesColumn.Reader) and reader._fixedlen == 1:
        return bytes(reader._dbfile.get(reader._basepos, reader._count)) if reader._count else b""
    return bytes(reader[i] for i in range(perdoc._doccount))


_bm25f_init = scoring.BM25FScorer.__init__


def _bm25f_scorer_init(self, searcher, fieldname, text, B, K1, qf=1):
    _bm25f_init(self, searcher, fieldname, text, B, K1, qf)
    self._memo = {}
    self._raw = None
    perdoc = getattr(searcher.reader(), "_perdoc", None)
    if isinstance(perdoc, whoosh3.W3PerDocReader):
        cache = perdoc.__dict__.setdefault("_kb_lengths", {})
        raw = cache.get(fieldname)
        if raw is None:
            raw = cache[fieldname] = _lengths_bytes(perdoc, fieldname)
        if raw is not _NO_COLUMN:
            self._raw = raw


def _bm25f_score(self, matcher):
    raw = self._raw
    docnum = matcher.id()
    lbyte = raw[docnum] if raw is not None and docnum < len(raw) else 0
    if not lbyte:  # no in-memory length: Whoosh's own path
        return self._score(matcher.weight(), self.dfl(docnum))
    key = (matcher.weight(), lbyte)
    score = self._memo.get(key)
    if score is None:
        score = self._memo[key] = self._score(key[0], _LENGTHS[lbyte])
    return score


class _ViewReader:
    """A read-only file over a memoryview that copies only what is read (BytesIO copies all)."""

    def __init__(self, view):
        self._view = view
        self._pos = 0

    def read(self, size=-1):
        start, end = self._pos, len(self._view)
        if size is not None and size >= 0:
            end = min(end, start + size)
        self._pos = end
        return self._view[start:end].tobytes()

    def readinto(self, buffer):
        data = self.read(len(buffer))
        buffer[:len(data)] = data
        return len(data)

    def readline(self, size=-1):
        line = bytearray()
        while size is None or size < 0 or len(line) < size:
            chunk = self.read(1)
            if not chunk:
                break
            line += chunk
            if chunk == b"\n":
                break
        return bytes(line)

    def __iter__(self):
        while True:
            line = self.readline()
            if not line:
                return
            yield line

    def seek(self, pos, whence=0):
        base = {0: 0, 1: self._pos, 2: len(self._view)}[whence]
        self._pos = max(0, base + pos)
        return self._pos

    def tell(self):
        return self._pos

    def close(self):
        pass


class MappedFile(BufferFile):
    """BufferFile over a slice of the segment's memory map, without copying it."""

    PICKLE_WINDOW = 4096

    def __init__(self, buf, name=None, onclose=None):
        self._buf = buf
        self._name = name
        self.file = _ViewReader(buf)
        self.onclose = onclose
        self.is_real = False
        self.is_closed = False

    def read_pickle(self):
        """One pickle from the current position: unpickled from a small copied window (C
        speed), the whole rest only if it is longer than that; the position moves past it."""
        reader = self.file
        start = reader._pos
        stream = BytesIO(reader._view[start:start + self.PICKLE_WINDOW])
        try:
            obj = pickle.load(stream)
        except Exception:  # longer than the window (a truncated pickle fails in several ways)
            stream = BytesIO(reader._view[start:])
            obj = pickle.load(stream)
        reader._pos = start + stream.tell()
        return obj


_whoosh_skip_to = whoosh3.W3LeafMatcher.skip_to


def _skip_to(self, targetid):
    if not self.is_active():
        raise ReadTooFar
    if targetid <= self.id():
        return
    block_max_id = self.block_max_id
    if targetid > block_max_id():
        self._skip_to_block(lambda: targetid > block_max_id())
    if not self.is_active():
        return
    if self._ids is None:
        self._read_ids()
    i = bisect_left(self._ids, targetid, self._i, self._blocklength)
    if i < self._blocklength:
        self._i = i
    else:  # not reached: a block whose max id ≥ target holds an id ≥ target; Whoosh's way
        _whoosh_skip_to(self, targetid)


def apply() -> None:
    global _applied
    if not _applied:
        whoosh3.W3LeafMatcher.skip_to = _skip_to
        compound.BufferFile = MappedFile
        whoosh3.W3PerDocReader._cached_reader = _cached_reader
        whoosh3.W3PerDocReader.doc_field_length = _doc_field_length
        scoring.BM25FScorer.__init__ = _bm25f_scorer_init
        scoring.BM25FScorer.score = _bm25f_score
        _applied = True


# -- matching doc numbers without scoring ----------------------------------------------

def term_ids(reader, fieldname: str, text: str) -> list[int]:
    """Doc numbers of one term in one segment reader, deleted documents left out.
    Reads Whoosh 3 posting blocks whole instead of one posting at a time."""
    from whoosh.matching.wrappers import FilterMatcher
    from whoosh.reading import TermNotFound

    try:
        matcher = reader.postings(fieldname, text)
    except TermNotFound:
        return []
    deleted = None
    if type(matcher) is FilterMatcher and matcher._exclude:
        deleted, matcher = matcher._ids, matcher.child
    if type(matcher) is not whoosh3.W3LeafMatcher:
        ids = list(matcher.all_ids())
    else:
        ids = []
        while matcher.is_active():
            if matcher._ids is None:
                matcher._read_ids()
            ids.extend(matcher._ids[matcher._i:])
            if matcher._lastblock:
                break
            matcher._goto(matcher._nextoffset)
    if deleted:
        ids = [d for d in ids if d not in deleted]
    return ids


def matching_ids(searcher, query) -> set[int]:
    """Every doc number `query` matches, unscored: Term, Or and And read posting
    lists directly; anything else (phrases, ranges) asks Whoosh."""
    from whoosh.query import And, Or, Term

    kind = type(query)
    if kind is Term:
        out: set[int] = set()
        for leaf, offset in searcher.leaf_searchers():
            ids = term_ids(leaf.reader(), query.fieldname, query.text)
            out.update(ids if not offset else (d + offset for d in ids))
        return out
    if kind is Or:
        out = set()
        for sub in query.subqueries:
            out |= matching_ids(searcher, sub)
        return out
    if kind is And:
        parts = sorted((matching_ids(searcher, sub) for sub in query.subqueries), key=len)
        out = parts[0] if parts else set()
        for part in parts[1:]:
            out &= part
        return out
    return set(searcher.docs_for_query(query))


def value_codes(searcher, fieldname: str) -> tuple[bytearray, list[str]]:
    """Per document, the index of its one value of an ID field (0: none), and the values."""
    values = [""]
    codes = bytearray(searcher.doc_count_all())
    for leaf, offset in searcher.leaf_searchers():
        reader = leaf.reader()
        for btext in reader.lexicon(fieldname):
            text = btext.decode("utf-8")
            if text not in values:
                values.append(text)
            code = values.index(text)
            if code > 255:
                raise ValueError(f"{fieldname} has more than 255 values")
            for docnum in term_ids(reader, fieldname, text):
                codes[docnum + offset] = code
    return codes, values
