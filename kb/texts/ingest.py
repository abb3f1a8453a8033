"""Ingest full texts: read files (or walk directories), build Documents, merge them into
corpus/texts.jsonl with one atomic write.

Only local files are read here. URLs belong to the crawler layer, which fetches the
bytes and passes them to `document_from_bytes(body, url, …)` then `store_documents`.
A file that cannot be read is reported and skipped; the stored texts are never lost:
the store is rewritten only as a whole, and not at all if it has unreadable lines.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from kb import paths
from kb.corpus import corpus_write
from kb.errors import BadInput, CorpusError, KbError, ParseError
from kb.records import Source, now_iso, sha256
from kb.texts.model import DOC_KINDS, TEXTS_FILE, Document, load_documents, merge_documents, \
    write_documents
from kb.texts.limits import read_file
from kb.texts.readers import FORMATS, ReadResult, read_bytes
from kb.texts.segment_law import ARTICLE

SKIPPED_NAMES = frozenset({"_index.md", "法律法规模版.md", "README.md", "PROVENANCE.txt"})
Progress = Callable[[dict], None]  # called with {"event": …, …}, like index.build


@dataclass
class IngestReport:
    new: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # files passed over by name or format
    skip_reasons: dict[str, str] = field(default_factory=dict)  # skipped file → why, in Chinese
    errors: list[str] = field(default_factory=list)  # "<file>: <why>"
    path: str = ""  # the texts file written

    def summary(self) -> dict:
        return {"new": len(self.new), "updated": len(self.updated), "unchanged": len(self.unchanged),
                "skipped": len(self.skipped), "errors": self.errors, "path": self.path,
                "skipped_files": [{"path": p, "reason": self.skip_reasons.get(p, "")} for p in self.skipped]}

    def skip(self, path: Path, reason: str) -> None:
        self.skipped.append(str(path))
        self.skip_reasons[str(path)] = reason


def texts_path(corpus: str | Path | None = None) -> Path:
    return paths.corpus_dir(corpus) / TEXTS_FILE


def guess_kind(read: ReadResult) -> str:
    """law if it has articles, standard if its cover has a number, else policy."""
    articles = sum(1 for line in read.text.splitlines()[:400] if ARTICLE.match(line))
    if articles >= 2:
        return "law"
    if read.number:
        return "standard"
    return "policy"


def document_from_bytes(body: bytes, name: str, kind: str | None = None, title: str | None = None,
                        source: Source | None = None) -> Document:
    """One Document from a file's bytes; `name` is its file name or URL."""
    if kind is not None and kind not in DOC_KINDS:
        raise BadInput(f"类型 {kind!r} 不在 {', '.join(DOC_KINDS)} 之中")
    read = read_bytes(body, name)
    kind = kind or guess_kind(read)
    doc_title = (title or read.best_title).strip()
    if not doc_title:
        raise ParseError(f"{name}：正文和文件名中都没有标题；请用 --title 给出")
    if kind == "standard" and not read.number:
        raise ParseError(f"{name}：封面上没有标准号（形如 'GB/T 1.1—2020' 的一行）")
    source = source or Source(source=f"kb.texts.{read.format}", url=name, fetched_at=now_iso(),
                              content_hash=sha256(body))
    aliases = [read.name_title] if read.name_title and not re.fullmatch(r"[\w.-]+", read.name_title, re.A) \
        else []
    if title and read.title:
        aliases.append(read.title)
    return Document.create(kind, doc_title, read.text, number=read.number if kind == "standard" else "",
                           dates=read.dates, aliases=aliases, sources=[source])


SKIPPED_NAME_REASON = "目录索引、模板或说明文件，不是文本"


def _skip_reason(file: Path, relative: Path) -> str:
    """Why a file found under a directory is not read ("" when it is read)."""
    if file.name in SKIPPED_NAMES:
        return SKIPPED_NAME_REASON
    if any(part.startswith(".") for part in relative.parts):
        return "隐藏文件"
    if file.suffix.lower() not in FORMATS:
        return f"不支持的格式 {file.suffix or '（无扩展名）'}（可读：{'、'.join(sorted(FORMATS))}）"
    return ""


def iter_files(inputs: Iterable[str | Path], report: IngestReport) -> list[Path]:
    """Files named, and readable files under directories named (sorted), minus skipped names."""
    files: list[Path] = []
    for item in inputs:
        text = str(item)
        if re.match(r"[a-z][a-z0-9+.-]*://", text, re.I):
            raise BadInput(f"{text}：网址请用 kb crawl 抓取；kb ingest 只读本地文件")
        path = Path(text).expanduser()
        if paths.is_dir(path):
            for child in sorted(p for p in path.rglob("*") if p.is_file()):
                reason = _skip_reason(child, child.relative_to(path))
                if reason:
                    report.skip(child, reason)
                else:
                    files.append(child)
        elif paths.is_file(path):
            if path.name in SKIPPED_NAMES:
                report.skip(path, SKIPPED_NAME_REASON)
            else:
                files.append(path)
        else:
            raise BadInput(f"{text}：文件或目录不存在")
    return files


def ingest(paths_or_files: Iterable[str | Path], kind: str | None = None, title: str | None = None,
           progress: Progress | None = None, corpus: str | Path | None = None) -> IngestReport:
    """Read files and directories into the texts store; `title` applies to a single file only."""
    if kind is not None and kind not in DOC_KINDS:
        raise BadInput(f"类型 {kind!r} 不在 {', '.join(DOC_KINDS)} 之中")
    store = texts_path(corpus)
    report = IngestReport(path=str(store))
    files = iter_files(paths_or_files, report)
    if title and len(files) > 1:
        raise BadInput("--title 只用于单个文件，这里给了多个")
    incoming: dict[str, Document] = {}
    _emit(progress, "start", total=len(files))
    for index, file in enumerate(files, 1):
        try:
            doc = document_from_bytes(_read(file), str(file), kind, title)
        except KbError as exc:
            report.errors.append(str(exc) if str(file) in str(exc) else f"{file}: {exc}")
            _emit(progress, "error", file=str(file), message=str(exc), done=index, total=len(files))
            continue
        incoming[doc.id] = doc
        _emit(progress, "read", file=str(file), id=doc.id, done=index, total=len(files))
    with corpus_write(store.parent):  # read and rewrite under the corpus lock
        loaded = load_documents(store)
        if loaded.errors:
            raise CorpusError(f"{loaded.errors[0]}（{len(loaded.errors)} 行无法读取）；请先修正文本文件"
                              "再收录，以免丢失已存的文本")
        merged = merge_documents(loaded.documents, incoming.values())
        if merged.new or merged.updated:
            write_documents(store, merged.documents.values())
    report.new, report.updated, report.unchanged = merged.new, merged.updated, merged.unchanged
    _emit(progress, "done", **report.summary())
    return report


def store_documents(documents: Iterable[Document], corpus: str | Path | None = None) -> IngestReport:
    """Merge ready-made Documents (e.g. from a crawler) into the texts store."""
    store = texts_path(corpus)
    with corpus_write(store.parent):
        loaded = load_documents(store)
        if loaded.errors:
            raise CorpusError(f"{loaded.errors[0]}（{len(loaded.errors)} 行无法读取）；请先修正文本文件"
                              "再收录，以免丢失已存的文本")
        merged = merge_documents(loaded.documents, documents)
        if merged.new or merged.updated:
            write_documents(store, merged.documents.values())
    return IngestReport(new=merged.new, updated=merged.updated, unchanged=merged.unchanged, path=str(store))


def _read(file: Path) -> bytes:
    return read_file(file)


def _emit(progress: Progress | None, event: str, **data) -> None:
    if progress is not None:
        progress({"event": event, **data})
