"""Classification trees (CCS and ICS): the model, the importer and the corpus file.

    >>> tax = load_taxonomy()
    >>> tax["K13"].label, tax["K13"].parent, tax["K13"].refs[0]
    ('K13 电缆及其附件', 'K10/19', CrossRef(term='电子设备电缆', target='L91'))

CCS (中国标准文献分类法) has three levels: 24 letters (K 电工), 225 two-digit ranges
(K10/19) and 1,608 categories (K13). ICS has fields (29), groups (29.060) and
sub-groups (29.060.20). A CCS scope note lists what belongs to a category and sends
other things elsewhere: "各种电力电缆…及其附件等。电子设备电缆入L91。" gives the
scope terms 电力电缆, 通信电缆 … and the cross-reference 电子设备电缆 → L91.

`import_taxonomy` reads the published CSV/JSONL files once and writes the facts to
corpus/taxonomy.jsonl (one category a line, each with `schema`); the runtime reads
only that file (`load_taxonomy`).
"""
from __future__ import annotations

import csv
import json
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Iterator

from kb.corpus import iter_jsonl, write_jsonl_atomic
from kb.errors import CorpusError, NotFound
from kb.paths import corpus_dir, shipped_corpus_dir

TAXONOMY_FILE = "taxonomy.jsonl"
TAXONOMY_SCHEMA = 1
SCHEMES = ("ccs", "ics", "user")

CCS_LETTER = re.compile(r"[A-Z]")
CCS_RANGE = re.compile(r"[A-Z]\d{2}/\d{2}")
CCS_CATEGORY = re.compile(r"[A-Z]\d{2}")
ICS_CODE = re.compile(r"\d{2}(?:\.\d{3}(?:\.\d{2})?)?")

# Source errors the importer corrects; the published code is kept in `published_code`.
# FF2 is not a CCS code; 异步电机 sits in K20/29 where K22 is the only free slot.
CCS_CORRECTIONS = {"FF2": "K22"}


# -- the model ------------------------------------------------------------------

@dataclass(frozen=True)
class CrossRef:
    """A scope-note sentence "X入Y": things called `term` belong to `target` (a code)."""

    term: str
    target: str


@dataclass(frozen=True)
class Category:
    """One node of a classification tree."""

    code: str  # K, K10/19, K13; 29, 29.060, 29.060.20; or a user code
    scheme: str  # ccs, ics or user
    level: int  # 1 letter/field, 2 range/group, 3 category/sub-group
    name: str  # Chinese for CCS, English for ICS
    parent: str = ""
    note: str = ""  # scope note as published
    name_terms: tuple[str, ...] = ()  # the name split into terms (电缆及其附件 → 电缆, 附件)
    terms: tuple[str, ...] = ()  # what the note says belongs here
    refs: tuple[CrossRef, ...] = ()  # what the note sends elsewhere
    published_code: str = ""  # the source's code, when the importer corrected it

    @property
    def label(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def letter(self) -> str:
        """The CCS first-level letter ("" for ICS and user categories)."""
        return self.code[0] if self.scheme == "ccs" else ""

    def to_dict(self) -> dict:
        data = {"schema": TAXONOMY_SCHEMA, "scheme": self.scheme, "code": self.code,
                "level": self.level, "name": self.name, "parent": self.parent}
        if self.note:
            data["note"] = self.note
        if self.name_terms:
            data["name_terms"] = list(self.name_terms)
        if self.terms:
            data["terms"] = list(self.terms)
        if self.refs:
            data["refs"] = [{"term": r.term, "target": r.target} for r in self.refs]
        if self.published_code:
            data["published_code"] = self.published_code
        return data

    @classmethod
    def from_dict(cls, data: dict) -> "Category":
        if not isinstance(data, dict):
            raise CorpusError("类目须为 JSON 对象")
        if data.get("schema") != TAXONOMY_SCHEMA:
            raise CorpusError(f"分类表的 schema {data.get('schema')!r} 不是 {TAXONOMY_SCHEMA}")
        try:
            category = cls(
                code=str(data["code"]),
                scheme=str(data["scheme"]),
                level=int(data["level"]),
                name=str(data["name"]),
                parent=str(data.get("parent") or ""),
                note=str(data.get("note") or ""),
                name_terms=tuple(data.get("name_terms") or ()),
                terms=tuple(data.get("terms") or ()),
                refs=tuple(CrossRef(str(r["term"]), str(r["target"])) for r in data.get("refs") or ()),
                published_code=str(data.get("published_code") or ""),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise CorpusError(f"无法读取的类目 {data.get('code', '?')!r}：{type(exc).__name__}: {exc}") from exc
        if category.scheme not in SCHEMES:
            raise CorpusError(f"{category.code}：scheme {category.scheme!r} 不是 {'、'.join(SCHEMES)} 之一")
        return category


class Taxonomy:
    """All categories, by code, with tree navigation."""

    def __init__(self, categories: Iterable[Category]):
        self._by_code: dict[str, Category] = {}
        self._children: dict[str, list[str]] = {}
        self._repeated: frozenset[str] | None = None
        for category in categories:
            if category.code in self._by_code:
                raise CorpusError(f"重复的类目代码 {category.code!r}")
            self._by_code[category.code] = category
            self._children.setdefault(category.parent, []).append(category.code)

    def __len__(self) -> int:
        return len(self._by_code)

    def __iter__(self) -> Iterator[Category]:
        return iter(self._by_code.values())

    def __contains__(self, code: object) -> bool:
        return code in self._by_code

    def __getitem__(self, code: str) -> Category:
        category = self.get(code)
        if category is None:
            raise NotFound(f"未知的类目代码 {code!r}")
        return category

    def get(self, code: str) -> Category | None:
        """The category of a code in any spelling (k13, K 13, A.00, 29.060.20); None if unknown."""
        return self._by_code.get(code) or self._by_code.get(normalize_code(code) or "")

    def of(self, scheme: str, level: int | None = None) -> list[Category]:
        return [c for c in self if c.scheme == scheme and (level is None or c.level == level)]

    def children(self, code: str) -> list[Category]:
        return [self._by_code[c] for c in self._children.get(code, [])]

    def descendants(self, code: str) -> list[Category]:
        found: list[Category] = []
        for child in self.children(code):
            found.append(child)
            found.extend(self.descendants(child.code))
        return found

    def ancestors(self, code: str) -> list[Category]:
        """Parent, grandparent … (K13 → K10/19, K)."""
        chain: list[Category] = []
        category = self.get(code)
        while category is not None and category.parent:
            category = self._by_code.get(category.parent)
            if category is not None:
                chain.append(category)
        return chain

    def repeated_names(self) -> frozenset[str]:
        """Names that at least three CCS letters repeat for a level-3 category
        (标准化、质量管理; 技术管理; 卫生、安全、劳动保护 …)."""
        if self._repeated is None:
            counts: dict[str, int] = {}
            for category in self.of("ccs", 3):
                counts[category.name] = counts.get(category.name, 0) + 1
            self._repeated = frozenset(name for name, n in counts.items() if n >= 3)
        return self._repeated

    def is_within(self, code: str, ancestor: str) -> bool:
        """True if `code` is `ancestor` or lies below it (K13 is within K10/19 and K)."""
        if code == ancestor:
            return True
        return any(a.code == ancestor for a in self.ancestors(code))

    def ccs_range(self, code: str) -> str:
        """The level-2 range holding a CCS code (K13 → K10/19; K10/19 → itself; K → "")."""
        category = self.get(code)
        if category is None or category.scheme != "ccs" or category.level == 1:
            return ""
        return category.code if category.level == 2 else category.parent

    def expand(self, code: str) -> list[str]:
        """Level-3 codes a reference target stands for: K13 → [K13]; G80/81 → [G80, G81];
        K10/19 → its children; K → all of K. Unknown → []."""
        if code in self._by_code:
            category = self._by_code[code]
            if category.level == 3 or category.scheme != "ccs":
                return [code]
            return [c.code for c in self.descendants(code) if c.level == 3]
        m = re.fullmatch(r"([A-Z])(\d{2})/(\d{2})", code)
        if m:
            low, high = int(m.group(2)), int(m.group(3))
            return [c.code for c in self.of("ccs", 3)
                    if c.code[0] == m.group(1) and low <= int(c.code[1:]) <= high]
        return []


def normalize_code(text: str) -> str | None:
    """A CCS or ICS code in canonical spelling, or None if `text` is not code-shaped.

    k13, K 13, K13 → K13; A.00 → A00; k10-19 → K10/19; k → K; 29.060.20 → 29.060.20;
    53.06 → 53.060 (std.samr's short form of a group)."""
    if not text:
        return None
    code = unicodedata.normalize("NFKC", text).strip().upper()
    code = re.sub(r"\s+", "", code)
    if CCS_LETTER.fullmatch(code) or ICS_CODE.fullmatch(code):
        return code
    m = re.fullmatch(r"(\d{2})\.(\d{2})", code)  # std.samr abbreviates 53.060 as 53.06
    if m:
        return f"{m.group(1)}.{m.group(2)}0"
    m = re.fullmatch(r"([A-Z])\.?(\d{2})", code)
    if m:
        return m.group(1) + m.group(2)
    m = re.fullmatch(r"([A-Z])(\d{2})[/\-~～—](\d{2})", code)
    if m:
        return f"{m.group(1)}{m.group(2)}/{m.group(3)}"
    return None


def scheme_of(code: str) -> str:
    """ccs, ics or "" for a code in canonical spelling."""
    if CCS_LETTER.fullmatch(code) or CCS_RANGE.fullmatch(code) or CCS_CATEGORY.fullmatch(code):
        return "ccs"
    if ICS_CODE.fullmatch(code):
        return "ics"
    return ""


# -- loading --------------------------------------------------------------------

def taxonomy_path(corpus: str | Path | None = None) -> Path:
    """The corpus's taxonomy.jsonl; a corpus of one's own without one uses the shipped CCS/ICS."""
    path = corpus_dir(corpus) / TAXONOMY_FILE
    return path if path.exists() else shipped_corpus_dir() / TAXONOMY_FILE


def read_taxonomy(path: Path) -> Taxonomy:
    """Read a taxonomy JSONL file; raise CorpusError on the first bad line."""
    if not path.exists():
        raise CorpusError(f"分类表文件 {path} 不存在",
                          hint="运行 kb.taxonomy.import_taxonomy 生成它")
    categories = []
    for lineno, data, error in iter_jsonl(path):
        if data is None:
            raise CorpusError(f"{path}:{lineno}: {error}")
        try:
            categories.append(Category.from_dict(data))
        except CorpusError as exc:
            raise CorpusError(f"{path}:{lineno}: {exc}") from exc
    return Taxonomy(categories)


@lru_cache(maxsize=4)
def _cached(path: str, mtime: float) -> Taxonomy:
    return read_taxonomy(Path(path))


def load_taxonomy(path: str | Path | None = None) -> Taxonomy:
    """The taxonomy in corpus/taxonomy.jsonl (or `path`), read once per process."""
    target = Path(path) if path else taxonomy_path()
    mtime = target.stat().st_mtime if target.exists() else 0.0
    return _cached(str(target), mtime)


# -- splitting names and notes into terms ------------------------------------------

_NOISE_PREFIXES = ("各种各样", "各种", "各类", "各项", "其他", "其它", "有关", "一般", "所有",
                   "其余", "各", "其", "如")
_NOISE_SUFFIXES = ("等等", "等", "之类", "综合", "类")
# Words that describe documents, not products: no use for classifying a title.
GENERIC_TERMS = frozenset("""
术语 符号 代号 标志 分类 命名 分类命名 型号 基础标准 通用方法 通用试验方法 试验方法 分析方法 检验方法
测试方法 测定方法 技术条件 技术要求 通用技术条件 通用技术要求 设计计算方法 计算方法 设计方法 取样 制样
取样方法 制样方法 抽样 抽样方法 规格 品种 质量 规程 工作标准 环境条件 综合 基本参数 参数 系列 定额 规定
规范 导则 要求 方法 标准 其他 附件 设备 产品 制品 材料 装置 器材 工具 配套设备 试验 检验 测试 管理 技术
质量评定 质量评价 质量控制 质量要求 检验规则 通用技术 基本技术条件 安全要求 安全 卫生 劳动保护 维修 修理
使用 设计 制造 工艺
""".split())

# 和/与/及/或 join list items, but not inside words such as 饱和, 中和, 和面机, 参与, 涉及, 或者.
_SEPARATORS = re.compile(r"[、，,；;：:。/／\s]+|以及|及其|(?<![普涉])及(?!时)|(?<![饱中调总缓柔温平])和(?!面)"
                         r"|(?<![参给赋])与|或(?!者)")
_PAREN = re.compile(r"[（(]([^（）()]*)[)）]")


def clean_term(text: str) -> str:
    """Strip noise words (各种, 其他, 有关 …) and trailing 等 from one phrase."""
    term = text.strip(" 　\"'“”‘’-—·.")
    changed = True
    while changed and term:
        changed = False
        for prefix in _NOISE_PREFIXES:
            if term.startswith(prefix) and len(term) > len(prefix) + 1:
                term, changed = term[len(prefix):], True
        for suffix in _NOISE_SUFFIXES:
            if term.endswith(suffix) and len(term) > len(suffix) + 1:
                term, changed = term[: -len(suffix)], True
        if term.startswith("的") or term.endswith("的"):
            term, changed = term.strip("的"), True
    return term


def split_name(name: str) -> list[str]:
    """Terms of a category name. A one-character piece next to longer ones is an elided
    compound ("油、气集输" = 油集输、气集输), not a term; "泵" alone or "钢、铁" stay."""
    terms = split_terms(name)
    if len(terms) > 1 and any(len(t) > 1 for t in terms):
        terms = [t for t in terms if len(t) > 1]
    return terms


def split_terms(text: str) -> list[str]:
    """Split a name or note phrase into terms: on 、，。；及和与或等 and brackets, noise removed.

    >>> split_terms("各种电力电缆、通信电缆、信号电缆及其附件等")
    ['电力电缆', '通信电缆', '信号电缆']
    """
    text = unicodedata.normalize("NFKC", text)
    # Bracketed lists hold terms too: 膏（剪膏、蜜膏、浸膏） → 膏, 剪膏, 蜜膏, 浸膏.
    inner = [m.group(1) for m in _PAREN.finditer(text) if "入" not in m.group(1)]
    text = _PAREN.sub("、", text)
    # "等" ends a list ("…装置等", "铂、金等原矿石"); inside a word (等级, 等离子) it stays.
    text = re.sub(r"(?<![高中初同平相对均])等(?![级离效同温压电值径速候待距厚边腰量])", "、", text)
    text = re.sub(r"^包括|、包括", "、", text)
    # "油、气处理" elides 处理 after 油: a lone character before a longer item is no term.
    text = re.sub(r"(?<![\u4e00-\u9fff])[\u4e00-\u9fff]、(?=[\u4e00-\u9fff]{2})", "、", text)
    pieces = _SEPARATORS.split(text)
    for part in inner:
        pieces += _SEPARATORS.split(part)
    terms: list[str] = []
    for piece in pieces:
        term = clean_term(piece)
        if (len(term) >= 1 and term not in GENERIC_TERMS and term not in terms
                and re.search(r"[\u4e00-\u9fffA-Za-z]", term) and len(term) <= 16):
            terms.append(term)
    return terms


_TARGET = r"[A-Z]\d{2}(?:/\d{2})?|[A-Z](?=类)|[A-Z](?=[、，和或])"
_TARGETS = re.compile(rf"(?:分别)?(?:列)?入((?:{_TARGET})(?:\s*(?:类)?(?:[、和或]|或者)\s*(?:{_TARGET}))*)类?")


_ROUTING = re.compile(r"入(?:此|本类|各|其|有关|下列|类|[A-Z])")


def parse_note(note: str) -> tuple[list[str], list[CrossRef]]:
    """Scope terms and cross-references of one CCS note.

    >>> parse_note("各种电力电缆、通信电缆、信号电缆及其附件等。电子设备电缆入L91。")
    (['电力电缆', '通信电缆', '信号电缆'], [CrossRef(term='电子设备电缆', target='L91')])
    """
    terms: list[str] = []
    refs: list[CrossRef] = []
    note = unicodedata.normalize("NFKC", note)
    for sentence in re.split(r"[。.]", note):
        if "入" not in sentence:
            terms += [t for t in split_terms(sentence) if t not in terms]
            continue
        for clause in re.split(r"[，,；;]", sentence):
            target_match = _TARGETS.search(clause)
            if target_match:
                subjects = split_terms(clause[: target_match.start()])
                targets = re.findall(_TARGET, target_match.group(0))
                if "分别" in target_match.group(0) and len(subjects) == len(targets) > 1:
                    pairs = list(zip(subjects, targets))  # A、B分别入X、Y
                else:
                    pairs = [(s, t) for s in subjects for t in targets]
                for term, target in pairs:
                    ref = CrossRef(term, target)
                    if ref not in refs:
                        refs.append(ref)
            elif re.search(r"入此$", clause.strip()):
                subject = re.sub(r"入此$", "", clause.strip())
                terms += [t for t in split_terms(subject) if t not in terms]
            elif not _ROUTING.search(clause):  # 入 inside a word: 埋入器械
                terms += [t for t in split_terms(clause) if t not in terms]
            # "入各有关类", "按专业各入其类": no target to record, and not this category's.
    return terms, refs


# -- the importer ---------------------------------------------------------------------

@dataclass
class ImportReport:
    out_path: Path
    counts: dict[str, int] = field(default_factory=dict)  # "ccs level 3" → 1608
    corrections: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _read_csv(path: Path, columns: int) -> list[list[str]]:
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.reader(handle))
    except OSError as exc:
        raise CorpusError(f"无法读取 {path}：{exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise CorpusError(f"{path} 不是 UTF-8 编码（{exc.reason}）") from exc
    body = [r for r in rows[1:] if any(cell.strip() for cell in r)]
    for lineno, row in enumerate(body, 2):
        if len(row) < columns:
            raise CorpusError(f"{path}:{lineno}: 应有 {columns} 列，实有 {len(row)} 列")
    return [[cell.strip() for cell in row[:columns]] for row in body]


def _ccs_categories(ccs_dir: Path, report: ImportReport) -> list[Category]:
    level1 = _read_csv(ccs_dir / "cat-level1.csv", 2)
    level2 = _read_csv(ccs_dir / "cat-level2.csv", 4)
    level3 = _read_csv(ccs_dir / "cat-level3.csv", 4)
    categories = []
    for code, name in level1:
        categories.append(Category(code, "ccs", 1, name, name_terms=tuple(split_name(name))))
    for code, name, parent, note in level2:
        terms, refs = parse_note(note)
        categories.append(Category(code, "ccs", 2, name, parent, note, tuple(split_name(name)),
                                   tuple(terms), tuple(refs)))
    for code, name, parent, note in level3:
        published = ""
        if code in CCS_CORRECTIONS:
            published, code = code, CCS_CORRECTIONS[code]
            report.corrections.append(f"{published} {name}：更正为 {code}")
        terms, refs = parse_note(note)
        categories.append(Category(code, "ccs", 3, name, parent, note, tuple(split_name(name)),
                                   tuple(terms), tuple(refs), published))
        m = CCS_RANGE.fullmatch(parent)
        if not m or not CCS_CATEGORY.fullmatch(code) or code[0] != parent[0] \
                or not int(parent[1:3]) <= int(code[1:3]) <= int(parent[4:6]):
            report.warnings.append(f"{code} {name} 不在其上级范围 {parent} 之内")
    return categories


def _ics_categories(ics_file: Path) -> list[Category]:
    categories = []
    try:
        handle = ics_file.open(encoding="utf-8")
    except OSError as exc:
        raise CorpusError(f"无法读取 {ics_file}：{exc.strerror}") from exc
    with handle:
        for lineno, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                code, name, level = row["code"], row["name_en"], int(row["level"])
            except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
                raise CorpusError(f"{ics_file}:{lineno}: 不是 ICS 行（{type(exc).__name__}: {exc}）") from exc
            # The source lost the codes its notes point at ("see {ics-code}").
            notes = [n.replace("{ics-code}", "[code not given]") for n in row.get("notes") or []]
            categories.append(Category(code, "ics", level, name, row.get("parent") or "",
                                       "; ".join(notes)))
    return categories


def _check_tree(categories: list[Category], report: ImportReport) -> None:
    codes = {c.code for c in categories}
    seen: set[str] = set()
    for category in categories:
        if category.code in seen:
            raise CorpusError(f"来源中有重复的类目代码 {category.code!r}")
        seen.add(category.code)
        if category.parent and category.parent not in codes:
            raise CorpusError(f"{category.code}：上级 {category.parent!r} 不存在")
        for ref in category.refs:
            if ref.target not in codes and not CCS_RANGE.fullmatch(ref.target):
                report.warnings.append(f"{category.code}：交叉引用的目标 {ref.target} 不是代码")


def import_taxonomy(ccs_dir: str | Path, ics_file: str | Path, out_path: str | Path) -> ImportReport:
    """Extract the CCS and ICS trees into our own JSONL format (one category a line).

    ccs_dir holds cat-level1.csv, cat-level2.csv, cat-level3.csv (UTF-8 with BOM);
    ics_file is one JSON object a line (code, name_en, parent, level, notes)."""
    out = Path(out_path)
    report = ImportReport(out_path=out)
    categories = _ccs_categories(Path(ccs_dir), report) + _ics_categories(Path(ics_file))
    _check_tree(categories, report)
    for category in categories:
        key = f"{category.scheme} level {category.level}"
        report.counts[key] = report.counts.get(key, 0) + 1
    write_jsonl_atomic(out, (json.dumps(c.to_dict(), ensure_ascii=False) for c in categories))
    _cached.cache_clear()
    return report


if __name__ == "__main__":  # python -m kb.taxonomy [ccs_dir ics_file out]
    import sys

    root = Path(__file__).resolve().parents[1]
    shared = root.parent / "shared" / "taxonomy"
    args = sys.argv[1:] or [str(shared / "ccs"), str(shared / "ics" / "ics_ed7.jsonl"),
                            str(root / "corpus" / TAXONOMY_FILE)]
    result = import_taxonomy(*args)
    print(f"wrote {result.out_path}: " + ", ".join(f"{k}: {v}" for k, v in result.counts.items()))
    for line in result.corrections + result.warnings:
        print("  " + line)
