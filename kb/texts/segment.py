"""Segment a document into its clause tree, and map a user's clause reference to a path.

`segment(doc)` picks the segmenter of the document's kind. Text that segmenter finds
no structure in is tried with the other two, and failing those falls back to plain
paragraphs (`段1`, `段2` …), so any text gives a tree and none raises.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from kb.errors import BadInput
from kb.texts.clauses import ClauseTree
from kb.texts.model import Document
from kb.texts.numerals import CHARS, to_chinese, to_int
from kb.texts.segment_law import segment_law
from kb.texts.segment_policy import segment_policy
from kb.texts.segment_standard import segment_standard

SEGMENTERS = {"law": segment_law, "policy": segment_policy, "standard": segment_standard}
_UNSTRUCTURED = {"preamble", "cover", "block"}


def segment(doc: Document) -> ClauseTree:
    """The clause tree of a document (cached by kind and text; treat it as read-only)."""
    return segment_text(doc.kind, doc.text)


@lru_cache(maxsize=64)
def segment_text(kind: str, text: str) -> ClauseTree:
    order = [kind, *(k for k in SEGMENTERS if k != kind)] if kind in SEGMENTERS else list(SEGMENTERS)
    for name in order:
        tree = SEGMENTERS[name](text)
        if has_structure(tree):
            return tree
    return segment_paragraphs(text)


def has_structure(tree: ClauseTree) -> bool:
    return any(clause.kind not in _UNSTRUCTURED for clause in tree)


def segment_paragraphs(text: str) -> ClauseTree:
    """One clause per non-empty line: 段1, 段2 …"""
    tree = ClauseTree()
    for index, line in enumerate((ln.strip() for ln in text.splitlines() if ln.strip()), 1):
        tree.add(f"段{index}", f"段{index}", "block", text=line)
    return tree


# -- clause references ----------------------------------------------------------------

_NUM = f"[{CHARS}0-9]+"
_LAW_UNIT = re.compile(rf"第({_NUM})(分编|编|章|节|条|款|项|目)")
_LAW_ITEM = re.compile(rf"第?\(({_NUM})\)项?")
_LAW_SUB = re.compile(rf"之({_NUM})")
_LAW_BARE = re.compile(rf"({_NUM})(?:(?:之|-|—)({_NUM}))?条?")
_BOX = re.compile(rf"专栏({_NUM})(?:(?:/|-|第)({_NUM})项?)?")


def _cn(numeral: str) -> str:
    value = to_int(numeral)
    return to_chinese(value) if value is not None else numeral


def normalize_clause_ref(doc_kind: str, ref: str) -> str:
    """Map what a user types to a clause path of a document of `doc_kind`.

    law:      第十条, 10, 第10条, 10之1, 第十条第2款, 第四条(一) → 第十条, …, 第四条第一项
    policy:   八(一), 八、(一), 八、（一）, 八（一）1., 专栏6, 专栏六, 专栏6-3 → 八(一), …, 专栏6/3
    standard: 5.2, 第5.2条, ５．２, 附录 a, a.1, 表 A.1 → 5.2, 附录A, A.1, 表A.1
    """
    text = unicodedata.normalize("NFKC", ref or "")
    text = re.sub(r"\s+", "", text).strip("《》<>\"'“”‘’")
    if not text:
        raise BadInput("条款路径为空")
    if doc_kind == "law":
        return _law_ref(text)
    if doc_kind == "policy":
        return _policy_ref(text)
    if doc_kind == "standard":
        return _standard_ref(text)
    return text


def _law_ref(text: str) -> str:
    bare = _LAW_BARE.fullmatch(text)
    if bare and to_int(bare.group(1)) is not None:
        path = f"第{_cn(bare.group(1))}条"
        return path + (f"之{_cn(bare.group(2))}" if bare.group(2) else "")
    text = _LAW_ITEM.sub(lambda m: f"第{_cn(m.group(1))}项", text)
    text = _LAW_UNIT.sub(lambda m: f"第{_cn(m.group(1))}{m.group(2)}", text)
    return _LAW_SUB.sub(lambda m: f"之{_cn(m.group(1))}", text)


def _policy_ref(text: str) -> str:
    box = _BOX.fullmatch(text)
    if box:
        number = to_int(box.group(1))
        path = f"专栏{number if number is not None else box.group(1)}"
        if box.group(2):
            item = to_int(box.group(2))
            path += f"/{item if item is not None else box.group(2)}"
        return path
    text = re.sub(r"(?<=[一二三四五六七八九十百])[、.]", "", text)
    text = re.sub(r"(?<=\d)[.、](?=\(|$)", "", text)
    text = re.sub(r"^第([一二三四五六七八九十百]+)部分", r"\1", text)
    return re.sub(r"(?<=\()([一二三四五六七八九十百零〇]+)(?=\))", lambda m: _cn(m.group(1)), text)


def _standard_ref(text: str) -> str:
    text = re.sub(r"^第(.+)[条章]$", r"\1", text)
    text = re.sub(r"(?<=\d)[条章]$", "", text).rstrip(".")
    annex = re.fullmatch(r"附录([A-Za-z])", text)
    if annex:
        return f"附录{annex.group(1).upper()}"
    text = re.sub(r"^([a-z])(?=\.\d)", lambda m: m.group(1).upper(), text)
    text = re.sub(r"^(表|图)([a-z])(?=\.\d)", lambda m: m.group(1) + m.group(2).upper(), text)
    return text
