"""Classify a standard into CCS categories, with a confidence and a reason for each guess.

    >>> from kb.records import Record
    >>> [a.code for a in classify(Record.for_number("JB/T 13362-2018", title="电力机车用屏蔽电泵"))][:1]
    ['J71']

Evidence, strongest first:
1. the record's own `ccs` codes (confidence 1.0) and `ics` codes (kept as ICS assignments;
   their field also points to a CCS letter through kb/data/ics_ccs.yaml);
2. the title (and scope) cut by jieba and looked up in the category vocabulary
   (kb.categories): each word counts by its specificity (IDF over the category terms), by
   where the vocabulary found it (name, scope note, cross-reference …) and by its place in
   the title (the subject before the first space, the head noun, not a "X用" modifier);
3. the sector of an industry prefix (kb/data/sector_ccs.yaml: JB 机械 → J, YD 通信 → M …),
   which boosts title guesses in its letters and stands on its own when the title says nothing.

The term lookup can be injected (`lookup=`), so the index can answer it later.
"""
from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Callable, Sequence

import yaml

from kb import numbers
from kb.categories import Sense, Vocabulary, cut, default_vocabulary
from kb.records import Record
from kb.taxonomy import GENERIC_TERMS, normalize_code, scheme_of

DATA_DIR = Path(__file__).resolve().parent / "data"
SECTOR_FILE = DATA_DIR / "sector_ccs.yaml"
ICS_FILE = DATA_DIR / "ics_ccs.yaml"

TermLookup = Callable[[str], Sequence[Sense]]

# Place of a word in the title.
SUBJECT_WEIGHT = 1.0  # the first segment ("叉车属具" of "叉车属具 软包夹")
LATER_SEGMENT_WEIGHT = 0.7  # after a space, a dash or "第N部分："
HEAD_BOOST = 1.2  # the last word of the subject: the head noun
MODIFIER_WEIGHT = 0.7  # words before 用 ("电力机车" of "电力机车用屏蔽电泵")
SCOPE_WEIGHT = 0.4  # words of the scope text
COHERENCE = 0.3  # share of the other same-letter evidence a candidate receives
PRIOR_BOOST = {0: 1.6, 1: 1.3, 2: 1.2}  # by the letter's rank in the sector / ICS prior
SECTOR_CONFIDENCE = (0.5, 0.3, 0.25)
ICS_CONFIDENCE = (0.6, 0.4)

_TITLE_NOISE = frozenset("""的 与 和 及 及其 用 式 型 第 部分 等 中 对 在 为 基于 关于 之 下 上 其 类 个
技术规程 技术规范 操作规程 规程 指南 导则 通则 细则 技术导则 规范 要求 技术要求 方法 测定 检测方法
评价方法 评价 鉴定 判定 通用 技术 实施 建设 应用 编制 指标 体系 程序 条件 总则 基本 一般""".split())
_PART = re.compile(r"第\s*[0-9一二三四五六七八九十百]+\s*部分\s*[:：]?")
_SEGMENT_SPLIT = re.compile(r"\s+|——|—|--|[:：;；()（）《》<>「」“”\"']")


@dataclass(frozen=True)
class Assignment:
    """One classification guess."""

    code: str  # CCS (K13, K10/19, K), ICS (29.060.20) or a user category code
    confidence: float  # 0..1
    reason: str
    scheme: str = "ccs"

    def to_dict(self) -> dict:
        return {"code": self.code, "scheme": self.scheme, "confidence": self.confidence,
                "reason": self.reason}


# -- tables -----------------------------------------------------------------------

@dataclass(frozen=True)
class Prior:
    letters: tuple[str, ...]
    reason: str  # "sector JB 机械" / "ICS 29.060.20"


@lru_cache(maxsize=1)
def sector_table() -> dict[str, tuple[tuple[str, ...], str]]:
    """Industry prefix → (CCS letters, note), from kb/data/sector_ccs.yaml."""
    data = yaml.safe_load(SECTOR_FILE.read_text(encoding="utf-8")) or {}
    return {prefix: (tuple(row["ccs"]), str(row.get("note") or "")) for prefix, row in data.items()}


@lru_cache(maxsize=1)
def ics_table() -> dict[str, tuple[str, ...]]:
    """ICS field or group → CCS letters, from kb/data/ics_ccs.yaml."""
    data = yaml.safe_load(ICS_FILE.read_text(encoding="utf-8")) or {}
    table = {str(k): tuple(v) for k, v in (data.get("fields") or {}).items()}
    table.update({str(k): tuple(v) for k, v in (data.get("groups") or {}).items()})
    return table


def sector_prior(record: Record) -> Prior | None:
    sector = record.sector or _sector_of(record.number)
    if not sector or sector not in sector_table():
        return None
    letters, note = sector_table()[sector]
    return Prior(letters, f"sector {sector} {note.split(' →')[0]}")


def _sector_of(number: str) -> str:
    parsed = numbers.try_parse(number) if number else None
    return parsed.sector or "" if parsed else ""


def ics_letters(ics: str) -> tuple[str, ...]:
    """CCS letters for an ICS code by the longest matching prefix in the table ("" if none)."""
    table = ics_table()
    parts = ics.split(".")
    for size in range(len(parts), 0, -1):
        key = ".".join(parts[:size])
        if key in table:
            return table[key]
    return ()


# -- title analysis -------------------------------------------------------------------

def title_words(title: str) -> list[tuple[str, float, str]]:
    """(word, weight, role) for each content word of a title; role is subject/head/modifier/later."""
    text = unicodedata.normalize("NFKC", title or "")
    text = _PART.sub(" ", text)
    segments = [s for s in _SEGMENT_SPLIT.split(text) if s and s.strip()]
    found: list[tuple[str, float, str]] = []
    for index, segment in enumerate(segments):
        words = cut(segment)
        base = SUBJECT_WEIGHT if index == 0 else LATER_SEGMENT_WEIGHT
        role = "subject" if index == 0 else "later"
        last_use = max((i for i, w in enumerate(words) if w == "用"), default=-1)
        content = [(i, w) for i, w in enumerate(words) if _is_content(w)]
        for position, (i, word) in enumerate(content):
            weight, word_role = base, role
            if i < last_use:
                weight, word_role = base * MODIFIER_WEIGHT, "modifier"
            elif index == 0 and position == len(content) - 1:
                weight, word_role = base * HEAD_BOOST, "head"
            found.append((word, weight, word_role))
    return found


def _is_content(word: str) -> bool:
    return bool(word) and word not in _TITLE_NOISE and word not in GENERIC_TERMS \
        and not re.fullmatch(r"[\d.\-/]+", word)


# -- classification ------------------------------------------------------------------------

@dataclass
class _Candidate:
    """Evidence for one code: per title word, the best contribution and its reason."""

    code: str
    words: dict[str, tuple[float, tuple]]  # word → (amount, (kind, word, part, sense))

    @property
    def score(self) -> float:
        return sum(amount for amount, _ in self.words.values())

    def add(self, word: str, amount: float, reason: tuple) -> None:
        if word not in self.words or self.words[word][0] < amount:
            self.words[word] = (amount, reason)

    def reasons(self, vocabulary: Vocabulary, limit: int = 2) -> list[str]:
        """The reasons of the strongest words, formatted only here (for the few returned)."""
        best = sorted(self.words.values(), key=lambda e: -e[0])[:limit]
        return [_reason(vocabulary, *r) for _, r in best]


def classify(record: Record, vocabulary: Vocabulary | None = None, *, lookup: TermLookup | None = None,
             limit: int = 5) -> list[Assignment]:
    """Ranked CCS (and ICS) assignments for a record, best first; see the module docstring.

    `lookup(term) -> [Sense]` replaces the vocabulary's in-memory term lookup (e.g. an index)."""
    vocabulary = vocabulary or default_vocabulary()
    own = _own_codes(record, vocabulary)
    if any(a.scheme == "ccs" for a in own):
        return own
    priors = _priors(record)
    candidates = _evidence(record, vocabulary, lookup or vocabulary.lookup)
    _fold_ranges(candidates, vocabulary)
    inferred = _rank(candidates, priors, vocabulary, limit)
    return (own + inferred)[: max(limit, len(own))]


def _own_codes(record: Record, vocabulary: Vocabulary) -> list[Assignment]:
    assignments = []
    for raw in record.ccs:
        code = normalize_code(raw) or raw.strip()
        known = vocabulary.category(code)
        reason = "own CCS code" + ("" if known else " (not in the CCS table)")
        assignments.append(Assignment(code, 1.0, reason, "ccs"))
    for raw in record.ics:
        code = normalize_code(raw) or raw.strip()
        known = vocabulary.category(code)
        reason = "own ICS code" + ("" if known else " (not in the ICS table)")
        assignments.append(Assignment(code, 1.0, reason, "ics"))
    return assignments


def _priors(record: Record) -> list[tuple[Prior, tuple[float, ...]]]:
    priors = []
    sector = sector_prior(record)
    if sector:
        priors.append((sector, SECTOR_CONFIDENCE))
    for raw in record.ics:
        code = normalize_code(raw) or raw.strip()
        letters = ics_letters(code)
        if letters:
            priors.append((Prior(letters, f"ICS {code}"), ICS_CONFIDENCE))
    return priors


def _evidence(record: Record, vocabulary: Vocabulary, lookup: TermLookup) -> dict[str, _Candidate]:
    words: dict[str, tuple[float, str]] = {}  # a repeated word counts once, at its best place
    found = [(w, weight, "title term") for w, weight, _ in title_words(record.title)]
    if record.scope:
        found += [(w, SCOPE_WEIGHT, "scope term") for w, _, _ in title_words(record.scope[:300])]
    for word, weight, kind in found:
        if word not in words or words[word][0] < weight:
            words[word] = (weight, kind)
    candidates: dict[str, _Candidate] = {}
    for word, (weight, kind) in words.items():
        senses, part = vocabulary.senses_for_word(word, lookup)
        for sense in senses:
            candidate = candidates.get(sense.code)
            if candidate is None:
                candidate = candidates[sense.code] = _Candidate(sense.code, {})
            candidate.add(word, sense.strength * weight, (kind, word, part, sense))
    return candidates


def _reason(vocabulary: Vocabulary, kind: str, word: str, part: str, sense: Sense) -> str:
    if part == word:
        return f"{kind} {vocabulary.describe(sense, part)}"
    return f"{kind} {word}: {vocabulary.describe(sense, part)}"


def _fold_ranges(candidates: dict[str, _Candidate], vocabulary: Vocabulary) -> None:
    """Evidence for a range (T40/49 汽车) goes to those of its categories that other title
    words also point to, else to its general category (T40 汽车综合); else it stays."""
    taxonomy = vocabulary.taxonomy
    ranges = [c for c in candidates if (cat := taxonomy.get(c)) and cat.scheme == "ccs" and cat.level == 2]
    for code in ranges:
        source = candidates[code]
        children = taxonomy.children(code)
        supported = [c.code for c in children if c.code in candidates
                     and set(candidates[c.code].words) - set(source.words)]
        general = [c.code for c in children if c.name.endswith("综合")][:1]
        targets, share = (supported, 0.5) if supported else (general, 0.8)
        if not targets:
            continue
        del candidates[code]
        for target in targets:
            candidate = candidates.setdefault(target, _Candidate(target, {}))
            for word, (amount, reason) in source.words.items():
                candidate.add(word, amount * share, reason)


def _letter(code: str, vocabulary: Vocabulary) -> str:
    return vocabulary.letter_of(code) or (code[0] if scheme_of(code) == "ccs" else "")


def _rank(candidates: dict[str, _Candidate], priors, vocabulary: Vocabulary, limit: int = 5) -> list[Assignment]:
    prior_letters = {letter for prior, _ in priors for letter in prior.letters}
    letter_of = {code: _letter(code, vocabulary) for code in candidates}
    letter_words: dict[str, dict[str, float]] = {}
    for candidate in candidates.values():
        best = letter_words.setdefault(letter_of[candidate.code], {})
        for word, (amount, _) in candidate.words.items():
            if best.get(word, 0.0) < amount:
                best[word] = amount
    prior_notes: dict[str, tuple[tuple[float, ...], tuple[str, ...]]] = {}
    for letter in letter_words:
        boosts = tuple(PRIOR_BOOST.get(prior.letters.index(letter), 1.1) for prior, _ in priors
                       if letter in prior.letters)
        notes = tuple(f"{prior.reason} → {letter} agrees" for prior, _ in priors if letter in prior.letters)
        prior_notes[letter] = (boosts, notes)
    boilerplate = vocabulary.taxonomy.repeated_names()
    scored = []
    for candidate in candidates.values():
        letter = letter_of[candidate.code]
        same_letter = letter_words[letter]
        # Every word of the candidate is among its letter's words: others exist iff there are more.
        has_others = len(same_letter) > len(candidate.words)
        category = vocabulary.category(candidate.code)
        score = candidate.score
        if category is not None and category.name in boilerplate and letter != "A" \
                and letter not in prior_letters:
            # "质量管理" alone says nothing about which letter's 标准化、质量管理: A (综合) is its
            # general home; another letter's copy needs other words of that letter.
            if not has_others:
                continue
            score *= 0.5
        if has_others:
            score += COHERENCE * sum(a for w, a in same_letter.items() if w not in candidate.words)
        boosts, notes = prior_notes[letter]
        for boost in boosts:
            score *= boost
        scored.append((score, candidate, letter, notes, category))
    scored.sort(key=lambda item: (-item[0], item[1].code))
    total = sum(s for s, *_ in scored[:3]) or 1.0
    letter_support = {letter: conf for letter, conf, _ in _prior_letters(priors, vocabulary)}
    ranked: list[tuple[float, float, str, object]] = []  # (confidence, score, code, evidence)
    covered: set[str] = set()
    for score, candidate, letter, notes, category in scored:
        strength = 1.0 - math.exp(-score)
        confidence = strength * (0.5 + 0.5 * score / total)
        # The best guess inside a letter the sector or ICS vouch for inherits part of that.
        support = letter_support.get(letter, 0.0) * (0.6 if letter not in covered else 0.2)
        confidence = 1.0 - (1.0 - confidence) * (1.0 - support)
        ranked.append((round(min(confidence, 0.95), 2), score, candidate.code, (candidate, notes, category)))
        covered.add(letter)
    for letter, confidence, reason in _prior_letters(priors, vocabulary):
        if letter not in covered:
            ranked.append((confidence, -1.0, letter, reason))
    ranked.sort(key=lambda item: (-item[0], -item[1], item[2]))
    return [_assignment(vocabulary, *item) for item in ranked[:limit]]


def _assignment(vocabulary: Vocabulary, confidence: float, score: float, code: str, evidence) -> Assignment:
    """An assignment, its reasons joined only now that it is among those returned."""
    if isinstance(evidence, str):  # a letter only the sector or ICS point to
        return Assignment(code, confidence, evidence, "ccs")
    candidate, notes, category = evidence
    scheme = "user" if category is not None and category.scheme == "user" else "ccs"
    return Assignment(code, confidence, "; ".join(candidate.reasons(vocabulary) + list(notes)), scheme)


def _prior_letters(priors, vocabulary: Vocabulary) -> list[tuple[str, float, str]]:
    """Letters the sector or ICS point to, with combined confidence."""
    combined: dict[str, tuple[float, list[str]]] = {}
    for prior, confidences in priors:
        for rank, letter in enumerate(prior.letters):
            confidence = confidences[min(rank, len(confidences) - 1)]
            category = vocabulary.category(letter)
            text = f"{prior.reason} → {category.label if category else letter}"
            old, reasons = combined.get(letter, (0.0, []))
            combined[letter] = (1 - (1 - old) * (1 - confidence), reasons + [text])
    return [(letter, round(conf, 2), "; ".join(reasons)) for letter, (conf, reasons) in combined.items()]


def classify_many(records, vocabulary: Vocabulary | None = None, *, lookup: TermLookup | None = None,
                  limit: int = 5) -> dict[str, list[Assignment]]:
    """Classify several records: id → assignments."""
    vocabulary = vocabulary or default_vocabulary()
    return {r.id: classify(r, vocabulary, lookup=lookup, limit=limit) for r in records}
