"""Coverage answers: which standards cover a category or a term (`kb cover`), where the
knowledge base is thin (`kb gaps`), and which areas a policy names have no standard
(`kb policy-gaps`).

Pure domain code. The index is passed in: any object with
    all_records() -> list[Record]
    records_containing(term, fields) -> list[(Record, field)]
(index.search.KnowledgeIndex has both).

Status: the shipped records come from announcements, which carry no implementation date,
so most have the status unknown (未知): issued, not known to be replaced or withdrawn.
Such a standard counts as in force with its status unconfirmed (现行（未确认）): it is
listed after confirmed current ones, and counts as current in the gap flags. The output
says so in its notes.
"""
from __future__ import annotations

import datetime as dt
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Protocol

from kb import numbers
from kb.categories import Resolved, Vocabulary, default_vocabulary, normalize_term, resolve
from kb.classify import Assignment, classify
from kb import paths
from kb.errors import BadInput, CorpusError, NotFound
from kb.records import Record
from kb.taxonomy import GENERIC_TERMS, Category, normalize_code
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
FIELD_WORDS = {"title": "title", "scope": "scope"}
MIN_CONFIDENCE = 0.3  # a classification below this is no evidence of a category

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
    def all_records(self) -> list[Record]: ...

    def records_containing(self, term: str, fields: tuple[str, ...] = ...) -> list[tuple[Record, str]]: ...


# -- one standard as the answers show it --------------------------------------------------

def level_group(record: Record) -> str:
    """national_mandatory, national_recommended, national_guidance, industry … other."""
    if record.level == "national":
        return {"mandatory": "national_mandatory", "guidance": "national_guidance"}.get(
            record.force or "", "national_recommended")
    return record.level if record.level in LEVEL_GROUPS else "other"


def replacements(records: Iterable[Record]) -> dict[str, list[str]]:
    """Number key → numbers of the records that replace it (their own `replaces` lists)."""
    found: dict[str, list[str]] = {}
    for record in records:
        for old in record.replaces:
            parsed = numbers.try_parse(old)
            if parsed is not None and record.number not in found.setdefault(parsed.key, []):
                found[parsed.key].append(record.number)
    return found


def _key(number: str) -> str:
    parsed = numbers.try_parse(number)
    return parsed.key if parsed else number


def standard_row(record: Record, today: dt.date, replaced_by: dict[str, list[str]], max_age: float = 5) -> dict:
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
        "replaced_by": list(record.replaced_by) or list(replaced_by.get(_key(record.number), [])),
        "region": record.region, "region_name": region_name(record.region),
    }


def _order(row: dict) -> tuple:
    return (LEVEL_GROUPS.index(row["level_group"]), STATUS_ORDER.index(row["status"]),
            FORCE_ORDER.get(row["force"] or "", 3), _negated(row["issue_date"]), row["number"])


def _negated(date: str) -> str:
    """Sort key putting newer ISO dates first (and undated last)."""
    return "".join(chr(0x39 - ord(c) + 0x30) if c.isdigit() else c for c in date) if date else "~"


# -- classification, once per record ---------------------------------------------------------

_classified: dict[tuple[int, str, str], list[Assignment]] = {}


def assignments_of(record: Record, vocabulary: Vocabulary) -> list[Assignment]:
    """classify(record), remembered for this process (gaps and cover classify every record)."""
    key = (id(vocabulary), record.id, record.title + "\x00" + record.scope[:300])
    if key not in _classified:
        if len(_classified) > 200_000:
            _classified.clear()
        _classified[key] = classify(record, vocabulary, limit=3)
    return _classified[key]


def top_category(record: Record, vocabulary: Vocabulary) -> Assignment | None:
    """The record's best CCS (or user) category: its own code, else the best inferred one
    with confidence of at least MIN_CONFIDENCE."""
    for assignment in assignments_of(record, vocabulary):
        if assignment.scheme in ("ccs", "user"):
            return assignment if assignment.confidence >= MIN_CONFIDENCE else None
    return None


# -- kb cover ----------------------------------------------------------------------------------

@dataclass
class Request:
    """What a cover query means: its categories, the terms to find in titles and scopes."""

    query: str
    mode: str  # code (K13), name (水泥 = Q11 水泥) or term (水稻)
    resolved: list[Resolved]
    code_categories: list[Category]  # standards in these categories match "by code"
    terms: list[tuple[str, str]]  # (term, why it is searched)
    exclusions: list[str] = field(default_factory=list)  # note terms sent elsewhere (电子设备电缆入L91)
    not_found: NotFound | None = None


def resolve_request(query: str, vocabulary: Vocabulary) -> Request:
    """A CCS/ICS code → that category and its name and note terms; a category name → those
    categories plus the word; any other term → the word and its synonyms, and the categories
    it points to (shown, not searched: 水稻 points to B22 禾谷类作物, which also holds wheat)."""
    text = unicodedata.normalize("NFKC", query or "").strip()
    if not text:
        raise BadInput("查询为空：请给出 CCS 分类号（如 K13）、类目名称或产品词（如 水稻）")
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
    named = [r for r in resolved if normalize_term(r.category.name) == normalize_term(text)]
    if named:
        terms = _word_terms(text, vocabulary)
        for r in named:
            terms += [t for t in category_terms(r.category, vocabulary) if t[0] not in {x for x, _ in terms}]
        return Request(text, "name", named, [r.category for r in named], terms,
                       exclusions=[ref.term for r in named for ref in r.category.refs])
    best = resolved[0].score
    return Request(text, "term", [r for r in resolved if r.score >= 0.8 * best][:5], [],
                   _word_terms(text, vocabulary))


def _word_terms(text: str, vocabulary: Vocabulary) -> list[tuple[str, str]]:
    return [(text, "")] + [(s, f"synonym of {text}") for s in vocabulary.synonyms_of(text) if s != text]


def category_terms(category: Category, vocabulary: Vocabulary) -> list[tuple[str, str]]:
    """Title words that signal a category: its name terms, its note terms, the terms other
    notes send to it (通信电缆入K13) and their synonyms; words too common to say anything
    (分析 in the note of Q11) are left out. ICS names are English: no terms."""
    if category.scheme == "ics":
        return []
    taxonomy = vocabulary.taxonomy
    found: list[tuple[str, str]] = []

    def add(term: str, why: str, check: bool = True) -> None:
        if term and term not in GENERIC_TERMS and term not in {t for t, _ in found} \
                and (not check or _specific(term, vocabulary)):
            found.append((term, why))

    members = [category] + (taxonomy.children(category.code) if category.level == 2 else [])
    for member in members:
        for term in member.name_terms:
            add(term, f"{member.code} name")
        for term in member.terms:
            add(term, f"{member.code} scope note")
    if category.scheme == "ccs" and category.level == 3:
        for other in taxonomy.of("ccs"):
            for ref in other.refs:
                targets = taxonomy.expand(ref.target)
                if category.code in targets and len(targets) <= 3:
                    add(ref.term, f"{other.code} note: {ref.term}入{ref.target}")
    for term, _ in list(found):
        for synonym in vocabulary.synonyms_of(term):
            add(synonym, f"synonym of {term}", check=False)
    return found


def _specific(term: str, vocabulary: Vocabulary) -> bool:
    senses = vocabulary.direct(term)
    if not senses:
        return True
    specificity = max(s.specificity for s in senses)
    return specificity >= (0.6 if len(term) == 1 else 0.35)


def _code_match(record: Record, categories: list[Category], vocabulary: Vocabulary) -> tuple[str, str]:
    """(why, code) if the record lies in one of `categories` by code, else ("", "")."""
    for raw in record.ccs:
        code = normalize_code(raw) or raw.strip()
        if any(c.scheme != "ics" and vocabulary.is_within(code, c.code) for c in categories):
            return f"own CCS code {code}", code
    for raw in record.ics:
        code = normalize_code(raw) or raw.strip()
        if any(c.scheme == "ics" and (code == c.code or code.startswith(c.code + ".")) for c in categories):
            return f"own ICS code {code}", code
    if record.ccs or not any(c.scheme != "ics" for c in categories):
        return "", ""
    top = top_category(record, vocabulary)
    if top is not None and any(c.scheme != "ics" and vocabulary.is_within(top.code, c.code) for c in categories):
        return f"classified {top.code} ({top.confidence:.2f}): {top.reason}", top.code
    return "", ""


def _in_region(record: Record, region: str | None) -> bool:
    """National, industry and group standards apply everywhere; local ones in their region."""
    return not region or record.level != "local" or (record.region or "").startswith(region)


def _records(index: CoverageIndex) -> list[Record]:
    records = [r for r in index.all_records() if r.kind in ("standard", "metrology")]
    if not records:
        raise CorpusError("知识库中没有任何标准",
                          hint="add some with `kb import FILE` or `kb crawl SOURCE`, then `kb index update`")
    return records


def cover(index: CoverageIndex, query: str, *, vocabulary: Vocabulary | None = None, region: str | None = None,
          include_withdrawn: bool = False, max_age: float = 5, today: dt.date | None = None) -> dict:
    """`kb cover`: the standards that cover a category or a term, grouped by level (mandatory
    national first … group), in-force first, each with why it matched."""
    vocabulary = vocabulary or default_vocabulary()
    today = today or dt.date.today()
    request = resolve_request(query, vocabulary)
    records = _records(index)
    replaced_by = replacements(records)
    matches: dict[str, tuple[Record, dict[str, str]]] = {}

    def add(record: Record, how: str, reason: str, short: str) -> None:
        entry = matches.setdefault(record.id, (record, {}))
        entry[1].setdefault(how, (reason, short))

    if request.code_categories:
        for record in records:
            reason, code = _code_match(record, request.code_categories, vocabulary)
            if reason:
                add(record, "code", reason, f"分类 {code}")
    for term, why in request.terms:
        for record, where in index.records_containing(term, ("title", "scope")):
            text = getattr(record, where)
            if record.id not in matches and any(x in text for x in request.exclusions):
                continue
            add(record, where, f"{where} contains {term}" + (f" ({why})" if why else ""),
                f"{'标题' if where == 'title' else '范围'}含“{term}”")
    if not matches and request.not_found is not None:
        raise request.not_found
    if include_withdrawn:
        by_key = {_key(r.number): r for r in records}
        for record, _ in list(matches.values()):
            for old in record.replaces:
                earlier = by_key.get(_key(old))
                if earlier is not None and earlier.id not in matches:
                    add(earlier, "edition", f"earlier edition, replaced by {record.number}",
                        f"旧版，被 {record.number} 代替")
    rows, hidden = [], 0
    for record, how in matches.values():
        if not _in_region(record, region):
            continue
        row = standard_row(record, today, replaced_by, max_age)
        if not include_withdrawn and row["status"] in ("replaced", "withdrawn"):
            hidden += 1
            continue
        order = [h for h in ("code", "title", "scope", "edition") if h in how]
        row["matched_by"] = order
        row["reason"] = "; ".join(how[h][0] for h in order)
        row["match"] = "；".join(how[h][1] for h in order)
        rows.append(row)
    rows.sort(key=_order)
    return {"query": request.query, "mode": request.mode,
            "categories": [_category_dict(r) for r in request.resolved],
            "terms": [{"term": t, "why": w} for t, w in request.terms],
            "region": region or "", "region_name": region_name(region),
            "standards": rows, "counts": _counts(rows, hidden), "notes": _cover_notes(request, rows, region, hidden)}


def _category_dict(resolved: Resolved) -> dict:
    c = resolved.category
    return {"code": c.code, "name": c.name, "scheme": c.scheme, "level": c.level, "label": c.label,
            "score": resolved.score, "reason": resolved.reason}


def _counts(rows: list[dict], hidden: int) -> dict:
    return {"standards": len(rows), "in_force": sum(r["in_force"] for r in rows),
            "unconfirmed": sum(r["status"] == "unknown" for r in rows),
            "by_level": dict(Counter(r["level_group"] for r in rows)),
            "by_status": dict(Counter(r["status"] for r in rows)), "hidden_withdrawn": hidden}


def _cover_notes(request: Request, rows: list[dict], region: str | None, hidden: int) -> list[str]:
    notes = []
    if request.mode == "term" and request.resolved:
        notes.append(f"“{request.query}”按标题和范围中的词及其同义词匹配；所属类目仅供参考，"
                     "类目中的其他产品不列出（按类目查询请给出分类号，如 "
                     f"{request.resolved[0].category.code}）。")
    if request.mode == "term" and not request.resolved:
        notes.append(f"没有类目对应“{request.query}”，只按标题和范围匹配。")
    if any(c.scheme == "ics" for c in request.code_categories):
        notes.append("ICS 类目名称为英文：只匹配自带该 ICS 分类号的标准。")
    if region:
        notes.append(f"地区 {region_name(region)}（{region}）：国家、行业、团体标准全部列出，地方标准只列本地区的。")
    if hidden:
        notes.append(f"另有 {hidden} 条被代替或废止的标准未列出（用 --include-withdrawn 显示）。")
    if any(r["status"] == "unknown" for r in rows):
        notes.append(UNKNOWN_NOTE)
    if not rows:
        notes.append(f"知识库中没有覆盖“{request.query}”的标准。")
    return notes


# -- kb gaps ---------------------------------------------------------------------------------------

VIEWS = ("ccs", "ics", "region")
VIEW_TITLES = {"ccs": "按中国标准分类（CCS）", "ics": "按国际标准分类（ICS）", "region": "按地区（地方标准）"}
NO_CCS = "未分类"
NO_ICS = "无ICS分类号"


def gap_report(index: CoverageIndex, *, by: str = "ccs", level: str | None = None, region: str | None = None,
               max_age: float = 5, vocabulary: Vocabulary | None = None, today: dt.date | None = None) -> dict:
    """`kb gaps`: per CCS category, ICS code and region, counts by level and status and the
    gap flags (FLAG_LABELS). `rows` is the `by` view; `views` holds all three."""
    if by not in VIEWS:
        raise BadInput(f"无法识别的视图 {by!r}：可用 {', '.join(VIEWS)}")
    if max_age <= 0:
        raise BadInput(f"--max-age 应为正数，不能是 {max_age}")
    vocabulary = vocabulary or default_vocabulary()
    today = today or dt.date.today()
    records = _records(index)
    replaced_by = replacements(records)
    chosen = [r for r in records if (not level or r.level == level) and _in_region(r, region)]
    if not chosen:
        raise NotFound((f"地区 {region} " if region else "") + f"没有{LEVEL_LABELS.get(level, '任何层级的') if level else '任何'}标准")
    rows = {r.id: standard_row(r, today, replaced_by, max_age) for r in chosen}
    by_key = {_key(r.number): r for r in records}
    ccs_of = {r.id: _ccs_of(r, vocabulary, by_key, rows[r.id]["replaced_by"]) for r in chosen}
    views = {
        "ccs": _ccs_view(chosen, rows, ccs_of, vocabulary),
        "ics": _ics_view(chosen, rows),
        "region": _region_view(chosen, rows, ccs_of),
    }
    for view in views.values():
        for row in view["rows"]:
            row["flag_labels"] = "；".join(_flag_label(f, max_age) for f in row["flags"])
    primary = views[by]
    flags = Counter(f for row in primary["rows"] for f in row["flags"])
    return {"by": by, "max_age": max_age, "today": today.isoformat(),
            "filters": {"level": level or "", "region": region or ""}, "total": len(chosen),
            "in_force": sum(r["in_force"] for r in rows.values()),
            "unconfirmed": sum(r["status"] == "unknown" for r in rows.values()),
            "rows": primary["rows"], "flag_counts": {f: flags.get(f, 0) for f in FLAG_LABELS},
            "views": views, "notes": _gap_notes(chosen, rows, views, max_age, level)}


def _flag_label(flag: str, max_age: float) -> str:
    return f"现行标准均超过{max_age:g}年复审周期" if flag == "all_overdue" else FLAG_LABELS[flag]


def _ccs_of(record: Record, vocabulary: Vocabulary, by_key: dict[str, Record] | None = None,
            successors: list[str] = ()) -> tuple[list[str], str]:
    """The record's CCS codes and their basis: own, inferred from the title, or inherited
    from the edition that replaced it (a replaced edition known only by its number)."""
    own = [normalize_code(c) or c.strip() for c in record.ccs]
    if own:
        return own, "own"
    if not record.title and by_key:
        for number in successors:
            successor = by_key.get(_key(number))
            if successor is not None and successor.title:
                codes, _ = _ccs_of(successor, vocabulary)
                if codes:
                    return codes, "inherited"
    top = top_category(record, vocabulary)
    return ([top.code], "inferred") if top is not None else ([], "")


def gap_row(code: str, name: str, rows: list[dict]) -> dict:
    """Counts by level and status, and the gap flags, of one group of standards."""
    row = {"code": code, "name": name, "total": len(rows)}
    row.update({g: sum(r["level_group"] == g for r in rows) for g in LEVEL_GROUPS})
    row.update({s: sum(r["status"] == s for r in rows) for s in STATUS_ORDER})
    in_force = [r for r in rows if r["in_force"]]
    row["in_force"] = len(in_force)
    row["unconfirmed"] = sum(r["status"] == "unknown" for r in rows)
    row["overdue"] = sum(r["overdue"] for r in in_force)
    flags = []
    if not in_force:
        flags.append("no_current")
    elif all(r["level_group"] == "group" for r in in_force):
        flags.append("only_group")
    if in_force and row["overdue"] == len(in_force):
        flags.append("all_overdue")
    if any(r["status"] == "withdrawn" and not r["replaced_by"] for r in rows):
        flags.append("withdrawn_unreplaced")
    if row["upcoming"]:
        flags.append("pending")
    row["flags"] = flags
    row["oldest_in_force"] = max((r["age_years"] for r in in_force if r["age_years"] is not None), default=None)
    return row


def _ccs_view(records, rows, ccs_of, vocabulary: Vocabulary) -> dict:
    groups: dict[str, list[str]] = {}
    inferred: Counter = Counter()
    for record in records:
        codes, basis = ccs_of[record.id]
        for code in codes or [""]:
            groups.setdefault(code, []).append(record.id)
            inferred[code] += basis in ("inferred", "inherited")
    result = []
    for code in sorted(groups, key=lambda c: (c == "", c)):
        category = vocabulary.category(code) if code else None
        row = gap_row(code, category.name if category else (NO_CCS if not code else code),
                      [rows[i] for i in groups[code]])
        row["inferred"] = inferred[code]
        result.append(row)
    present = set(groups)
    empty = [{"code": c.code, "name": c.name} for c in vocabulary.taxonomy.of("ccs", 3) if c.code not in present]
    return {"name": "ccs", "title": VIEW_TITLES["ccs"], "rows": result, "empty": empty}


def _ics_view(records, rows) -> dict:
    groups: dict[str, list[str]] = {}
    for record in records:
        for code in [normalize_code(c) or c.strip() for c in record.ics] or [""]:
            groups.setdefault(code, []).append(record.id)
    result = [gap_row(code, code or NO_ICS, [rows[i] for i in groups[code]])
              for code in sorted(groups, key=lambda c: (c == "", c))]
    return {"name": "ics", "title": VIEW_TITLES["ics"], "rows": result, "empty": []}


def _region_view(records, rows, ccs_of) -> dict:
    groups: dict[str, list[Record]] = {}
    for record in records:
        if record.level == "local" and record.region:
            groups.setdefault(record.region[:2], []).append(record)
    result = []
    for code in sorted(groups):
        row = gap_row(code, region_name(code) or code, [rows[r.id] for r in groups[code]])
        counts = Counter(c for r in groups[code] for c in ccs_of[r.id][0])
        row["top_categories"] = "、".join(f"{c} ({n})" for c, n in counts.most_common(3))
        result.append(row)
    return {"name": "region", "title": VIEW_TITLES["region"], "rows": result, "empty": []}


def _gap_notes(records, rows, views, max_age: float, level: str | None) -> list[str]:
    notes = [f"复审周期 {max_age:g} 年（标准化法 第二十九条：标准的复审周期一般不超过五年）；"
             "标龄按发布日期（无则按标准号年份）计算。"]
    if any(r["status"] == "unknown" for r in rows.values()):
        notes.append(UNKNOWN_NOTE)
    inferred = sum(row.get("inferred", 0) for row in views["ccs"]["rows"])
    if inferred:
        notes.append(f"{inferred} 条标准没有自带 CCS 分类号，类目由标题推断（kb.classify，置信度 ≥ {MIN_CONFIDENCE}），"
                     f"只有标准号的旧版沿用替代它的新版的类目；无法推断的计入“{NO_CCS}”。")
    if not any(r.ics for r in records):
        notes.append("没有标准自带 ICS 分类号（公告不载），ICS 视图只有一行；ICS 不做推断。")
    notes.append(f"{len(views['ccs']['empty'])} 个 CCS 三级类目下没有任何标准（见“无标准类目”）。")
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
    the standards that exist for each (by title or scope, with synonyms) and the gaps."""
    from kb.policy_areas import extract_areas
    from kb.texts.segment import segment

    vocabulary = vocabulary or default_vocabulary()
    today = today or dt.date.today()
    records = _records(index)
    replaced_by = replacements(records)
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
        entry.update(_area_coverage(index, entry["area"], vocabulary, today, replaced_by))
    listed = list(areas.values())
    gaps = [a["area"] for a in listed if a["gap"]]
    return {"doc": {"id": document.id, "title": document.title, "kind": document.kind},
            "clauses_scanned": len(tree), "clauses": clauses, "areas": listed,
            "counts": {"areas": len(listed), "covered": len(listed) - len(gaps), "gaps": len(gaps),
                       "clauses_with_areas": len(clauses)},
            "gaps": gaps, "notes": _policy_notes(listed)}


def _area_coverage(index: CoverageIndex, area: str, vocabulary: Vocabulary, today: dt.date,
                   replaced_by: dict[str, list[str]]) -> dict:
    found: dict[str, tuple[Record, str]] = {}
    for term, why in _word_terms(area, vocabulary):
        for record, where in index.records_containing(term, ("title", "scope")):
            found.setdefault(record.id, (record, f"{where} contains {term}" + (f" ({why})" if why else "")))
    rows = []
    for record, reason in found.values():
        row = standard_row(record, today, replaced_by)
        row["reason"] = reason
        rows.append(row)
    rows.sort(key=_order)
    in_force = sum(r["in_force"] for r in rows)
    try:
        categories = [r.category.label for r in resolve(area, vocabulary, limit=3)]
    except NotFound:
        categories = []
    return {"standards": rows, "in_force": in_force, "gap": in_force == 0, "categories": categories}


def _policy_notes(areas: list[dict]) -> list[str]:
    notes = ["领域由规则提取（kb.policy_areas）：“、”列举后接“等+产品/领域”、以产品或行业中心词结尾的名词短语"
             "（材料、产品、设备、汽车、服务、物流……）、CCS 类目名称；how 字段说明每个领域由哪条规则得出。",
             "标准按标题和范围中是否含该领域词（及同义词）匹配；没有现行标准的领域标为缺口。"]
    if any(r["status"] == "unknown" for a in areas for r in a["standards"]):
        notes.append(UNKNOWN_NOTE)
    return notes
