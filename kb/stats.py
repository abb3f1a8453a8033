"""Counts over the knowledge base for `kb stats`."""
from __future__ import annotations

from collections import Counter


def _sorted(counter: Counter) -> dict[str, int]:
    return dict(sorted(counter.items(), key=lambda kv: (-kv[1], kv[0])))


def index_stats(index) -> dict:
    """`kb stats` from the index's facet counts (index.coverage), without decoding a record.
    Statuses are as of the index's build day (`kb index update` refreshes dated ones)."""
    reader = index.coverage
    total = reader.live_count()
    counts = {name: Counter(reader.facet_counts(name)) for name in ("kind", "level", "status", "region", "sector")}
    unknown = total - sum(counts["level"].values())
    if unknown:
        counts["level"]["unknown"] = unknown
    years = reader.facet_counts("issue_year")
    return {"total": total, **{name: _sorted(counter) for name, counter in counts.items()},
            "issue_year": dict(sorted(years.items(), reverse=True)),
            "status_as_of": index.meta.get("status_as_of", "")}
