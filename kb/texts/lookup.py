"""Lookup over full texts: a DOC argument → a document, a clause reference → a clause with its
sub-clauses, a document's outline, and terms with their definitions.

Results are plain dicts, ready for JSON:

    {"doc": {"id", "title", "kind"}, "path", "label", "kind", "heading", "text",
     "children": [{"path", "label", "kind", "heading", "text", "children": […]}, …]}

plus "note" when a DOC argument matched several versions, and "refs" on clauses
that cite standard numbers.
"""
from __future__ import annotations

import difflib
import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Iterable, Iterator, Mapping

from kb import numbers
from kb.errors import BadInput, NotFound
from kb.texts.clauses import Clause, ClauseTree
from kb.texts.model import Document, name_key, short_title
from kb.texts.numerals import to_int
from kb.texts.segment import normalize_clause_ref, segment

Documents = Mapping[str, Document] | Iterable[Document]


def _as_list(documents: Documents) -> list[Document]:
    return list(documents.values()) if isinstance(documents, Mapping) else list(documents)


# -- documents ----------------------------------------------------------------------

@dataclass
class DocMatch:
    document: Document
    versions: list[str] = field(default_factory=list)  # ids of every matching version, newest first
    note: str = ""  # says which version was chosen when several matched


_VERSION_SUFFIX = re.compile(r"(?:@|\(|（|\s)(\d{4}(?:-\d{1,2}(?:-\d{1,2})?)?)[)）]?$")


def _newest_first(docs: list[Document]) -> list[Document]:
    def key(doc: Document) -> tuple:
        year = numbers.try_parse(doc.number).year if doc.kind == "standard" and doc.number else None
        return (doc.version or doc.dates.get("issued", ""), year or 0, doc.id)
    return sorted(docs, key=key, reverse=True)


def _family(doc: Document) -> str:
    if doc.kind == "standard":
        parsed = numbers.try_parse(doc.number)
        return parsed.edition_free_key if parsed else doc.id
    return f"{doc.kind}:{name_key(doc.short_title)}"


def resolve_document(documents: Documents, arg: str) -> DocMatch:
    """Find the document a user means: an id, a standard number in any spelling, a title or
    an alias (with or without 中华人民共和国), or a unique part of a title. Several versions:
    the newest wins and the note says so. `标题@2018-03-19` or `标题@2018` picks a version."""
    docs = _as_list(documents)
    wanted = unicodedata.normalize("NFKC", arg or "").strip()
    if not wanted:
        raise BadInput("文本名称为空")
    by_id = {d.id: d for d in docs}
    if wanted in by_id:
        return DocMatch(by_id[wanted], [wanted])
    version = ""
    suffix = _VERSION_SUFFIX.search(wanted)
    if suffix and suffix.start() > 0 and numbers.try_parse(wanted) is None:
        version = "-".join(f"{int(p):02d}" if i else p for i, p in enumerate(suffix.group(1).split("-")))
        wanted = wanted[:suffix.start()].strip()
    candidates = _candidates(docs, wanted)
    if not candidates:
        raise NotFound(_not_found_message(docs, arg))
    families = {_family(d) for d in candidates}
    if len(families) > 1:
        names = sorted({d.title for d in candidates})
        raise NotFound(f"{arg!r} 对应 {len(names)} 篇文本：{'、'.join(names[:6])}；请写得更具体")
    ordered = _newest_first(candidates)
    if version:
        chosen = [d for d in ordered if (d.version or d.dates.get("issued", "")).startswith(version)]
        if not chosen:
            have = "、".join(d.version or "未注明日期" for d in ordered)
            raise NotFound(f"{ordered[0].title} 没有 {version} 版（已有版本：{have}）")
        ordered = chosen
    match = DocMatch(ordered[0], [d.id for d in ordered])
    if len(ordered) > 1:
        others = "、".join(d.id for d in ordered[1:])
        match.note = (f"有 {len(ordered)} 个版本，显示最新的 {ordered[0].version or '未注明日期'} "
                      f"（{ordered[0].id}）；其他：{others}")
    return match


def _candidates(docs: list[Document], wanted: str) -> list[Document]:
    parsed = numbers.try_parse(wanted)
    if parsed is not None:
        standards = [(d, numbers.try_parse(d.number)) for d in docs if d.kind == "standard"]
        if parsed.year is not None:
            return [d for d, n in standards if n is not None and n.key == parsed.key]
        return [d for d, n in standards if n is not None and n.edition_free_key == parsed.edition_free_key]
    key = name_key(wanted)
    short = name_key(short_title(wanted))
    ids = [d for d in docs if name_key(d.id) == key]
    if ids:
        return ids
    exact = [d for d in docs if short in {name_key(n) for n in (d.title, d.short_title, *d.aliases)}
             or key in {name_key(n) for n in (d.title, *d.aliases)}]
    if exact:
        return exact
    return [d for d in docs if short and any(short in name_key(n) for n in (d.title, *d.aliases))]


def _not_found_message(docs: list[Document], arg: str) -> str:
    names = sorted({d.short_title for d in docs})
    near = difflib.get_close_matches(short_title(arg), names, n=3, cutoff=0.4)
    hint = f"；是否要找：{'、'.join(near)}？" if near else \
        (f"；已收录 {len(docs)} 篇文本，例如 {'、'.join(names[:3])}" if docs else "；还没有收录任何文本")
    return f"没有与 {arg!r} 对应的文本{hint}"


# -- clauses ----------------------------------------------------------------------------

def _law_variants(path: str) -> list[str]:
    """第四条第一项 ⇄ 第四条第一款第一项: 项 of a single-paragraph article skip the 款."""
    variants = []
    if "第一款" in path:
        variants.append(path.replace("第一款", "", 1))
    match = re.fullmatch(r"(第.+?条(?:之.+?)?)(第.+?项.*)", path)
    if match and "款" not in path:
        variants.append(f"{match.group(1)}第一款{match.group(2)}")
    return variants


def locate_clause(doc: Document, ref: str, tree: ClauseTree | None = None) -> Clause | None:
    """The clause `ref` points to, or None."""
    tree = tree or segment(doc)
    raw = (ref or "").strip()
    path = normalize_clause_ref(doc.kind, raw)
    for candidate in [raw, path, *(_law_variants(path) if doc.kind == "law" else [])]:
        clause = tree.get(candidate)
        if clause is not None:
            return clause
    return None


def find_clause(doc: Document, ref: str, tree: ClauseTree | None = None) -> Clause:
    """The clause `ref` points to; NotFound lists the nearest paths."""
    tree = tree or segment(doc)
    clause = locate_clause(doc, ref, tree)
    if clause is None:
        raise NotFound(_clause_not_found(doc, tree, ref, normalize_clause_ref(doc.kind, ref)))
    return clause


def _clause_not_found(doc: Document, tree: ClauseTree, ref: str, path: str) -> str:
    paths = [c.path for c in tree]
    near = difflib.get_close_matches(path, paths, n=5, cutoff=0.5)
    near.sort(key=paths.index)
    articles = tree.of_kind("article")
    span = f"；条文从{articles[0].path}到{articles[-1].path}" if articles else ""
    if not near:
        near = tree.roots[:6]
    return f"{doc.title}（{doc.id}）中没有条款 {ref!r}{span}；最接近的：{'、'.join(near) or '无'}"


def clause_dict(tree: ClauseTree, clause: Clause, depth: int | None = None) -> dict:
    """A clause with its sub-clauses (to `depth` levels below it; None = all)."""
    data = {"path": clause.path, "label": clause.label, "kind": clause.kind,
            "heading": clause.heading, "text": clause.text}
    if clause.refs:
        data["refs"] = list(clause.refs)
    children = tree.children(clause) if depth is None or depth > 0 else []
    data["children"] = [clause_dict(tree, c, None if depth is None else depth - 1) for c in children]
    return data


def doc_dict(doc: Document) -> dict:
    return {"id": doc.id, "title": doc.title, "kind": doc.kind}


def lookup_clause(documents: Documents, doc_arg: str, ref: str) -> dict:
    """`kb clause DOC REF`: the clause and its sub-clauses, e.g. ("标准化法", "10").

    A law stored in parts (民法典·总则, 民法典·合同编 …) is searched part by part when
    DOC names the whole law."""
    parts = document_parts(documents, doc_arg)
    if parts:
        return _lookup_in_parts(parts, doc_arg, ref)
    match = resolve_document(documents, doc_arg)
    tree = segment(match.document)
    clause = find_clause(match.document, ref, tree)
    result = {"doc": doc_dict(match.document), **clause_dict(tree, clause)}
    if match.note:
        result["note"] = match.note
    return result


def lookup_citation(documents: Documents, citation: str) -> dict:
    """A citation in one string: "标准化法第十条", "GB/T 1.1-2020 5.2"."""
    return lookup_clause(documents, *split_citation(citation))


def lookup_words(documents: Documents, words: list[str]) -> dict:
    """`kb clause` words: one whole citation (标准化法第十条), or DOC then REF, where DOC may be
    several words (`GB/T 1.1-2020 5.2`: the last word is the clause)."""
    words = [w for w in words if w.strip()]
    if not words:
        raise BadInput("请给出文本和条款，例如：kb clause 标准化法 第十条")
    if len(words) == 1:
        return lookup_citation(documents, words[0])
    return lookup_clause(documents, " ".join(words[:-1]), words[-1])


def document_parts(documents: Documents, doc_arg: str) -> list[Document]:
    """The parts of a law stored as several documents titled `<law>·<part>` (newest versions)."""
    whole = name_key(short_title(unicodedata.normalize("NFKC", doc_arg or "")))
    if not whole:
        return []
    docs = _as_list(documents)
    if any(name_key(d.short_title) == whole for d in docs):
        return []  # DOC names a whole document
    parts = latest_versions([d for d in docs if "·" in d.short_title
                             and name_key(d.short_title.split("·", 1)[0]) == whole])
    return sorted(parts, key=_first_article)


def _first_article(doc: Document) -> int:
    """The number of a document's first article: orders the parts of a code (总则 before 物权编)."""
    articles = segment(doc).of_kind("article")
    number = to_int(articles[0].path[1:].split("条", 1)[0]) if articles else None
    return number if number is not None else 1 << 30


def _lookup_in_parts(parts: list[Document], doc_arg: str, ref: str) -> dict:
    for part in parts:
        tree = segment(part)
        clause = locate_clause(part, ref, tree)
        if clause is None:
            continue
        return {"doc": doc_dict(part), **clause_dict(tree, clause),
                "note": f"{doc_arg} 分 {len(parts)} 部分收录；{ref} 在 {part.title} 中"}
    names = "、".join(p.title.split("·", 1)[-1] for p in parts)
    raise NotFound(f"{doc_arg} 的 {len(parts)} 个部分（{names}）中都没有条款 {ref!r}")


_CITATION = re.compile(r"^(?P<doc>.+?)\s*(?P<ref>第[一二三四五六七八九十百千零〇两0-9]+(?:条|章|编|节).*)$")


def split_citation(text: str) -> tuple[str, str]:
    """A citation in one string → (DOC, REF): "中华人民共和国民法典第五十四条" → ("中华人民共和国民法典",
    "第五十四条"); "GB/T 1.1-2020 5.2" → ("GB/T 1.1-2020", "5.2"). BadInput if no clause is named."""
    text = unicodedata.normalize("NFKC", text or "").strip()
    law = _CITATION.match(text)
    if law:
        return law["doc"].strip("《》 "), law["ref"]
    head, _, tail = text.rpartition(" ")
    if head and tail and numbers.try_parse(head.strip()) is not None:
        return head.strip(), tail
    raise BadInput(f"无法从 {text!r} 分出文本和条款；"
                   "请写成 <标题>第N条，或 <标准号> <条款>（如 标准化法 第十条）")


# -- outline --------------------------------------------------------------------------

# Detail below the citable units, left out of outlines: law 款/项, notes and examples.
OUTLINE_SKIP = frozenset({"paragraph", "item", "note", "example"})


def outline(doc: Document, depth: int | None = None) -> dict:
    """The document's tree of parts: path, label, kind, heading (or a summary), children."""
    tree = segment(doc)

    def node(clause: Clause, level: int) -> dict:
        data = {"path": clause.path, "label": clause.label, "kind": clause.kind, "heading": clause.heading}
        if not clause.heading and clause.text:
            first = clause.text.split("\n", 1)[0]
            data["summary"] = first[:30] + ("…" if len(first) > 30 else "")
        kids = [c for c in tree.children(clause) if c.kind not in OUTLINE_SKIP]
        data["children"] = [node(c, level + 1) for c in kids] if depth is None or level < depth else []
        return data

    roots = [tree.clauses[p] for p in tree.roots]
    return {"doc": doc_dict(doc), "clauses": len(tree), "outline": [node(c, 1) for c in roots]}


def document_outline(documents: Documents, doc_arg: str, depth: int | None = None) -> dict:
    """`kb outline DOC`."""
    match = resolve_document(documents, doc_arg)
    result = outline(match.document, depth)
    if match.note:
        result["note"] = match.note
    return result


# -- terms -----------------------------------------------------------------------------

_LEGAL_DEFINITION = re.compile(
    r"(?:本法|本条例|本细则|本办法|本规定|本规则|本决定|本意见|本文件)(?:中)?所称(?:的)?"
    r"(?P<term>[^，,。；;]{1,30}?)[，,]?(?:是指|指|包括)(?P<definition>[^。]*。)")
_ITEM_DEFINITION = re.compile(r"(?P<term>[^，,。；;（(]{1,20}?)[，,]?(?:是指|指)(?P<definition>.+)$")


def _split_term(heading: str) -> tuple[str, str]:
    """"质量基础设施 quality infrastructure" → ("质量基础设施", "quality infrastructure")."""
    match = re.search(r"[A-Za-z]", heading)
    if not match:
        return heading.strip(), ""
    return heading[:match.start()].strip(), heading[match.start():].strip()


def iter_terms(doc: Document) -> Iterator[dict]:
    """Terms a document defines: standard term entries (3.1 …) and legal definitions
    ("本法所称标准，是指…", or items of an article on 用语的含义)."""
    tree = segment(doc)
    for clause in tree:
        if clause.kind == "term":
            term, english = _split_term(clause.heading)
            notes = [c.text for c in tree.children(clause) if c.kind in ("note", "example")]
            yield {"term": term, "english": english, "definition": clause.text, "notes": notes,
                   "doc": doc_dict(doc), "path": clause.path}
        elif clause.kind == "article":
            for match in _LEGAL_DEFINITION.finditer(clause.text):
                yield {"term": match["term"].strip(), "english": "", "definition": match["definition"],
                       "notes": [], "doc": doc_dict(doc), "path": clause.path}
        elif clause.kind == "item":
            parent = tree.get(clause.parent)
            article = tree.get(parent.parent) if parent is not None and parent.kind == "paragraph" else parent
            if article is not None and re.search(r"用语.{0,4}含义|下列.{0,6}是指", article.text):
                match = _ITEM_DEFINITION.match(clause.text)
                if match:
                    yield {"term": match["term"].strip(), "english": "", "definition": match["definition"],
                           "notes": [], "doc": doc_dict(doc), "path": clause.path}


def latest_versions(documents: Documents) -> list[Document]:
    """One document per family (title or standard series): the newest version."""
    newest: dict[str, Document] = {}
    for doc in _newest_first(_as_list(documents)):
        newest.setdefault(_family(doc), doc)
    return sorted(newest.values(), key=lambda d: d.id)


def terms(documents: Documents, word: str = "") -> list[dict]:
    """`kb term WORD`: terms containing `word` (all terms if empty), exact matches first.
    Only the newest version of each document is searched."""
    key = name_key(word)
    found = []
    for doc in latest_versions(documents):
        for entry in iter_terms(doc):
            if not key or key in name_key(entry["term"]) or (word and word.lower() in entry["english"].lower()):
                found.append(entry)
    if not found:
        raise NotFound(f"{len(_as_list(documents))} 篇文本中没有与 {word!r} 对应的术语" if word
                       else "已收录的文本中没有术语定义")
    return sorted(found, key=lambda e: name_key(e["term"]) != key)


# -- for the indexer ---------------------------------------------------------------------

def iter_clause_docs(documents: Documents) -> Iterator[dict]:
    """One flat dict per clause, for the clause index: id (doc_id#path), doc_id, doc_title,
    doc_kind, path, label, heading, text, parent, clause_kind, aliases, content_hash."""
    for doc in _as_list(documents):
        tree = segment(doc)
        for clause in tree:
            digest = hashlib.sha256(f"{doc.id}\x00{clause.path}\x00{clause.heading}\x00{clause.text}"
                                    .encode()).hexdigest()[:16]
            yield {"id": f"{doc.id}#{clause.path}", "doc_id": doc.id, "doc_title": doc.title,
                   "doc_kind": doc.kind, "path": clause.path, "label": clause.label,
                   "heading": clause.heading, "text": clause.text, "parent": clause.parent,
                   "clause_kind": clause.kind, "aliases": list(doc.aliases), "content_hash": digest}
