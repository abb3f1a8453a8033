"""Analyzers: a jieba tokenizer that honours Whoosh's positions/chars/mode, composed with filters.

    >>> [(t.text, t.pos) for t in chinese_analyzer()("电线电缆检测", positions=True, mode="query")]
    [('电线电缆', 0), ('检测', 1)]

- CJK runs go to jieba (precise mode, no HMM: deterministic, and unknown words fall
  apart into characters that still match). Latin and digit runs are split by a
  regex, so `GB/T 1.1` keeps its `1`.
- `pos` is the token ordinal, so phrase queries match adjacent words only.
- In index mode a long word also emits its dictionary sub-words at the same position
  (电线电缆 → 电线, 电缆), so a query for 电缆 finds it; queries use the plain cut.
"""
from __future__ import annotations

import re
import threading
from pathlib import Path

from whoosh.analysis import Composable, Filter, LowercaseFilter, Token, Tokenizer

ANALYZER_VERSION = 1
DATA_DIR = Path(__file__).resolve().parent / "data"
USER_DICT = DATA_DIR / "userdict.txt"
STOPWORDS_FILE = DATA_DIR / "stopwords.txt"

_RUNS = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+|[A-Za-z]+|\d+")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")

_jieba = None
_jieba_lock = threading.Lock()


def jieba_tokenizer(cache_dir: str | None = None):
    """The process-wide jieba Tokenizer with our domain dictionary, loaded once."""
    global _jieba
    if _jieba is None:
        with _jieba_lock:
            if _jieba is None:
                import logging

                import jieba

                jieba.setLogLevel(logging.WARNING)
                tok = jieba.Tokenizer()
                if cache_dir:
                    tok.tmp_dir = cache_dir
                tok.initialize()
                tok.load_userdict(str(USER_DICT))
                _jieba = tok
    return _jieba


def add_words(words) -> None:
    """Teach the tokenizer extra words for this process (e.g. a user vocabulary)."""
    tok = jieba_tokenizer()
    for word in words:
        if len(word) > 1:
            tok.add_word(word)


def _subwords(tok, word: str) -> list[str]:
    found = []
    for size in (2, 3):
        for i in range(len(word) - size + 1):
            gram = word[i:i + size]
            if gram != word and tok.FREQ.get(gram):
                found.append(gram)
    return found


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
        tok = jieba_tokenizer()
        emit_subwords = self.subwords and mode != "query"
        pos = start_pos
        for run in _RUNS.finditer(value):
            if _CJK.match(run.group()):
                offset = run.start()
                words = tok.cut(run.group(), HMM=False)
            else:
                offset = run.start()
                words = (run.group(),)
            for word in words:
                extras = _subwords(tok, word) if emit_subwords and len(word) > 2 else ()
                for text in (word, *extras):
                    t.text = text
                    t.boost = 1.0
                    t.stopped = False
                    if keeporiginal:
                        t.original = text
                    if positions:
                        t.pos = pos
                    if chars:
                        start = offset + (word.find(text) if text is not word else 0)
                        t.startchar = start_char + start
                        t.endchar = t.startchar + len(text)
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
