"""Product-category vocabulary: terms → categories, synonyms, user extensions, lookup.

(Not to be confused with kb/vocab.py, the status/level/prefix normalization tables.)

The vocabulary is built from corpus/taxonomy.jsonl: CCS names and scope-note terms,
the note cross-references ("电子设备电缆入L91"), the dictionary sub-words of long
terms, plus the curated synonym groups in kb/data/synonyms.yaml. A user file extends
it with their own categories, terms and synonyms.

    >>> [c.code for c in resolve_category("电缆")][:2]
    ['K13', 'L91']
    >>> resolve_category("电线电缆")[0].label
    'K13 电缆及其附件'
"""
from __future__ import annotations

import csv
import hashlib
import logging
import math
import os
import pickle
import re
import threading
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Iterable


from kb.errors import BadInput, NotFound
from kb.taxonomy import (GENERIC_TERMS, Category, Taxonomy, load_taxonomy, normalize_code,
                         scheme_of, split_terms, taxonomy_path)

DATA_DIR = Path(__file__).resolve().parent / "data"
SYNONYMS_FILE = DATA_DIR / "synonyms.yaml"

# How much a term says about a category, by where the term comes from.
SOURCE_WEIGHTS = {
    "user": 1.0,  # a user's own term for their category
    "name": 1.0,  # part of the category name: 电缆 in 电缆及其附件
    "ref": 0.9,  # another category's note sends X here: 电子设备电缆入L91
    "scope": 0.75,  # listed in the category's scope note
    "name part": 0.45,  # a dictionary word inside a name term: 电线 in 带绝缘层电线
    "scope part": 0.3,  # a dictionary word inside a scope term
}
SYNONYM_FACTOR = 0.85  # a match through a synonym counts a little less than a direct one
LATER_NAME_FACTOR = 0.9  # 电缆 in 电子设备用导线、电缆 is not the name's first word
WORD_MEMO = 200_000  # words whose senses a vocabulary remembers (a build asks for the same few thousand)
SUFFIX_FACTOR = 0.7  # a word known only by its head (屏蔽电泵 → 泵)
INNER_FACTOR = 0.5  # a word known only by an inner part (质量管理体系 → 质量管理)


@dataclass(frozen=True)
class Sense:
    """One meaning of a term: it points to a category, with a weight and a provenance."""

    code: str
    term: str  # the vocabulary term that matched
    source: str  # a key of SOURCE_WEIGHTS
    weight: float  # source weight (× SYNONYM_FACTOR when reached through a synonym)
    specificity: float = 1.0  # 0..1: rare, long terms are specific (IDF over the categories)
    note: str = ""  # where a cross-reference came from ("K13 note: 电子设备电缆入L91")
    via: str = ""  # the word the user or title gave, when the match went through a synonym

    @property
    def strength(self) -> float:
        return self.weight * self.specificity


def astuple_sense(sense: "Sense | tuple") -> tuple:
    if isinstance(sense, tuple):  # still as a snapshot stored it
        return sense
    return (sense.code, sense.term, sense.source, sense.weight, sense.specificity, sense.note, sense.via)


class _SenseTable(dict):
    """term → senses, read from a snapshot as tuples and made Senses when first asked for."""

    def get(self, key, default=None):
        found = dict.get(self, key)
        if found is None:
            return default
        if found and type(found[0]) is tuple:
            found = [Sense(*row) for row in found]
            self[key] = found
        return found


@dataclass(frozen=True)
class Resolved:
    """A category that answers a query, with a score and why."""

    category: Category
    score: float
    reason: str


# -- segmentation ---------------------------------------------------------------

_segmenter = None
_segmenter_lock = threading.Lock()
_taught: set[str] = set()
_general: dict[str, int] = {}  # jieba's own counts of the words we taught it
TAUGHT_FREQUENCY = 2000  # jieba's dictionary counts: 质量 8009, 玻璃 1985, 涡轮 491
COMMON_FREQUENCY = 1000  # above this jieba count a word starts to count as everyday


def segmenter():
    """This process's own jieba Tokenizer (jieba's global dictionary is left alone)."""
    global _segmenter
    if _segmenter is None:
        with _segmenter_lock:
            if _segmenter is None:
                import jieba

                jieba.setLogLevel(logging.WARNING)
                tokenizer = jieba.Tokenizer()
                tokenizer.initialize()
                _segmenter = tokenizer
    return _segmenter


def teach_words(words: Iterable[str]) -> None:
    """Add vocabulary terms to the process's segmenter so titles cut at them."""
    tokenizer = segmenter()
    with _segmenter_lock:
        for word in words:
            if 2 <= len(word) <= 16 and word not in _taught:
                _general[word] = tokenizer.FREQ.get(word) or 0
                # Frequent enough to win against a split such as 质量 | 管理体系.
                tokenizer.add_word(word, max(TAUGHT_FREQUENCY, _general[word]))
                _taught.add(word)
                _cut.cache_clear()


def general_frequency(word: str) -> int:
    """How often a word occurs in general Chinese (jieba's dictionary count, before teaching)."""
    if word in _general:
        return _general[word]
    return segmenter().FREQ.get(word) or 0


def commonness_factor(word: str) -> float:
    """1.0 for rare words; less for everyday ones (服务 0.47, 研究 0.39, 电缆 1.0): a word
    common in general Chinese says little about a product category."""
    freq = general_frequency(word)
    return 1.0 / (1.0 + max(0.0, math.log10(freq / COMMON_FREQUENCY))) if freq else 1.0


CACHED_CUT_LENGTH = 40  # longer text (scope sentences) seldom repeats: its cut is not kept


def cut(text: str) -> list[str]:
    """Deterministic jieba cut (no HMM) of one piece of text."""
    if len(text) <= CACHED_CUT_LENGTH:
        return list(_cut(text))
    return [w for w in segmenter().lcut(text, HMM=False) if w.strip()]


@lru_cache(maxsize=100_000)
def _cut(text: str) -> tuple[str, ...]:
    """Remembered cuts of short text: titles repeat their segments (subjects, 第N部分 names).
    teach_words forgets them, since a taught word changes how text is cut."""
    return tuple(w for w in segmenter().lcut(text, HMM=False) if w.strip())


def dictionary_subwords(term: str) -> list[str]:
    """The 2- and 3-character dictionary words inside a longer term (绝缘层, 电线 in 带绝缘层电线)."""
    if len(term) < 3:
        return []
    freq = segmenter().FREQ
    found = []
    for size in (2, 3):
        for i in range(len(term) - size + 1):
            gram = term[i:i + size]
            if gram != term and freq.get(gram) and gram not in found and gram not in GENERIC_TERMS:
                found.append(gram)
    return found


def normalize_term(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip().upper() if text else ""


# -- user vocabulary --------------------------------------------------------------

@dataclass
class UserCategory:
    code: str
    name: str = ""
    parent: str = ""
    terms: list[str] = field(default_factory=list)
    line: int = 0  # where it was defined, for error messages


@dataclass
class UserVocabulary:
    """What a user file adds: categories (new codes or terms for existing codes) and synonyms."""

    path: str
    categories: list[UserCategory] = field(default_factory=list)
    synonyms: list[list[str]] = field(default_factory=list)


_PART_LABELS = {"name part": "类目名称中的词", "scope part": "范围说明中的词"}
_LIST_SPLIT = re.compile(r"\s*[|、;；,，]\s*")


def _words(value, where: str) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [w for w in _LIST_SPLIT.split(value.strip()) if w]
    if isinstance(value, list) and all(isinstance(v, (str, int, float)) for v in value):
        return [str(v).strip() for v in value if str(v).strip()]
    raise BadInput(f"{where}：应为一个词或词的列表，实为 {type(value).__name__}")


def _yaml_user(path: Path, text: str) -> UserVocabulary:
    import yaml  # not for readers of a snapshot: about 20 ms

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        problem = getattr(exc, "problem", None) or "无效的 YAML"
        raise BadInput(f"用户词表 {where}：YAML 有误：{problem}") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise BadInput(f"用户词表 {path}：应为含 'categories' 和/或 'synonyms' 的映射")
    unknown = set(data) - {"categories", "synonyms"}
    if unknown:
        raise BadInput(f"用户词表 {path}：未知的键 {'、'.join(sorted(map(str, unknown)))}"
                       "（应为 'categories' 和/或 'synonyms'）")
    user = UserVocabulary(str(path))
    categories = data.get("categories") or []
    if not isinstance(categories, list):
        raise BadInput(f"用户词表 {path}：'categories' 须为列表")
    for i, item in enumerate(categories, 1):
        where = f"用户词表 {path}：第 {i} 个类目"
        if not isinstance(item, dict) or not item.get("code"):
            raise BadInput(f"{where}：每个类目都须有 'code'")
        extra = set(item) - {"code", "name", "parent", "terms"}
        if extra:
            raise BadInput(f"{where}：未知的键 {'、'.join(sorted(map(str, extra)))}")
        user.categories.append(UserCategory(str(item["code"]).strip(), str(item.get("name") or "").strip(),
                                            str(item.get("parent") or "").strip(),
                                            _words(item.get("terms"), where), i))
    synonyms = data.get("synonyms") or []
    if not isinstance(synonyms, list):
        raise BadInput(f"用户词表 {path}：'synonyms' 须为同义词组的列表")
    for i, group in enumerate(synonyms, 1):
        words = _words(group, f"用户词表 {path}：第 {i} 组同义词")
        if len(words) < 2:
            raise BadInput(f"用户词表 {path}：第 {i} 组同义词至少要有两个词")
        user.synonyms.append(words)
    return user


def _csv_user(path: Path, text: str) -> UserVocabulary:
    rows = list(csv.reader(text.splitlines()))
    if not rows:
        return UserVocabulary(str(path))
    header = [h.strip().lower() for h in rows[0]]
    if "code" not in header:
        raise BadInput(f"用户词表 {path}:1：表头须有 'code' 列"
                       "（可用的列：code,name,parent,terms,synonyms）")
    unknown = set(header) - {"code", "name", "parent", "terms", "synonyms", ""}
    if unknown:
        raise BadInput(f"用户词表 {path}:1：未知的列 {'、'.join(sorted(unknown))}")
    user = UserVocabulary(str(path))
    for lineno, row in enumerate(rows[1:], 2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) > len(header):
            raise BadInput(f"用户词表 {path}:{lineno}：有 {len(row)} 个字段，表头只有 {len(header)} 个")
        values = dict(zip(header, (cell.strip() for cell in row)))
        if not values.get("code"):
            raise BadInput(f"用户词表 {path}:{lineno}：code 为空")
        where = f"用户词表 {path}:{lineno}"
        user.categories.append(UserCategory(values["code"], values.get("name", ""), values.get("parent", ""),
                                            _words(values.get("terms"), where), lineno))
        synonyms = _words(values.get("synonyms"), where)
        if synonyms:
            head = values.get("name") or values["code"]
            user.synonyms.append([head, *synonyms])
    return user


def load_user_vocabulary(path: str | Path) -> UserVocabulary:
    """Read a user vocabulary file (.yaml/.yml or .csv). Malformed → BadInput, one line.

    YAML:
        categories:
          - {code: ICV, name: 智能网联汽车, parent: T40, terms: [车路协同, 自动驾驶]}
          - {code: K13, terms: [光伏电缆]}      # more terms for an existing category
        synonyms:
          - [车联网, 车用无线通信]
    CSV (header required; lists split on | or 、):
        code,name,parent,terms,synonyms
        ICV,智能网联汽车,T40,车路协同|自动驾驶,自动驾驶汽车
    """
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise BadInput(f"用户词表 {file} 不存在") from None
    except OSError as exc:
        raise BadInput(f"无法读取用户词表 {file}：{exc.strerror}") from None
    except UnicodeDecodeError:
        raise BadInput(f"用户词表 {file} 不是 UTF-8 编码") from None
    suffix = file.suffix.lower()
    if suffix in (".yaml", ".yml"):
        return _yaml_user(file, text)
    if suffix == ".csv":
        return _csv_user(file, text)
    raise BadInput(f"用户词表 {file}：请用 .yaml、.yml 或 .csv 文件")


# -- the vocabulary ------------------------------------------------------------------

def _read_synonyms(path: Path) -> list[list[str]]:
    import yaml

    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return [[str(w) for w in group] for group in data.get("groups") or []]


def _read_hyponyms(path: Path) -> dict[str, list[str]]:
    import yaml

    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {str(k): [str(w) for w in v] for k, v in (data.get("hyponyms") or {}).items()}


class Vocabulary:
    """Terms → senses (categories), with synonyms; see the module docstring."""

    def __init__(self, taxonomy: Taxonomy, synonyms: Iterable[Iterable[str]] = (),
                 user: Iterable[UserVocabulary] = (), hyponyms: dict[str, list[str]] | None = None):
        self.taxonomy = taxonomy
        self._hyponyms = {normalize_term(k): [normalize_term(w) for w in v] for k, v in (hyponyms or {}).items()}
        self.user_files: list[str] = []
        self._user_categories: dict[str, Category] = {}
        self._raw: dict[str, list[tuple[str, str, str, str]]] = {}  # term → (code, term, source, note)
        self._synonyms: dict[str, set[str]] = {}
        self._longest: int | None = None
        for category in taxonomy:
            if category.scheme == "ccs" and category.level >= 2:
                self._add_category_terms(category)
        for category in taxonomy:
            if category.scheme == "ccs":
                self._add_refs(category)
        for group in synonyms:
            self._add_synonyms(group)
        for extension in user:
            self._add_user(extension)
        self._finish()

    # construction -------------------------------------------------------------

    def _add(self, term: str, code: str, source: str, note: str = "", lead: bool = True) -> None:
        term = normalize_term(term)
        if not term or term in GENERIC_TERMS:
            return
        entries = self._raw.setdefault(term, [])
        if not any(e[0] == code and e[2] == source for e in entries):
            weight = SOURCE_WEIGHTS[source] * (1.0 if lead or source != "name" else LATER_NAME_FACTOR)
            entries.append((code, term, source, note, weight))

    def _add_category_terms(self, category: Category, user: bool = False) -> None:
        phrases = [(t, "user" if user else "name") for t in category.name_terms]
        phrases += [(t, "user" if user else "scope") for t in category.terms]
        for i, (term, source) in enumerate(phrases):
            # The first word of a name is its subject (电缆 of 电缆及其附件); later ones weigh less.
            self._add(term, category.code, source, lead=(i == 0))
        for term, source in phrases:
            part_source = "name part" if source in ("name", "user") else "scope part"
            for sub in dictionary_subwords(term):
                self._add(sub, category.code, part_source)

    def _add_refs(self, category: Category) -> None:
        for ref in category.refs:
            note = f"{category.code} 说明：{ref.term}入{ref.target}"
            targets = self.taxonomy.expand(ref.target)
            if 0 < len(targets) <= 3:
                for target in targets:
                    self._add(ref.term, target, "ref", note)
            elif ref.target in self.taxonomy:
                self._add(ref.term, ref.target, "ref", note)

    def _add_synonyms(self, group: Iterable[str]) -> None:
        words = {normalize_term(w) for w in group if normalize_term(w)}
        for word in words:
            self._synonyms.setdefault(word, set()).update(words - {word})

    def _add_user(self, extension: UserVocabulary) -> None:
        self.user_files.append(extension.path)
        for item in extension.categories:
            where = f"用户词表 {extension.path}" + (f":{item.line}" if item.line else "")
            existing = self.taxonomy.get(item.code) or self._user_categories.get(item.code)
            if existing is None:
                if scheme_of(normalize_code(item.code) or ""):
                    raise BadInput(f"{where}：{item.code} 不是 CCS 或 ICS 代码；自定义的类目"
                                   "请用自己的代码（如 ICV）")
                if not item.name:
                    raise BadInput(f"{where}：新类目 {item.code} 须有名称")
                if item.parent and self.taxonomy.get(item.parent) is None \
                        and item.parent not in self._user_categories:
                    raise BadInput(f"{where}：{item.code} 的上级 {item.parent} 不是已知的类目")
                parent = self.taxonomy.get(item.parent)
                category = Category(item.code, "user", 3, item.name, parent.code if parent else item.parent,
                                    name_terms=tuple(split_terms(item.name) or [item.name]),
                                    terms=tuple(item.terms))
                self._user_categories[item.code] = category
                self._add(item.name, category.code, "user")
                self._add_category_terms(category, user=True)
            else:
                if item.name and item.name != existing.name:
                    raise BadInput(f"{where}：{existing.code} 是{existing.name}，不是{item.name}")
                if item.parent and item.parent != existing.parent:
                    raise BadInput(f"{where}：{existing.code} 的上级是 {existing.parent or '（无）'}")
                for term in item.terms:
                    self._add(term, existing.code, "user")
        for group in extension.synonyms:
            self._add_synonyms(group)

    def _finish(self) -> None:
        """Compute each term's specificity: IDF over the categories it points to, damped for
        one-character terms and for everyday words."""
        teach_words([*self._raw, *self._synonyms])
        population = sum(1 for c in self.taxonomy if c.scheme == "ccs" and c.level >= 2)
        population += len(self._user_categories)
        scale = math.log(population + 1)
        self._senses: dict[str, list[Sense]] = {}
        for term, entries in self._raw.items():
            df = len({e[0] for e in entries})
            idf = math.log((population + 1) / (df + 0.5)) / scale
            length = min(1.0, 0.55 + 0.15 * len(term))
            specificity = round(max(0.05, idf) * length * commonness_factor(term), 4)
            self._senses[term] = [Sense(code, t, source, weight, specificity, note)
                                  for code, t, source, note, weight in entries]

    # queries ----------------------------------------------------------------------

    def category(self, code: str) -> Category | None:
        return self.taxonomy.get(code) or self._user_categories.get(code)

    @property
    def user_categories(self) -> list[Category]:
        return list(self._user_categories.values())

    def letter_of(self, code: str) -> str:
        """The CCS letter a category belongs to (through its parents for user categories)."""
        letters = self.__dict__.setdefault("_letters", {})
        if code not in letters:
            letters[code] = self._letter_of(code)
        return letters[code]

    def _letter_of(self, code: str) -> str:
        category = self.category(code)
        seen = 0
        while category is not None and category.scheme == "user" and seen < 10:
            category, seen = self.category(category.parent), seen + 1
        return category.letter if category is not None else ""

    def is_within(self, code: str, ancestor: str) -> bool:
        """True if `code` is `ancestor` or lies below it, user categories included
        (a user category ICV under T40 is within T40/49 and T)."""
        seen = 0
        while code and seen < 10:
            if code == ancestor or self.taxonomy.is_within(code, ancestor):
                return True
            category = self._user_categories.get(code)
            code, seen = (category.parent if category else ""), seen + 1
        return False

    def terms(self) -> list[str]:
        return sorted(self._raw)

    def hyponyms_of(self, term: str) -> list[str]:
        """Kinds of a product that titles name instead of it (钢板 for 钢材)."""
        return list(getattr(self, "_hyponyms", {}).get(normalize_term(term), ()))

    def synonyms_of(self, term: str) -> list[str]:
        return sorted(self._synonyms.get(normalize_term(term), ()))

    def direct(self, term: str) -> list[Sense]:
        return list(self._senses.get(normalize_term(term), ()))

    def lookup(self, term: str) -> list[Sense]:
        """Senses of a term: its own, then those of its synonyms (weighted down, `via` set)."""
        key = normalize_term(term)
        senses = self.direct(key)
        seen = {(s.code, s.term) for s in senses}
        for synonym in sorted(self._synonyms.get(key, ())):
            for sense in self._senses.get(synonym, ()):
                if (sense.code, sense.term) not in seen:
                    seen.add((sense.code, sense.term))
                    senses.append(Sense(sense.code, sense.term, sense.source,
                                        round(sense.weight * SYNONYM_FACTOR, 4), sense.specificity,
                                        sense.note, via=key))
        return senses

    def is_generic(self, term: str) -> bool:
        """A word naming categories of two or more CCS letters (器具: K60/69 电气设备与器具,
        W90/99 纺织机械与器具) says nothing about which one a phrase means."""
        names = [s for s in self.direct(term) if s.source == "name"]
        if any(s.weight >= SOURCE_WEIGHTS["name"] for s in names):
            return False  # the subject of some category's name (电缆 of 电缆及其附件)
        return len({self.letter_of(s.code) for s in names}) >= 2

    def senses_for_word(self, word: str, lookup=None) -> tuple[list[Sense], str]:
        """Senses of a word, else of the longest known part of it: of the parts of that size
        the most specific, the ending (the head noun: 屏蔽电泵 → 泵) on a tie, then an inner
        word of two or more characters (计量器具 → 计量: 器具 is generic). Linear in the
        word's length: no part is longer than the vocabulary's longest term. Returns
        (senses, matched part); `lookup` replaces `self.lookup` when given. With the
        vocabulary's own lookup the answer is remembered: callers must not change its list."""
        if lookup is None or lookup == self.lookup:
            memo = self.__dict__.setdefault("_memo", {})
            found = memo.get(word)
            if found is None:
                if len(memo) >= WORD_MEMO:
                    memo.clear()
                found = memo[word] = self._senses_for_word(word, self.lookup)
            return found
        return self._senses_for_word(word, lookup)

    def _senses_for_word(self, word: str, lookup) -> tuple[list[Sense], str]:
        senses = lookup(word)
        if senses:
            return senses, word
        longest = min(len(word) - 1, self.longest_term)
        for size in range(longest, 0, -1):
            ending = len(word) - size
            starts = [ending] + (list(range(ending)) if size >= 2 else [])
            best: tuple[float, int, list[Sense], str] | None = None
            for start in starts:
                part = word[start:start + size]
                if part in GENERIC_TERMS:
                    continue
                found = [s for s in lookup(part) if not s.source.endswith("part")]
                if not found:
                    continue
                rank = 0.0 if self.is_generic(part) else max(s.specificity for s in found)
                if best is None or rank > best[0]:
                    best = (rank, start, found, part)
            if best is not None:
                _, start, found, part = best
                factor = SUFFIX_FACTOR if start + size == len(word) else INNER_FACTOR
                return [Sense(s.code, s.term, s.source, round(s.weight * factor, 4), s.specificity,
                              s.note, s.via) for s in found], part
        return [], ""

    @property
    def longest_term(self) -> int:
        if getattr(self, "_longest", None) is None:
            self._longest = max(map(len, [*self._senses, *self._synonyms]), default=1)
        return self._longest

    def __getstate__(self) -> dict:
        """Senses as plain tuples (a snapshot loads in a third of the time); an index's cutter
        and the derived reference map stay out."""
        state = {k: v for k, v in self.__dict__.items() if k not in ("cut", "_refs_to", "_memo", "_letters")}
        state["_senses"] = {term: [astuple_sense(s) for s in senses] for term, senses in self._senses.items()}
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._senses = _SenseTable(state["_senses"])

    def refs_to(self, code: str) -> list[Sense]:
        """The cross-reference senses that send a term to `code` (通信电缆入K13 for K13)."""
        if getattr(self, "_refs_to", None) is None:
            table: dict[str, list[Sense]] = {}
            for rows in dict.values(self._senses):  # as stored: a snapshot's tuples stay tuples
                for row in rows:
                    if (row[2] if type(row) is tuple else row.source) == "ref":
                        sense = Sense(*row) if type(row) is tuple else row
                        table.setdefault(sense.code, []).append(sense)
            self._refs_to = table
        return list(self._refs_to.get(code, ()))

    def cut(self, text: str) -> list[str]:
        """The words of a phrase; an index replaces this with its own segmentation (see
        snapshot loading) so a reader needs no second jieba dictionary."""
        return cut(text)

    def describe(self, sense: Sense, word: str | None = None) -> str:
        """A human-readable reason: 电缆 ∈ K13 电缆及其附件; 电线电缆 ≈ 电缆 ∈ K13 …"""
        category = self.category(sense.code)
        label = category.label if category else sense.code
        head = word or sense.via or sense.term
        chain = f"{head} ≈ {sense.term}" if head != sense.term else head
        if sense.source == "ref":
            return f"{chain} → {label}（{sense.note}）"
        if sense.source in ("name part", "scope part"):
            return f"{chain} ⊂ {label}（{_PART_LABELS.get(sense.source, sense.source)}）"
        where = {"scope": "（范围说明）", "user": "（用户词表）"}
        return f"{chain} ∈ {label}{where.get(sense.source, '')}"

    def extended(self, *user: UserVocabulary) -> "Vocabulary":
        """A new vocabulary: this one plus user files."""
        clone = Vocabulary.__new__(Vocabulary)
        clone.taxonomy = self.taxonomy
        clone.user_files = list(self.user_files)
        clone._user_categories = dict(self._user_categories)
        clone._raw = {k: list(v) for k, v in self._raw.items()}
        clone._synonyms = {k: set(v) for k, v in self._synonyms.items()}
        clone._hyponyms = dict(getattr(self, "_hyponyms", {}))
        clone._longest = None
        for extension in user:
            clone._add_user(extension)
        clone._finish()
        return clone


@lru_cache(maxsize=1)
def _default() -> Vocabulary:
    return _installed or Vocabulary(load_taxonomy(), _read_synonyms(SYNONYMS_FILE),
                                    hyponyms=_read_hyponyms(SYNONYMS_FILE))


_installed: Vocabulary | None = None


def default_vocabulary() -> Vocabulary:
    """The shipped vocabulary (corpus/taxonomy.jsonl + kb/data/synonyms.yaml), built once
    per process, or the snapshot an index installed (load_snapshot)."""
    return _installed or _default()


# -- the vocabulary snapshot beside an index -------------------------------------------

SNAPSHOT_VERSION = 1


def snapshot_path(directory: Path) -> Path:
    """Names the vocabulary a fresh process would build: taxonomy, synonyms, this code."""
    digest = hashlib.sha256()
    for part in (str(SNAPSHOT_VERSION).encode(), taxonomy_path().read_bytes() if taxonomy_path().exists() else b"",
                 SYNONYMS_FILE.read_bytes(), Path(__file__).read_bytes()):
        digest.update(part + b"\x00")
    return Path(directory) / f"cover-vocab-{digest.hexdigest()[:16]}.pickle"


def save_snapshot(directory: Path) -> Path:
    """Write the built shipped vocabulary beside an index, once: a reader loads it in a few
    tens of milliseconds instead of building it (about 2 s, with jieba's dictionary)."""
    path = snapshot_path(directory)
    if not path.exists():
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        tmp.write_bytes(pickle.dumps(default_vocabulary(), protocol=pickle.HIGHEST_PROTOCOL))
        os.replace(tmp, path)
    return path


def load_snapshot(directory: Path, cutter=None) -> Vocabulary | None:
    """The snapshot beside an index, installed as this process's shipped vocabulary; None
    when there is none for this code. `cutter(text) -> words` replaces jieba in `cut`."""
    global _installed
    if _installed is not None:
        return _installed
    path = snapshot_path(directory)
    try:
        vocabulary = pickle.loads(path.read_bytes())
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError):
        return None
    if cutter is not None:
        vocabulary.cut = cutter
    _installed = vocabulary
    return vocabulary


def load_vocabulary(user_files: Iterable[str | Path] = ()) -> Vocabulary:
    """The shipped vocabulary extended by user files."""
    files = [load_user_vocabulary(p) for p in user_files]
    return default_vocabulary().extended(*files) if files else default_vocabulary()


# -- resolving a query to categories ------------------------------------------------------

MAX_QUERY_LENGTH = 100  # characters: a product term or category name, not a document


def check_query(query: str | None) -> str:
    """The query, NFKC-normalized and stripped; BadInput (exit 2) when empty or too long."""
    text = unicodedata.normalize("NFKC", query or "").strip()
    if not text:
        raise BadInput("查询为空：请给出 CCS 分类号（如 K13）、类目名称或产品词（如 电缆）")
    if len(text) > MAX_QUERY_LENGTH:
        raise BadInput(f"查询过长：{len(text)} 个字符，最多 {MAX_QUERY_LENGTH} 个（请给出分类号、类目名称或产品词）")
    return text


def resolve(query: str, vocabulary: Vocabulary | None = None, limit: int = 10) -> list[Resolved]:
    """Categories for a CCS code (K13, K10/19, K), an ICS code (29.060.20), a category name
    or a term, best first, each with a reason. Unknown → NotFound with suggestions."""
    vocabulary = vocabulary or default_vocabulary()
    text = check_query(query)
    code = normalize_code(text)
    if code or vocabulary.category(text):
        category = vocabulary.category(code or text) or vocabulary.category(text)
        if category is None:
            raise NotFound(f"未知的 {scheme_of(code).upper()} 分类号 {code}",
                           hint=_code_hint(vocabulary, code))
        return [Resolved(category, 1.0, f"分类号 {category.code}")]

    found: dict[str, Resolved] = {}

    def offer(code: str, score: float, reason: str) -> None:
        category = vocabulary.category(code)
        if category is not None and (code not in found or found[code].score < score):
            found[code] = Resolved(category, round(score, 4), reason)

    key = normalize_term(text)
    for category in [*vocabulary.taxonomy, *vocabulary.user_categories]:
        if category.name and normalize_term(category.name) == key and category.scheme != "ics":
            offer(category.code, 2.0, f"类目名称 {category.label}")
    for sense in vocabulary.lookup(text):
        offer(sense.code, 1.0 + sense.strength, vocabulary.describe(sense, text))
    if not found:  # a phrase: resolve its words or their heads ("光伏电缆" → 电缆), generic ones last
        words = list(dict.fromkeys([text, *vocabulary.cut(text)]))
        specific = [w for w in words if not vocabulary.is_generic(w)]
        for word in specific if any(vocabulary.senses_for_word(w)[0] for w in specific) else words:
            senses, part = vocabulary.senses_for_word(word)
            for sense in senses:
                reason = vocabulary.describe(sense, part)
                offer(sense.code, 0.5 * sense.strength, reason if part == word else f"{word}: {reason}")
    if not found:
        raise NotFound(f"没有与 {text!r} 相符的类目", hint=_term_hint(vocabulary, text))
    ranked = sorted(found.values(), key=lambda r: (-r.score, _code_order(r.category)))
    return ranked[:limit]


def resolve_category(query: str, vocabulary: Vocabulary | None = None, limit: int = 10) -> list[Category]:
    """`resolve` without scores: the matching categories, best first."""
    return [r.category for r in resolve(query, vocabulary, limit)]


def _code_order(category: Category) -> tuple:
    return (category.level != 3, category.scheme != "ccs", category.code)


def _code_hint(vocabulary: Vocabulary, code: str) -> str:
    taxonomy = vocabulary.taxonomy
    near = []
    if scheme_of(code) == "ccs" and len(code) >= 3:
        siblings = [c for c in taxonomy.of("ccs", 3) if c.code[0] == code[0]]
        siblings.sort(key=lambda c: abs(int(c.code[1:3]) - int(code[1:3])))
        near = siblings[:3]
    elif scheme_of(code) == "ics":
        parent = code.rsplit(".", 1)[0] if "." in code else ""
        near = taxonomy.children(parent)[:3] if parent in taxonomy else []
    return "相近的类目：" + "，".join(c.label for c in near) if near else ""


def _term_hint(vocabulary: Vocabulary, text: str) -> str:
    key = normalize_term(text)
    import difflib

    candidates = difflib.get_close_matches(key, vocabulary.terms(), n=5, cutoff=0.5)
    if not candidates:
        chars = set(key)
        candidates = sorted((t for t in vocabulary.terms() if chars & set(t) and len(t) >= 2),
                            key=lambda t: (-len(chars & set(t)), len(t)))[:5]
    if not candidates:
        return "请试试 CCS 分类号（如 K13）或产品词（如 电缆）"
    shown = []
    for term in candidates:
        senses = vocabulary.direct(term)
        shown.append(f"{term} ({senses[0].code})" if senses else term)
    return "是否要找：" + "，".join(shown)
