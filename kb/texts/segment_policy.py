"""Policy documents (GB/T 9704): 一、 → （一） → 1. → （1）, levels may be skipped, plus boxed
专栏N sections whose items start with ——.

Paths join the markers of the ancestors, with numerals canonical and brackets half-width:

    前文           unlabelled text before the first marker
    八             一、 level (Chinese numeral)
    八(一)         （一） under 八; (一) alone when there is no 一、 level above it
    八(一)1        1. under 八(一); 八1 when 1. sits directly under 八
    八(一)1(1)     （1） under 八(一)1
    专栏6          a box: 专栏 numbers run through the document, so no prefix
    专栏6/3        the third —— item of 专栏6

A marker counts only when it continues its level's numbering (一、 after 七、 is text;
1. and (1) must start at 1), so stray numbers in prose stay prose. Each clause's heading is its lead phrase
("(一)指导思想" → 指导思想; "(一)培育科技创新竞争优势。以…" → 培育科技创新竞争优势);
its text is the rest of its lines, without the text of its children.
"""
from __future__ import annotations

import re

from kb.texts.clauses import Clause, ClauseTree, append_text
from kb.texts.numerals import to_chinese, to_int

_CN = "一二三四五六七八九十百零〇"
LEVEL1 = re.compile(rf"(?P<num>[{_CN}]+)、\s*")
LEVEL2 = re.compile(rf"[（(](?P<num>[{_CN}]+)[）)]\s*")
LEVEL3 = re.compile(r"(?P<num>[0-9０-９]{1,2})[.．、](?![0-9０-９])\s*")
LEVEL4 = re.compile(r"[（(](?P<num>[0-9０-９]{1,2})[）)]\s*")
BOX = re.compile(rf"专栏\s*(?P<num>[0-9０-９]+|[{_CN}]+)\s*[:：]?\s*")
BOX_ITEM = re.compile(r"(?:——|──|—|--)\s*")
LEVEL_KINDS = {1: "section", 2: "subsection", 3: "point", 4: "subpoint"}
_LEAD = re.compile(r"([^。！？]{1,40}?)[。！？]")


def split_lead(rest: str) -> tuple[str, str]:
    """(heading, text): a short line is all heading; a short first sentence is the heading."""
    rest = rest.strip()
    if not rest:
        return "", ""
    if len(rest) <= 40 and not re.search(r"[。；;，,：:！？]", rest):
        return rest, ""
    lead = _LEAD.match(rest)
    if lead and not re.search(r"[，,；;：:]", lead.group(1)):
        return lead.group(1), rest[lead.end():].strip()
    return "", rest


def segment_policy(text: str) -> ClauseTree:
    return _PolicyBuilder().build(text.splitlines())


class _PolicyBuilder:
    def __init__(self) -> None:
        self.tree = ClauseTree()
        self.open: list[tuple[int, Clause]] = []  # (level, clause); box = level 2, its items 5
        self.counters: dict[tuple[str, int], int] = {}  # (parent path, level) → last number
        self.box: Clause | None = None
        self.last_box = 0

    def build(self, lines: list[str]) -> ClauseTree:
        for raw in lines:
            line = raw.strip()
            if line:
                self.feed(line)
        return self.tree

    def current(self) -> Clause | None:
        return self.open[-1][1] if self.open else None

    def feed(self, line: str) -> None:
        box = BOX.match(line)
        if box and to_int(box["num"]) == self.last_box + 1:
            self.start_box(box, line)
            return
        if self.box is not None:
            item = BOX_ITEM.match(line)
            if item:
                self.add_box_item(line[item.end():])
                return
        for level, pattern in ((1, LEVEL1), (2, LEVEL2), (3, LEVEL3), (4, LEVEL4)):
            match = pattern.match(line)
            if match and self.try_marker(level, match, line):
                return
        target = self.current()
        if target is None:
            target = self.tree.add("前文", "", "preamble")
            self.open.append((0, target))
        append_text(target, line)

    def try_marker(self, level: int, match: re.Match, line: str) -> bool:
        number = to_int(match["num"])
        if number is None or (level > 2 and not line[match.end():].strip()):
            return False
        open_ = [(lv, c) for lv, c in self.open if 0 < lv < level and c.kind != "box"]
        parent = open_[-1][1] if open_ else None
        key = (parent.path if parent else "", level)
        last = self.counters.get(key, 0)
        if number != last + 1 and not (last == 0 and level <= 2):  # an excerpt may start at 三、
            return False
        self.counters[key] = number
        self.open = open_
        self.box = None
        if level == 1:
            path, label = to_chinese(number), match.group(0).strip()
        elif level == 2:
            path, label = f"({to_chinese(number)})", match.group(0).strip()
        elif level == 3:
            path, label = str(number), match.group(0).strip()
        else:
            path, label = f"({number})", match.group(0).strip()
        heading, text = split_lead(line[match.end():])
        clause = self.tree.add((parent.path if parent else "") + path, label, LEVEL_KINDS[level], parent,
                               heading=heading, text=text)
        self.open.append((level, clause))
        return True

    def start_box(self, match: re.Match, line: str) -> None:
        number = to_int(match["num"]) or 0
        self.last_box = number
        self.open = [(lv, c) for lv, c in self.open if lv == 1]
        parent = self.open[-1][1] if self.open else None
        heading, text = split_lead(line[match.end():])
        self.box = self.tree.add(f"专栏{number}", match.group(0).strip(), "box", parent,
                                 heading=heading, text=text)
        self.open.append((2, self.box))

    def add_box_item(self, rest: str) -> None:
        box = self.box
        assert box is not None
        self.open = [(lv, c) for lv, c in self.open if lv <= 2]
        heading, text = split_lead(rest)
        item = self.tree.add(f"{box.path}/{len(box.children) + 1}", "——", "box_item", box,
                             heading=heading, text=text)
        self.open.append((5, item))
