"""The full texts shipped in corpus/texts.jsonl, rebuilt from ../shared (scripts/ship_texts.py).

Only the Beijing quality policy and the national quality-infrastructure laws are
shipped: 标准化法, 计量法, 产品质量法, 标准化法实施条例, 计量法实施细则 (two versions)
and 认证认可条例 (two versions). Each carries its provenance: the file under
../shared, the upstream URL at the recorded commit, and the sha256 of the file.
The output depends only on those files, so rebuilding gives the same bytes.
"""
from __future__ import annotations

import re
from pathlib import Path

from kb.errors import CorpusError
from kb.records import Source, sha256
from kb.texts.ingest import document_from_bytes
from kb.texts.model import TEXTS_FILE, Document, write_documents

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared"
SHIPPED = (
    ("policy", "corpus/policy/质量强国首善之区建设意见.txt"),
    ("law", "corpus/laws/经济法/标准化法(2017-11-04).md"),
    ("law", "corpus/laws/经济法/计量法(2018-10-26).md"),
    ("law", "corpus/laws/经济法/产品质量法(2018-12-29).md"),
    ("law", "corpus/laws/行政法规/标准化法实施条例(1990-04-06).md"),
    ("law", "corpus/laws/行政法规/计量法实施细则(2018-03-19).md"),
    ("law", "corpus/laws/行政法规/计量法实施细则(2022-03-29).md"),
    ("law", "corpus/laws/行政法规/认证认可条例(2020-11-29).md"),
    ("law", "corpus/laws/行政法规/认证认可条例(2023-07-20).md"),
)


def _provenance(folder: Path) -> dict[str, str]:
    """repo, commit and commit date from a folder's PROVENANCE.txt (empty if it names none)."""
    path = folder / "PROVENANCE.txt"
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    repo = re.search(r"^repo:\s*(\S+)", text, re.M)
    commit = re.search(r"^commit:\s*([0-9a-f]{40})(?:\s*\((\d{4}-\d{2}-\d{2})\))?", text, re.M)
    return {"repo": repo.group(1) if repo else "", "commit": commit.group(1) if commit else "",
            "date": commit.group(2) or "" if commit else ""}


def shipped_source(shared: Path, relative: str, body: bytes) -> Source:
    """Provenance of one shipped file: ../shared path, upstream URL at its commit, content hash."""
    folder = shared / relative.split("/")[0] / relative.split("/")[1]
    upstream = _provenance(folder)
    url = ""
    if upstream["repo"] and upstream["commit"]:
        inner = relative.split("/", 2)[2]
        url = f"{upstream['repo']}/blob/{upstream['commit']}/{inner}"
    return Source(source=f"../shared/{relative}", url=url, fetched_at=upstream["date"],
                  content_hash=sha256(body))


def build_shipped(shared: Path = SHARED) -> list[Document]:
    """The shipped Documents, read from ../shared."""
    documents = []
    for kind, relative in SHIPPED:
        path = shared / relative
        if not path.exists():
            raise CorpusError(f"缺少 {path}；随附的文本由 ../shared 生成")
        body = path.read_bytes()
        documents.append(document_from_bytes(body, path.name, kind=kind,
                                             source=shipped_source(shared, relative, body)))
    return documents


def write_shipped(corpus_dir: Path, shared: Path = SHARED) -> Path:
    """Rewrite <corpus_dir>/texts.jsonl with exactly the shipped texts."""
    target = corpus_dir / TEXTS_FILE
    write_documents(target, build_shipped(shared))
    return target
