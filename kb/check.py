"""`kb check`: the standards a document cites, each with its status in the knowledge base.

    report = check_files([Path("技术要求.docx")], index, fail_on="replaced,withdrawn")
    report["failed"]  # True when a citation has a fail_on status: exit 1 in CI

Each citation gets one status:
    current / upcoming / withdrawn / replaced   the cited edition's status (replaced: with
                                                `replaced_by` and the newest edition `latest`)
    unknown   the knowledge base has the standard but not its status, or does not have it
              at all (`in_kb` false, shown as 未收录; --fail-on missing picks only these)
A citation without a year means the current edition (DOMAIN.md); it is checked as that
edition and its `note` says so. An amendment (…/XG1-2006) not in the knowledge base is
checked as its base standard.

Documents: plain text and Markdown are read as they are, so `line` is the file's line;
HTML, PDF and DOCX go through kb.texts.readers, and `line` counts the lines (paragraphs)
of the extracted text.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path

from kb import numbers
from kb.citations import Citation, find_numbers
from kb.errors import BadInput, NotFound, ParseError
from kb.lookup import NumberIndex, best_edition, part_order
from kb.records import Record
from kb.vocab import STATUS_LABELS, STATUS_WORDS

FAIL_STATUSES = ("current", "upcoming", "withdrawn", "replaced", "unknown", "missing")
DEFAULT_FAIL_ON = "replaced,withdrawn"
MISSING_LABEL = "未收录"


def parse_fail_on(text: str | None) -> list[str]:
    """"replaced,withdrawn" (or 被代替,废止; "none" for never) → status codes."""
    if text is None:
        text = DEFAULT_FAIL_ON
    chosen = []
    for word in (w.strip() for w in text.replace("，", ",").split(",")):
        if not word or word.lower() == "none":
            continue
        code = word.lower() if word.lower() in FAIL_STATUSES else STATUS_WORDS.get(word)
        if code is None and word == MISSING_LABEL:
            code = "missing"
        if code is None:
            raise BadInput(f"--fail-on 中无法识别的状态 {word!r}：可用 {', '.join(FAIL_STATUSES)} 或 none")
        if code not in chosen:
            chosen.append(code)
    return chosen


def read_document(path: Path) -> str:
    """The text of a document: TXT/MD as is, HTML/PDF/DOCX through kb.texts.readers."""
    from kb.texts import readers

    if not path.exists():
        raise BadInput(f"{path}：文件不存在")
    if path.is_dir():
        raise BadInput(f"{path} 是目录；请给出文档文件")
    try:
        body = path.read_bytes()
    except OSError as exc:
        raise ParseError(f"无法读取 {path}：{exc.strerror}") from None
    fmt = readers.format_of(path.name)
    if fmt in ("text", "markdown"):
        return readers.decode(body, str(path))
    result = readers.read_bytes(body, str(path), fmt)
    title = result.title.strip()
    if title and not result.text.startswith(title):
        return f"{title}\n{result.text}"
    return result.text


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


def check_citation(citation: Citation, resolver: _Resolver, today: dt.date | None = None) -> dict:
    cited = citation.number
    item = {"line": citation.line, "found": citation.found, "number": cited.canonical,
            "status": "unknown", "status_label": MISSING_LABEL, "in_kb": False, "resolved": "",
            "title": "", "replaced_by": [], "latest": "", "note": ""}
    notes = []
    found = resolver.records(cited)
    if found is None and cited.amendment is not None:
        cited = replace(cited, amendment=None, amendment_year=None)
        found = resolver.records(cited)
        notes.append(f"修改单未收录，按 {cited.canonical} 判断")
    if found is None:
        return item
    if cited.year is None:
        same = [r for r in found if numbers.parse(r.number).edition_free == cited.edition_free]
        if not same:  # a bare series cited: judge its first part
            first = min({numbers.parse(r.number).edition_free for r in found}, key=part_order)
            same = [r for r in found if numbers.parse(r.number).edition_free == first]
        record = best_edition(same, today)
        state = "现行版本" if record.status_on(today) == "current" else "最新版本"
        notes.append(f"未注明年份，按{state} {record.number}")
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
    item["note"] = "；".join(notes)
    return item


def failing(item: dict, fail_on: list[str]) -> bool:
    return item["status"] in fail_on or ("missing" in fail_on and not item["in_kb"])


def check_text(text: str, index: NumberIndex, today: dt.date | None = None,
               resolver: _Resolver | None = None) -> list[dict]:
    """One checked entry per citation in `text`, in order."""
    resolver = resolver or _Resolver(index)
    return [check_citation(c, resolver, today) for c in find_numbers(text)]


def check_files(paths: list[Path], index: NumberIndex, fail_on: str | None = None,
                today: dt.date | None = None) -> dict:
    """Check every document (all are read before any lookup, so a bad file fails fast).

    Returns {"files", "fail_on", "failed", "counts", "citations"}; each citation has file,
    line, found, number, status, status_label, in_kb, resolved, title, replaced_by, latest,
    note and failed."""
    wanted = parse_fail_on(fail_on)
    if not paths:
        raise BadInput("请至少给出一个要检查的文档")
    texts = [(path, read_document(path)) for path in paths]
    resolver = _Resolver(index)
    citations = []
    for path, text in texts:
        for item in check_text(text, index, today, resolver):
            citations.append({"file": str(path), **item, "failed": failing(item, wanted)})
    counts: dict[str, int] = {status: 0 for status in (*STATUS_LABELS, "missing")}
    for item in citations:
        counts[item["status"]] += 1
        counts["missing"] += not item["in_kb"]
    return {"files": [str(p) for p in paths], "fail_on": wanted,
            "failed": any(item["failed"] for item in citations),
            "counts": {k: v for k, v in counts.items() if v}, "citations": citations}
