"""`kb get`: answer standard numbers in any spelling, with editions and parts for yearless ones.

    answer(index, "DB23/T 2419")   # the current edition, the other editions listed
    answer(index, "YS/T 575")      # a series: every part, each with its editions

The index is passed in (anything with `lookup(text) -> list[Record]` that raises
NotFound, such as index.engine.KnowledgeIndex or RecordIndex below), so this
module stays free of Whoosh.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Iterable, Protocol

from kb import numbers
from kb.errors import BadInput, KbError, NotFound, NumberError
from kb.records import Record
from kb.vocab import STATUS_LABELS

_STATUS_RANK = {"current": 0, "upcoming": 1, "unknown": 2, "replaced": 3, "withdrawn": 4}


class NumberIndex(Protocol):
    def lookup(self, text: str) -> list[Record]: ...


class RecordIndex:
    """A NumberIndex over records in memory (a loaded corpus), with the index's semantics:
    the exact edition for a dated number, every edition (and every part, for a bare series)
    for a yearless one."""

    def __init__(self, records: Iterable[Record]):
        self._by_series: dict[str, list[Record]] = defaultdict(list)
        for record in records:
            parsed = numbers.try_parse(record.number)
            if parsed is not None:
                self._by_series[parsed.series_key].append(record)

    def lookup(self, text: str) -> list[Record]:
        parsed = numbers.parse(text)
        found = []
        for record in self._by_series.get(parsed.series_key, []):
            candidate = numbers.parse(record.number)
            if parsed.year is not None:
                hit = candidate.key == parsed.key
            else:
                hit = not parsed.part or candidate.edition_free_key == parsed.edition_free_key
            if hit:
                found.append(record)
        if not found:
            raise NotFound(f"知识库中没有 {parsed.canonical}",
                           hint="请核对标准号，或用标准名称中的词运行 `kb search`")
        return found


def edition_order(record: Record, today: dt.date | None = None) -> tuple:
    """Current first, then the newest year."""
    year = numbers.parse(record.number).year or 0
    return (_STATUS_RANK.get(record.status_on(today), 9), -year, record.number)


def part_order(edition_free: str) -> tuple:
    """GB/T 5606 < GB/T 5606.1 < GB/T 5606.2 < GB/T 5606.10."""
    part = numbers.parse(edition_free).part
    return tuple(int(p) for p in part.split(".")) if part else ()


def best_edition(records: list[Record], today: dt.date | None = None) -> Record:
    """The edition a yearless citation means: the current one, else the newest."""
    return min(records, key=lambda r: edition_order(r, today))


def _edition_entry(record: Record, today: dt.date | None) -> dict:
    return {"number": record.number, "title": record.title, "status": record.status_on(today),
            "implementation_date": record.implementation_date, "replaced_by": record.replaced_by}


def _by_edition_free(records: list[Record]) -> dict[str, list[Record]]:
    groups: dict[str, list[Record]] = defaultdict(list)
    for record in records:
        groups[numbers.parse(record.number).edition_free].append(record)
    return dict(sorted(groups.items(), key=lambda kv: part_order(kv[0])))


def _newest_first(records: list[Record]) -> list[Record]:
    return sorted(records, key=lambda r: (-(numbers.parse(r.number).year or 0), r.number))


def _lookup_edition(index: NumberIndex, parsed: numbers.StandardNumber) -> list[Record]:
    """The records of a dated number; NotFound names the editions the knowledge base has."""
    try:
        return index.lookup(parsed.canonical)
    except NotFound as exc:
        try:
            others = index.lookup(parsed.edition_free)
        except KbError:
            raise exc from None
        same = [r.number for r in _newest_first(others) if numbers.parse(r.number).edition_free == parsed.edition_free]
        if not same:
            raise exc from None
        raise NotFound(f"知识库中没有 {parsed.canonical}；已收录的版本：{'、'.join(same)}",
                       hint=f"运行 `kb get {parsed.edition_free}` 查看现行版本和各版本") from None


def _chosen_words(chosen: Record, today: dt.date | None) -> str:
    """How a yearless number's answer is described: 现行版本, or the newest edition and its fate."""
    status = chosen.status_on(today)
    if status == "current":
        return f"现行版本 {chosen.number}"
    if status == "replaced" and chosen.replaced_by:
        return f"收录的最新版本 {chosen.number}（已被 {'、'.join(chosen.replaced_by)} 代替）"
    if status == "withdrawn":
        return f"收录的最新版本 {chosen.number}（已废止）"
    return f"最新版本 {chosen.number}"


def answer(index: NumberIndex, text: str, today: dt.date | None = None) -> dict:
    """The labelled record for one number. Without a year: the current edition, with
    `editions` (every edition of that standard, newest first), for a bare series `parts`
    (each part with its chosen edition and editions), and a `note` saying what was chosen."""
    parsed = numbers.parse(text)
    records = _lookup_edition(index, parsed) if parsed.year is not None else index.lookup(text)
    if parsed.year is not None:
        exact = [r for r in records if r.number == parsed.canonical] or records
        result = best_edition(exact, today).labelled(today)
        result["query"] = text
        return result
    groups = _by_edition_free(records)
    same = groups.get(parsed.edition_free) or next(iter(groups.values()))
    chosen = best_edition(same, today)
    result = chosen.labelled(today)
    result["query"] = text
    result["editions"] = [_edition_entry(r, today) for r in _newest_first(same)]
    note = f"{parsed.canonical} 未注明年份，显示{_chosen_words(chosen, today)}"
    others = [r.number for r in _newest_first(same) if r is not chosen]
    if others:
        note += f"；其他版本：{'、'.join(others)}"
    if not parsed.part and (len(groups) > 1 or parsed.edition_free not in groups):
        result["parts"] = [{"number": name, "current": best_edition(group, today).number,
                            "title": best_edition(group, today).title,
                            "status": best_edition(group, today).status_on(today),
                            "editions": [r.number for r in _newest_first(group)]}
                           for name, group in groups.items()]
        note += f"；系列共 {len(groups)} 项：{'、'.join(groups)}"
    result["note"] = note
    return result


MAX_NUMBER_WORDS = 4  # "DB23/T", "2419", "-", "2026"


def join_number_words(words: list[str]) -> list[str]:
    """Command-line words → numbers: words that make a number only together are joined
    (`DB23/T 2419-2026 GB/T 1.1` → two numbers), the longest run that parses first. A word
    that is no number in any run stays as it is (its lookup then says why)."""
    joined, i = [], 0
    while i < len(words):
        end = next((j for j in range(min(len(words), i + MAX_NUMBER_WORDS), i, -1)
                    if numbers.try_parse(" ".join(words[i:j])) is not None), i + 1)
        joined.append(" ".join(words[i:end]))
        i = end
    return joined


def lookup_numbers(index: NumberIndex, texts: list[str], today: dt.date | None = None,
                   keep_going: bool = False) -> list[dict]:
    """Answers for several numbers. With more than one (or `keep_going`, for a number
    list from a file), a failure becomes an entry {"query", "error"} and the rest go on."""
    if not texts:
        raise BadInput("请给出标准号，或用 --from 文件")
    if len(texts) == 1 and not keep_going:
        return [answer(index, texts[0], today)]
    answers = []
    for text in texts:
        try:
            answers.append(answer(index, text, today))
        except KbError as exc:
            quote = isinstance(exc, NumberError) and not keep_going  # words of the command line
            answers.append({"query": text, "error": str(exc) + (QUOTE_HINT if quote else "")})
    return answers


def _chain_entry(index: NumberIndex, number: str, today: dt.date | None) -> tuple[dict, Record | None]:
    try:
        found = [r for r in index.lookup(number) if r.number == numbers.parse(number).canonical]
    except KbError:
        found = []
    if not found:
        return {"number": number, "title": "", "status": "", "status_label": "未收录", "in_kb": False}, None
    record = found[0]
    status = record.status_on(today)
    return {"number": record.number, "title": record.title, "status": status,
            "status_label": STATUS_LABELS[status], "in_kb": True}, record


def replacement_chain(index: NumberIndex, record: Record, today: dt.date | None = None,
                      limit: int = 20) -> dict:
    """The editions before and after `record`, followed through `replaces` and `replaced_by`:
    {"earlier": [nearest first …], "later": [next first …]}; a number the knowledge base lacks
    ends its branch with in_kb false."""
    def follow(start: Record, link: str) -> list[dict]:
        chain, seen, queue = [], {start.number}, list(getattr(start, link))
        while queue and len(chain) < limit:
            number = queue.pop(0)
            if number in seen:
                continue
            seen.add(number)
            entry, found = _chain_entry(index, number, today)
            chain.append(entry)
            if found is not None:
                queue.extend(getattr(found, link))
        return chain

    return {"earlier": follow(record, "replaces"), "later": follow(record, "replaced_by")}


QUOTE_HINT = "；若这些词是同一个标准号，请整体加引号，如 kb get \"GB/T 1.1-2020\""
