"""The knowledge base for long-running servers (`kb mcp`, `kb serve`).

    kb = KnowledgeBase(index_dir, corpus_dir)
    kb.search("水稻", level="local")      # the JSON of `kb search --json`
    kb.get_standard("db23t2419-2019")     # `kb get --json`, plus the replacement chain

Each answer is the dict the CLI prints with --json, from the same library functions
cli.py calls. What a server adds lives here: one open index shared by every request
(under a lock: a Whoosh searcher is not thread-safe), reopened as soon as a rebuild or
update switches generations, caps on the size of what a client sends, and a small
per-generation cache for the answers that take a second (gaps, policy-gaps).
"""
from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path

from kb.errors import BadInput, BadQuery, IndexMissing, KbError, NotFound

MAX_QUERY_CHARS = 500          # a search, a cover term, a clause path or a document name
MAX_TEXT_BYTES = 5 * 1024 * 1024  # a text to check or a policy to trace (pasted or uploaded)
MAX_LIMIT = 100
CACHED_ANSWERS = 32


def bounded(value: str | None, name: str, limit: int = MAX_QUERY_CHARS) -> str | None:
    """`value`, or BadQuery when it is longer than `limit` characters."""
    if value is not None and len(value) > limit:
        raise BadQuery(f"{name} 过长：最多 {limit} 个字符，收到 {len(value)} 个 ({name} is too long)")
    return value


def required(value: str | None, name: str) -> str:
    value = (bounded(value, name) or "").strip()
    if not value:
        raise BadInput(f"请填写{name} ({name} is empty)")
    return value


def check_size(body: bytes | str, name: str) -> None:
    size = len(body.encode("utf-8") if isinstance(body, str) else body)
    if size > MAX_TEXT_BYTES:
        raise BadInput(f"{name}过大：最多 {MAX_TEXT_BYTES // (1024 * 1024)} MB，收到 {size / (1024 * 1024):.1f} MB")


class KnowledgeBase:
    """The serving index and the stored texts, opened once and reopened when they change."""

    def __init__(self, index_dir: Path, corpus_dir: Path):
        self.index_dir = Path(index_dir)
        self.corpus_dir = Path(corpus_dir)
        self._lock = threading.RLock()
        self._index = None
        self._texts = None
        self._texts_stamp = None
        self._cache: dict[tuple, dict] = {}

    # -- what the answers are computed from ------------------------------------------

    def index(self):
        """The serving generation; a new one is opened when CURRENT names another. Call with the lock held."""
        from index import store
        from index.api import open_index

        current = store.current_name(self.index_dir)
        if self._index is None or current != self._index.generation.name:
            fresh = open_index(self.index_dir, self.corpus_dir)
            old, self._index = self._index, fresh
            self._cache.clear()
            if old is not None:
                old.close()
        return self._index

    def _with_index(self, answer):
        """answer(index) under the lock; once more on a fresh open when the generation vanished meanwhile."""
        with self._lock:
            try:
                return answer(self.index())
            except (IndexMissing, FileNotFoundError):
                self._index = None
                return answer(self.index())

    def texts(self) -> dict:
        """corpus/texts.jsonl, read again when the file changes."""
        from kb.texts.model import TEXTS_FILE, load_texts

        path = self.corpus_dir / TEXTS_FILE
        try:
            stat = path.stat()
            stamp = (stat.st_mtime_ns, stat.st_size)
        except FileNotFoundError:
            stamp = None
        with self._lock:
            if self._texts is None or stamp != self._texts_stamp:
                self._texts = load_texts(self.corpus_dir) if stamp else {}
                self._texts_stamp = stamp
            return self._texts

    def _cached(self, key: tuple, answer) -> dict:
        def run(index):
            full = (index.generation.name, self._texts_stamp, dt.date.today().isoformat(), *key)
            if full not in self._cache:
                if len(self._cache) >= CACHED_ANSWERS:
                    self._cache.clear()
                self._cache[full] = answer(index)
            return self._cache[full]
        return self._with_index(run)

    def generation(self) -> str:
        return self._with_index(lambda index: index.generation.name)

    # -- the answers: each the JSON of a CLI command ---------------------------------

    def search(self, query: str, level: str | None = None, status: str | None = None, region: str | None = None,
               year: int | None = None, limit: int = 10) -> dict:
        """`kb search --json`."""
        from kb.vocab import search_filters

        query = required(query, "检索词")
        filters = search_filters(bounded(level, "level"), bounded(status, "status"), bounded(region, "region"))
        limit = _limit(limit)
        return self._with_index(lambda index: index.search(query, limit=limit, year=year, **filters).to_dict())

    def search_clauses(self, query: str, doc: str | None = None, doc_kind: str | None = None, limit: int = 10) -> dict:
        """`kb search --clauses --json`, optionally within one text (title, alias or id) or kind of text."""
        query = required(query, "检索词")
        if doc_kind not in (None, "", "law", "policy", "standard"):
            raise BadInput(f"未知的文本类型 {doc_kind!r}：请用 law、policy 或 standard")
        doc_id = self._resolve(doc).id if doc else None
        limit = _limit(limit)
        return self._with_index(lambda index: index.search_clauses(query, doc_id=doc_id, doc_kind=doc_kind or None,
                                                                   limit=limit).to_dict())

    def get_standard(self, number: str) -> dict:
        """`kb get --json` for one number, with `chain` (kb.lookup.replacement_chain) and, when
        the standard's own text is stored, `text` (its outline, as `kb outline --json`)."""
        from kb.lookup import answer, replacement_chain

        number = required(number, "标准号")

        def run(index):
            result = answer(index, number)
            record = index.record(result["id"]) or index.lookup(result["number"])[0]
            result["chain"] = replacement_chain(index, record)
            return result
        result = self._with_index(run)
        result["text"] = self._standard_text(result["number"])
        return result

    def _standard_text(self, number: str) -> dict | None:
        from kb.texts.lookup import outline

        for doc in self.texts().values():
            if doc.kind == "standard" and number in doc.aliases:
                return outline(doc)
        return None

    def check_text(self, text: str, name: str = "粘贴的文本", fail_on: str | None = None) -> dict:
        """`kb check --json` for a text already in hand."""
        from kb.check import check_texts, parse_fail_on

        check_size(text, "文本")
        parse_fail_on(fail_on)
        return self._with_index(lambda index: check_texts([(name, text)], index, fail_on=fail_on))

    def check_document(self, body: bytes, filename: str, fail_on: str | None = None) -> dict:
        """`kb check --json` for an uploaded TXT, Markdown, HTML, PDF or DOCX file."""
        from kb.check import document_text

        check_size(body, "文件")
        filename = bounded(filename, "文件名") or "upload.txt"
        try:
            text = document_text(body, filename)
        except KbError:
            raise
        except Exception as exc:  # a damaged PDF or DOCX fails inside its library
            raise BadInput(f"无法读取文件 {filename} ({type(exc).__name__})") from None
        return self.check_text(text, filename, fail_on)

    def cover(self, query: str, region: str | None = None, include_withdrawn: bool = False) -> dict:
        """`kb cover --json`."""
        from kb.coverage import cover
        from kb.vocab import search_filters

        query = required(query, "产品或类目")
        region_code = search_filters(region=bounded(region, "region"))["region"]
        return self._cached(("cover", query, region_code, include_withdrawn),
                            lambda index: cover(index, query, region=region_code, include_withdrawn=include_withdrawn))

    def gaps(self, by: str = "ccs", level: str | None = None, region: str | None = None, max_age: float = 5) -> dict:
        """`kb gaps --json`."""
        from kb.coverage import gap_report
        from kb.vocab import search_filters

        filters = search_filters(level=bounded(level, "level"), region=bounded(region, "region"))
        by = bounded(by, "by") or "ccs"
        return self._cached(("gaps", by, filters["level"], filters["region"], float(max_age)),
                            lambda index: gap_report(index, by=by, level=filters["level"],
                                                     region=filters["region"], max_age=max_age))

    def policy_gaps(self, doc: str | None = None, text: str | None = None) -> dict:
        """`kb policy-gaps --json` for a stored policy (title, alias or id), or a policy text given here."""
        from kb.coverage import policy_gaps

        if text:
            from kb.texts.ingest import document_from_bytes

            check_size(text, "政策文本")
            document = document_from_bytes(text.encode("utf-8"), (bounded(doc, "文件名") or "policy") + ".txt",
                                           kind="policy")
            return self._with_index(lambda index: policy_gaps(index, document))
        document = self._resolve(required(doc, "政策文件"))
        return self._cached(("policy", document.id), lambda index: policy_gaps(index, document))

    def clause(self, doc: str, path: str | None = None) -> dict:
        """`kb clause --json`: DOC and PATH, or a whole citation in DOC (标准化法第十条)."""
        from kb.texts.lookup import lookup_citation, lookup_clause

        doc = required(doc, "文件")
        path = bounded(path, "条款")
        return lookup_clause(self.texts(), doc, path) if path else lookup_citation(self.texts(), doc)

    def outline(self, doc: str, depth: int | None = None) -> dict:
        """`kb outline --json`."""
        from kb.texts.lookup import document_outline

        if depth is not None and depth < 1:
            raise BadInput("depth 至少为 1")
        return document_outline(self.texts(), required(doc, "文件"), depth)

    def documents(self) -> list[dict]:
        """The stored texts, newest version of each: id, title, kind (for pickers)."""
        from kb.texts.lookup import doc_dict, latest_versions

        return [doc_dict(d) for d in latest_versions(list(self.texts().values()))]

    def changes(self, since: str | None = None, level: str | None = None, status: str | None = None,
                region: str | None = None, kinds: list[str] | None = None) -> list[dict]:
        """`kb changes --json`."""
        from kb.changes import list_changes
        from kb.vocab import search_filters

        filters = search_filters(bounded(level, "level"), bounded(status, "status"), bounded(region, "region"))
        return list_changes(self.corpus_dir, since=bounded(since, "since"), kinds=kinds or None, **filters).changes

    def _resolve(self, doc: str):
        from kb.texts.lookup import resolve_document

        return resolve_document(self.texts(), required(doc, "文件")).document


def _limit(limit: int | None) -> int:
    limit = 10 if limit is None else int(limit)
    if not 1 <= limit <= MAX_LIMIT:
        raise BadInput(f"limit 须在 1 到 {MAX_LIMIT} 之间，收到 {limit}")
    return limit


__all__ = ["KnowledgeBase", "MAX_QUERY_CHARS", "MAX_TEXT_BYTES", "NotFound"]
