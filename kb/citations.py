"""Find the standard numbers a document cites, with the line each one starts on.

    >>> [(c.number.canonical, c.line) for c in find_numbers("按GB/T 1.1—2020起草，\\n引用GB/T\\n5023.1-2008。")]
    [('GB/T 1.1-2020', 1), ('GB/T 5023.1-2008', 2)]

The scanner runs the number grammar (kb.numbers PREFIX_PATTERN + BODY_PATTERN) over a
normalized view of the text: each character NFKC-folded (full-width to half-width),
every dash made "-", and whitespace dropped except between two digits or after a full
stop, so a number split across a line break ("GB/T\\n5023.1-2008", "GB/T 5023.1-\\n2008")
is found whole. Building the view is linear in the text (4 MB in about a second).
The view keeps a map back to the original text, which gives `found` and `line`.
A 《title》 printed right after the number (or right before it, "《…》（GB/T 1.1-2020）")
is kept as the citation's `title`. `find_citations` also returns what looks like a
number but cannot be one (a year before 1949, an unknown prefix before /T, an unknown
region code) with `invalid` saying why; `find_numbers` leaves those out.
Letters are not upper-cased: documents cite numbers in capitals, and lower-case
words ("as 12") must not become citations. A match must not continue a longer
word or number on either side ("ABCGB 1", "8GB 2", "GB 1234A"), and a sector code
glued to a yearless number is a chemical formula (CH4, SF6), not a citation.
"""
from __future__ import annotations

import bisect
import datetime as dt
import re
import unicodedata
from array import array
from dataclasses import dataclass, replace

from kb import numbers
from kb.errors import NumberError

_DASH_TABLE = str.maketrans({d: "-" for d in numbers.DASHES})
_SCAN = re.compile(numbers.PREFIX_PATTERN + numbers.BODY_PATTERN)
_LOOSE = re.compile(r"[A-Z]{1,6}/[TZ]\d+(?:\.\d+)*-\d{4}(?!\d)")  # XX/T 123-2020, any prefix
_WORD_CHAR = re.compile(r"[A-Za-z0-9]")
FIRST_YEAR = 1949  # no Chinese standard is older
TITLE_LIMIT = 120  # characters of a 《title》


@dataclass(frozen=True)
class Citation:
    number: numbers.StandardNumber | None  # None for an invalid number
    line: int  # 1-based line of the original text where the citation starts
    found: str  # the citation as the document prints it (may contain a line break)
    title: str = ""  # the 《title》 printed with it, "" if none
    invalid: str = ""  # why the number cannot be one ("" for a valid number)

    def to_dict(self) -> dict:
        return {"number": self.number.canonical if self.number else "", "line": self.line,
                "found": self.found, "title": self.title, "invalid": self.invalid}


_FOLDED: dict[str, str] = {}


def _fold(char: str) -> str:
    folded = _FOLDED.get(char)
    if folded is None:
        folded = _FOLDED[char] = unicodedata.normalize("NFKC", char).translate(_DASH_TABLE)
    return folded


def normalized_view(text: str) -> tuple[str, array]:
    """The text as the grammar reads it, and for each of its characters the index in `text`.
    Whitespace is kept (as one space) between two digits and after a full stop
    ("GB/T 5023.1.\n4 …" is not part 1.4); each run of whitespace is looked at once."""
    view: list[str] = []
    origin = array("l")
    size, i = len(text), 0
    while i < size:
        piece = _fold(text[i])
        if not piece.strip():
            j = i + 1
            while j < size and not _fold(text[j]).strip():
                j += 1
            if view and view[-1] != " ":
                ahead = _fold(text[j])[:1] if j < size else ""
                if view[-1] == "." or (view[-1].isdigit() and ahead.isdigit()):
                    view.append(" ")
                    origin.append(i)
            i = j
            continue
        if piece == "n" and len(view) >= 2 and view[-2] == "G" and view[-1] == "B":
            piece = "N"  # GBn, which the pattern spells GBN
        for char in piece:
            view.append(char)
            origin.append(i)
        i += 1
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


def _title_near(text: str, first: int, last: int) -> str:
    """The 《title》 right after the number, or right before it (optionally then "（" or "(")."""
    after = text[last + 1:last + 4 + TITLE_LIMIT].lstrip(" \t\u3000")
    if after.startswith("《"):
        close = after.find("》")
        if 0 < close:
            return _clean_title(after[1:close])
    before = text[max(0, first - 4 - TITLE_LIMIT):first].rstrip(" \t\u3000")
    before = before[:-1].rstrip(" \t\u3000") if before.endswith(("（", "(")) else before
    if before.endswith("》"):
        opening = before.rfind("《")
        if opening >= 0 and "》" not in before[opening:-1]:
            return _clean_title(before[opening + 1:-1])
    return ""


def _clean_title(title: str) -> str:
    return re.sub(r"\s*\n\s*", "", title).strip()


def _impossible(number: numbers.StandardNumber) -> str:
    latest = dt.date.today().year + 1
    if number.year is not None and not FIRST_YEAR <= number.year <= latest:
        return f"年份 {number.year} 不可能（应在 {FIRST_YEAR}–{latest} 年之间）"
    return ""


def find_citations(text: str) -> list[Citation]:
    """Every standard number cited in `text`, in order of appearance, invalid ones included."""
    view, origin = normalized_view(text)
    newlines = [m.start() for m in re.finditer("\n", text)]
    found_at: list[tuple[int, Citation]] = []
    taken: list[tuple[int, int]] = []
    parsed: dict[str, numbers.StandardNumber | str] = {}  # a document repeats its citations

    def cite(first: int, last: int, number, invalid: str) -> None:
        citation = Citation(number, bisect.bisect_left(newlines, first) + 1, text[first:last + 1],
                            _title_near(text, first, last), invalid)
        found_at.append((first, citation))

    position = 0
    while True:
        match = _SCAN.search(view, position)
        if match is None:
            break
        start, end = match.span()
        position = start + 1
        first, last = origin[start], origin[end - 1]
        if not _standalone(text, first, last):
            continue
        taken.append((start, end))
        position = end
        spelled = text[first:last + 1]
        if spelled not in parsed:
            try:
                parsed[spelled] = numbers.parse(spelled)
            except numbers.NumberError as exc:  # an implausible year or an unknown region code
                parsed[spelled] = _reason(exc)
        number = parsed[spelled]
        if isinstance(number, str):
            cite(first, last, None, number)
            continue
        if _formula_like(number, text[first:last + 1]):
            continue
        cite(first, last, number, "")
    for match in _LOOSE.finditer(view):
        start, end = match.span()
        first, last = origin[start], origin[end - 1]
        if _overlaps(taken, start, end) or not _standalone(text, first, last):
            continue
        prefix = match.group().split("/")[0]
        cite(first, last, None, f"未知的标准代号 {prefix}/{match.group()[len(prefix) + 1]}")
    citations = [c for _, c in sorted(found_at, key=lambda pair: pair[0])]
    return [replace(c, invalid=_impossible(c.number)) if c.number and _impossible(c.number) else c
            for c in citations]


def _overlaps(spans: list[tuple[int, int]], start: int, end: int) -> bool:
    """Whether [start, end) overlaps one of `spans` (sorted, not overlapping each other)."""
    at = bisect.bisect_right(spans, (start, float("inf")))
    return any(s < end and start < e for s, e in spans[max(0, at - 1):at + 1])


def _reason(exc: Exception) -> str:
    message = str(exc)
    year = re.search(r"年份 '(\d+)' 不合理", message)
    if year:
        return f"年份 {year.group(1)} 不可能"
    region = re.search(r"地区(?:代码)? '?(?:DB)?([^'\s]+?)'? 无法识别", message)
    if region:
        return f"未知的地区代码 {region.group(1)}"
    return message


def find_numbers(text: str) -> list[Citation]:
    """Every valid standard number cited in `text`, in order of appearance."""
    return [c for c in find_citations(text) if not c.invalid]
