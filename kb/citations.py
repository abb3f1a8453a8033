"""Find the standard numbers a document cites, with the line each one starts on.

    >>> [(c.number.canonical, c.line) for c in find_numbers("按GB/T 1.1—2020起草，\\n引用GB/T\\n5023.1-2008。")]
    [('GB/T 1.1-2020', 1), ('GB/T 5023.1-2008', 2)]

The scanner runs the number grammar (kb.numbers PREFIX_PATTERN + BODY_PATTERN) over a
normalized view of the text: each character NFKC-folded (full-width to half-width),
every dash made "-", and whitespace dropped except between two digits or after a full
stop, so a number split across a line break ("GB/T\\n5023.1-2008", "GB/T 5023.1-\\n2008")
is found whole.
The view keeps a map back to the original text, which gives `found` and `line`.
Letters are not upper-cased: documents cite numbers in capitals, and lower-case
words ("as 12") must not become citations. A match must not continue a longer
word or number on either side ("ABCGB 1", "8GB 2", "GB 1234A"), and a sector code
glued to a yearless number is a chemical formula (CH4, SF6), not a citation.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from kb import numbers
from kb.errors import NumberError

_DASH_TABLE = str.maketrans({d: "-" for d in numbers.DASHES})
_SCAN = re.compile(numbers.PREFIX_PATTERN + numbers.BODY_PATTERN)
_WORD_CHAR = re.compile(r"[A-Za-z0-9]")


@dataclass(frozen=True)
class Citation:
    number: numbers.StandardNumber
    line: int  # 1-based line of the original text where the citation starts
    found: str  # the citation as the document prints it (may contain a line break)

    def to_dict(self) -> dict:
        return {"number": self.number.canonical, "line": self.line, "found": self.found}


def _fold(char: str) -> str:
    return unicodedata.normalize("NFKC", char).translate(_DASH_TABLE)


def normalized_view(text: str) -> tuple[str, list[int]]:
    """The text as the grammar reads it, and for each of its characters the index in `text`."""
    folded = [_fold(c) for c in text]
    view: list[str] = []
    origin: list[int] = []
    for i, piece in enumerate(folded):
        if not piece.strip():  # whitespace: kept (as one space) between two digits and after
            if view and view[-1] != " ":  # a full stop ("GB/T 5023.1.\n4 …" is not part 1.4)
                ahead = next((p for p in folded[i + 1:] if p.strip()), "")
                if view[-1] == "." or (view[-1].isdigit() and ahead[:1].isdigit()):
                    view.append(" ")
                    origin.append(i)
            continue
        if piece == "n" and view[-2:] == ["G", "B"]:
            piece = "N"  # GBn, which the pattern spells GBN
        for char in piece:
            view.append(char)
            origin.append(i)
    return "".join(view), origin


def _standalone(text: str, first: int, last: int) -> bool:
    """Not the tail of a longer word or number, and not cut off in front of one
    (`first`, `last`: the match's first and last character in `text`)."""
    before = _fold(text[first - 1]) if first > 0 else ""
    if _WORD_CHAR.fullmatch(before[-1:] or " "):
        return False
    after = "".join(_fold(c) for c in text[last + 1:last + 3])
    if _WORD_CHAR.match(after[:1] or " "):
        return False
    return not re.match(r"[-.]\d", after)


def _formula_like(number: numbers.StandardNumber, found: str) -> bool:
    """CH4, SF6, HS 8…: a sector code glued to a yearless number is a formula, not a citation."""
    glued = re.match(r"[A-Z]+\d", unicodedata.normalize("NFKC", found))
    return number.level == "industry" and number.year is None and glued is not None


def find_numbers(text: str) -> list[Citation]:
    """Every standard number cited in `text`, in order of appearance."""
    view, origin = normalized_view(text)
    citations: list[Citation] = []
    position = 0
    while True:
        match = _SCAN.search(view, position)
        if match is None:
            return citations
        start, end = match.span()
        position = start + 1
        first, last = origin[start], origin[end - 1]
        if not _standalone(text, first, last):
            continue
        found = text[first:last + 1]
        try:
            number = numbers.parse(found)
        except NumberError:  # an implausible year or an unknown region code
            continue
        if _formula_like(number, found):
            continue
        citations.append(Citation(number, text.count("\n", 0, first) + 1, found))
        position = end
