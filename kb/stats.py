"""Counts over the knowledge base for `kb stats`."""
from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Iterable

from kb.records import Record


def _sorted(counter: Counter) -> dict[str, int]:
    return dict(sorted(counter.items(), key=lambda kv: (-kv[1], kv[0])))


def corpus_stats(records: Iterable[Record], today: dt.date | None = None) -> dict:
    kinds, levels, statuses, regions, sectors, years = Counter(), Counter(), Counter(), Counter(), Counter(), Counter()
    total = 0
    for record in records:
        total += 1
        kinds[record.kind] += 1
        levels[record.level or "unknown"] += 1
        statuses[record.status_on(today)] += 1
        if record.region:
            regions[record.region[:2]] += 1
        if record.sector:
            sectors[record.sector] += 1
        year = (record.issue_date or "")[:4]
        if year:
            years[year] += 1
    return {"total": total, "kind": _sorted(kinds), "level": _sorted(levels), "status": _sorted(statuses),
            "region": _sorted(regions), "sector": _sorted(sectors),
            "issue_year": dict(sorted(years.items(), reverse=True))}
