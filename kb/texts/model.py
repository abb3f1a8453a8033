"""The document model for full texts (policies, laws, standards) and its JSONL store.

One `Document` per line of corpus/texts.jsonl. Ids are stable: they derive from the
kind, the short title (or the standard number) and the version date, so re-reading
the same file gives the same id, and two versions of a law stay two documents:

    law:标准化法@2017-11-04
    policy:质量强国首善之区建设意见
    standard:GB/T 1.1-2020
"""
from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import asdict, dataclass, field, fields
from functools import lru_cache
from pathlib import Path
from typing import Iterable

from kb import numbers
from kb.corpus import LineError, corpus_write, load_objects, write_jsonl_atomic
from kb.errors import CorpusError
from kb.records import Source

TEXTS_FILE = "texts.jsonl"
TEXT_SCHEMA_VERSION = 1
DOC_KINDS = ("policy", "law", "standard")
DATE_KEYS = ("issued", "amended", "effective", "version")
_COUNTRY_PREFIX = "中华人民共和国"


@dataclass
class Document:
    """A full text. `dates` maps issued/amended/effective/version to YYYY-MM-DD."""

    id: str
    kind: str
    title: str
    text: str
    aliases: list[str] = field(default_factory=list)
    dates: dict[str, str] = field(default_factory=dict)
    sources: list[Source] = field(default_factory=list)
    schema: int = TEXT_SCHEMA_VERSION

    @classmethod
    def create(cls, kind: str, title: str, text: str, *, number: str = "",
               dates: dict[str, str] | None = None, aliases: Iterable[str] = (),
               sources: Iterable[Source] = ()) -> "Document":
        """A document with its id and aliases derived from kind, title, number and dates."""
        dates = {k: v for k, v in (dates or {}).items() if v}
        doc_id = document_id(kind, title, dates.get("version", ""), number)
        names = [title, short_title(title), *aliases]
        if kind == "standard" and number:
            names.append(numbers.canonical(number))
        doc = cls(id=doc_id, kind=kind, title=title, text=text, aliases=unique_names(names),
                  dates=dates, sources=list(sources))
        doc.validate()
        return doc

    @classmethod
    def from_dict(cls, data: dict) -> "Document":
        """Validate one corpus line; raise CorpusError naming the bad field."""
        if not isinstance(data, dict):
            raise CorpusError("一篇文本须为 JSON 对象")
        schema = data.get("schema", TEXT_SCHEMA_VERSION)
        if schema != TEXT_SCHEMA_VERSION:
            raise CorpusError(f"文本的 schema {schema} 不是 {TEXT_SCHEMA_VERSION}")
        unknown = set(data) - {f.name for f in fields(cls)}
        if unknown:
            raise CorpusError(f"未知的字段：{'、'.join(sorted(unknown))}")
        for required in ("id", "kind", "title", "text"):
            if not isinstance(data.get(required), str) or not data[required]:
                raise CorpusError(f"缺少 {required!r}")
        values = dict(data)
        values["sources"] = [Source.from_dict(s) for s in data.get("sources") or []]
        doc = cls(**values)
        doc.validate()
        return doc

    def validate(self) -> None:
        if self.kind not in DOC_KINDS:
            raise CorpusError(f"{self.id}：kind {self.kind!r} 不是 {'、'.join(DOC_KINDS)} 之一")
        if not self.id.startswith(self.kind + ":"):
            raise CorpusError(f"{self.id}：id 须以 {self.kind + ':'!r} 开头")
        if not isinstance(self.aliases, list) or not all(isinstance(a, str) for a in self.aliases):
            raise CorpusError(f"{self.id}：aliases 须为字符串列表")
        if not isinstance(self.dates, dict):
            raise CorpusError(f"{self.id}：dates 须为对象")
        for key, value in self.dates.items():
            if key not in DATE_KEYS:
                raise CorpusError(f"{self.id}：未知的日期 {key!r}（可用：{'、'.join(DATE_KEYS)}）")
            if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
                raise CorpusError(f"{self.id}：日期 {key} {value!r} 不是 YYYY-MM-DD")

    # -- derived views ----------------------------------------------------------

    @property
    def short_title(self) -> str:
        return short_title(self.title)

    @property
    def version(self) -> str:
        """The date that tells this version from others ("" if unknown)."""
        return self.dates.get("version", "")

    @property
    def number(self) -> str:
        """The canonical standard number of a standard ("" for other kinds)."""
        return self.id.split(":", 1)[1] if self.kind == "standard" else ""

    def to_dict(self) -> dict:
        return asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, sort_keys=True)

    def content_key(self) -> str:
        """The facts, without provenance: differs when the document changed."""
        data = self.to_dict()
        data.pop("sources")
        return json.dumps(data, ensure_ascii=False, sort_keys=True)


# -- ids and names -------------------------------------------------------------

@lru_cache(maxsize=65536)
def short_title(title: str) -> str:
    """The title without 中华人民共和国 and book-title marks: 中华人民共和国标准化法 → 标准化法."""
    text = re.sub(r"\s+", "", unicodedata.normalize("NFKC", title)).strip("《》〈〉")
    if text.startswith(_COUNTRY_PREFIX) and len(text) > len(_COUNTRY_PREFIX):
        text = text[len(_COUNTRY_PREFIX):]
    return text


@lru_cache(maxsize=65536)
def name_key(name: str) -> str:
    """Comparison key for titles and aliases: NFKC, no spaces or book-title marks, upper case."""
    return re.sub(r"[\s《》〈〉<>“”\"']", "", unicodedata.normalize("NFKC", name)).upper()


def unique_names(names: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    result = []
    for name in names:
        name = name.strip()
        if name and name not in seen:
            seen.add(name)
            result.append(name)
    return result


def document_id(kind: str, title: str, version: str = "", number: str = "") -> str:
    """`standard:<canonical number>`, else `<kind>:<short title>` plus `@<version date>`."""
    if kind not in DOC_KINDS:
        raise CorpusError(f"kind {kind!r} 不是 {'、'.join(DOC_KINDS)} 之一")
    if kind == "standard" and number:
        return f"standard:{numbers.canonical(number)}"
    name = short_title(title)
    if not name:
        raise CorpusError("文档须有标题")
    return f"{kind}:{name}" + (f"@{version}" if version else "")


# -- the JSONL store -------------------------------------------------------------

@dataclass
class LoadedTexts:
    documents: dict[str, Document] = field(default_factory=dict)
    errors: list[LineError] = field(default_factory=list)


def load_documents(path: Path) -> LoadedTexts:
    """Load corpus/texts.jsonl. Bad lines are reported; the rest still load."""
    return LoadedTexts(*load_objects(path, Document.from_dict))


def load_texts(corpus_dir: Path) -> dict[str, Document]:
    """The stored texts, for read commands: {} if there are none; CorpusError on bad lines."""
    loaded = load_documents(Path(corpus_dir) / TEXTS_FILE)
    if loaded.errors:
        raise CorpusError(f"{loaded.errors[0]}（{TEXTS_FILE} 中有 {len(loaded.errors)} 行无法读取）")
    return loaded.documents


def write_documents(path: Path, documents: Iterable[Document]) -> None:
    """Write all documents, sorted by id, atomically, under the corpus lock."""
    with corpus_write(path.parent):
        write_jsonl_atomic(path, (d.to_json() for d in sorted(documents, key=lambda d: d.id)))


@dataclass
class TextMerge:
    documents: dict[str, Document]
    new: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


def merge_documents(existing: dict[str, Document], incoming: Iterable[Document]) -> TextMerge:
    """Merge by id: the incoming text wins, aliases and provenance accumulate."""
    result = TextMerge(documents=dict(existing))
    for doc in incoming:
        old = result.documents.get(doc.id)
        if old is None:
            result.documents[doc.id] = doc
            result.new.append(doc.id)
            continue
        merged = Document.from_dict(doc.to_dict())
        merged.aliases = unique_names([*doc.aliases, *old.aliases])
        merged.dates = {**old.dates, **doc.dates}
        seen = {(s.source, s.url, s.content_hash) for s in doc.sources}
        merged.sources = [s for s in old.sources if (s.source, s.url, s.content_hash) not in seen]
        merged.sources += doc.sources
        changed = merged.content_key() != old.content_key() or len(merged.sources) != len(old.sources)
        result.documents[doc.id] = merged if changed else old
        (result.updated if changed else result.unchanged).append(doc.id)
    return result
