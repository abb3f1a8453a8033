"""Analyzers: a jieba tokenizer that honours Whoosh's positions/chars/mode, composed with filters.

    >>> [(t.text, t.pos) for t in chinese_analyzer()("电线电缆检测", positions=True, mode="query")]
    [('电线电缆', 0), ('检测', 1)]

- CJK runs go to jieba (precise mode, no HMM: deterministic, and unknown words fall
  apart into characters that still match). Latin and digit runs are split by a
  regex, so `GB/T 1.1` keeps its `1`.
- `pos` is the token ordinal, so phrase queries match adjacent words only.
- In index mode a long word also emits its dictionary sub-words at the same position
  (电线电缆 → 电线, 电缆), so a query for 电缆 finds it; queries use the plain cut.

Start-up: loading jieba's dictionary takes about a second, most of a cold `kb search`.
A build saves the loaded dictionary as a snapshot beside the index
(`<index>/vocab-<key>.sqlite`, see `save_vocabulary`); a reader that opens the index
(`use_vocabulary`) cuts with jieba's own code over that snapshot, looking words up on
demand, until something loads the full dictionary. Same code, same frequencies and
total, so the same tokens (tests/test_vocabulary_snapshot.py checks the corpus).
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import sqlite3
import sys
import threading
from pathlib import Path

from whoosh.analysis import Composable, Filter, LowercaseFilter, Token, Tokenizer

ANALYZER_VERSION = 2  # 2: facility words (光伏电站) in the user dictionary; the coverage words leave out what a tool works on
DATA_DIR = Path(__file__).resolve().parent / "data"
USER_DICT = DATA_DIR / "userdict.txt"
STOPWORDS_FILE = DATA_DIR / "stopwords.txt"

_RUNS = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+|[A-Za-z]+|\d+")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")

_jieba = None  # the full tokenizer: jieba's dictionary in memory
_snapshot = None  # a tokenizer over a vocabulary snapshot on disk (readers)
_added_words = False
_jieba_lock = threading.Lock()


def import_jieba():
    """`import jieba`, without pkg_resources: jieba uses it only to open its dictionary
    file and falls back to open(); importing pkg_resources costs about 0.2 s."""
    if "jieba" not in sys.modules:
        block = "pkg_resources" not in sys.modules
        if block:
            sys.modules["pkg_resources"] = None  # makes `import pkg_resources` raise ImportError
        try:
            import jieba
        finally:
            if block:
                del sys.modules["pkg_resources"]
        jieba.setLogLevel(logging.WARNING)
    return sys.modules["jieba"]


def jieba_tokenizer(cache_dir: str | None = None):
    """The process-wide jieba Tokenizer with our domain dictionary, loaded once."""
    global _jieba
    if _jieba is None:
        with _jieba_lock:
            if _jieba is None:
                tok = import_jieba().Tokenizer()
                if cache_dir:
                    tok.tmp_dir = cache_dir
                tok.initialize()
                tok.load_userdict(str(USER_DICT))
                _jieba = tok
    return _jieba


def current_tokenizer():
    """The full tokenizer once loaded, else the snapshot a reader installed, else load the full one."""
    return _jieba or _snapshot or jieba_tokenizer()


def add_words(words) -> None:
    """Teach the tokenizer extra words for this process (e.g. a user vocabulary)."""
    global _added_words
    tok = jieba_tokenizer()
    for word in words:
        if len(word) > 1:
            tok.add_word(word)
            _added_words = True
    _clear_caches()


# -- vocabulary snapshot ---------------------------------------------------------------

def vocabulary_key() -> str:
    """Names the dictionary a fresh process loads: jieba's version, our user dictionary, the analyzer."""
    jieba = import_jieba()
    data = json.dumps([ANALYZER_VERSION, jieba.__version__, str(jieba.DEFAULT_DICT_NAME),
                       USER_DICT.read_text(encoding="utf-8")], ensure_ascii=False)
    return hashlib.sha256(data.encode()).hexdigest()[:16]


def vocabulary_path(index_dir: Path) -> Path:
    return Path(index_dir) / f"vocab-{vocabulary_key()}.sqlite"


def save_vocabulary(index_dir: Path) -> Path | None:
    """Write the loaded dictionary (word → frequency, and the total) beside the index, once.
    Skipped when this process added words (the snapshot would not be what a fresh one loads)."""
    path = vocabulary_path(index_dir)
    if path.exists() or _added_words:
        return path if path.exists() else None
    tok = jieba_tokenizer()
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    db = sqlite3.connect(tmp)
    try:
        db.executescript("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;"
                         "CREATE TABLE freq (word TEXT PRIMARY KEY, n INTEGER) WITHOUT ROWID;"
                         "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);")
        db.executemany("INSERT INTO freq VALUES (?, ?)", tok.FREQ.items())
        db.execute("INSERT INTO meta VALUES ('total', ?)", (str(tok.total),))
        db.commit()
    finally:
        db.close()
    os.replace(tmp, path)
    return path


class SnapshotFreq:
    """jieba's FREQ dict read from a snapshot: `in`, `[]` and `.get` as jieba uses them,
    each word looked up once and remembered."""

    MAX_CACHED = 500_000

    def __init__(self, path: Path):
        self._db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
        self._lock = threading.Lock()
        self._cache: dict[str, int | None] = {}
        self.total = int(self._db.execute("SELECT value FROM meta WHERE key = 'total'").fetchone()[0])

    def get(self, word, default=None):
        try:
            value = self._cache[word]
        except KeyError:
            with self._lock:
                row = self._db.execute("SELECT n FROM freq WHERE word = ?", (word,)).fetchone()
            if len(self._cache) > self.MAX_CACHED:
                self._cache.clear()
            value = self._cache[word] = row[0] if row else None
        return default if value is None else value

    def __contains__(self, word) -> bool:
        return self.get(word) is not None

    def __getitem__(self, word):
        value = self.get(word)
        if value is None:
            raise KeyError(word)
        return value


def snapshot_tokenizer(path: Path):
    """A jieba Tokenizer whose dictionary is the snapshot at `path` (jieba's own cut code)."""
    freq = SnapshotFreq(path)
    tok = import_jieba().Tokenizer()
    tok.FREQ, tok.total, tok.initialized = freq, freq.total, True
    return tok


def use_vocabulary(index_dir: Path) -> bool:
    """Cut with the index's vocabulary snapshot until the full dictionary is loaded.
    False (and nothing changes) when there is none or it cannot be read."""
    global _snapshot
    if _jieba is not None:
        return False
    try:
        path = vocabulary_path(index_dir)
        if not path.exists():
            return False
        _snapshot = snapshot_tokenizer(path)
    except (sqlite3.Error, OSError, TypeError, ValueError):
        return False
    return True


def _subwords(tok, word: str) -> list[str]:
    found = []
    for size in (2, 3):
        for i in range(len(word) - size + 1):
            gram = word[i:i + size]
            if gram != word and tok.FREQ.get(gram):
                found.append(gram)
    return found


# Cuts of short CJK runs and sub-words of long words, remembered per tokenizer: titles,
# departments and stock phrases repeat, and jieba's cut is most of the indexing time.
# jieba's results depend only on its dictionary, so a remembered cut is the same cut.
_CACHED_RUN = 40
_CACHE_LIMIT = 200_000
_cache_owner = None
_cut_cache: dict[str, tuple[str, ...]] = {}
_sub_cache: dict[str, tuple[str, ...]] = {}


def _caches(tok) -> tuple[dict, dict]:
    global _cache_owner
    if _cache_owner is not tok or len(_cut_cache) > _CACHE_LIMIT or len(_sub_cache) > _CACHE_LIMIT:
        _cut_cache.clear()
        _sub_cache.clear()
        _cache_owner = tok
    return _cut_cache, _sub_cache


def _clear_caches() -> None:
    global _cache_owner
    _cache_owner = None


class JiebaTokenizer(Tokenizer):
    """Tokenizer for mixed Chinese and Latin text; see the module docstring."""

    def __init__(self, subwords: bool = True):
        self.subwords = subwords

    def __eq__(self, other):
        return type(other) is type(self) and other.subwords == self.subwords

    def __call__(self, value, positions=False, chars=False, keeporiginal=False,
                 removestops=True, start_pos=0, start_char=0, tokenize=True, mode="",
                 **kwargs):
        t = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        if not tokenize:
            t.original = t.text = value
            t.boost = 1.0
            if positions:
                t.pos = start_pos
            if chars:
                t.startchar, t.endchar = start_char, start_char + len(value)
            yield t
            return
        tok = current_tokenizer()
        cuts, subs = _caches(tok)
        emit_subwords = self.subwords and mode != "query"
        pos = start_pos
        for run in _RUNS.finditer(value):
            text = run.group()
            offset = run.start()
            if _CJK.match(text):
                words = cuts.get(text)
                if words is None:
                    words = tuple(tok.cut(text, HMM=False))
                    if len(text) <= _CACHED_RUN:
                        cuts[text] = words
            else:
                words = (text,)
            for word in words:
                if emit_subwords and len(word) > 2:
                    extras = subs.get(word)
                    if extras is None:
                        extras = subs[word] = tuple(_subwords(tok, word))
                else:
                    extras = ()
                t.text = word
                t.boost = 1.0
                t.stopped = False
                if keeporiginal:
                    t.original = word
                if positions:
                    t.pos = pos
                if chars:
                    t.startchar = start_char + offset
                    t.endchar = t.startchar + len(word)
                yield t
                for extra in extras:
                    t.text = extra
                    t.boost = 1.0
                    t.stopped = False
                    if keeporiginal:
                        t.original = extra
                    if positions:
                        t.pos = pos
                    if chars:
                        t.startchar = start_char + offset + word.find(extra)
                        t.endchar = t.startchar + len(extra)
                    yield t
                offset += len(word)
                pos += 1


def load_stopwords() -> frozenset[str]:
    return frozenset(w.strip() for w in STOPWORDS_FILE.read_text(encoding="utf-8").split() if w.strip())


class StopWordFilter(Filter):
    """Drop stop words and close the gaps they leave, keeping tokens that share a
    position (a word and its sub-words) at one position. Whoosh's StopFilter would
    give each sub-word a position of its own."""

    def __init__(self, stoplist: frozenset[str]):
        self.stops = stoplist

    def __eq__(self, other):
        return type(other) is type(self) and other.stops == self.stops

    def __call__(self, tokens):
        last_original = None
        pos = None
        for t in tokens:
            if t.text in self.stops:
                if not t.removestops:
                    t.stopped = True
                    yield t
                continue
            if t.positions:
                if t.pos != last_original:
                    last_original = t.pos
                    pos = t.pos if pos is None else pos + 1
                t.pos = pos
            yield t


def chinese_analyzer(subwords: bool = True) -> Composable:
    """jieba tokenizer | lowercase | stop words."""
    return JiebaTokenizer(subwords=subwords) | LowercaseFilter() | StopWordFilter(load_stopwords())


def analyze(text: str, mode: str = "query") -> list[str]:
    """Token texts of `text` (for query building, tests and benchmarks)."""
    return [t.text for t in chinese_analyzer()(text, mode=mode)]
