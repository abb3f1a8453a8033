"""The FTS5 baseline of a cold `kb search`: a new process loads jieba, tokenizes the query, queries.

    python -m bench.cold_fts5 fts5.db "水稻 技术规程"
"""
from __future__ import annotations

import sys
from pathlib import Path

from bench.engines import Fts5


def main() -> None:
    engine = Fts5(Path(sys.argv[1]))
    for hit in engine.search(sys.argv[2]):
        print(hit)


if __name__ == "__main__":
    main()
