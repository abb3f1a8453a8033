"""Coverage answers: which standards cover a category or a term (`kb cover`), where the
knowledge base is thin (`kb gaps`), and which areas a policy names have no standard
(`kb policy-gaps`).

Pure domain code. Every record is classified once, when it is indexed (kb.coverage_facts);
these answers read the facts through the index's coverage API (`index.coverage`: facet
counts, postings of a code, per-document values, word matches; see
index/coverage_fields.py) and decode only the records they list. The index is any object
with `coverage`, `vocabulary()` and `meta` (index.engine.KnowledgeIndex has them).

Terms match on word boundaries: a term matches a title or scope word, the phrase of its
words, or a longer word ending in it (电动汽车 for 汽车), never the middle of a word
(氢 does not match 硫化氢, 水泥 not 水泥环).

Status: the shipped records come from announcements, which carry no implementation date,
so most have the status unknown (未知): issued, not known to be replaced or withdrawn.
Such a standard counts as in force with its status unconfirmed (现行（未确认）): it is
listed after confirmed current ones, and counts as current in the gap flags. The output
says so in its notes.
"""
from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from kb import numbers
from kb import paths
from kb.categories import Resolved, Vocabulary, check_query, normalize_term, resolve
from kb.coverage_facts import COVERED_KINDS, MIN_CONFIDENCE, level_group, number_key
from kb.errors import BadInput, CorpusError, NotFound
from kb.records import Record
from kb.taxonomy import GENERIC_TERMS, Category, load_taxonomy, normalize_code
from kb.vocab import LEVEL_LABELS, STATUS_LABELS, region_name

# -- vocabulary of the answers --------------------------------------------------------

LEVEL_GROUPS = ("national_mandatory", "national_recommended", "national_guidance", "industry", "local",
                "group", "enterprise", "metrology", "other")
LEVEL_GROUP_LABELS = {
    "national_mandatory": "强制性国家标准", "national_recommended": "推荐性国家标准",
    "national_guidance": "国家标准化指导性技术文件", "industry": "行业标准", "local": "地方标准",
    "group": "团体标准", "enterprise": "企业标准", "metrology": "计量技术法规", "other": "其他",
}
STATUS_ORDER = ("current", "unknown", "upcoming", "replaced", "withdrawn")
IN_FORCE = frozenset({"current", "unknown"})
STATUS_DISPLAY = {**STATUS_LABELS, "unknown": "现行（未确认）"}
FORCE_ORDER = {"mandatory": 0, "recommended": 1, "guidance": 2}
PROVINCES = ("11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37", "41",
             "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65")
NEAREST_CATEGORIES = 3
# A category the classifier guessed at index time lists a standard by code alone from this
# confidence; below it the title or scope must match too. On the judged set (eval/cover),
# code-only guesses below 0.45 were 2 wrong and 3 borderline, none relevant.
COVER_CONFIDENCE = 0.45

UNKNOWN_NOTE = ("状态“未知”的标准：已发布，未见被代替或废止的记录（公告不载实施日期），"
                "按现行（未确认）处理：排在已确认现行的标准之后，在缺口标记中算作现行。")
FLAG_LABELS = {
    "no_current": "无现行标准",
    "only_group": "仅有团体标准",
    "all_overdue": "现行标准均超过复审周期",
    "withdrawn_unreplaced": "有废止且无替代的标准",
    "pending": "有即将实施的标准",
}


class CoverageIndex(Protocol):
    coverage: object  # index.coverage_fields.CoverageReader or another engine's equivalent
    meta: dict

    def vocabulary(self) -> Vocabulary: ...


# -- one standard as the answers show it --------------------------------------------------

def standard_row(record: Record, today: dt.date, successors: list[str] | tuple[str, ...] = (),
                 max_age: float = 5) -> dict:
    """The facts of one standard that coverage answers show (JSON-ready)."""
    status = record.status_on(today)
    age = record.age_years(today)
    group = level_group(record)
    in_force = status in IN_FORCE
    return {
        "number": record.number, "title": record.title, "level": record.level, "force": record.force,
        "level_group": group, "level_label": LEVEL_GROUP_LABELS[group], "status": status,
        "status_label": STATUS_LABELS[status], "status_display": STATUS_DISPLAY[status],
        "in_force": in_force, "status_confirmed": status != "unknown",
        "issue_date": record.issue_date, "implementation_date": record.implementation_date,
        "withdrawal_date": record.withdrawal_date, "age_years": age,
        "overdue": bool(in_force and age is not None and age > max_age),
        "replaces": list(record.replaces),
        "replaced_by": list(record.replaced_by) or list(successors),
        "region": record.region, "region_name": region_name(record.region),
    }


def _order(row: dict) -> tuple:
    return (LEVEL_GROUPS.index(row["level_group"]), STATUS_ORDER.index(row["status"]),
            FORCE_ORDER.get(row["force"] or "", 3), _negated(row["issue_date"]), row["number"])


def _negated(date: str) -> str:
    """Sort key putting newer ISO dates first (and undated last)."""
    return "".join(chr(0x39 - ord(c) + 0x30) if c.isdigit() else c for c in date) if date else "~"


def _covered_docs(index: CoverageIndex) -> set[int]:
    """The documents of standards and metrology regulations; CorpusError when there is none."""
    reader = index.coverage
    docs: set[int] = set()
    for kind in COVERED_KINDS:
        docs |= reader.docs_with("kind", kind)
    if not docs:
        raise CorpusError("知识库中没有任何标准",
                          hint="先用 `kb import FILE` 或 `kb sync` 加入标准，再运行 `kb build`")
    return docs


def _in_region(record: Record, region: str | None) -> bool:
    """National, industry and group standards apply everywhere; local ones in their region."""
    return not region or record.level != "local" or (record.region or "").startswith(region)


def _regional(index: CoverageIndex, docs: set[int], region: str | None) -> set[int]:
    if not region:
        return docs
    local = index.coverage.docs_with("level", "local") & docs
    return (docs - local) | (local & index.coverage.docs_with_prefix("region_code", region))


# -- kb cover ----------------------------------------------------------------------------------

@dataclass
class Request:
    """What a cover query means: its categories, the terms to find in titles and scopes."""

    query: str
    mode: str  # code (K13), name (水泥 = Q11 水泥) or term (水稻)
    resolved: list[Resolved]
    code_categories: list[Category]  # standards classified in these categories match "by code"
    terms: list[tuple[str, str]]  # (term, why it is searched)
    exclusions: list[str] = field(default_factory=list)  # note terms sent elsewhere (电子设备电缆入L91)
    not_found: NotFound | None = None


def resolve_request(query: str, vocabulary: Vocabulary) -> Request:
    """A CCS/ICS code → that category (standards classified in it) and its name terms; a
    category name → those categories plus the word; any other term → the word and its
    synonyms, and the nearest categories (shown, not searched: 水稻 points to B22 禾谷类作物,
    which also holds wheat)."""
    text = check_query(query)
    try:
        resolved = resolve(text, vocabulary)
    except NotFound as exc:
        if normalize_code(text):
            raise
        return Request(text, "term", [], [], _word_terms(text, vocabulary), not_found=exc)
    if normalize_code(text) or vocabulary.category(text):
        category = resolved[0].category
        return Request(text, "code", resolved[:1], [category], category_terms(category, vocabulary),
                       exclusions=[ref.term for ref in category.refs])
    named = [r for r in resolved if normalize_term(r.category.name) == normalize_term(text)] \
        or [_general(r, vocabulary) for r in resolved if _leads(r.category, text)][:1]
    if named:
        terms = _word_terms(text, vocabulary)
        for r in named:
            terms += [t for t in category_terms(r.category, vocabulary) if t[0] not in {x for x, _ in terms}]
        return Request(text, "name", named, [r.category for r in named], terms,
                       exclusions=[ref.term for r in named for ref in r.category.refs])
    best = resolved[0].score
    return Request(text, "term", [r for r in resolved if r.score >= 0.8 * best][:NEAREST_CATEGORIES], [],
                   _word_terms(text, vocabulary))


def _leads(category: Category, text: str) -> bool:
    """The query is the subject of the category's name: 机床 of J50 机床综合, 石油钻采设备 of E92."""
    return category.scheme != "ics" and bool(category.name_terms) \
        and normalize_term(category.name_terms[0]) == normalize_term(text)


def _general(resolved: Resolved, vocabulary: Vocabulary) -> Resolved:
    """X综合 is the general category of its range: 机床 → J50 机床综合 → J50/59 (all machine tools)."""
    category = resolved.category
    parent = vocabulary.category(category.parent) if category.parent else None
    if category.name.endswith("综合") and parent is not None and parent.level == 2:
        return Resolved(parent, resolved.score, f"{resolved.reason}; {category.code} is the general category of {parent.label}")
    return resolved


def _word_terms(text: str, vocabulary: Vocabulary) -> list[tuple[str, str]]:
    """The word, its synonyms and the kinds of it the vocabulary lists (钢板 for 钢材)."""
    terms = [(text, "")] + [(s, f"synonym of {text}") for s in vocabulary.synonyms_of(text) if s != text]
    for word in [text, *vocabulary.synonyms_of(text)]:  # the kinds of 水稻 are kinds of 稻谷
        terms += [(h, f"a kind of {word}") for h in vocabulary.hyponyms_of(word) if h not in {t for t, _ in terms}]
    return terms


def category_terms(category: Category, vocabulary: Vocabulary) -> list[tuple[str, str]]:
    """Title words that name a category: its name terms, the terms other notes send to it
    (通信电缆入K13) and their synonyms; words too common to say anything are left out. Its
    scope-note words are evidence for the classifier (a standard classified in the category
    matches by code), not title words: 激光 or 手术 alone are not 医疗器械. ICS names are
    English: no terms."""
    if category.scheme == "ics":
        return []
    found: list[tuple[str, str]] = []

    def add(term: str, why: str, check: bool = True) -> None:
        if term and term not in GENERIC_TERMS and term not in {t for t, _ in found} \
                and (not check or _specific(term, vocabulary)):
            found.append((term, why))

    for term in category.name_terms[:1]:  # the subject of the name (稀土金属, not 合金, of H65)
        add(term, f"{category.code} name")
    if category.scheme == "ccs" and category.level == 3:
        for sense in vocabulary.refs_to(category.code):
            add(sense.term, sense.note)
    for term, _ in list(found):
        for synonym in vocabulary.synonyms_of(term):
            add(synonym, f"synonym of {term}", check=False)
    for name in dict.fromkeys([category.name, *category.name_terms[:1]]):
        for kind in vocabulary.hyponyms_of(name):  # 铽 of H65 稀土金属, 饲料机械 of B93
            add(kind, f"a kind of {name}", check=False)
        if name.endswith(PRODUCT_SUFFIXES) and len(name) > 3:  # 茶叶制品 → 茶叶 (and its synonym 茶)
            stem = name[:-2]
            add(stem, f"{category.code} name: products of {stem}")
            for synonym in vocabulary.synonyms_of(stem):
                add(synonym, f"synonym of {stem}", check=False)
    return found


PRODUCT_SUFFIXES = ("制品", "产品")  # X制品 names the products of X: a title naming X is about them


def _specific(term: str, vocabulary: Vocabulary) -> bool:
    if vocabulary.is_generic(term):
        return False
    senses = vocabulary.direct(term)
    if not senses:
        return True
    specificity = max(s.specificity for s in senses)
    return specificity >= (0.6 if len(term) == 1 else 0.2)


def _code_reason(record: Record, facts: dict, category: Category) -> tuple[str, str]:
    """Why a record lies in `category` by code: (reason, short label)."""
    codes = facts.get("ccs") or []
    basis = facts.get("basis", "")
    if category.scheme == "ics":
        code = next((normalize_code(c) or c for c in record.ics
                     if (normalize_code(c) or c).startswith(category.code)), category.code)
        return f"own ICS code {code}", f"分类 {code}"
    code = codes[0] if codes else category.code
    if basis == "own":
        return f"own CCS code {code}", f"分类 {code}"
    if basis == "inherited":
        return f"CCS {code} of the edition that replaced it", f"分类 {code}（沿用新版）"
    top = next((a for a in facts.get("assignments", []) if a["code"] == code), None)
    reason = f"classified {code} ({top['confidence']:.2f}): {top['reason']}" if top else f"classified {code}"
    return reason, f"分类 {code}（推断）"


def match_standards(index: CoverageIndex, request: Request, covered: set[int], vocabulary: Vocabulary
                    ) -> tuple[dict[str, tuple[Record, dict, dict[str, tuple[str, str]]]], int]:
    """The standards of `covered` a request finds, the one matching `kb cover` and `kb
    policy-gaps` share: by code (classified in its categories, own or guessed at index time
    with confidence ≥ COVER_CONFIDENCE) and by title or scope words. Record id → (record,
    stored facts, how: "code"/"title"/"scope" → (reason, short label)); and how many
    low-confidence guesses were left out. NotFound when nothing matches a term no category
    names."""
    reader = index.coverage
    code_docs: dict[int, Category] = {}
    for category in request.code_categories:
        if category.scheme == "ics":
            docs = reader.docs_with("ics", category.code) | reader.docs_with_prefix("ics", category.code + ".")
        else:
            docs = reader.docs_with("ccs_within", category.code)
        for doc in docs & covered:
            code_docs.setdefault(doc, category)
    text_docs: dict[int, dict[str, tuple[str, str]]] = {}
    for term, why in request.terms:
        for where in ("title", "scope"):
            for doc, word in reader.word_docs(term, where).items():
                if doc in covered:
                    reason = f"{where} contains {word}" + (f" (≈ {term})" if word != term else "") \
                        + (f" ({why})" if why else "")
                    text_docs.setdefault(doc, {}).setdefault(
                        where, (reason, f"{'标题' if where == 'title' else '范围'}含“{word}”"))
    if not code_docs and not text_docs and request.not_found is not None:
        raise request.not_found
    matches: dict[str, tuple[Record, dict, dict[str, tuple[str, str]]]] = {}
    weak: set[str] = set()  # numbers guessed into the category too weakly to list by code alone
    inherited = []
    for doc in sorted(set(code_docs) | set(text_docs)):
        record, facts = reader.record(doc)
        how = dict(text_docs.get(doc, {}))
        if doc not in code_docs and any(x in getattr(record, w) for w in how for x in request.exclusions):
            continue  # 电子设备电缆 is sent to L91 by the note of K13
        if doc in code_docs and not how:
            if facts.get("basis") == "inherited":
                inherited.append((record, facts, doc))
                continue
            if _guess_confidence(facts, code_docs[doc], vocabulary) < COVER_CONFIDENCE:
                weak.add(record.number)  # 甜葫芦 guessed into J80 起重机械 (0.38) through 葫芦 of its scope note
                continue
        if doc in code_docs:
            how["code"] = _code_reason(record, facts, code_docs[doc])
        matches[record.id] = (record, facts, how)
    for record, facts, doc in inherited:  # an untitled edition goes where the edition replacing it went
        if weak & set(facts.get("successors") or ()):
            weak.add(record.number)
        else:
            matches[record.id] = (record, facts, {"code": _code_reason(record, facts, code_docs[doc])})
    return matches, len(weak)


def cover(index: CoverageIndex, query: str, *, vocabulary: Vocabulary | None = None, region: str | None = None,
          include_withdrawn: bool = False, max_age: float = 5, today: dt.date | None = None) -> dict:
    """`kb cover`: the standards that cover a category or a term, grouped by level (mandatory
    national first … group), in-force first, each with why it matched. `standards` is a
    list of rows, each with `number`."""
    vocabulary = vocabulary or index.vocabulary()
    today = today or dt.date.today()
    request = resolve_request(query, vocabulary)
    reader = index.coverage
    covered = _covered_docs(index)
    matches, weak = match_standards(index, request, covered, vocabulary)
    if include_withdrawn:
        for record, _, _ in list(matches.values()):
            for old in record.replaces:
                for doc in reader.docs_with("number_key", number_key(old)) & covered:
                    earlier, facts = reader.record(doc)
                    if earlier.id not in matches:
                        matches[earlier.id] = (earlier, facts, {"edition": (
                            f"earlier edition, replaced by {record.number}", f"旧版，被 {record.number} 代替")})
    rows, hidden = [], 0
    for record, facts, how in matches.values():
        if not _in_region(record, region):
            continue
        row = standard_row(record, today, facts.get("successors", ()), max_age)
        if not include_withdrawn and row["status"] in ("replaced", "withdrawn"):
            hidden += 1
            continue
        order = [h for h in ("code", "title", "scope", "edition") if h in how]
        row["matched_by"] = order
        row["reason"] = "; ".join(how[h][0] for h in order)
        row["match"] = "；".join(how[h][1] for h in order)
        row["ccs"] = list(facts.get("ccs") or [])
        rows.append(row)
    rows.sort(key=_order)
    categories = [_category_dict(r) for r in request.resolved]
    if request.mode == "term" and not categories:
        categories = _nearest_categories(rows, vocabulary)
    return {"query": request.query, "mode": request.mode, "categories": categories,
            "terms": [{"term": t, "why": w} for t, w in request.terms],
            "region": region or "", "region_name": region_name(region),
            "standards": rows, "counts": _counts(rows, hidden),
            "notes": _cover_notes(request, rows, categories, region, hidden) + (
                [f"另有 {weak} 条标准只因建索引时推断的类目（置信度低于 {COVER_CONFIDENCE}）落在此类，标题和范围都不含所查的词：未列出。"]
                if weak else [])}


def _guess_confidence(facts: dict, category: Category, vocabulary: Vocabulary) -> float:
    """How sure the index-time classifier was that the record lies in `category` (1 for its
    own or inherited code)."""
    if facts.get("basis") != "inferred" or category.scheme == "ics":
        return 1.0
    return max((a["confidence"] for a in facts.get("assignments", [])
                if a.get("scheme", "ccs") in ("ccs", "user") and vocabulary.is_within(a["code"], category.code)),
               default=0.0)


def _nearest_categories(rows: list[dict], vocabulary: Vocabulary) -> list[dict]:
    """For a word no category names (钢材): the categories its matching standards are classified in."""
    counts = Counter(code for row in rows for code in row["ccs"][:1])
    found = []
    for code, n in counts.most_common(NEAREST_CATEGORIES):
        category = vocabulary.category(code)
        if category is not None:
            found.append({"code": code, "name": category.name, "scheme": category.scheme,
                          "level": category.level, "label": category.label, "score": round(n / len(rows), 4),
                          "reason": f"{n} of the {len(rows)} matching standards are classified {code}"})
    return found


def _category_dict(resolved: Resolved) -> dict:
    c = resolved.category
    return {"code": c.code, "name": c.name, "scheme": c.scheme, "level": c.level, "label": c.label,
            "score": resolved.score, "reason": resolved.reason}


def _counts(rows: list[dict], hidden: int) -> dict:
    return {"standards": len(rows), "in_force": sum(r["in_force"] for r in rows),
            "unconfirmed": sum(r["status"] == "unknown" for r in rows),
            "by_level": dict(Counter(r["level_group"] for r in rows)),
            "by_status": dict(Counter(r["status"] for r in rows)), "hidden_withdrawn": hidden}


def _cover_notes(request: Request, rows: list[dict], categories: list[dict], region: str | None,
                 hidden: int) -> list[str]:
    notes = []
    if request.mode == "term":
        nearest = "、".join(c["label"] for c in categories)
        notes.append(f"“{request.query}”不是类目名称：按标题和范围中的词（含同义词、下位词、以它结尾的词）匹配"
                     + (f"；最近的类目 {nearest} 仅供参考，类目中的其他产品不列出（按类目查询请给出分类号，如 "
                        f"{categories[0]['code']}）。" if categories else "；没有找到相近的类目。"))
    if request.mode in ("code", "name"):
        notes.append("按分类号匹配：自带分类号的标准，以及建索引时由标题推断（置信度 ≥ "
                     f"{COVER_CONFIDENCE}；更低的只在标题或范围也匹配时列出）归入该类目的标准；另按类目名称词匹配标题和范围。")
    if any(c.scheme == "ics" for c in request.code_categories):
        notes.append("ICS 类目名称为英文：只匹配自带该 ICS 分类号的标准。")
    if region:
        notes.append(f"地区 {region_name(region)}（{region}）：国家、行业、团体标准全部列出，地方标准只列本地区的。")
    if hidden:
        notes.append(f"另有 {hidden} 条被代替或废止的标准未列出（用 --include-withdrawn 显示）。")
    if any(r["status"] == "unknown" for r in rows):
        notes.append(UNKNOWN_NOTE)
    if not rows:
        notes.append(f"知识库中没有覆盖“{request.query}”的标准（只说明本知识库未收录，见 kb gaps 的知识库范围）。")
    return notes


# -- kb gaps ---------------------------------------------------------------------------------------

VIEWS = ("ccs", "ics", "region")
VIEW_TITLES = {"ccs": "按中国标准分类（CCS）", "ics": "按国际标准分类（ICS）", "region": "按地区（地方标准）"}
NO_CCS = "未分类"
NO_ICS = "无ICS分类号"
NOT_IN_KB = "知识库未收录"


@dataclass
class _Columns:
    """Per document, what a gap row counts: level group, status, 标龄 and successor (index codes)."""

    group: tuple
    status: tuple
    age: tuple
    successor: tuple
    ages: dict[int, float | None]  # age_from code → years
    rows: list | None = None  # per document, its key: built once, zipped in C

    def keys(self, docs) -> Counter:
        if self.rows is None:
            self.rows = list(zip(self.group[0], self.status[0], self.age[0], self.successor[0]))
        return Counter(map(self.rows.__getitem__, docs))


def _columns(index: CoverageIndex, today: dt.date) -> _Columns:
    reader = index.coverage
    age = reader.values("age_from")
    ages = {0: None}
    for code, start in enumerate(age[1][1:], 1):
        try:
            ages[code] = round((today - dt.date.fromisoformat(start)).days / 365.25, 1)
        except ValueError:
            ages[code] = None
    return _Columns(reader.values("level_group"), reader.values("status"), age, reader.values("successor"), ages)


def gap_row(code: str, name: str, keys: Counter, columns: _Columns, max_age: float) -> dict:
    """Counts by level and status, and the gap flags, of one group of standards (`keys`:
    Counter of their column codes, _Columns.keys)."""
    groups, statuses = columns.group[1], columns.status[1]
    by_group, by_status = Counter(), Counter()
    in_force = overdue = only_group = withdrawn_unreplaced = 0
    oldest = None
    for (g, s, a, r), n in keys.items():
        group, status = groups[g] or "other", statuses[s] or "unknown"
        by_group[group] += n
        by_status[status] += n
        if status in IN_FORCE:
            in_force += n
            only_group += n * (group == "group")
            age = columns.ages.get(a)
            if age is not None:
                overdue += n * (age > max_age)
                oldest = age if oldest is None else max(oldest, age)
        if status == "withdrawn" and not r:
            withdrawn_unreplaced += n
    row = {"code": code, "name": name, "total": sum(keys.values())}
    row.update({g: by_group.get(g, 0) for g in LEVEL_GROUPS})
    row.update({s: by_status.get(s, 0) for s in STATUS_ORDER})
    row["in_force"] = in_force
    row["unconfirmed"] = by_status.get("unknown", 0)
    row["overdue"] = overdue
    flags = []
    if not in_force:
        flags.append("no_current")
    elif only_group == in_force:
        flags.append("only_group")
    if in_force and overdue == in_force:
        flags.append("all_overdue")
    if withdrawn_unreplaced:
        flags.append("withdrawn_unreplaced")
    if by_status.get("upcoming"):
        flags.append("pending")
    row["flags"] = flags
    row["oldest_in_force"] = oldest
    return row


def knowledge_base_extent(index: CoverageIndex, docs: set[int] | None = None) -> dict:
    """What the knowledge base holds, so an answer can say what it judged: standards by
    level, local standards by region (and the provinces it has none of), sources, how many
    have a known status."""
    docs = _covered_docs(index) if docs is None else docs
    reader = index.coverage
    levels = reader.facet_counts("level_group", docs)
    local = reader.docs_with("level", "local") & docs
    regions = reader.facet_counts("region", local)
    statuses = reader.facet_counts("status", docs)
    years = sorted(reader.facet_counts("issue_year", docs))
    return {
        "standards": len(docs),
        "by_level": {g: levels[g] for g in LEVEL_GROUPS if levels.get(g)},
        "by_level_label": {LEVEL_GROUP_LABELS[g]: levels[g] for g in LEVEL_GROUPS if levels.get(g)},
        "local_by_region": {f"{region_name(c) or c}（{c}）": n for c, n in sorted(regions.items())},
        "provinces_without_local": [region_name(c) for c in PROVINCES if c not in regions],
        "sources": dict(sorted(reader.facet_counts("source", docs).items(), key=lambda kv: -kv[1])),
        "status_known": len(docs) - statuses.get("unknown", 0),
        "status_unknown": statuses.get("unknown", 0),
        "issue_years": [years[0], years[-1]] if years else [],
        "status_as_of": index.meta.get("status_as_of", ""),
    }


def _extent_note(extent: dict) -> str:
    levels = "、".join(f"{label} {n:,}" for label, n in extent["by_level_label"].items())
    sources = "、".join(f"{s} {n:,}" for s, n in list(extent["sources"].items())[:5]) or "未记录"
    missing = extent["provinces_without_local"]
    return (f"知识库范围：{extent['standards']:,} 条标准（{levels}）；地方标准来自 {len(extent['local_by_region'])} 个省区"
            + (f"，{len(missing)} 个省区没有（{'、'.join(missing[:6])}{'……' if len(missing) > 6 else ''}）" if missing else "")
            + f"；来源 {sources}；状态已知 {extent['status_known']:,} 条，未知 {extent['status_unknown']:,} 条"
            + (f"；状态按索引日 {extent['status_as_of']}" if extent.get("status_as_of") else "") + "。"
            "“知识库未收录”只说明本知识库没有，不等于标准体系的缺口；缺口标记只针对知识库中有标准的类目。")


def gap_report(index: CoverageIndex, *, by: str = "ccs", level: str | None = None, region: str | None = None,
               max_age: float = 5, vocabulary: Vocabulary | None = None, today: dt.date | None = None) -> dict:
    """`kb gaps`: per CCS category, ICS code and region, counts by level and status and the
    gap flags (FLAG_LABELS), with the extent of the knowledge base judged. `rows` is the
    `by` view; `views` holds all three."""
    if by not in VIEWS:
        raise BadInput(f"无法识别的视图 {by!r}：可用 {', '.join(VIEWS)}")
    if max_age <= 0:
        raise BadInput(f"--max-age 应为正数，不能是 {max_age}")
    taxonomy = vocabulary.taxonomy if vocabulary else load_taxonomy()  # names only: no vocabulary to load
    category = vocabulary.category if vocabulary else taxonomy.get
    today = today or dt.date.today()
    reader = index.coverage
    covered = _covered_docs(index)
    extent = knowledge_base_extent(index, covered)
    chosen = covered & reader.docs_with("level", level) if level else covered
    chosen = _regional(index, chosen, region)
    if not chosen:
        what = LEVEL_LABELS.get(level, level) if level else "标准"
        raise NotFound(f"知识库中没有{what}" + (f"（地区 {region_name(region) or region}）" if region else "")
                       + f"：无法判断这一范围的缺口（{_extent_note(extent).split('。')[0]}）")
    columns = _columns(index, today)
    views = {
        "ccs": _ccs_view(index, chosen, columns, max_age, taxonomy, category),
        "ics": _ics_view(index, chosen, columns, max_age),
        "region": _region_view(index, chosen, columns, max_age),
    }
    for view in views.values():
        for row in view["rows"]:
            row["flag_labels"] = "；".join(_flag_label(f, max_age) for f in row["flags"])
    primary = views[by]
    flags = Counter(f for row in primary["rows"] for f in row["flags"])
    statuses = reader.facet_counts("status", chosen)
    return {"by": by, "max_age": max_age, "today": today.isoformat(),
            "filters": {"level": level or "", "region": region or ""}, "total": len(chosen),
            "in_force": sum(statuses.get(s, 0) for s in IN_FORCE), "unconfirmed": statuses.get("unknown", 0),
            "extent": extent, "rows": primary["rows"], "flag_counts": {f: flags.get(f, 0) for f in FLAG_LABELS},
            "views": views, "notes": _gap_notes(index, chosen, views, by, max_age, level, extent)}


def _flag_label(flag: str, max_age: float) -> str:
    return f"现行标准均超过{max_age:g}年复审周期" if flag == "all_overdue" else FLAG_LABELS[flag]


def _grouped(reader, name: str, chosen: set[int]) -> tuple[dict[str, set[int]], set[int]]:
    """Value → the chosen documents with it, and the chosen documents with none."""
    groups, seen = {}, set()
    for value, docs in reader.value_sets(name).items():
        inside = docs if docs <= chosen else docs & chosen  # no copy when nothing is filtered out (never mutated)
        if inside:
            groups[value] = inside
            seen |= inside
    return groups, chosen - seen


def _ccs_view(index, chosen, columns: _Columns, max_age: float, taxonomy, category_of) -> dict:
    reader = index.coverage
    groups, unclassified = _grouped(reader, "ccs", chosen)
    guessed = reader.docs_with("ccs_basis", "inferred") | reader.docs_with("ccs_basis", "inherited")
    result = []
    for code in sorted(groups):
        category = category_of(code)
        row = gap_row(code, category.name if category else code, columns.keys(groups[code]), columns, max_age)
        row["inferred"] = len(groups[code] & guessed)
        result.append(row)
    if unclassified:
        row = gap_row("", NO_CCS, columns.keys(unclassified), columns, max_age)
        row["inferred"] = 0
        result.append(row)
    empty = [{"code": c.code, "name": c.name, "judgement": NOT_IN_KB}
             for c in taxonomy.of("ccs", 3) if c.code not in groups]
    return {"name": "ccs", "title": VIEW_TITLES["ccs"], "rows": result, "empty": empty}


def _ics_view(index, chosen, columns: _Columns, max_age: float) -> dict:
    groups, none = _grouped(index.coverage, "ics", chosen)
    result = [gap_row(code, code, columns.keys(groups[code]), columns, max_age) for code in sorted(groups)]
    if none:
        result.append(gap_row("", NO_ICS, columns.keys(none), columns, max_age))
    return {"name": "ics", "title": VIEW_TITLES["ics"], "rows": result, "empty": []}


def _region_view(index, chosen, columns: _Columns, max_age: float) -> dict:
    reader = index.coverage
    local = reader.docs_with("level", "local") & chosen
    groups, _ = _grouped(reader, "region", local)
    regions, names = reader.values("region")
    by_region: dict[str, Counter] = {code: Counter() for code in groups}
    for c, docs in reader.value_sets("ccs").items():  # one pass over the codes' postings
        for region, n in Counter(map(regions.__getitem__, docs & local)).items():
            if names[region] in by_region:
                by_region[names[region]][c] = n
    result = []
    for code in sorted(groups):
        row = gap_row(code, region_name(code) or code, columns.keys(groups[code]), columns, max_age)
        counts = by_region[code]
        row["top_categories"] = "、".join(f"{c} ({n})" for c, n in counts.most_common(3) if n)
        result.append(row)
    empty = [{"code": c, "name": region_name(c), "judgement": NOT_IN_KB} for c in PROVINCES if c not in groups]
    return {"name": "region", "title": VIEW_TITLES["region"], "rows": result, "empty": empty}


def _gap_notes(index, chosen: set[int], views, by: str, max_age: float, level: str | None, extent: dict) -> list[str]:
    reader = index.coverage
    notes = [_extent_note(extent),
             f"复审周期 {max_age:g} 年（标准化法 第二十九条：标准的复审周期一般不超过五年）；"
             "标龄按发布日期（无则按标准号年份）计算。"]
    if extent["status_unknown"]:
        notes.append(UNKNOWN_NOTE)
    basis = reader.facet_counts("ccs_basis", chosen)
    own = basis.get("own", 0)
    lacking = len(chosen) - own
    if lacking:
        notes.append(f"{len(chosen):,} 条标准中 {lacking:,} 条没有自带 CCS 分类号"
                     f"（{own:,} 条自带）：{basis.get('inferred', 0):,} 条的类目在建索引时由标题推断"
                     f"（kb.classify，置信度 ≥ {MIN_CONFIDENCE}），{basis.get('inherited', 0):,} 条只有标准号的旧版"
                     f"沿用替代它的新版的类目，{lacking - basis.get('inferred', 0) - basis.get('inherited', 0):,} 条"
                     f"无法推断，计入“{NO_CCS}”。")
    if not reader.facet_counts("ics", chosen):
        notes.append("没有标准自带 ICS 分类号（公告不载），ICS 视图只有一行；ICS 不做推断。")
    notes.append(f"{len(views['ccs']['empty'])} 个 CCS 三级类目下知识库没有任何标准（见“{NOT_IN_KB}”）：这不是缺口判断。")
    if not any(row["flags"] for row in views[by]["rows"]):
        rows = views[by]["rows"]
        notes.append(f"没有被标记的行：{len(rows)} 行中每一行都至少有一条现行"
                     + ("或状态未知（按现行处理）" if extent["status_unknown"] else "")
                     + "的非团体标准，且不全超过复审周期，没有即将实施或废止无替代的标准"
                     + (f"；其中 {extent['status_unknown']:,} 条状态未知，确认状态后可能出现缺口" if extent["status_unknown"] else "")
                     + "。")
    if level:
        notes.append(f"只统计{LEVEL_LABELS.get(level, level)}。")
    return notes


# -- kb policy-gaps --------------------------------------------------------------------------------

def category_namer(vocabulary: Vocabulary):
    """names_category for kb.policy_areas: does a word name a CCS category (name or scope
    note, strength ≥ 0.6)? 水泥 → Q11, 疫苗 → C27; 服务 does not."""
    def names(word: str) -> bool:
        return any(s.source in ("name", "scope") and s.strength >= 0.6 for s in vocabulary.direct(word))
    return names


def load_policy(doc: str, corpus_dir: Path):
    """The document DOC names: a file (TXT, Markdown, HTML, PDF, DOCX: read as a policy) or a
    stored text (title, alias or id, as `kb outline` takes it)."""
    from kb.texts.ingest import document_from_bytes
    from kb.texts.lookup import resolve_document
    from kb.texts.model import TEXTS_FILE, load_documents

    path = Path(doc)
    if paths.is_file(path):  # a 300-character title is no file name
        try:
            body = path.read_bytes()
        except OSError as exc:
            raise BadInput(f"无法读取 {path}：{exc.strerror or exc}") from None
        return document_from_bytes(body, path.name, kind="policy")
    if path.suffix and (path.parent != Path(".") or path.suffix.lower() in (".txt", ".md", ".docx", ".pdf", ".html")):
        raise NotFound(f"没有文件 {doc}")
    return resolve_document(load_documents(Path(corpus_dir) / TEXTS_FILE).documents, doc).document


def policy_gaps(index: CoverageIndex, document, *, vocabulary: Vocabulary | None = None,
                today: dt.date | None = None) -> dict:
    """`kb policy-gaps`: clause by clause, the product and industry areas a policy names,
    the standards that exist for each (by title or scope words, with synonyms), and per area
    a judgement: covered, gap (standards exist, none in force) or not in the knowledge base.
    An area's standards are found as `kb cover AREA` finds them (match_standards)."""
    from kb.policy_areas import extract_areas
    from kb.texts.segment import segment

    vocabulary = vocabulary or index.vocabulary()
    today = today or dt.date.today()
    covered = _covered_docs(index)
    extent = knowledge_base_extent(index, covered)
    namer = category_namer(vocabulary)
    areas: dict[str, dict] = {}
    clauses = []
    tree = segment(document)
    for clause in tree:
        found = extract_areas("\n".join(p for p in (clause.heading, clause.text) if p), namer)
        if not found:
            continue
        clauses.append({"path": clause.path, "heading": clause.heading, "areas": [a.text for a in found]})
        for area in found:
            entry = areas.setdefault(area.text, {"area": area.text, "kind": area.kind, "how": area.how,
                                                 "context": area.context, "clauses": []})
            entry["clauses"].append(clause.path)
    for entry in areas.values():
        entry.update(_area_coverage(index, covered, entry["area"], vocabulary, today))
    listed = list(areas.values())
    gaps = [a["area"] for a in listed if a["judgement"] == "gap"]
    absent = [a["area"] for a in listed if a["judgement"] == "not_in_kb"]
    return {"doc": {"id": document.id, "title": document.title, "kind": document.kind},
            "clauses_scanned": len(tree), "clauses": clauses, "areas": listed, "extent": extent,
            "counts": {"areas": len(listed), "covered": len(listed) - len(gaps) - len(absent), "gaps": len(gaps),
                       "not_in_kb": len(absent), "clauses_with_areas": len(clauses)},
            "gaps": gaps, "not_in_kb": absent, "notes": _policy_notes(listed, extent)}


AREA_JUDGEMENTS = {"covered": "有现行标准", "gap": "缺口：有标准但无现行的", "not_in_kb": NOT_IN_KB}


def _area_coverage(index: CoverageIndex, covered: set[int], area: str, vocabulary: Vocabulary,
                   today: dt.date) -> dict:
    """The standards of one area, found as `kb cover AREA` finds them (match_standards)."""
    try:
        request = resolve_request(area, vocabulary)
        matches, _ = match_standards(index, request, covered, vocabulary)
    except (NotFound, BadInput):
        matches = {}
    rows = []
    for record, facts, how in matches.values():
        row = standard_row(record, today, facts.get("successors", ()))
        order = [h for h in ("code", "title", "scope") if h in how]
        row["matched_by"] = order
        row["reason"] = "; ".join(how[h][0] for h in order)
        rows.append(row)
    rows.sort(key=_order)
    in_force = sum(r["in_force"] for r in rows)
    try:
        categories = [r.category.label for r in resolve(area, vocabulary, limit=3)]
    except (NotFound, BadInput):
        categories = []
    judgement = "covered" if in_force else ("gap" if rows else "not_in_kb")
    return {"standards": rows, "in_force": in_force, "gap": judgement == "gap", "judgement": judgement,
            "judgement_label": AREA_JUDGEMENTS[judgement], "categories": categories}


def _policy_notes(areas: list[dict], extent: dict) -> list[str]:
    notes = [_extent_note(extent),
             "领域由规则提取（kb.policy_areas）：“、”列举后接“等+产品/领域”、以产品或行业中心词结尾的名词短语"
             "（材料、产品、设备、汽车、服务、物流……）、CCS 类目名称；how 字段说明每个领域由哪条规则得出。",
             "标准的查找与 `kb cover` 相同：按类目（自带或建索引时推断的分类号）和标题、范围中的词（及同义词、下位词、以它结尾的词）。判断：有现行标准；缺口（知识库有该领域的标准，"
             f"但没有现行的）；{NOT_IN_KB}（知识库没有该领域的任何标准：只说明本知识库未收录，不是缺口）。"]
    if any(r["status"] == "unknown" for a in areas for r in a["standards"]):
        notes.append(UNKNOWN_NOTE)
    return notes
