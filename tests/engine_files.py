"""Where each engine keeps a generation's files, for tests that damage them on purpose."""
from __future__ import annotations

from pathlib import Path


def segment_file(gen: Path, indexname: str, engine: str) -> Path:
    """The file holding the documents of one index (records / clauses) of a generation:
    Whoosh's compound segment, tantivy's document store."""
    if engine == "whoosh":
        return next(gen.glob(f"{indexname}_*.seg"))
    return next((gen / f"tantivy-{indexname}").glob("*.store"))


def flip_stored_fields(gen: Path, engine: str) -> None:
    """XOR every 97th byte of the records' stored-field area."""
    if engine == "whoosh":
        import whoosh.index

        ix = whoosh.index.open_dir(str(gen), indexname="records")
        [segment] = ix._segments()
        compound = segment.open_compound_file(ix.storage)
        area = next(v for k, v in compound._dir.items() if k.endswith("_stored.col"))
        compound.close()
        start, end = area["offset"] + 16, area["offset"] + area["length"] - 200
    else:
        start, end = 16, segment_file(gen, "records", engine).stat().st_size - 200
    path = segment_file(gen, "records", engine)
    data = bytearray(path.read_bytes())
    for i in range(start, end, 97):
        data[i] ^= 0x5A
    path.write_bytes(bytes(data))
