"""Open the serving index, building it from the corpus on first use."""
from __future__ import annotations

from pathlib import Path

from kb.errors import IndexMissing
from index import store
from index.engine import KnowledgeIndex, open_generation_index


def open_index(index_dir: Path, corpus_dir: Path, auto_build: bool = True, progress=None) -> KnowledgeIndex:
    """The serving generation; when there is none yet and auto_build is on, build it first
    (`progress` as index.build.rebuild takes it)."""
    if not (index_dir / store.POINTER).exists() and auto_build:  # a damaged CURRENT is exit 4, not a first use
        from index.build import rebuild  # a reader of a built index never loads the build

        rebuild(corpus_dir, index_dir, progress=progress, wait=60, if_missing=True)
    try:
        return open_serving(index_dir)
    except IndexMissing:
        # A rebuild may have switched generations between reading CURRENT and opening.
        return open_serving(index_dir)


def open_serving(index_dir: Path) -> KnowledgeIndex:
    """The serving generation, opened by the engine that built it."""
    return open_generation_index(store.open_generation(index_dir), index_dir)
