"""`kb get`: answer standard numbers in any spelling, with editions for yearless ones.

The index is passed in (anything with `lookup(text) -> list[Record]`), so this
module stays free of Whoosh.
"""
from __future__ import annotations

import datetime as dt
from typing import Protocol

from kb import numbers
from kb.errors import KbError
from kb.records import Record

_STATUS_RANK = {"current": 0, "upcoming": 1, "unknown": 2, "replaced": 3, "withdrawn": 4}


class NumberIndex(Protocol):
    def lookup(self, text: str) -> list[Record]: ...


def edition_order(record: Record, today: dt.date | None = None) -> tuple:
    """Current first, then the newest year."""
    year = numbers.parse(record.number).year or 0
    return (_STATUS_RANK.get(record.status_on(today), 9), -year, record.number)


def answer(index: NumberIndex, text: str, today: dt.date | None = None) -> dict:
    """The labelled record for one number. Without a year: the current edition,
    with the other editions (and parts) listed and a note saying so."""
    parsed = numbers.parse(text)
    records = sorted(index.lookup(text), key=lambda r: edition_order(r, today))
    if parsed.year is not None:
        exact = [r for r in records if r.number == parsed.canonical] or records
        result = exact[0].labelled(today)
        result["query"] = text
        return result
    chosen = records[0]
    result = chosen.labelled(today)
    result["query"] = text
    result["editions"] = [{"number": r.number, "title": r.title, "status": r.status_on(today)}
                          for r in sorted(records, key=lambda r: r.number)]
    state = "现行版本" if chosen.status_on(today) == "current" else "最新版本"
    others = [r.number for r in records[1:]]
    result["note"] = (f"{parsed.canonical} 未注明年份，显示{state} {chosen.number}"
                      + (f"；其他版本/部分：{'、'.join(others)}" if others else ""))
    return result


def lookup_numbers(index: NumberIndex, texts: list[str], today: dt.date | None = None) -> list[dict]:
    """Answers for several numbers; with more than one, a failure becomes an error entry."""
    if len(texts) == 1:
        return [answer(index, texts[0], today)]
    answers = []
    for text in texts:
        try:
            answers.append(answer(index, text, today))
        except KbError as exc:
            answers.append({"query": text, "error": str(exc)})
    return answers
