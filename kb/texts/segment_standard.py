"""Standards (GB/T 1.1-2020): 前言, 引言, numbered 章 and 条 (5.2.1.3 …), terms, annexes,
notes, examples and table/figure captions.

Paths:

    封面                the cover (number, titles, dates) before 前言
    前言 / 引言          foreword / introduction
    1, 5, 5.2, 5.2.1.3  numbered chapters and clauses, as printed
    3.1                 a term entry under 3 术语和定义 (heading = the term)
    附录A, A.1, A.2.1   annexes and their clauses
    表1, 表A.1, 图1      table and figure captions (the table's rows are its text)
    5.2.2/示例1, 5.2.1.3.2/注, 表1/注
                        examples and notes, under the clause they follow
    参考文献 / 索引       bibliography / index

A numbered line counts as a clause only if it continues its parent's numbering
(5.2.3 needs 5.2 and follows 5.2.2), so table rows, page numbers and numbers in
prose stay text. Every clause lists the standard numbers it cites in `refs`.
"""
from __future__ import annotations

import re
import unicodedata

from kb import numbers
from kb.texts.clauses import Clause, ClauseTree, append_text

_SP = "[\\s\u3000]"
NUMBERED = re.compile(rf"(?P<num>\d+(?:\.\d+)*)(?![\d.．]){_SP}*(?P<rest>.*)$")
ANNEX = re.compile(rf"附{_SP}*录{_SP}*(?P<letter>[A-Z]){_SP}*(?P<rest>.*)$")
ANNEX_CLAUSE = re.compile(rf"(?P<num>[A-Z](?:\.\d+)+)(?![\d.．]){_SP}*(?P<rest>.*)$")
NATURE = re.compile(rf"[（(]{_SP}*(?P<nature>规范性|资料性|参考性|提示的|标准的)(?:附录)?{_SP}*[）)]{_SP}*")
CAPTION = re.compile(rf"(?P<kind>表|图){_SP}*(?P<num>[A-Z]\.\d+|\d+){_SP}+(?P<rest>[^。]{{0,60}})$|"
                     rf"(?P<kind2>表|图){_SP}*(?P<num2>[A-Z]\.\d+|\d+)$")
NOTE = re.compile(rf"注{_SP}*(?P<num>\d*){_SP}*[:：]{_SP}*")
EXAMPLE = re.compile(rf"示例{_SP}*(?P<num>\d*){_SP}*(?:[:：]{_SP}*|$)")
HALF_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}  # ０-９ Ａ-Ｚ ．（） …
FIXED = {"前言": "foreword", "引言": "introduction", "参考文献": "bibliography", "索引": "index"}
TOC_HEAD = re.compile(rf"目{_SP}*次$")
TOC_LINE = re.compile(r"(…{2,}|\.{4,}|·{4,}|-{4,})\s*[\dⅠ-ⅫIVX]+\s*$")  # leader dots, page number
REF = re.compile(r"(?<![A-Za-z0-9/])(?:GB/[TZ]|GBZ|GB|JJF|JJG|DB\d{2,6}/T|T/[A-Z0-9]+|Q/[A-Z0-9]+|[A-Z]{1,4}/[TZ]|"
                 r"[A-Z]{2,4})\s*\d+(?:\.\d+)*(?:\s*[-—–―－]\s*\d{2,4}(?!\d))?")


def _is_heading(rest: str) -> bool:
    return 0 < len(rest) <= 30 and not re.search(r"[。；;，,：:]", rest)


def cited_numbers(text: str) -> list[str]:
    """Canonical standard numbers cited in `text`, in order, each once."""
    found: list[str] = []
    for match in REF.finditer(unicodedata.normalize("NFKC", text)):
        number = numbers.try_parse(match.group(0))
        if number is not None and number.canonical not in found:
            found.append(number.canonical)
    return found


def segment_standard(text: str) -> ClauseTree:
    tree = _StandardBuilder().build(text.splitlines())
    for clause in tree:
        clause.refs = cited_numbers(f"{clause.heading}\n{clause.text}")
    return tree


class _StandardBuilder:
    def __init__(self) -> None:
        self.tree = ClauseTree()
        self.section: Clause | None = None  # deepest numbered clause, annex or fixed part
        self.target: Clause | None = None  # where plain lines go
        self.last_child: dict[str, int] = {}  # numbered path → last child number ("" = top level)
        self.terms_chapter = ""
        self.awaiting_heading: Clause | None = None
        self.in_back_matter = False  # after the first annex: no more body chapters
        self.original = ""

    def build(self, lines: list[str]) -> ClauseTree:
        for raw in lines:
            line = raw.strip()
            if line and not TOC_HEAD.match(line) and not TOC_LINE.search(line):
                self.feed(line)
        return self.tree

    def feed(self, original: str) -> None:
        # Match on a half-width copy (５．２ → 5.2); the copy has the same offsets, so the
        # text kept comes from the original line.
        self.original = original
        line = original.translate(HALF_WIDTH)
        compact = re.sub(_SP, "", line)
        if compact in FIXED and compact not in self.tree:
            self.start_fixed(compact)
            return
        if self.awaiting_heading is not None:
            if self.awaiting_heading.kind == "annex" and not self.awaiting_heading.label.endswith("）"):
                nature = NATURE.fullmatch(line)
                if nature:
                    self.awaiting_heading.label += f"（{nature['nature']}）"
                    return
            if not (NUMBERED.match(line) and self.numbered_parent(line)) and not ANNEX_CLAUSE.match(line):
                self.awaiting_heading.heading = original
                self.awaiting_heading = None
                return
            self.awaiting_heading = None
        if self.try_annex(line) or self.try_numbered(line) or self.try_annex_clause(line):
            return
        if self.try_caption(line) or self.try_note_or_example(line):
            return
        if self.target is None:
            self.target = self.tree.add("封面", "", "cover")
        append_text(self.target, original)

    # -- parts -----------------------------------------------------------------------

    def rest(self, match: re.Match) -> str:
        """The original text of the match's "rest" group ("" if it did not take part)."""
        start = match.start("rest")
        return self.original[start:match.end("rest")].strip() if start >= 0 else ""

    def start_fixed(self, name: str) -> None:
        self.section = self.target = self.tree.add(name, name, FIXED[name])
        if FIXED[name] in ("bibliography", "index"):
            self.in_back_matter = True

    def numbered_parent(self, line: str) -> tuple[str, int] | None:
        """(parent path, number) if `line` starts the next numbered clause, else None."""
        match = NUMBERED.match(line)
        if not match or self.in_back_matter:
            return None
        parts = match["num"].split(".")
        if len(parts) > 6:
            return None
        parent = ".".join(parts[:-1])
        number = int(parts[-1])
        rest = match["rest"]
        if parent:
            if parent not in self.last_child:
                return None
        elif not rest or (self.last_child.get("", 0) == 0 and number > 9):
            return None  # a bare top-level number is a page number, not a chapter
        last = self.last_child.get(parent, 0)
        if number == last + 1 or (not parent and last == 0):
            return parent, number
        return None

    def try_numbered(self, line: str) -> bool:
        found = self.numbered_parent(line)
        if found is None:
            return False
        parent_path, number = found
        match = NUMBERED.match(line)
        assert match is not None
        path, rest = match["num"], self.rest(match)
        self.last_child[parent_path] = number
        self.last_child[path] = 0
        parent = self.tree.get(parent_path) if parent_path else None
        in_terms = bool(self.terms_chapter) and path.startswith(self.terms_chapter + ".")
        kind = "term" if in_terms else ("clause" if parent else "chapter")
        heading, text = (rest, "") if (_is_heading(rest) or (in_terms and rest)) else ("", rest)
        clause = self.tree.add(path, path, kind, parent, heading=heading, text=text)
        if not parent and "术语" in heading:
            self.terms_chapter = path
        if in_terms and not rest:
            self.awaiting_heading = clause
        self.section = self.target = clause
        return True

    def try_annex(self, line: str) -> bool:
        match = ANNEX.match(line)
        if not match or f"附录{match['letter']}" in self.tree:
            return False
        rest = self.rest(match)
        label = f"附录{match['letter']}"
        nature = NATURE.match(rest)
        if nature:
            label += f"（{nature['nature']}）"
            rest = rest[nature.end():]
        clause = self.tree.add(f"附录{match['letter']}", label, "annex", heading=rest.strip())
        self.last_child[match["letter"]] = 0
        self.in_back_matter = True
        self.section = self.target = clause
        if not rest.strip():
            self.awaiting_heading = clause
        return True

    def try_annex_clause(self, line: str) -> bool:
        match = ANNEX_CLAUSE.match(line)
        if not match:
            return False
        parts = match["num"].split(".")
        parent_key = ".".join(parts[:-1])
        if parent_key not in self.last_child or int(parts[-1]) != self.last_child[parent_key] + 1:
            return False
        parent = self.tree.get(f"附录{parent_key}" if len(parts) == 2 else parent_key)
        if parent is None:
            return False
        self.last_child[parent_key] = int(parts[-1])
        self.last_child[match["num"]] = 0
        rest = self.rest(match)
        heading, text = (rest, "") if _is_heading(rest) else ("", rest)
        clause = self.tree.add(match["num"], match["num"], "clause", parent, heading=heading, text=text)
        self.section = self.target = clause
        return True

    def try_caption(self, line: str) -> bool:
        match = CAPTION.match(line)
        if not match:
            return False
        kind_char = match["kind"] or match["kind2"]
        number = match["num"] or match["num2"]
        path = f"{kind_char}{number}"
        if path in self.tree:
            return False
        clause = self.tree.add(path, path, "table" if kind_char == "表" else "figure", self.section,
                               heading=self.rest(match))
        self.target = clause  # a table's rows and a caption's notes follow it
        return True

    def try_note_or_example(self, line: str) -> bool:
        for pattern, word, kind in ((NOTE, "注", "note"), (EXAMPLE, "示例", "example")):
            match = pattern.match(line)
            if not match:
                continue
            owner = self.target if self.target is not None and self.target.kind in ("table", "figure") \
                else self.section
            if owner is None:
                return False
            label = f"{word}{match['num']}"
            clause = self.tree.add(f"{owner.path}/{label}", label, kind, owner,
                                   text=self.original[match.end():].strip())
            self.target = clause
            return True
        return False
