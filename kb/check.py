"""`kb check`: the standards a document cites, each with its status in the knowledge base.

    report = check_paths([Path("技术要求.docx")], index, fail_on="replaced,withdrawn")
    report["failed"]  # True when a citation has a fail_on status, or a file is unreadable

Each citation gets one status:
    current / upcoming / withdrawn / replaced   the cited edition's status now (replaced: with
                                                `replaced_by` and the newest edition `latest`)
    unknown   the knowledge base has the standard but not its status, or does not have it
              at all (`in_kb` false, shown as 未收录; --fail-on missing picks only these)
    invalid   not a possible number (a year before 1949, an unknown prefix or region code)
and, apart from its status, `title_mismatch` when its 《title》 is not the title of the
record of its number (`cited_title` beside `title`); --fail-on title_mismatch fails those.

A citation without a year ("GB/T 1.1") means the edition in force on the judging date:
--as-of, else the date the document states (its issue or signature date), else today. The
edition chosen is the newest whose implementation (else issue) date is not after that day
and that was not withdrawn by then; its status is then given as of today, and `note` says
which edition and why. An amendment (…/XG1-2006) not in the knowledge base is checked as
its base standard.

Documents are read as lines (kb.texts.readers.document_lines): `line` is the file's line for
TXT and Markdown, the line of the extracted text for HTML, DOCX and PDF (with `page` for
PDF). A directory is checked recursively, every file with a known extension; a file that
cannot be read is reported with its error and fails the check.
"""
from __future__ import annotations

import datetime as dt
import difflib
import re
import unicodedata
from dataclasses import replace
from pathlib import Path
from typing import Callable

from kb import numbers
from kb.citations import Citation, find_citations
from kb.errors import BadInput, KbError, NotFound
from kb.lookup import NumberIndex, best_edition, part_order
from kb.records import Record
from kb.vocab import STATUS_LABELS, STATUS_WORDS

CHECK_LABELS = {**STATUS_LABELS, "invalid": "编号无效", "title_mismatch": "名称不符"}
FAIL_STATUSES = ("current", "upcoming", "withdrawn", "replaced", "unknown", "missing", "invalid",
                 "title_mismatch")
DEFAULT_FAIL_ON = "replaced,withdrawn,invalid,title_mismatch"
MISSING_LABEL = "未收录"
TITLE_SIMILARITY = 0.8  # a cited title this close to the record's (after folding) matches


def parse_fail_on(text: str | None) -> list[str]:
    """"replaced,withdrawn" (or 被代替,废止,名称不符; "none" for never) → status codes."""
    if text is None:
        text = DEFAULT_FAIL_ON
    words_to_codes = {**STATUS_WORDS, MISSING_LABEL: "missing", "编号无效": "invalid", "名称不符": "title_mismatch"}
    chosen = []
    for word in (w.strip() for w in text.replace("，", ",").split(",")):
        if not word or word.lower() == "none":
            continue
        code = word.lower() if word.lower() in FAIL_STATUSES else words_to_codes.get(word)
        if code is None:
            raise BadInput(f"--fail-on 中无法识别的状态 {word!r}：可用 {', '.join(FAIL_STATUSES)} 或 none")
        if code not in chosen:
            chosen.append(code)
    return chosen


def parse_as_of(text: str | None) -> dt.date | None:
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise BadInput(f"--as-of {text!r} 不是日期：请用 YYYY-MM-DD") from None


# -- reading -------------------------------------------------------------------------------

def document_files(paths: list[Path]) -> list[Path]:
    """The files named, and under each directory named every file with a known extension."""
    from kb.texts.readers import FORMATS

    if not paths:
        raise BadInput("请至少给出一个要检查的文档或文件夹")
    files = []
    for path in paths:
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.suffix.lower() in FORMATS and p.is_file()
                           and not any(part.startswith(".") for part in p.relative_to(path).parts))
            if not found:
                raise BadInput(f"{path}：此文件夹中没有文档（TXT、Markdown、HTML、PDF 或 DOCX）")
            files.extend(found)
        elif path.exists() or path.is_symlink():
            files.append(path)
        else:
            raise BadInput(f"{path}：文件不存在")
    return files


def read_document(path: Path) -> tuple[str, list[int | None], str]:
    """(text, page of each line, date the document states) of one file, under the size limits."""
    from kb.texts import limits

    return read_body(limits.read_file(path), str(path))


def read_body(body: bytes, name: str) -> tuple[str, list[int | None], str]:
    """read_document for bytes in hand (an upload), its format told by `name`."""
    from kb.texts import limits, readers

    limits.check_size(body, name)
    lines = readers.document_lines(body, name)
    texts = [line.text for line in lines]
    return "\n".join(texts), [line.page for line in lines], readers.stated_date(texts, name)


def document_text(body: bytes, name: str) -> str:
    """The text of a document's bytes, as `kb check` reads it."""
    return read_body(body, name)[0]


# -- judging -------------------------------------------------------------------------------

class _Resolver:
    """Looks numbers up once each; follows replacements to the newest edition."""

    def __init__(self, index: NumberIndex):
        self.index = index
        self._cache: dict[str, list[Record] | None] = {}

    def records(self, number: numbers.StandardNumber) -> list[Record] | None:
        if number.key not in self._cache:
            try:
                self._cache[number.key] = self.index.lookup(number.canonical)
            except NotFound:
                self._cache[number.key] = None
        return self._cache[number.key]

    def latest(self, record: Record, today: dt.date | None) -> str:
        """Follow replaced_by to the edition that is not itself replaced."""
        seen = {record.number}
        while record.replaced_by and record.status_on(today) in ("replaced", "withdrawn"):
            target = numbers.try_parse(record.replaced_by[0])
            found = self.records(target) if target else None
            if not found or found[0].number in seen:
                return record.replaced_by[0] if not found else found[0].number
            record = found[0]
            seen.add(record.number)
        return record.number


def _in_force_from(record: Record) -> str:
    return record.implementation_date or record.issue_date


def edition_on(records: list[Record], day: dt.date) -> Record | None:
    """The edition in force on `day`: the newest begun by then (an edition without dates is
    older than its dated successors) and not withdrawn by then; None if none had begun."""
    iso = day.isoformat()
    begun = [r for r in records if not _in_force_from(r) or _in_force_from(r) <= iso]
    standing = [r for r in begun if not (r.withdrawal_date and r.withdrawal_date <= iso)] or begun
    if not standing:
        return None
    return max(standing, key=lambda r: (numbers.parse(r.number).year or 0, _in_force_from(r), r.number))


def _fold_title(title: str) -> str:
    folded = unicodedata.normalize("NFKC", title)
    return re.sub(r"[\s\W_]+", "", folded).lower()


def titles_match(cited: str, recorded: str) -> bool:
    """Equal after folding width, spaces and punctuation, one containing the other, or close."""
    a, b = _fold_title(cited), _fold_title(recorded)
    if not a or not b or a in b or b in a:
        return True
    return difflib.SequenceMatcher(None, a, b).ratio() >= TITLE_SIMILARITY


def _yearless_edition(cited: numbers.StandardNumber, found: list[Record], as_of: dt.date | None,
                      as_of_source: str, today: dt.date | None) -> tuple[Record, str]:
    same = [r for r in found if numbers.parse(r.number).edition_free == cited.edition_free]
    if not same:  # a bare series cited: judge its first part
        first = min({numbers.parse(r.number).edition_free for r in found}, key=part_order)
        same = [r for r in found if numbers.parse(r.number).edition_free == first]
    if as_of is not None:
        record = edition_on(same, as_of)
        if record is not None:
            return record, f"未注明年份，按{as_of_source} {as_of.isoformat()} 有效的版本 {record.number}"
        record = best_edition(same, today)
        return record, f"未注明年份，{as_of_source} {as_of.isoformat()} 时尚无已实施的版本，按 {record.number}"
    record = best_edition(same, today)
    state = "现行版本" if record.status_on(today) == "current" else "最新版本"
    return record, f"未注明年份，按{state} {record.number}"


def check_citation(citation: Citation, resolver: _Resolver, today: dt.date | None = None,
                   as_of: dt.date | None = None, as_of_source: str = "--as-of") -> dict:
    cited = citation.number
    item = {"line": citation.line, "page": None, "found": citation.found,
            "number": cited.canonical if cited else citation.found, "status": "unknown",
            "status_label": MISSING_LABEL, "in_kb": False, "resolved": "", "title": "",
            "cited_title": citation.title, "title_mismatch": False, "replaced_by": [], "latest": "",
            "note": ""}
    if cited is None or citation.invalid:
        item.update(status="invalid", status_label=CHECK_LABELS["invalid"], note=citation.invalid)
        return item
    notes = []
    found = resolver.records(cited)
    if found is None and cited.amendment is not None:
        cited = replace(cited, amendment=None, amendment_year=None)
        found = resolver.records(cited)
        notes.append(f"修改单未收录，按 {cited.canonical} 判断")
    if found is None:
        return item
    if cited.year is None:
        record, note = _yearless_edition(cited, found, as_of, as_of_source, today)
        notes.append(note)
    else:
        record = best_edition(found, today)
    status = record.status_on(today)
    item.update(status=status, status_label=STATUS_LABELS[status], in_kb=True, resolved=record.number,
                title=record.title, replaced_by=list(record.replaced_by))
    if status in ("replaced", "withdrawn") and record.replaced_by:
        item["latest"] = resolver.latest(record, today)
    elif status == "current" and record.replaced_by:
        notes.append(f"将被 {'、'.join(record.replaced_by)} 代替"
                     + (f"（{record.withdrawal_date} 起）" if record.withdrawal_date else ""))
    if citation.title and record.title and not titles_match(citation.title, record.title):
        item["title_mismatch"] = True
        notes.append(f"名称不符：文中为《{citation.title}》，{record.number} 为《{record.title}》")
    item["note"] = "；".join(notes)
    return item


def failing(item: dict, fail_on: list[str]) -> bool:
    return (item["status"] in fail_on or ("missing" in fail_on and not item["in_kb"]
                                          and item["status"] != "invalid")
            or ("title_mismatch" in fail_on and item["title_mismatch"]))


def check_text(text: str, index: NumberIndex, today: dt.date | None = None,
               resolver: _Resolver | None = None, as_of: dt.date | None = None,
               as_of_source: str = "--as-of") -> list[dict]:
    """One checked entry per citation in `text`, in order."""
    resolver = resolver or _Resolver(index)
    return [check_citation(c, resolver, today, as_of, as_of_source) for c in find_citations(text)]


def _counts(citations: list[dict]) -> dict[str, int]:
    counts: dict[str, int] = {status: 0 for status in (*STATUS_LABELS, "invalid", "missing", "title_mismatch")}
    for item in citations:
        counts[item["status"]] += 1
        counts["missing"] += not item["in_kb"] and item["status"] != "invalid"
        counts["title_mismatch"] += item["title_mismatch"]
    return {k: v for k, v in counts.items() if v}


def check_paths(paths: list[Path], index: NumberIndex, fail_on: str | None = None,
                today: dt.date | None = None, as_of: dt.date | None = None) -> dict:
    """Check every document (folders recursively).

    Returns {"files", "fail_on", "as_of", "failed", "counts", "unjudged", "per_file",
    "citations"}; each citation has file, line, page, found, number, status, status_label,
    in_kb, resolved, title, cited_title, title_mismatch, replaced_by, latest, note and failed;
    each per_file entry file, date, as_of, citations, failed, counts and error ("" if read)."""
    parse_fail_on(fail_on)
    files = document_files(paths)
    return check_documents([(str(p), lambda p=p: read_document(p)) for p in files], index,
                           fail_on, today, as_of)


def check_texts(named_texts: list[tuple[str, str]], index: NumberIndex, fail_on: str | None = None,
                today: dt.date | None = None, as_of: dt.date | None = None) -> dict:
    """check_paths for texts already in hand: (name, text) pairs; `file` is the name."""
    from kb.texts import readers

    def reader(text: str, name: str):
        return lambda: (text, [], readers.stated_date(text.splitlines(), name))

    return check_documents([(name, reader(text, name)) for name, text in named_texts], index,
                           fail_on, today, as_of)


def check_documents(named_readers: list[tuple[str, Callable[[], tuple[str, list, str]]]],
                    index: NumberIndex, fail_on: str | None = None, today: dt.date | None = None,
                    as_of: dt.date | None = None) -> dict:
    """The report of check_paths over (name, read) pairs; read() gives (text, pages, stated date)."""
    wanted = parse_fail_on(fail_on)
    resolver = _Resolver(index)
    citations: list[dict] = []
    per_file = []
    for name, read in named_readers:
        entry = {"file": name, "date": "", "as_of": "", "citations": 0, "failed": False,
                 "counts": {}, "error": ""}
        per_file.append(entry)
        try:
            text, pages, stated = read()
        except KbError as exc:
            entry.update(error=str(exc), failed=True)
            continue
        day, source = (as_of, "--as-of") if as_of else \
            ((dt.date.fromisoformat(stated), "文件日期") if stated else (None, ""))
        entry.update(date=stated, as_of=day.isoformat() if day else "")
        items = []
        for item in check_text(text, index, today, resolver, day, source):
            item["page"] = pages[item["line"] - 1] if item["line"] <= len(pages) else None
            items.append({"file": name, **item, "failed": failing(item, wanted)})
        entry.update(citations=len(items), failed=any(i["failed"] for i in items), counts=_counts(items))
        citations.extend(items)
    counts = _counts(citations)
    unjudged = sum(1 for item in citations if item["status"] in ("unknown", "invalid"))
    return {"files": [name for name, _ in named_readers], "fail_on": wanted,
            "as_of": as_of.isoformat() if as_of else "",
            "failed": any(entry["failed"] for entry in per_file), "counts": counts,
            "unjudged": unjudged, "errors": [e["error"] for e in per_file if e["error"]],
            "per_file": per_file, "citations": citations}


check_files = check_paths
