"""User query → words, quoted phrases, or a standard number.

    >>> q = parse_query('电线电缆 "检测方法"')
    >>> q.terms, q.phrases
    (['电线电缆'], [['检测', '方法']])
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from kb import numbers
from kb.errors import BadQuery
from index.analysis import analyze

MAX_QUERY_CHARS = 1000
_QUOTES = str.maketrans({"“": '"', "”": '"', "＂": '"', "「": '"', "」": '"'})


@dataclass
class ParsedQuery:
    text: str
    terms: list[str] = field(default_factory=list)
    phrases: list[list[str]] = field(default_factory=list)
    number: numbers.StandardNumber | None = None


def parse_query(text: str, numbers_as_text: bool = False) -> ParsedQuery:
    """Split a query into analyzed words and phrases; a whole-query number becomes a lookup
    unless `numbers_as_text` (clause search looks for the words of a number in the text)."""
    if text is None or not text.strip():
        raise BadQuery("查询为空：请给出词语、加引号的短语或标准号")
    if len(text) > MAX_QUERY_CHARS:
        raise BadQuery(f"查询长 {len(text)} 个字符，上限为 {MAX_QUERY_CHARS}")
    normalized = unicodedata.normalize("NFKC", text).translate(_QUOTES).strip()
    if normalized.count('"') % 2:
        raise BadQuery(f"查询 {text!r} 中的引号不成对：短语需要用第二个 \" 结束")
    parsed = ParsedQuery(text=text)
    if '"' not in normalized and not numbers_as_text:
        number = numbers.try_parse(normalized)
        if number is not None:
            parsed.number = number
            return parsed
    pieces = re.split(r'"([^"]*)"', normalized)
    for i, piece in enumerate(pieces):
        words = analyze(piece, mode="query")
        if i % 2:
            if len(words) > 1:
                parsed.phrases.append(words)
            elif words:
                parsed.terms.extend(words)
        else:
            parsed.terms.extend(w for w in words if w not in parsed.terms)
    if not parsed.terms and not parsed.phrases:
        raise BadQuery(f"查询 {text!r} 中没有可检索的词（只有停用词或标点）")
    return parsed
